"""Pairing edits: each refused edit names its reason and writes nothing; versions, history, concurrent editors."""

from __future__ import annotations

import multiprocessing as mp
import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from bangfu import indicators as ind
from bangfu.editing import pairings as pe
from backends import KINDS, as_backend, state
from bangfu.workspace import store
from factories import Pairing, as_user

from bangfu.workspace.access import AccessDenied

C = list(Pairing.villages()["village_code"])


def _sha(p: Path | str) -> dict[str, str]:
    """What a write could change (:func:`backends.state`): equal means nothing was written."""
    return state(p)


@pytest.fixture(params=KINDS)
def ws(tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """The pairing workspace as a GeoPackage and in a PostGIS schema."""
    gpkg = Pairing.workspace(tmp_path / "ws")
    return as_backend(gpkg, request.param, request.getfixturevalue("pg_url") if request.param == "postgis" else None)


def _new(**kw) -> pe.NewPairing:
    base = dict(enterprise_id="E3", village_code=C[4], pairing_type="就业", start_date=date(2020, 6, 1),
                committed_wan=12.5, poor_households_employed=3)
    base.update(kw)
    return pe.NewPairing(**base)


@pytest.mark.parametrize(
    "pairing,needle",
    [
        (_new(enterprise_id="E404"), "不存在的帮扶企业（E404）"),
        (_new(village_code="440783116999"), "不存在的行政村（440783116999）"),
        (_new(end_date=date(2020, 1, 1)), "结束日期早于开始日期"),
        (_new(committed_wan=-5.0), "承诺资金(万元)：不能小于 0"),
        (_new(enterprise_id="E1", village_code=C[0]), "已有有效结对（P001）"),
        (_new(enterprise_id="E2", village_code=C[0], start_date=date(2021, 1, 1)), "已有有效结对（P002）"),
        (_new(pairing_type="捐款"), "帮扶方式：不是允许的取值"),
        (_new(start_date="2020-13-01"), "开始日期：不是有效的日期"),
    ],
)
def test_refused_additions_write_nothing(ws: Path, pairing: pe.NewPairing, needle: str):
    before = _sha(ws)
    with pytest.raises(pe.RejectedError) as info:
        pe.add_pairing(ws, pairing, user=as_user("张三"))
    assert needle in info.value.message_zh
    assert info.value.message_zh.count("：") >= 1 and "未保存" in info.value.message_zh
    assert _sha(ws) == before


@pytest.mark.parametrize(
    "pid,changes,needle",
    [
        ("P001", {"end_date": "2017-12-31"}, "结束日期早于开始日期"),
        ("P001", {"committed_wan": -1}, "不能小于 0"),
        ("P001", {"enterprise_id": "E3"}, "不能更换企业或村"),
        ("P001", {"village_code": "440783116999"}, "不能更换企业或村"),
        ("P404", {"committed_wan": 1}, "找不到企业结对"),
    ],
)
def test_refused_edits_write_nothing(ws: Path, pid: str, changes: dict, needle: str):
    before = _sha(ws)
    with pytest.raises(pe.RejectedError, match=needle):
        pe.edit_pairing(ws, pid, changes, expected_version=1, user=as_user("张三"))
    assert _sha(ws) == before


def test_message_is_said_once(ws: Path):
    with pytest.raises(pe.RejectedError) as info:
        pe.add_pairing(ws, _new(committed_wan=-5.0), user=as_user("张三"))
    assert len(info.value.problems) == 1  # the schema's message only, not repeated by the domain rule


def test_domain_rules_alone():
    # the same rules without the engine (e.g. for an importer): each names its field
    others = Pairing.pairings(Pairing.villages())
    new = {"pairing_id": "P9", "enterprise_id": "E1", "village_code": C[0], "start_date": "2020-01-01",
           "end_date": "2019-01-01", "committed_wan": -3}
    problems = [p for rule in pe.RULES for p in rule(None, new, others)]
    assert [f for f, _ in problems] == ["committed_wan", "end_date", "village_code"]


def test_no_signed_in_user_or_a_viewer_is_refused(ws: Path):
    """The editor is the signed-in account: without one (or as a viewer) nothing is written."""
    before = _sha(ws)
    with pytest.raises(AccessDenied, match="请先登录"):
        pe.add_pairing(ws, _new(), user=None)
    with pytest.raises(AccessDenied, match="查看者"):
        pe.add_pairing(ws, _new(), user=as_user("游客", "viewer"))
    assert _sha(ws) == before


def test_reopening_an_ended_pairing_that_would_duplicate_is_refused(ws: Path):
    # E2 ended its pairing with village 1 (P003) on 2019-12-31 and may pair again from 2020
    pid = pe.add_pairing(ws, _new(enterprise_id="E2", village_code=C[1], start_date="2020-01-01"), user=as_user("甲"))
    before = _sha(ws)
    with pytest.raises(pe.RejectedError, match=f"已有有效结对（{pid}）"):
        pe.edit_pairing(ws, "P003", {"end_date": None}, expected_version=1, user=as_user("甲"))
    assert _sha(ws) == before


def test_add_end_edit_with_history_and_coverage(ws: Path):
    pid = pe.add_pairing(ws, _new(), user=as_user("李四"))
    p = store.read_layer(ws, "pairings").set_index("pairing_id")
    assert p.loc[pid, ["enterprise_id", "village_code", "version"]].tolist() == ["E3", C[4], 1]
    assert set(pe.pairing_history(ws, pid)["action"]) == {"create"}

    assert pe.end_pairing(ws, "P001", date(2020, 6, 30), expected_version=1, user=as_user("王五")) == 2
    assert pe.edit_pairing(ws, "P002", {"committed_wan": 25.0, "poor_households_employed": 6},
                           expected_version=1, user=as_user("王五")) == 2
    p = store.read_layer(ws, "pairings").set_index("pairing_id")
    assert p.loc["P001", "end_date"] == "2020-06-30" and p.loc["P002", "committed_wan"] == 25.0
    h = pe.pairing_history(ws, "P001")
    assert len(h) == 1 and h.iloc[0]["field"] == "end_date" and pd.isna(h.iloc[0]["old"])
    assert h.iloc[0][["new", "editor"]].tolist() == ["2020-06-30", "王五"]
    assert len(pe.pairing_history(ws)) == len(pe.pairing_history(ws, pid)) + 3

    layers = store.read_workspace(ws, layers=("villages", "pairings", "enterprises"))
    t = ind.village_pairing_table(layers["villages"], layers["pairings"], layers["enterprises"],
                                  rule=ind.NeedyRule(key_villages=True, old_district=True), as_of=date(2020, 12, 31))
    cov = ind.coverage(t)
    assert (cov.needy, cov.paired) == (4, 2)  # village 0 still paired by P002; village 4 newly paired


def test_stale_version_is_refused_with_newer_values(ws: Path):
    pe.edit_pairing(ws, "P002", {"committed_wan": 30.0}, expected_version=1, user=as_user("甲"))
    before = _sha(ws)
    with pytest.raises(pe.ConflictError) as info:
        pe.end_pairing(ws, "P002", "2020-12-01", expected_version=1, user=as_user("乙"))
    assert "承诺资金(万元)=30.0" in info.value.message_zh and info.value.current["version"] == 2
    assert _sha(ws) == before


def _editor(path: str, name: str, n: int, q) -> None:  # child process
    ok = conflicts = 0
    for i in range(n):
        pid = ("P001", "P002", "P004")[i % 3]
        ver = int(store.read_layer(path, "pairings").set_index("pairing_id").loc[pid, "version"])
        try:
            pe.edit_pairing(path, pid, {"committed_wan": float(i + (1000 if name == "B" else 0))},
                            expected_version=ver, user=as_user(name))
            ok += 1
        except pe.ConflictError:
            conflicts += 1
    q.put((name, ok, conflicts))


def _adder(path: str, out: list) -> None:  # thread: both try to add the same pairing
    try:
        out.append(pe.add_pairing(path, _new(), user=as_user("并发")))
    except pe.RejectedError as exc:
        out.append("refused:" + exc.message_zh)


def test_two_editors_never_lose_an_update(ws: Path):
    n = 20
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_editor, args=(str(ws), name, n, q)) for name in ("A", "B")]
    for p in procs:
        p.start()
    adds: list[str] = []  # meanwhile two threads (own connections) race to add the same pairing
    threads = [threading.Thread(target=_adder, args=(str(ws), adds)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for p in procs:
        p.join(180)
    edits_ = [q.get(timeout=10) for _ in procs]
    ok = sum(r[1] for r in edits_)
    assert sum(r[1] + r[2] for r in edits_) == 2 * n
    p = store.read_layer(ws, "pairings")
    # every successful edit bumped a version exactly once and left exactly one history row
    assert int(p.loc[p["pairing_id"].isin(["P001", "P002", "P004"]), "version"].sum()) - 3 == ok
    hist = pe.pairing_history(ws)
    assert (hist["action"] == "edit").sum() == ok
    # the duplicate rule holds under concurrency: exactly one of the two identical additions succeeded
    assert sorted(a.startswith("refused:") for a in adds) == [False, True]
    assert "已有有效结对" in [a for a in adds if a.startswith("refused:")][0]
    assert ((p["enterprise_id"] == "E3") & (p["village_code"] == C[4])).sum() == 1
    # the last write of every row is what the table holds
    for pid in ("P001", "P002", "P004"):
        last = hist[(hist["pairing_id"] == pid) & (hist["field"] == "committed_wan")]
        if len(last):
            assert float(last.iloc[0]["new"]) == float(p.set_index("pairing_id").loc[pid, "committed_wan"])
