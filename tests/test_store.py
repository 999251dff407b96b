"""Workspace store: round trip, atomic writes, version bumps, and unusable files refused in Chinese."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from bangfu.workspace import locking, store
from bangfu.workspace.access import Principal
from factories import pairings, village_row, workspace

ADMIN = Principal("admin", "admin", display_name="张三")


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def small_ws(tmp_path: Path) -> Path:
    path = tmp_path / "ws" / store.WORKSPACE_FILE
    pair = pairings([{"pairing_id": "P1", "enterprise_id": "E1", "village_code": "440783116240", "start_date": "2020-01-01",
                      "poor_households_employed": 3}])
    return workspace(path, villages=village_row(), pairings=pair)


def test_round_trip_keeps_values_and_types(small_ws: Path):
    v = store.read_layer(small_ws, "villages")
    src = store.coerce("villages", village_row())
    pd.testing.assert_frame_equal(
        pd.DataFrame(v.drop(columns="geometry")), pd.DataFrame(src.drop(columns="geometry")), check_dtype=True
    )
    assert v.geometry.geom_equals(src.geometry).all()
    p = store.read_layer(small_ws, "pairings")
    assert p.loc[0, "end_date"] is None and p.loc[0, "start_date"] == "2020-01-01"
    assert str(p["version"].dtype) == "Int64"
    # absent layers read as empty frames with the schema's columns
    roads = store.read_layer(small_ws, "roads")
    assert roads.empty and "status" in roads.columns
    assert store.read_meta(small_ws)["source"] == "test"


def test_transaction_commits_and_bumps_version(small_ws: Path):
    v0 = store.read_meta(small_ws)["version"]
    with store.transaction(small_ws) as con:
        con.execute("UPDATE villages SET households = 150 WHERE village_code = '440783116240'")
    assert store.read_meta(small_ws)["version"] == str(int(v0) + 1)
    v = store.read_layer(small_ws, "villages").set_index("village_code")
    assert v.loc["440783116240", "households"] == 150


def test_failed_transaction_leaves_file_byte_identical(small_ws: Path):
    before = _sha(small_ws)
    with pytest.raises(RuntimeError):
        with store.transaction(small_ws) as con:
            con.execute("UPDATE villages SET households = 1")
            con.execute("INSERT INTO pairings (pairing_id, enterprise_id, village_code, pairing_type, start_date, "
                        "committed_wan, version) VALUES ('P2','E1','440783116240','产业','2020-01-01',1,1)")
            raise RuntimeError("failure injected midway")
    assert _sha(small_ws) == before


def test_failed_layer_write_leaves_file_byte_identical(small_ws: Path, monkeypatch: pytest.MonkeyPatch):
    before = _sha(small_ws)
    calls = {"n": 0}
    real = store.pyogrio.write_dataframe

    def flaky(*a, **kw):
        calls["n"] += 1
        if calls["n"] == 1:  # an import stages only the layers it replaces: one write
            raise OSError("disk full (injected)")
        return real(*a, **kw)

    monkeypatch.setattr(store.pyogrio, "write_dataframe", flaky)
    with pytest.raises(OSError):
        store.replace_layers(small_ws, {"villages": village_row(2)}, user=ADMIN)
    assert calls["n"] == 1
    assert _sha(small_ws) == before
    left = sorted(p.name for p in small_ws.parent.iterdir() if p != locking.lock_path(small_ws))
    assert left == [store.WORKSPACE_FILE], "no temp or backup left"


def test_replace_layers_keeps_backup_and_bumps_version(small_ws: Path):
    store.replace_layers(small_ws, {"villages": village_row(2)}, user=ADMIN)
    assert len(store.read_layer(small_ws, "villages")) == 2
    (backup,) = store.list_backups(small_ws)
    assert len(store.read_layer(backup.path, "villages")) == 3
    assert store.read_meta(small_ws)["version"] == "2"


def test_version_token_changes_on_every_write(small_ws: Path):
    a = store.workspace_version(small_ws)
    with store.transaction(small_ws) as con:
        con.execute("UPDATE villages SET population = population + 1")
    assert store.workspace_version(small_ws) != a


@pytest.mark.parametrize(
    "content,expected",
    [(None, "不存在"), (b"", "不是 GeoPackage"), (b"hello world, not a database" * 10, "不是 GeoPackage")],
)
def test_unusable_files_refused_in_chinese(tmp_path: Path, content, expected):
    p = tmp_path / "workspace.gpkg"
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(store.WorkspaceError, match=expected):
        store.open_workspace(p)


def test_truncated_geopackage_refused(small_ws: Path, tmp_path: Path):
    data = small_ws.read_bytes()
    bad = tmp_path / "cut.gpkg"
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(store.WorkspaceError):
        store.open_workspace(bad)


def test_geopackage_without_villages_refused(tmp_path: Path):
    p = tmp_path / "w.gpkg"
    store.write_gpkg(p, {"pairings": pd.DataFrame({"pairing_id": ["P1"]})})
    with pytest.raises(store.WorkspaceError, match="行政村"):
        store.open_workspace(p)


def test_ensure_workspace_copies_demo_and_never_writes_it(tmp_path: Path, small_ws: Path):
    demo = small_ws  # any valid gpkg stands in for the shipped demo
    before = _sha(demo)
    ws = store.ensure_workspace(tmp_path / "fresh", demo=demo)
    assert ws != demo and _sha(ws) == before
    with store.transaction(ws) as con:
        con.execute("UPDATE villages SET households = 101")
    assert _sha(demo) == before
    edited = store.read_meta(ws)["version"]
    store.restore_demo(tmp_path / "fresh", user=ADMIN, demo=demo)
    assert _layers(ws) == _layers(demo) and _sha(demo) == before
    (backup,) = store.list_backups(ws)
    assert backup.meta["version"] == edited and backup.reason == "restore_demo"
    assert int(store.read_meta(ws)["version"]) > int(edited), "version numbers never go back"


def _layers(p: Path) -> dict[str, list]:
    return {n: store.read_layer(p, n).drop(columns="geometry", errors="ignore").astype(str).values.tolist()
            for n in store.list_layers(p) if n in store.LAYERS}


def test_default_workspace_dir_is_outside_the_repo(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("BANGFU_WORKSPACE", raising=False)
    d = store.default_workspace_dir()
    assert Path(__file__).resolve().parents[1] not in d.parents


def test_gpkg_triggers_work_from_plain_sqlite(small_ws: Path):
    # A geometry update fires the R-tree triggers that call ST_* functions registered by the store.
    with store.transaction(small_ws) as con:
        blob = con.execute("SELECT geom FROM villages LIMIT 1").fetchone()[0]
        con.execute("UPDATE villages SET geom = ? WHERE fid = 2", (blob,))
    with sqlite3.connect(small_ws) as con:
        assert con.execute("SELECT count(*) FROM rtree_villages_geom").fetchone()[0] == 3


def test_text_columns_of_few_values_share_their_strings_and_read_the_same():
    import pyarrow as pa

    raw = pd.Series(pd.arrays.ArrowStringArray(pa.array(["440783116240", None, "440783116240", "440783116241"] * 50)))
    shared = store._texts(raw, share=True)
    plain = store._texts(raw)
    assert shared.tolist() == plain.tolist() and shared.dtype == object
    assert shared[1] is None and len({id(v) for v in shared if v is not None}) == 2, "one object per distinct value"
    unique = pd.Series(pd.arrays.ArrowStringArray(pa.array([f"H{i}" for i in range(10)])))
    assert store._texts(unique, share=True).tolist() == [f"H{i}" for i in range(10)]
