"""Uploads streamed to disk under the office's limit (bangfu.ingest.guard.save_upload, bangfu.workspace.settings), and
files read where they lie (a GeoPackage on the server, the command line's server-folder import)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from bangfu.cli.commands import main as cli_main
from bangfu.ingest import guard, pipeline, readers
from bangfu.ingest.guard import ImportRefused, Limits
from bangfu.workspace import audit, settings, store
from bangfu.workspace.access import AccessDenied, Principal
from factories import CHISHUI as TOWN, import_workspace, xlsx_bytes

ADMIN = Principal("admin", "admin", display_name="张三")
VIEWER = Principal("viewer", "viewer", display_name="李四")
KNOWN = {spec.field: spec.zh for spec in guard.LIMIT_TABLE}
MB = 1024 * 1024


class CountingReader(io.BytesIO):
    """A file object that remembers the largest read it was asked for."""

    largest = 0

    def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        self.largest = max(self.largest, size if size is not None and size >= 0 else len(self.getbuffer()))
        return super().read(size)


def test_an_upload_is_written_in_chunks_and_kept_whole(tmp_path: Path):
    data = bytes(range(256)) * (3 * MB // 256 + 7)
    source = CountingReader(data)
    path = guard.save_upload(source, "../../村界.gpkg", tmp_path, limits=Limits(max_bytes=10 * MB))
    assert path == tmp_path / "upload.gpkg", "a fixed harmless name, whatever the upload was called"
    assert path.read_bytes() == data
    assert 0 < source.largest <= guard.CHUNK_BYTES, "never more than one chunk in memory"


def test_an_upload_over_the_limit_is_refused_before_it_is_read(tmp_path: Path):
    source = CountingReader(b"x" * 100)
    with pytest.raises(ImportRefused, match="文件太大：.*超过上限 1 MB") as info:
        guard.save_upload(source, "h.csv", tmp_path, limits=Limits(max_bytes=1 * MB), size=400 * MB)
    assert "管理员" in info.value.message_zh and "python -m bangfu import" in info.value.message_zh
    assert source.largest == 0 and not list(tmp_path.iterdir())


def test_an_upload_that_grows_over_the_limit_is_refused_and_removed(tmp_path: Path):
    source = io.BytesIO(b"a,b\n" + b"1,2\n" * (MB // 2))  # its size was not told (or lied about)
    with pytest.raises(ImportRefused, match="文件太大"):
        guard.save_upload(source, "h.csv", tmp_path, limits=Limits(max_bytes=1 * MB), size=10)
    assert not list(tmp_path.iterdir()), "nothing is left behind"


def test_an_unsupported_upload_is_refused_before_it_is_written(tmp_path: Path):
    with pytest.raises(ImportRefused, match="不支持的文件类型"):
        guard.save_upload(io.BytesIO(b"<OGRVRTDataSource/>"), "x.vrt", tmp_path, limits=Limits())
    assert not list(tmp_path.iterdir())


def test_the_administrator_sets_the_limit_in_the_office_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "office"
    monkeypatch.delenv("BANGFU_MAX_UPLOAD_MB", raising=False)
    assert Limits.for_office(folder).max_bytes == 200 * MB  # the default
    settings.set_limit(folder, ADMIN, "max_bytes", 450, known=KNOWN)
    settings.set_limit(folder, ADMIN, "max_rows", 3_500_000, known=KNOWN)
    limits = Limits.for_office(folder)
    assert limits.max_bytes == 450 * MB and limits.max_rows == 3_500_000
    monkeypatch.setenv("BANGFU_MAX_UPLOAD_MB", "100")  # the administrator's setting wins over the environment
    assert Limits.for_office(folder).max_bytes == 450 * MB
    rows = audit.entries(folder, user=ADMIN, action="settings")
    assert set(rows["target"]) == {"max_bytes", "max_rows"}
    with pytest.raises(AccessDenied):
        settings.set_limit(folder, VIEWER, "max_bytes", 10_000, known=KNOWN)
    with pytest.raises(settings.SettingError, match="必须是正数"):
        settings.set_limit(folder, ADMIN, "max_bytes", 0, known=KNOWN)
    assert Limits.for_office(folder).max_bytes == 450 * MB


def test_a_file_on_disk_reads_like_its_bytes(tmp_path: Path):
    ws = import_workspace(tmp_path / "ws")
    table = pd.DataFrame({"统计用区划代码": [f"{TOWN}241"], "建档立卡户数": [21]})
    on_disk = tmp_path / "t.xlsx"
    on_disk.write_bytes(xlsx_bytes(table))
    a = readers.read_upload("t.xlsx", on_disk.read_bytes())
    b = readers.read_upload("t.xlsx", on_disk)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    # a GeoPackage is read where it lies (hard-linked under a fixed name, not copied into memory)
    g1 = readers.read_upload("ws.gpkg", ws.read_bytes(), sublayer="households")
    g2 = readers.read_upload("ws.gpkg", ws, sublayer="households")
    pd.testing.assert_frame_equal(g1.frame, g2.frame)
    assert [x.wkb for x in g1.geometry] == [x.wkb for x in g2.geometry]
    with pytest.raises(ImportRefused, match="文件太大"):
        readers.read_upload("ws.gpkg", ws, limits=Limits(max_bytes=1))


def test_the_command_line_imports_a_server_file_under_the_office_limits(tmp_path: Path, capsys: pytest.CaptureFixture):
    ws = import_workspace(tmp_path / "ws")
    table = pd.DataFrame({"统计用区划代码": [f"{TOWN}241"], "建档立卡户数": [21]})
    src = tmp_path / "建档立卡.xlsx"
    src.write_bytes(xlsx_bytes(table))
    settings.set_limit(ws.parent, ADMIN, "max_bytes", 0.001, known=KNOWN)  # 1 KB: the file is larger
    code = cli_main(["import", str(src), "--layer", "villages", "--workspace", str(ws)])
    assert code == 1 and "文件太大" in capsys.readouterr().out
    settings.set_limit(ws.parent, ADMIN, "max_bytes", 50, known=KNOWN)
    code = cli_main(["import", str(src), "--layer", "villages", "--workspace", str(ws)])
    assert code == 0, capsys.readouterr()
    assert store.read_layer(ws, "villages").set_index("village_code").loc[f"{TOWN}241", "poor_households"] == 21
    assert pipeline  # the same pipeline as the page
