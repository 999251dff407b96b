"""Road edits: domain rules refused with the right message and nothing written, undo, conflicts,
two concurrent editor processes, a failure in the middle of a write, and Excel bulk updates."""

from __future__ import annotations

import io
import multiprocessing as mp
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from bangfu.editing import engine as edits, roads
from backends import KINDS, as_backend, state
from bangfu.workspace import store
from factories import Network, as_user

YEAR = 2024  # "this year" for the rules under test


def _sha(p: Path | str) -> dict[str, str]:
    """What a write could change (:func:`backends.state`): equal means nothing was written."""
    return state(p)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Network.workspace(tmp_path_factory.mktemp("road-template"))


@pytest.fixture(params=KINDS)
def ws(tmp_path: Path, template: Path, request: pytest.FixtureRequest) -> Path | str:
    """The road network workspace as a GeoPackage and in a PostGIS schema."""
    path = tmp_path / "ws" / "workspace.gpkg"
    path.parent.mkdir(parents=True)
    shutil.copyfile(template, path)
    return as_backend(path, request.param, request.getfixturevalue("pg_url") if request.param == "postgis" else None)


def _row(ws: Path, rid: str) -> dict:
    return store.read_layer(ws, "roads").set_index("road_id").loc[rid].to_dict()


@pytest.mark.parametrize(
    "rid,changes,needle",
    [
        ("R2", {"progress_pct": 120}, "进度(%)：不能大于 100"),
        ("R2", {"progress_pct": -1}, "进度(%)：不能小于 0"),
        ("R1", {"completed_year": 2017}, "完工年份早于计划年份"),
        ("R1", {"completed_year": YEAR + 1}, f"完工年份：完工年份不能晚于今年（{YEAR}年）"),
        ("R2", {"status": "completed", "completed_year": 2020}, "状态为“已硬化”时进度必须为 100%"),
        ("R2", {"status": "completed", "progress_pct": 100}, "状态为“已硬化”时必须填写完工年份"),
        ("R2", {"progress_pct": 100}, "在建道路的进度必须小于 100%"),
        ("R4", {"completed_year": 2020}, "尚未硬化的道路不能填写完工年份"),
        ("R4", {"progress_pct": 10}, "进度必须为 0"),
        ("R4", {"planned_year": None}, "状态为“计划硬化”时必须填写计划年份"),
        ("R2", {"status": "finished"}, "硬化状态：不是允许的取值"),
        ("R2", {"cost_wan": -3}, "投资(万元)：不能小于 0"),
        ("R9", {"progress_pct": 10}, "找不到农村道路：R9"),
    ],
)
def test_each_rule_is_refused_and_nothing_is_written(ws: Path, rid, changes, needle):
    before = _sha(ws)
    with pytest.raises(edits.RejectedError) as info:
        roads.edit_road(ws, rid, changes, expected_version=1, user=as_user("甲"), year=YEAR)
    assert needle in info.value.message_zh
    assert _sha(ws) == before


def test_valid_edit_writes_values_version_and_history(ws: Path):
    v = roads.edit_road(
        ws, "R2", {"status": "completed", "progress_pct": 100, "completed_year": 2021}, expected_version=1,
        user=as_user("张三"), year=YEAR,
    )
    assert v == 2
    row = _row(ws, "R2")
    assert (row["status"], row["progress_pct"], row["completed_year"], row["version"]) == ("completed", 100.0, 2021, 2)
    h = roads.road_history(ws, "R2")
    assert len(h) == 3 and set(h["editor"]) == {"张三"} and set(h["action"]) == {"修改"}
    assert dict(zip(h["field"], h["new"])) == {"硬化状态": "已硬化", "进度(%)": "100.0", "完工年份": "2021"}
    assert dict(zip(h["field"], h["old"]))["硬化状态"] == "在建"


def test_undo_restores_previous_values_exactly(ws: Path, template: Path, tmp_path: Path):
    orig = _row(ws, "R4")
    roads.edit_road(ws, "R4", {"cost_wan": 0.1 + 0.2, "planned_year": 2023, "surface": "沥青"}, expected_version=1,
                    user=as_user("甲"), year=YEAR)
    roads.edit_road(ws, "R4", {"cost_wan": 1 / 3}, expected_version=2, user=as_user("甲"), year=YEAR)
    roads.undo_road(ws, "R4", user=as_user("乙"))
    assert _row(ws, "R4")["cost_wan"] == 0.1 + 0.2
    roads.undo_road(ws, "R4", user=as_user("乙"))  # undoes the undo: back to 1/3
    assert _row(ws, "R4")["cost_wan"] == 1 / 3
    before_undo = _sha(ws)
    h = edits.history(ws, "roads", "R4")
    assert list(h["action"][:2]) == ["undo", "undo"]
    assert _sha(ws) == before_undo
    fresh = tmp_path / "fresh.gpkg"
    shutil.copyfile(template, fresh)
    roads.edit_road(fresh, "R4", {"cost_wan": 0.1 + 0.2, "surface": "沥青"}, expected_version=1, user=as_user("甲"), year=YEAR)
    roads.undo_road(fresh, "R4", user=as_user("甲"))
    now = _row(fresh, "R4")
    for f in ("status", "progress_pct", "planned_year", "completed_year", "cost_wan", "surface"):
        assert now[f] == orig[f] or (pd.isna(now[f]) and pd.isna(orig[f])), f
    assert now["version"] == 3


def test_stale_form_is_refused_with_the_newer_values(ws: Path):
    roads.edit_road(ws, "R2", {"progress_pct": 60}, expected_version=1, user=as_user("甲"), year=YEAR)
    before = _sha(ws)
    with pytest.raises(edits.ConflictError) as info:
        roads.edit_road(ws, "R2", {"progress_pct": 70}, expected_version=1, user=as_user("乙"), year=YEAR)
    assert "已被他人修改" in info.value.message_zh and "进度(%)=60.0" in info.value.message_zh and "硬化状态=在建" in info.value.message_zh
    assert _sha(ws) == before


def test_failure_in_the_middle_of_a_write_leaves_the_file_identical(ws: Path, monkeypatch: pytest.MonkeyPatch):
    before = _sha(ws)

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(edits, "_append_history", boom)  # after the UPDATE, before the history row
    with pytest.raises(RuntimeError):
        roads.edit_road(ws, "R2", {"progress_pct": 70}, expected_version=1, user=as_user("甲"), year=YEAR)
    assert _sha(ws) == before
    monkeypatch.undo()
    real = edits._apply_update
    calls = {"n": 0}

    def second_fails(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real(*a, **k)

    monkeypatch.setattr(edits, "_apply_update", second_fails)
    parsed = roads.parse_bulk(pd.DataFrame({"道路编号": ["R2", "R4"], "进度(%)": [70, None], "投资(万元)": [5, 6]}))
    with pytest.raises(RuntimeError):
        roads.bulk_apply(ws, parsed, user=as_user("甲"), dry_run=False, year=YEAR)
    assert _sha(ws) == before


def _killed_mid_write(path: str) -> None:  # child process: dies inside the transaction
    def die(*a, **k):
        os._exit(3)

    edits._append_history = die
    roads.edit_road(path, "R2", {"progress_pct": 70}, expected_version=1, user=as_user("甲"), year=YEAR)


def test_process_killed_mid_write_leaves_the_file_identical(ws: Path):
    before = _sha(ws)
    p = mp.get_context("spawn").Process(target=_killed_mid_write, args=(str(ws),))
    p.start()
    p.join(60)
    assert p.exitcode == 3
    assert _sha(ws) == before
    assert roads.road_row(ws, "R2")["progress_pct"] == 40.0
    assert roads.edit_road(ws, "R2", {"progress_pct": 70}, expected_version=1, user=as_user("甲"), year=YEAR) == 2


# --------------------------------------------------------------------------- two concurrent editors

SHARED = ("R1", "R2", "R5")


def _editor(path: str, name: str, n: int, q) -> None:  # child process
    ok, conflicts = [], []
    for i in range(n):
        rid = SHARED[i % len(SHARED)]
        ver = roads.road_row(path, rid)["version"]
        value = float(i) + (0.25 if name == "A" else 0.75)
        try:
            new = roads.edit_road(path, rid, {"cost_wan": value}, expected_version=ver, user=as_user(name), year=YEAR)
            ok.append((rid, new, value))
        except edits.ConflictError as exc:
            conflicts.append((rid, ver, int(exc.current["version"])))
    q.put((name, ok, conflicts))


@pytest.mark.parametrize("n_edits", [100, pytest.param(500, marks=pytest.mark.slow)])
def test_two_processes_edit_each_no_lost_update(tmp_path: Path, template: Path, n_edits: int):
    """On the GeoPackage; the same on PostGIS is tests/test_postgis.py::test_two_app_servers_lose_no_acknowledged_edit."""
    ws = tmp_path / "ws" / "workspace.gpkg"
    ws.parent.mkdir(parents=True)
    shutil.copyfile(template, ws)
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_editor, args=(str(ws), name, n_edits, q)) for name in ("A", "B")]
    for p in procs:
        p.start()
    results = [q.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(60)
    ok = [s for _, good, _ in results for s in good]
    print("successful edits", len(ok), "conflicts", sum(len(b) for _, _, b in results))
    conflicts = [c for _, _, bad in results for c in bad]
    assert all(len(good) + len(bad) == n_edits for _, good, bad in results)
    # every refused edit was based on an older version than the one reported back
    assert all(current > expected for _, expected, current in conflicts)
    h = edits.history(ws, "roads").sort_values("change_id")
    assert len(h) == len(ok)
    final = store.read_layer(ws, "roads").set_index("road_id")
    for rid in SHARED:
        mine = sorted((v, val) for r, v, val in ok if r == rid)
        # each version 2..final was produced by exactly one successful edit: nothing overwritten unseen
        assert [v for v, _ in mine] == list(range(2, int(final.loc[rid, "version"]) + 1))
        assert final.loc[rid, "cost_wan"] == mine[-1][1]
        chain = h[h.road_id == rid]
        assert (chain["old"].iloc[1:].to_numpy() == chain["new"].iloc[:-1].to_numpy()).all()
    assert int(final["version"].sum()) - len(final) == len(ok)


# --------------------------------------------------------------------------- bulk updates


def _xlsx(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_excel(buf, index=False)
    return buf.getvalue()


def test_bulk_with_chinese_headers_preview_then_apply(ws: Path):
    sheet = pd.DataFrame(
        {"道路编号": ["R2", "R4", None], "硬化状态": ["已硬化", "在建", None], "进度（%）": ["100%", 30, None],
         "完工年份": [2021, None, None], "备注": ["x", "y", None]}
    )
    parsed = roads.parse_bulk(roads.read_bulk_table(_xlsx(sheet), "更新.xlsx"))
    assert parsed.ok and parsed.ignored_columns == ["备注"] and len(parsed.updates) == 2
    before = _sha(ws)
    dry = roads.bulk_apply(ws, parsed, user=as_user("批量"), dry_run=True, year=YEAR)
    assert dry.ok and _sha(ws) == before
    prev = roads.preview_frame(dry)
    assert len(prev) == 5 and set(prev["road_id"]) == {"R2", "R4"}
    done = roads.bulk_apply(ws, parsed, user=as_user("批量"), dry_run=False, year=YEAR)
    assert done.ok and done.applied == 2
    assert _row(ws, "R2")["status"] == "completed" and _row(ws, "R4")["progress_pct"] == 30.0
    h = edits.history(ws, "roads")
    assert len(h) == 5 and set(h["action"]) == {"bulk"} and h["edit_id"].nunique() == 1


def test_bulk_with_english_headers_csv(ws: Path):
    csv = b"road_id,Hardening status,Progress (%),cost\nR4,under construction,10,12.5\n"
    parsed = roads.parse_bulk(roads.read_bulk_table(csv, "u.csv"))
    assert parsed.ok
    assert parsed.updates[0].changes == {"status": "under_construction", "progress_pct": 10.0, "cost_wan": 12.5}
    assert roads.bulk_apply(ws, parsed, user=as_user("x"), dry_run=False, year=YEAR).applied == 1


def test_bulk_with_one_bad_row_changes_nothing(ws: Path):
    before = _sha(ws)
    sheet = pd.DataFrame({"道路编号": ["R2", "R4", "R3"], "进度(%)": [50, 200, None], "投资(万元)": [1, 2, 3]})
    parsed = roads.parse_bulk(sheet)
    res = roads.bulk_apply(ws, parsed, user=as_user("批量"), dry_run=False, year=YEAR)
    assert not res.ok and res.applied == 0 and len(res.problems) == 1
    assert res.problems[0].startswith("第3行（R4）") and "不能大于 100" in res.problems[0]
    assert _sha(ws) == before


@pytest.mark.parametrize(
    "sheet,needle",
    [
        (pd.DataFrame({"名称": ["x"], "进度": [1]}), "缺少「道路编号」"),
        (pd.DataFrame({"道路编号": ["R1"], "名称": ["x"]}), "没有可更新的列"),
        (pd.DataFrame({"道路编号": ["R2"], "状态": ["好了"]}), "第2行（R2）：硬化状态「好了」无法识别"),
        (pd.DataFrame({"道路编号": ["R2"], "进度": ["八十"]}), "进度(%)「八十」不是数字"),
        (pd.DataFrame({"道路编号": ["R2", "R2"], "进度": [1, 2]}), "出现多次"),
        (pd.DataFrame({"道路编号": ["R2"], "版本": [7], "进度": [50]}), "已被他人修改"),
    ],
)
def test_bulk_problems_are_reported_and_nothing_written(ws: Path, sheet: pd.DataFrame, needle: str):
    before = _sha(ws)
    res = roads.bulk_apply(ws, roads.parse_bulk(sheet), user=as_user("x"), dry_run=False, year=YEAR)
    assert not res.ok and any(needle in p for p in res.problems), res.problems
    assert _sha(ws) == before


def test_unreadable_upload_gives_a_chinese_message():
    with pytest.raises(ValueError, match="不支持的文件类型"):
        roads.read_bulk_table(b"x", "roads.txt")
    with pytest.raises(ValueError, match="无法读取文件"):
        roads.read_bulk_table(b"not an excel file", "roads.xlsx")
