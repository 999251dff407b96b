"""AppTest of the 乡村旅游 and 企业结对 pages on a small hand-built workspace (adding, ending, conflicts)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bangfu import indicators as ind
from bangfu.editing import pairings as pe
from bangfu.workspace import store
from factories import UTM, Pairing, as_user

from bangfu.editing.engine import editor_name
from bangfu.ui import auth

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120
C = list(Pairing.villages()["village_code"])


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "ws"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    return Pairing.workspace(folder)


def _run(path: str, **query: str) -> AppTest:
    """Run ``app.py`` (shared sidebar on every rerun, as in the browser) switched to the page ``path``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(path).run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_tourism_page(ws: Path):
    at = _run("pages/tourism.py")
    m = _metrics(at)
    assert m["旅游点"] == "4" and m["带动贫困户就业(户)"] == "49"
    layers = store.read_workspace(ws, layers=("villages", "households", "tourism_sites"))
    expect = ind.reach_by_town(layers["villages"], layers["households"], layers["tourism_sites"], distance_m=500)
    at.slider(key="tourism_reach_km").set_value(0.5).run()
    _ok(at)
    total = expect.iloc[-1]
    assert _metrics(at)["辐射范围内农户"] == f"{total['reached']:,}"
    assert _metrics(at)["贫困户覆盖(%)"] == ind.fmt_pct(total["poor_reached_pct"])
    at.multiselect(key="tourism_types").set_value(["碉楼村落"]).run()
    _ok(at)
    assert _metrics(at)["旅游点"] == "1" and _metrics(at)["带动贫困户就业(户)"] == "40"
    table = next(d.value for d in at.dataframe if "名称" in d.value.columns)  # the site table
    assert table["名称"].tolist() == ["自力村碉楼群"] and table["村名"].tolist() == ["测试0村"]
    # its reach (0.5 km) is the households within 500 m of it, by geopandas distance in metres
    hh = layers["households"].to_crs(UTM)
    site = layers["tourism_sites"].set_index("site_id").to_crs(UTM).geometry["S1"]
    assert table["辐射范围内农户"].tolist() == [int((hh.distance(site) <= 500).sum())]


def test_tourism_page_town_filter(ws: Path):
    at = _run("pages/tourism.py", town="440783117")
    assert _metrics(at)["旅游点"] == "2"
    assert "塘口镇" in at.title[0].value


def test_pairings_page_coverage_and_rule(ws: Path):
    at = _run("pages/pairings.py")
    m = _metrics(at)
    assert (m["需帮扶村"], m["已结对"], m["未结对"], m["结对覆盖率"]) == ("4", "1", "3", "25.0%")
    at.checkbox(key="pr_old").uncheck().run()  # key villages only: 0, 1, 4
    _ok(at)
    assert _metrics(at)["需帮扶村"] == "3" and _metrics(at)["结对覆盖率"] == "33.3%"
    at.date_input(key="pairings_as_of").set_value(date(2019, 6, 1)).run()  # P003 still active then
    _ok(at)
    assert _metrics(at)["已结对"] == "2"
    assert [b.label for b in at.get("download_button")] == ["下载 CSV", "下载 Excel"]


def test_add_pairing_through_the_form(ws: Path):
    at = _run("pages/pairings.py")
    at.selectbox(key="pa_ent").set_value("E3")
    at.selectbox(key="pa_village").set_value(C[4])
    at.selectbox(key="pa_type").set_value("就业")
    at.date_input(key="pa_start").set_value(date(2020, 6, 1))
    at.number_input(key="pa_funds").set_value(12.5)
    at.button(key="pa_submit").click().run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    p = store.read_layer(ws, "pairings")
    new = p[(p["enterprise_id"] == "E3") & (p["village_code"] == C[4])]
    assert len(new) == 1 and new.iloc[0]["committed_wan"] == 12.5 and new.iloc[0]["start_date"] == "2020-06-01"
    assert any("已新增结对" in s.value for s in at.success)
    assert _metrics(at)["已结对"] == "2" and _metrics(at)["结对覆盖率"] == "50.0%"
    # the editor is the signed-in user of the page (no text box)
    signed_in = editor_name(auth.current_user("zh", ws.parent))
    assert (pe.pairing_history(ws, new.iloc[0]["pairing_id"])["editor"] == signed_in).all()
    assert not any(w.key == "pairings_editor" for w in at.text_input)

    # the same pairing again is refused with its reason, nothing written
    before = (ws.read_bytes())
    at.button(key="pa_submit").click().run()
    _ok(at)
    assert at.error and "不能重复结对" in at.error[0].value
    assert ws.read_bytes() == before


def test_end_a_pairing_and_conflict(ws: Path):
    at = _run("pages/pairings.py")
    at.selectbox(key="pe_pick").set_value("P001").run()
    _ok(at)
    at.checkbox(key="pe_has_end_P001_1").check()
    at.date_input(key="pe_end_P001_1").set_value(date(2020, 6, 30))
    at.button(key="pe_submit").click().run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    row = store.read_layer(ws, "pairings").set_index("pairing_id").loc["P001"]
    assert row["end_date"] == "2020-06-30" and row["version"] == 2

    # someone else changes P002 after this user opened it: the save is refused, theirs is kept
    at.selectbox(key="pe_pick").set_value("P002").run()
    _ok(at)
    pe.edit_pairing(ws, "P002", {"committed_wan": 99.0}, expected_version=1, user=as_user("他人"))
    at.number_input(key="pe_funds_P002_1").set_value(1.0)
    at.button(key="pe_submit").click().run()
    _ok(at)
    assert at.error and "已被他人修改" in at.error[0].value
    assert store.read_layer(ws, "pairings").set_index("pairing_id").loc["P002", "committed_wan"] == 99.0
    assert any(b.key == "pe_reload" for b in at.button)
