"""Versioned edits: validation, conflicts, history, undo, bulk all-or-nothing, concurrent editors."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from bangfu.editing import engine as edits
from bangfu.workspace import store
from backends import KINDS, as_backend, state
from factories import empty, enterprises, pairings, roads, village_row, workspace, as_user


def _sha(p: Path | str) -> dict[str, str]:
    """What a write could change (:func:`backends.state`): equal means nothing was written."""
    return state(p)


def _roads(villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One diagonal road per village: completed, planned, unhardened."""
    spec = [("R1", "一路", "水泥", "completed", 2018, 2019, 100.0, 50.0), ("R2", "二路", None, "planned", 2022, None, 0.0, 80.5),
            ("R3", "三路", None, "unhardened", None, None, 0.0, 30.0)]
    return roads(
        {"road_id": rid, "name": name, "village_code": code, "surface": surface, "status": status, "planned_year": planned,
         "completed_year": done, "progress_pct": progress, "cost_wan": cost,
         "coords": [(112.40 + i * 0.01, 22.30), (112.41 + i * 0.01, 22.31)]}
        for i, ((rid, name, surface, status, planned, done, progress, cost), code) in enumerate(zip(spec, villages.village_code))
    )


@pytest.fixture(params=KINDS)
def ws(tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """The same small workspace as a GeoPackage and in a PostGIS schema."""
    gpkg = _ws(tmp_path)
    return as_backend(gpkg, request.param, request.getfixturevalue("pg_url") if request.param == "postgis" else None)


def _ws(tmp_path: Path) -> Path:
    v = village_row()
    ent = enterprises({"enterprise_id": e, "name": n, "industry": i, "is_leading": lead, "employees": k, "xy": (112.4, 22.3)}
                      for e, n, i, lead, k in [("E1", "示例企业001", "农业", True, 100), ("E2", "示例企业002", "旅游", False, 20)])
    pair = pairings([{"pairing_id": "P001", "enterprise_id": "E1", "village_code": v.village_code[0], "start_date": "2019-03-01",
                      "committed_wan": 20.0, "poor_households_employed": 5}])
    return workspace(tmp_path / "ws", villages=v, roads=_roads(v), road_progress=empty("road_progress"),
                     enterprises=ent, pairings=pair)


def _road(ws: Path, rid: str) -> dict:
    return store.read_layer(ws, "roads").set_index("road_id").loc[rid].to_dict()


def test_edit_writes_row_version_and_history(ws: Path):
    v = edits.update_row(ws, "roads", "R2", {"status": "under_construction", "progress_pct": 40}, expected_version=1, user=as_user("张三"))
    assert v == 2
    row = _road(ws, "R2")
    assert row["status"] == "under_construction" and row["progress_pct"] == 40.0 and row["version"] == 2
    h = edits.history(ws, "roads", "R2")
    assert set(h["field"]) == {"status", "progress_pct"}
    assert (h["editor"] == "张三").all() and (h["action"] == "edit").all() and h["edit_id"].nunique() == 1
    assert set(h["old"]) == {"planned", "0.0"}


def test_stale_version_is_refused_with_the_newer_values(ws: Path):
    edits.update_row(ws, "roads", "R2", {"progress_pct": 10}, expected_version=1, user=as_user("甲"))
    before = _sha(ws)
    with pytest.raises(edits.ConflictError) as info:
        edits.update_row(ws, "roads", "R2", {"progress_pct": 20}, expected_version=1, user=as_user("乙"))
    assert "已被他人修改" in info.value.message_zh and "进度(%)=10.0" in info.value.message_zh
    assert info.value.current["version"] == 2
    assert _sha(ws) == before


@pytest.mark.parametrize(
    "changes,needle",
    [
        ({"progress_pct": 120}, "不能大于 100"),
        ({"status": "done"}, "不是允许的取值"),
        ({"planned_year": "明年"}, "数值格式不对"),
        ({"name": "改名"}, "不能修改"),
    ],
)
def test_invalid_edits_write_nothing(ws: Path, changes, needle):
    before = _sha(ws)
    with pytest.raises(edits.RejectedError, match=needle):
        edits.update_row(ws, "roads", "R2", changes, expected_version=1, user=as_user("甲"))
    assert _sha(ws) == before


def test_unknown_row_and_domain_check(ws: Path):
    with pytest.raises(edits.RejectedError, match="找不到"):
        edits.update_row(ws, "roads", "R999", {"progress_pct": 1}, expected_version=1, user=as_user("甲"))

    def no_done_without_100(old, new):
        return [("progress_pct", "已完工的道路进度必须为100%")] if new["status"] == "completed" and new["progress_pct"] < 100 else []

    with pytest.raises(edits.RejectedError, match="进度必须为100"):
        edits.update_row(ws, "roads", "R2", {"status": "completed"}, expected_version=1, user=as_user("甲"), check=no_done_without_100)


def test_undo_restores_exact_values_and_is_recorded(ws: Path):
    orig = _road(ws, "R2")
    edits.update_row(ws, "roads", "R2", {"cost_wan": 0.1 + 0.2, "planned_year": 2023, "surface": "沥青"}, expected_version=1, user=as_user("甲"))
    edits.undo_last(ws, "roads", "R2", user=as_user("甲"))
    now = _road(ws, "R2")
    for f in ("cost_wan", "planned_year", "surface", "status", "progress_pct"):
        assert now[f] == orig[f] or (pd.isna(now[f]) and pd.isna(orig[f])), f
    assert now["version"] == 3
    h = edits.history(ws, "roads", "R2")
    assert h.iloc[0]["action"] == "undo"


def test_bulk_update_all_or_nothing_and_preview(ws: Path):
    before = _sha(ws)
    bad = edits.bulk_update(
        ws, "roads",
        [edits.Update("R2", {"progress_pct": 50}), edits.Update("R3", {"progress_pct": -5}), edits.Update("R9", {"progress_pct": 1})],
        user=as_user("批量"),
    )
    assert not bad.ok and bad.applied == 0 and len(bad.problems) == 2
    assert _sha(ws) == before
    dry = edits.bulk_update(ws, "roads", [edits.Update("R2", {"progress_pct": 50})], user=as_user("批量"), dry_run=True)
    assert dry.ok and dry.preview == [{"road_id": "R2", "field": "progress_pct", "old": 0.0, "new": 50.0}]
    assert _sha(ws) == before
    done = edits.bulk_update(ws, "roads", [edits.Update("R2", {"progress_pct": 50}), edits.Update("R3", {"status": "planned", "planned_year": 2024})], user=as_user("批量"))
    assert done.ok and done.applied == 2
    h = edits.history(ws, "roads")
    assert (h["action"] == "bulk").all() and h["edit_id"].nunique() == 1


def test_insert_pairing_creates_history_table(ws: Path):
    key = edits.insert_row(
        ws, "pairings",
        {"enterprise_id": "E2", "village_code": village_row().village_code[1], "pairing_type": "就业",
         "start_date": "2020-01-01", "committed_wan": 5, "poor_households_employed": 2},
        user=as_user("李四"),
    )
    p = store.read_layer(ws, "pairings").set_index("pairing_id")
    assert p.loc[key, "enterprise_id"] == "E2" and p.loc[key, "version"] == 1
    assert set(edits.history(ws, "pairings", key)["action"]) == {"create"}
    before = _sha(ws)
    with pytest.raises(edits.RejectedError, match="不存在的帮扶企业"):
        edits.insert_row(ws, "pairings", {"enterprise_id": "E404", "village_code": village_row().village_code[1],
                                          "pairing_type": "就业", "start_date": "2020-01-01", "committed_wan": 5}, user=as_user("李四"))
    with pytest.raises(edits.RejectedError, match="结束日期早于开始日期"):
        edits.update_row(ws, "pairings", "P001", {"end_date": "2018-01-01"}, expected_version=1, user=as_user("李四"))
    assert _sha(ws) == before


def _editor(path: str, name: str, n: int, q) -> None:  # runs in a child process
    ok = conflicts = 0
    for i in range(n):
        rid = ("R1", "R2", "R3")[i % 3]
        ver = int(store.read_layer(path, "roads").set_index("road_id").loc[rid, "version"])
        try:
            edits.update_row(path, "roads", rid, {"cost_wan": float(i + (1000 if name == "B" else 0))}, expected_version=ver, user=as_user(name))
            ok += 1
        except edits.ConflictError:
            conflicts += 1
    q.put((name, ok, conflicts))


def test_two_processes_never_lose_an_update(ws: Path):
    n = 60
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_editor, args=(str(ws), name, n, q)) for name in ("A", "B")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    results = [q.get(timeout=5) for _ in procs]
    ok = sum(r[1] for r in results)
    assert sum(r[1] + r[2] for r in results) == 2 * n
    roads = store.read_layer(ws, "roads")
    # every successful edit bumped a version exactly once and left exactly one history row
    assert int(roads["version"].sum()) - 3 == ok
    assert len(edits.history(ws, "roads")) == ok
