"""The stored validation (bangfu.workspace.checked): equal to a fresh validation, reused while the content is the
same, redone for the layers our writes change and for everything after a change by another program."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
import sqlite3
from pathlib import Path

import pytest

from bangfu.workspace import checked, store, validate
from bangfu.workspace.access import Principal
from factories import Network

ADMIN = Principal("admin", "admin", display_name="张三")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A small workspace with villages, households, roads and the road history."""
    return Network.workspace(tmp_path / "ws")


def _fresh(ws: Path) -> validate.Report:
    """The oracle: the whole workspace read and validated from scratch, as opening did before."""
    return validate.validate_workspace(store.read_workspace(ws), file="workspace.gpkg")


@contextlib.contextmanager
def _other_program(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain SQLite connection with the GeoPackage functions its triggers call: another program's write."""
    con = sqlite3.connect(path)
    store._register_gpkg_functions(con)
    try:
        with con:
            yield con
    finally:
        con.close()


def _lines(report: validate.Report) -> list[str]:
    return [p.line("zh") for p in report.problems] + sorted(report.truncated)


def test_stored_validation_equals_a_fresh_one_and_is_reused(ws: Path):
    first = checked.check_workspace(ws, file="workspace.gpkg")
    assert first.reused == () and "households" in first.checked
    assert _lines(first.report) == _lines(_fresh(ws))
    assert checked.sidecar_path(ws).exists()
    second = checked.check_workspace(ws, file="workspace.gpkg")
    assert second.checked == (), "nothing is validated again while the file is unchanged"
    assert _lines(second.report) == _lines(first.report) and second.rows == first.rows
    assert second.rows["households"] == len(store.read_layer(ws, "households"))
    assert checked.check_workspace(ws, file="other.gpkg").reused == (), "a report names its file: kept per name"


def test_reading_is_not_needed_when_everything_is_stored(ws: Path):
    checked.check_workspace(ws, file="workspace.gpkg")

    def refuse(name: str):
        raise AssertionError(f"read {name}")

    assert checked.check_workspace(ws, file="workspace.gpkg", read=refuse).checked == ()


def test_an_edit_revalidates_only_its_layer_and_the_layers_that_depend_on_it(ws: Path):
    checked.check_workspace(ws, file="workspace.gpkg")
    with store.transaction(ws, user=ADMIN, target="roads") as con:
        con.execute("UPDATE roads SET progress_pct = 150 WHERE rowid = (SELECT min(rowid) FROM roads)")
    again = checked.check_workspace(ws, file="workspace.gpkg")
    assert "roads" in again.checked and "road_progress" in again.checked  # road_progress refers to roads
    assert "households" in again.reused and "villages" in again.reused
    assert any(p.layer == "roads" and p.column == "progress_pct" for p in again.report.errors)
    assert _lines(again.report) == _lines(_fresh(ws))
    # a second edit chain stays trusted: the next open reuses everything
    assert checked.check_workspace(ws, file="workspace.gpkg").checked == ()


def test_an_edit_of_villages_revalidates_the_households(ws: Path):
    checked.check_workspace(ws, file="workspace.gpkg")
    with store.transaction(ws, user=ADMIN, target="villages") as con:
        con.execute("UPDATE villages SET population = population + 1")
    again = checked.check_workspace(ws, file="workspace.gpkg")
    assert {"villages", "households", "roads"} <= set(again.checked)
    assert "road_progress" in again.reused  # it refers to roads only


def test_a_change_by_another_program_revalidates_everything(ws: Path):
    checked.check_workspace(ws, file="workspace.gpkg")
    with store.transaction(ws, user=ADMIN, target="roads") as con:  # our write first: the chain is trusted
        con.execute("UPDATE roads SET progress_pct = progress_pct")
    assert checked.check_workspace(ws, file="workspace.gpkg").checked != ()
    assert checked.check_workspace(ws, file="workspace.gpkg").checked == ()
    with _other_program(ws) as con:  # e.g. QGIS or sqlite3: no write mark of ours
        con.execute("UPDATE households SET members = 0 WHERE rowid = (SELECT min(rowid) FROM households)")
    again = checked.check_workspace(ws, file="workspace.gpkg")
    assert again.reused == () and "households" in again.checked
    assert any(p.layer == "households" and p.column == "members" for p in again.report.errors)
    assert _lines(again.report) == _lines(_fresh(ws))


def test_a_file_copied_over_the_workspace_is_validated_again(ws: Path, tmp_path: Path):
    checked.check_workspace(ws, file="workspace.gpkg")
    other = Network.workspace(tmp_path / "other")
    with _other_program(other) as con:
        con.execute("UPDATE villages SET poor_households = households + 5 WHERE rowid = 1")
    shutil.copyfile(other, ws)  # same size, other content
    again = checked.check_workspace(ws, file="workspace.gpkg")
    assert again.reused == ()
    assert _lines(again.report) == _lines(_fresh(ws))


def test_an_import_and_its_restore_keep_the_stored_validation_true(ws: Path):
    from bangfu.ingest import pipeline

    checked.check_workspace(ws, file="workspace.gpkg")
    roads = store.read_layer(ws, "roads")
    roads["name"] = roads["name"].astype(str) + "#x"
    plan = pipeline.prepare_import(ws, "roads.geojson", roads.drop(columns=["version"]).to_json().encode(),
                                   layer="roads", mode="replace")
    pipeline.apply_import(ws, plan, user=ADMIN)
    after = checked.check_workspace(ws, file="workspace.gpkg")
    assert "roads" in after.checked and "households" in after.reused
    store.restore_backup(ws, user=ADMIN)  # a layer backup: restored in place, in one transaction
    restored = checked.check_workspace(ws, file="workspace.gpkg")
    assert "roads" in restored.checked and "households" in restored.reused
    assert _lines(restored.report) == _lines(_fresh(ws))


def test_an_unwritable_folder_only_means_nothing_is_kept(ws: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(checked, "sidecar_path", lambda p: Path("/proc/no-such-dir/x.checks"))
    first = checked.check_workspace(ws, file="workspace.gpkg")
    assert _lines(first.report) == _lines(_fresh(ws))
    assert checked.check_workspace(ws, file="workspace.gpkg").reused == ()


def test_the_change_counter_moves_by_one_per_write(ws: Path):
    before = store.header_counter(ws)
    with store.transaction(ws, user=ADMIN) as con:
        con.execute("UPDATE villages SET population = population")
    meta = store.read_meta(ws)
    assert store.header_counter(ws) == before + 1 == int(meta[store.WRITE_COUNTER])


def test_content_marks_given_before_another_program_wrote_are_not_trusted_again(ws: Path):
    with store.transaction(ws, user=ADMIN) as con:  # households get a content mark of ours
        con.execute("UPDATE households SET members = members")
    checked.check_workspace(ws, file="workspace.gpkg")
    with _other_program(ws) as con:  # then another program changes them
        con.execute("UPDATE households SET members = 0 WHERE rowid = (SELECT min(rowid) FROM households)")
    assert "households" in checked.check_workspace(ws, file="workspace.gpkg").checked
    with store.transaction(ws, user=ADMIN) as con:  # and our next write (of roads) starts a new chain
        con.execute("UPDATE roads SET progress_pct = progress_pct")
    again = checked.check_workspace(ws, file="workspace.gpkg")
    assert "households" in again.reused, "validated after the other program's write, under the chain's origin"
    assert any(p.layer == "households" and p.column == "members" for p in again.report.errors)
    assert _lines(again.report) == _lines(_fresh(ws))
