"""Atomic writes (bangfu.core.fileio): a failure at any step leaves the target byte-identical and no temp file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bangfu.core import fileio

OLD = b"old contents \x00\xff" * 100


@pytest.fixture
def target(tmp_path: Path) -> Path:
    p = tmp_path / "out" / "result.xlsx"
    p.parent.mkdir()
    p.write_bytes(OLD)
    return p


def _only(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_write_replaces_and_keeps_a_backup(target: Path):
    bak = target.with_name("result.bak.xlsx")
    fileio.write_bytes(target, b"new", backup=bak)
    assert target.read_bytes() == b"new" and bak.read_bytes() == OLD
    assert _only(target.parent) == ["result.bak.xlsx", "result.xlsx"]


def test_new_file_in_a_new_folder(tmp_path: Path):
    p = tmp_path / "a" / "b" / "c.txt"
    fileio.write_text(p, "帮扶地图", backup=tmp_path / "a" / "b" / "c.bak")
    assert p.read_text(encoding="utf-8") == "帮扶地图"
    assert _only(p.parent) == ["c.txt"], "no backup of a file that did not exist"
    # a new file is not left private (mkstemp's 0600): it gets 0666 minus the umask
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask


def test_replacing_keeps_the_old_permissions(target: Path):
    os.chmod(target, 0o640)
    fileio.write_bytes(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_failure_inside_the_writer(target: Path):
    with pytest.raises(RuntimeError, match="midway"):
        with fileio.atomic_path(target) as tmp:
            assert tmp.parent == target.parent and tmp.name.startswith(fileio.TEMP_PREFIX)
            tmp.write_bytes(b"half of the new fi")
            (tmp.parent / (tmp.name + "-journal")).write_bytes(b"j")  # a companion file (SQLite)
            raise RuntimeError("failure injected midway")
    assert target.read_bytes() == OLD
    assert _only(target.parent) == ["result.xlsx"] and not fileio.temp_files(target.parent)


@pytest.mark.parametrize("step", ["fsync", "backup", "replace"])
def test_failure_at_each_later_step(target: Path, monkeypatch: pytest.MonkeyPatch, step: str):
    bak = target.with_name("result.bak.xlsx")
    bak.write_bytes(b"previous backup")

    def boom(*a, **k):
        raise OSError(f"{step} failed (injected)")

    if step == "fsync":
        monkeypatch.setattr(fileio.os, "fsync", boom)
    elif step == "backup":
        real = fileio.copy_file
        monkeypatch.setattr(fileio, "copy_file", lambda s, t, **k: boom() if Path(t) == bak else real(s, t, **k))
    else:
        monkeypatch.setattr(fileio.os, "replace", boom)
    with pytest.raises(OSError, match="injected"):
        fileio.write_bytes(target, b"new contents", backup=bak)
    assert target.read_bytes() == OLD
    if step != "replace":
        assert bak.read_bytes() == b"previous backup"
    assert _only(target.parent) == ["result.bak.xlsx", "result.xlsx"]


def test_failed_copy_leaves_target_and_no_temp(target: Path, tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        fileio.copy_file(tmp_path / "missing.gpkg", target)
    assert target.read_bytes() == OLD and _only(target.parent) == ["result.xlsx"]


def test_swapping_a_backup_back_in(target: Path):
    bak = target.with_name("result.bak.xlsx")
    bak.write_bytes(b"the backup")
    fileio.copy_file(bak, target, backup=bak)
    assert target.read_bytes() == b"the backup" and bak.read_bytes() == OLD


def test_writer_that_recreates_the_file(target: Path):
    """GDAL deletes the (empty) temporary file and writes a new one under the same name."""
    with fileio.atomic_path(target) as tmp:
        tmp.unlink()
        tmp.write_bytes(b"recreated")
    assert target.read_bytes() == b"recreated"
    with pytest.raises(FileNotFoundError):
        with fileio.atomic_path(target) as tmp:
            tmp.unlink()
    assert target.read_bytes() == b"recreated" and _only(target.parent) == ["result.xlsx"]


def test_interrupt_is_cleaned_up_too(target: Path):
    with pytest.raises(KeyboardInterrupt):
        with fileio.atomic_path(target) as tmp:
            tmp.write_bytes(b"x")
            raise KeyboardInterrupt
    assert target.read_bytes() == OLD and _only(target.parent) == ["result.xlsx"]
