"""Issue 12, hostile files: every case of the corpus is refused (or reported) with a Chinese message, read in a
child process under the limits of one table, and the workspace stays byte-identical — in the data layer, the
command line and on the page."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

import hostile_corpus as corpus
from bangfu.cli.commands import main as cli_main
from bangfu.editing import roads
from bangfu.ingest import crs_detect, guard, pipeline, readers, sandbox
from bangfu.ingest.guard import LIMIT_TABLE, ImportRefused, Limits
from bangfu.workspace import checked, locking
from bangfu.workspace.access import cli_principal
from bangfu.workspace.validate import village_pairs
from factories import import_workspace, zip_bytes

ROOT = Path(__file__).resolve().parents[1]
CHINESE = re.compile(r"[\u4e00-\u9fff]")
#: small limits for the tests (the table's fields, so every limit is exercised through the same path)
SMALL = Limits(max_rows=1000, max_depth=32, max_seconds=60, max_memory_mb=1024)


def _fingerprint(ws: Path) -> tuple[str, list[str]]:
    # the writer's lock file (bangfu.workspace.locking) is no data: it may exist after any write attempt; nor is the
    # stored validation of opening the workspace (bangfu.workspace.checked)
    skip = {locking.lock_path(ws).name, checked.sidecar_path(ws).name}
    return hashlib.sha256(ws.read_bytes()).hexdigest(), sorted(p.name for p in ws.parent.iterdir() if p.name not in skip)


# --------------------------------------------------------------------------- the corpus: refused outright

#: case → (file name, maker(tmp), layer, extra CLI args, expected words of the Chinese message)
REFUSED = {
    "GeoPackage listing a recursive view": ("v.gpkg", corpus.gpkg_with_recursive_view, "villages", [], "视图"),
    "GeoPackage with a custom trigger": ("v.gpkg", corpus.gpkg_with_trigger, "villages", [], "触发器"),
    "xlsx zip bomb": ("x.xlsx", lambda t: corpus.xlsx_bomb(), "villages", [], "压缩炸弹"),
    "CSV with too many rows": ("big.csv", lambda t: corpus.big_csv(5000), "pairings", [], "数据行数超过上限"),
    "zip with a lying size header": ("v.zip", corpus.zip_lying_size, "villages", [], "已损坏"),
    "GeoJSON nested deeper than the recursion limit": ("v.geojson", lambda t: corpus.deep_geojson(), "villages", [],
                                                       "嵌套层数"),
    "KML nested deeper than the recursion limit": ("v.kml", lambda t: corpus.deep_kml(), "tourism_sites", [], "嵌套层数"),
}

#: case → (file name, maker(tmp), layer, extra args, expected words of an error in the report)
REPORTED = {
    "NaN/Infinity polygon coordinates": ("v.geojson", lambda t: corpus.nan_coordinates_geojson(), "villages", [],
                                         "坐标不是有限的数"),
    "Infinity in a longitude column": ("s.csv", lambda t: corpus.inf_lon_csv(), "tourism_sites", [], "坐标不是有限的数"),
    "counts of inf and 1e400": ("v.csv", lambda t: corpus.inf_counts_csv(), "villages", [], "数值不是有限的数"),
    "inf coordinates with a Gauss–Krüger CRS": ("s.csv", lambda t: corpus.inf_gk_csv(), "tourism_sites",
                                                 ["--crs", "epsg:4526"], "坐标不是有限的数"),
    "lon/lat shapefile with an EPSG:3857 .prj": ("v.zip", corpus.lonlat_with_3857_prj, "villages", [],
                                                 "所有坐标值都在经纬度范围内"),
    "Gauss–Krüger coordinates of another zone": ("s.csv", lambda t: corpus.gk_csv(), "tourism_sites",
                                                 ["--crs", "epsg:4527"], "不在声明的坐标系"),
    "two identical village polygons": ("v.geojson", lambda t: corpus.duplicate_villages(), "villages", [], "重复"),
    "one village inside another": ("v.geojson", lambda t: corpus.contained_villages(), "villages", [], "包含"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_hostile_file_is_refused_in_a_child_process(case: str, tmp_path: Path):
    ws = import_workspace(tmp_path / "ws")
    before = _fingerprint(ws)
    name, make, layer, _args, expected = REFUSED[case]
    with pytest.raises(ImportRefused) as info:
        pipeline.prepare_import_limited(ws, name, make(tmp_path), layer=layer, limits=SMALL)
    assert expected in info.value.message_zh, info.value.message_zh
    assert CHINESE.search(info.value.message_zh)
    assert _fingerprint(ws) == before


@pytest.mark.parametrize("case", list(REPORTED))
def test_hostile_values_are_errors_in_the_report(case: str, tmp_path: Path):
    ws = import_workspace(tmp_path / "ws")
    before = _fingerprint(ws)
    name, make, layer, args, expected = REPORTED[case]
    crs = args[1] if args else None
    plan = pipeline.prepare_import_limited(ws, name, make(tmp_path), layer=layer, crs=crs, limits=SMALL)
    assert not plan.ok
    hits = [p for p in plan.report.errors if expected in p.reason_zh]
    assert hits, [p.reason_zh for p in plan.report.errors]
    assert all(p.file == name and p.hint_zh for p in hits), "the report names the file and what to do"
    with pytest.raises(ImportRefused):
        pipeline.apply_import(ws, plan, user=cli_principal())
    assert _fingerprint(ws) == before


@pytest.mark.parametrize("case", list(REFUSED) + list(REPORTED))
def test_cli_says_it_in_chinese_without_a_traceback(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BANGFU_MAX_ROWS", "1000")
    monkeypatch.setenv("BANGFU_MAX_NESTING", "32")
    ws = import_workspace(tmp_path / "ws")
    before = _fingerprint(ws)
    name, make, layer, args, expected = {**REFUSED, **REPORTED}[case]
    f = tmp_path / "in" / name
    f.parent.mkdir()
    f.write_bytes(make(tmp_path))
    code = cli_main(["import", str(f), "--layer", layer, "--workspace", str(ws), *args])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == 1, text
    assert "拒绝导入" in text and expected in text, text
    assert "Traceback" not in text and "程序内部出错" not in text
    assert _fingerprint(ws) == before


def test_data_page_shows_the_message_not_an_exception(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "ws"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    ws = import_workspace(folder)
    before = _fingerprint(ws)
    for name, data, expected in (("v.gpkg", corpus.gpkg_with_recursive_view(tmp_path), "视图"),
                                 ("v.geojson", corpus.deep_geojson(), "嵌套层数"),
                                 ("v.zip", corpus.zip_lying_size(tmp_path), "已损坏")):
        at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=120)
        at.session_state["data.upload"] = (name, data)
        at.session_state["data.layer"] = "villages"
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert any(expected in e.value for e in at.error), [e.value for e in at.error]
    assert _fingerprint(ws) == before


# --------------------------------------------------------------------------- the road bulk-update sheet


def test_bulk_update_sheet_goes_through_the_same_guard(tmp_path: Path):
    with pytest.raises(roads.BulkFileError, match="压缩炸弹"):
        roads.read_bulk_table(corpus.xlsx_bomb(), "更新.xlsx")
    with pytest.raises(roads.BulkFileError, match="数据行数超过上限"):
        roads.read_bulk_table(("道路编号,进度\n" + "R1,5\n" * 50).encode(), "u.csv", limits=Limits(max_rows=10))
    sheet = roads.read_bulk_table("道路编号,备注\nR1,坑\x07口\n".encode(), "u.csv")
    assert sheet.iloc[0, 1] == "坑口", "control characters are stripped from bulk sheets too"


# --------------------------------------------------------------------------- the child process


def test_time_limit_kills_the_child():
    with pytest.raises(ImportRefused, match="用时超过上限"):
        sandbox.run_limited(time.sleep, (600,), limits=Limits(max_seconds=1))


def test_memory_limit_stops_the_child():
    with pytest.raises(ImportRefused, match="内存超过上限"):
        sandbox.run_limited(bytearray, (8 * 1024**3,), limits=Limits(max_memory_mb=256))


class _Cancelled(Exception):
    pass


def test_cancel_from_the_caller_kills_the_child():
    seen: list[float] = []

    def tick(elapsed: float, limit: float) -> None:
        seen.append(elapsed)
        raise _Cancelled

    with pytest.raises(_Cancelled):
        sandbox.run_limited(time.sleep, (600,), on_tick=tick, limits=Limits(max_seconds=600))
    assert seen and sandbox.last_child_pid() is not None
    with pytest.raises(ProcessLookupError):
        os.kill(sandbox.last_child_pid(), 0)


def test_child_errors_come_back_as_they_were_raised():
    with pytest.raises(ImportRefused) as info:
        sandbox.run_limited(readers.read_upload, ("x.vrt", b"<OGRVRTDataSource/>"))
    assert "不支持的文件类型" in info.value.message_zh and info.value.message_en
    with pytest.raises(ImportRefused, match="无法读取"):  # an unexpected exception becomes a Chinese message
        sandbox.run_limited(int, ("not a number",))
    assert sandbox.run_limited(sum, ([1, 2, 3],)) == 6


# --------------------------------------------------------------------------- the limits table


def test_limits_table_defaults_environment_and_docs(monkeypatch: pytest.MonkeyPatch):
    default = Limits()
    for spec in LIMIT_TABLE:
        assert getattr(default, spec.field) == spec.default * spec.scale
        monkeypatch.setenv(spec.env, "3")
        assert getattr(Limits.from_env(), spec.field) == 3 * spec.scale
        monkeypatch.setenv(spec.env, "-1")  # nonsense is ignored
        assert getattr(Limits.from_env(), spec.field) == getattr(default, spec.field)
        monkeypatch.delenv(spec.env)
    docs = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    assert "上传文件的限制" in docs
    for spec in LIMIT_TABLE:
        assert spec.env in docs and spec.zh in docs, spec.env


def _depth_oracle(v: object) -> int:
    if isinstance(v, dict):
        return 1 + max((_depth_oracle(x) for x in v.values()), default=0)
    if isinstance(v, list):
        return 1 + max((_depth_oracle(x) for x in v), default=0)
    return 0


def test_json_depth_matches_a_recursive_count():
    rng = np.random.default_rng(3)

    def make(d: int) -> object:
        if d == 0 or rng.random() < 0.2:
            leaves = ["[{x}]", 'a"b\\"]]', 1.5, None]
            return leaves[int(rng.integers(len(leaves)))]
        if rng.random() < 0.5:
            return [make(d - 1) for _ in range(rng.integers(1, 4))]
        return {f"k{i}[": make(d - 1) for i in range(rng.integers(1, 4))}

    for _ in range(200):
        obj = make(int(rng.integers(0, 12)))
        data = json.dumps(obj, ensure_ascii=bool(rng.random() < 0.5)).encode()
        assert guard.json_depth(data) == _depth_oracle(obj), data


# --------------------------------------------------------------------------- geometry sanity


def test_village_pairs_match_shapely_predicates():
    rng = np.random.default_rng(5)
    base = [shapely.box(x, 0, x + 1, 1) for x in range(6)]  # neighbours that only touch
    extra = [shapely.box(0, 0, 1, 1),  # a duplicate of 0
             shapely.box(2.2, 0.2, 2.6, 0.6),  # inside 2
             shapely.box(4.5, 0.5, 5.5, 1.5),  # partly over 4 and 5
             shapely.box(0, 0, 1, 1 + 1e-4)]  # near-identical to 0
    geoms = np.array(base + extra, dtype=object)
    order = rng.permutation(len(geoms))
    geoms = geoms[order]
    got = {(int(i), int(j)): k for i, j, k in village_pairs(geoms)}
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            a, b = geoms[i], geoms[j]
            shared = a.intersection(b).area
            if shared == 0:
                assert (i, j) not in got
                continue
            if a.symmetric_difference(b).area <= 0.01 * max(a.area, b.area):
                want = "duplicate"
            elif a.contains(b):
                want = "contains"
            elif b.contains(a):
                want = "within"
            else:
                want = "overlaps"
            assert got.get((i, j)) == want, (i, j, got.get((i, j)), want)


@pytest.mark.parametrize("key,bounds,conflict", [
    ("file:EPSG:3857", (112.4, 22.3, 112.44, 22.31), True),
    ("file:EPSG:3857", (12_512_000.0, 2_548_000.0, 12_517_000.0, 2_549_000.0), False),
    ("epsg:4526", (38_541_000.0, 2_467_000.0, 38_560_000.0, 2_480_000.0), False),  # zone 38 with prefix
    ("epsg:4527", (38_541_000.0, 2_467_000.0, 38_560_000.0, 2_480_000.0), True),  # zone 39: wrong
    ("epsg:4545", (541_000.0, 2_467_000.0, 560_000.0, 2_480_000.0), False),  # CM 114 without prefix
    ("epsg:4545", (38_541_000.0, 2_467_000.0, 38_560_000.0, 2_480_000.0), True),  # prefix where none belongs
    ("epsg:4526", (112.4, 22.3, 112.44, 22.31), True),  # degrees declared as GK
    ("wgs84", (112.4, 22.3, 112.44, 22.31), False),
    ("cgcs2000", (112.4, 22.3, 112.44, 22.31), False),
])
def test_declared_crs_against_the_coordinate_values(key: str, bounds: tuple, conflict: bool):
    found = crs_detect.crs_conflict(key, bounds)
    assert (found is not None) == conflict, found
    if found:
        assert CHINESE.search(found.message_zh) and found.hint_zh


def test_control_characters_are_stripped_with_a_warning(tmp_path: Path):
    ws = import_workspace(tmp_path / "ws")
    plan = pipeline.prepare_import_limited(ws, "v.geojson", corpus.control_char_names(), layer="villages")
    warned = [p for p in plan.report.warnings if "控制字符" in p.reason_zh]
    assert warned and warned[0].column == "village_name" and warned[0].row == 1 and "\\x07" in warned[0].value
    assert plan.new_layer["village_name"].iloc[0] == "坑口[31m村"
    names = [str(v) for v in plan.new_layer["village_name"]]
    assert not any(re.search("[\x00-\x08\x0b-\x1f\x7f]", n) for n in names)


def test_control_characters_in_zip_member_names_are_shown_escaped():
    data = zip_bytes({"../a\x1b[31m.shp": b"x" * 200})
    with pytest.raises(ImportRefused) as info:
        readers.read_upload("v.zip", data)
    assert "\x1b" not in info.value.message_zh and "\\x1b" in info.value.message_zh


def test_overflowing_and_nonfinite_values_never_reach_the_store(tmp_path: Path):
    ws = import_workspace(tmp_path / "ws")
    plan = pipeline.prepare_import(ws, "v.csv", corpus.inf_counts_csv(), layer="villages")
    bad = {p.value for p in plan.report.errors if "数值不是有限的数" in p.reason_zh}
    assert bad == {"inf", "1e400"}
    assert isinstance(plan.new_layer, pd.DataFrame)


def test_bulk_update_and_edits_refuse_infinite_numbers_and_strip_control_characters():
    from bangfu.editing import engine
    from bangfu.workspace.schema import get_layer

    parsed = roads.parse_bulk(pd.DataFrame({"道路编号": ["R2", "R3"], "投资(万元)": ["inf", "1e400"]}))
    assert not parsed.ok and sum("不是有限的数" in p for p in parsed.problems) == 2, parsed.problems
    text_col = next(c for c in get_layer("pairings").columns if c.dtype == "str" and not c.vocab)
    assert engine._typed(text_col, " 县\x07扶贫办\u202e ") == "县扶贫办"
    number_col = next(c for c in get_layer("pairings").columns if c.dtype == "float")
    with pytest.raises(ValueError):
        engine._typed(number_col, "inf")
