"""AppTest: every page on the small synthetic province at province, city, county and town level — no exception,
no error, and the title names the area. The default suite runs each page at one level (rotating, so every page
and every level is covered); the full page × level matrix is marked slow."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bangfu.core.labels import t
from bangfu.ui.pages import PAGES
from bangfu.workspace import store
from factories import run_page, sign_in

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 180
#: level → (URL parameters, name the title must show): 沈阳市, 和平区 and a town of 中山区 (大连市).
LEVELS: dict[str, tuple[dict[str, str], str]] = {
    "province": ({}, "辽宁省"),
    "city": ({"area": "2101"}, "沈阳市"),
    "county": ({"area": "210102"}, "和平区"),
    "town": ({"area": "210202001"}, ""),  # name read from the workspace below
}
#: Pages about the whole workspace (its files, getting started, accounts and audit log, help): not filtered by area
#: (``PageSpec.area`` false), titled without it.
WORKSPACE_PAGES = {spec.path for spec in PAGES if not spec.area}
ROTATION = [(spec, list(LEVELS)[i % len(LEVELS)]) for i, spec in enumerate(PAGES)]
#: The other levels of every page the area changes (the workspace pages do not depend on it).
MATRIX = [(spec, level) for spec in PAGES for level in LEVELS
          if (spec, level) not in ROTATION and spec.path not in WORKSPACE_PAGES]


def _check(folder: Path, spec, level: str) -> None:
    query, name = LEVELS[level]
    if not name:
        v = store.read_layer(folder / store.WORKSPACE_FILE, "villages")
        name = str(v.loc[v["town_code"] == query["area"], "town_name"].iloc[0])
    at = _run(folder, spec.path, query)
    assert at.title, "no title"
    if spec.path in WORKSPACE_PAGES:
        assert at.title[0].value == t(spec.label, "zh")
    else:
        assert name in at.title[0].value, [x.value for x in at.title]


@pytest.mark.parametrize("spec,level", ROTATION, ids=[f"{s.url_path}-{lv}" for s, lv in ROTATION])
def test_page_at_a_level(province_ws: Path, spec, level: str):
    _check(province_ws, spec, level)


@pytest.mark.slow
@pytest.mark.parametrize("spec,level", MATRIX, ids=[f"{s.url_path}-{lv}" for s, lv in MATRIX])
def test_page_at_every_level(province_ws: Path, spec, level: str):
    _check(province_ws, spec, level)


def test_area_choice_in_the_url(province_ws: Path):
    """The level and area boxes follow ``?area=``, and choosing another area writes it back; ``?town=`` works too."""
    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=TIMEOUT)
    sign_in(at, province_ws, "chief")
    at.query_params["area"] = "210102"
    at.run()
    assert at.selectbox(key="area_level").value == "county"
    assert at.selectbox(key="area_county").value == "210102"
    at.selectbox(key="area_county").set_value("210103").run()
    assert not at.exception and at.query_params["area"] in ("210103", ["210103"])
    assert "沈河区" in at.title[0].value
    at2 = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=TIMEOUT)
    sign_in(at2, province_ws, "chief")
    at2.query_params["town"] = "210202001"
    at2.run()
    assert at2.selectbox(key="area_level").value == "town" and at2.selectbox(key="area_town").value == "210202001"


def test_overview_table_one_level_below(province_ws: Path):
    """Province: one row per city; a city: one row per county — totals equal the villages layer's (pandas)."""
    v = store.read_layer(province_ws / store.WORKSPACE_FILE, "villages")
    for query, digits, title in (({}, 4, "市"), ({"area": "2101"}, 6, "县（市、区）")):
        at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=TIMEOUT)
        sign_in(at, province_ws, "chief")
        for k, val in query.items():
            at.query_params[k] = val
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        table = at.dataframe[-1].value
        inside = v[v["village_code"].str.startswith(query.get("area", ""))]
        oracle = inside.groupby(inside["village_code"].str[:digits])["households"].sum()
        assert table["区划代码"].tolist() == oracle.index.tolist()
        assert table["总户数"].tolist() == oracle.tolist()
        assert any(s.value.endswith(title) for s in at.subheader)


# --------------------------------------------------------------------------- the same figures from the stored tables


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _page(folder: Path, name: str, query: dict[str, str]) -> AppTest:
    return _run(folder, f"pages/{name}.py", query)


def _run(folder: Path, path: str, query: dict[str, str]) -> AppTest:
    """Page ``path`` (relative to the checkout) run once as the county chief with ``query``: no exception, no error."""
    return run_page(folder, path, query, timeout=TIMEOUT)


@pytest.mark.parametrize("level", ["province", "city", "county"])
def test_roads_figures_at_every_level_equal_road_pieces_and_household_points(province_ws: Path, level: str):
    """The roads page's key figures — from the stored per-village tables at a province or city, from the road pieces
    and household points at a county — equal the road pieces' sums and the household points' distances computed
    here from the layers (bangfu.geo.overlay, bangfu.indicators.roads)."""
    from bangfu import indicators as ind
    from bangfu.geo.crs import metric_crs
    from bangfu.workspace import areas

    path = province_ws / store.WORKSPACE_FILE
    layers = {n: store.read_layer(path, n) for n in ("villages", "roads", "households")}
    v = layers["villages"]
    area = areas.area_for(v, LEVELS[level][0].get("area"))
    data = areas.AreaLayers(lambda n: layers[n], area)
    mine = data.layer("villages")
    km, hard, rate = ind.area_road_figures(data.layer(areas.PIECES), mine)
    pts = ind.prepare_households(data.layer("households"), mine, crs=metric_crs(v))
    share, poor_share = ind.area_access_figures(pts, layers["roads"], mine)
    shown = _metrics(_page(province_ws, "roads", LEVELS[level][0]))
    assert shown[t("roads.kpi.total_km", "zh")] == ind.fmt_km(km)
    assert shown[t("roads.kpi.hardened_km", "zh")] == ind.fmt_km(hard)
    assert shown[t("kpi.hardening_rate", "zh")] == ind.fmt_pct(rate)
    assert shown[t("roads.kpi.access", "zh")] == ind.fmt_pct(share)
    assert shown[t("roads.kpi.poor_access", "zh")] == ind.fmt_pct(poor_share)


@pytest.mark.parametrize("level", ["province", "city"])
def test_briefing_at_province_and_city_equals_the_layers(province_ws: Path, level: str):
    """The briefing page at a province or city (stored tables) shows the key figures of the briefing computed from
    the layers (bangfu.briefing.build_from_workspace: no stored table) for the same area."""
    from bangfu import briefing

    path = province_ws / store.WORKSPACE_FILE
    code = LEVELS[level][0].get("area")
    direct = briefing.build_from_workspace(path, town_code=code).content
    at = _page(province_ws, "briefing", LEVELS[level][0])
    shown = _metrics(at)
    assert len(direct.kpis) > 5
    for k in direct.kpis:
        assert shown[k.label] == k.text, k.label
    built = at.session_state["_bangfu_session_cache"]["briefing"][1].content
    for key in ("hardening_rate", "access_share", "connected_villages", "tourism_reach", "projects", "road_km_by_year"):
        assert built.results[key].source.split(":")[1].startswith("stored_"), key  # read from the stored tables
        assert not direct.results[key].source.split(":")[1].startswith("stored_"), key  # computed from the layers
    pd.testing.assert_series_equal(built.road_km, direct.road_km, check_names=False)
    assert [r[:4] for r in built.tables["projects"].rows] == [r[:4] for r in direct.tables["projects"].rows]


def test_planning_at_province_reads_no_household_rows(province_ws: Path, monkeypatch: pytest.MonkeyPatch):
    """Planning at a province runs on the stored catchment groups: no household layer read in the session; the
    best plan's figures equal a run on the household points (bangfu.planning.run without stored groups)."""
    from bangfu.planning import run as planning_run

    path = province_ws / store.WORKSPACE_FILE
    at = _page(province_ws, "planning", {})
    shown = _metrics(at)
    layers = {n: store.read_layer(path, n) for n in ("villages", "households", "roads", "projects")}
    approved = planning_run.default_must_in(layers["projects"])
    opts = planning_run.PlanOptions(budget=planning_run.default_budget(layers["projects"], approved), must_in=approved)
    direct = planning_run.run(layers, opts)
    for label, value in planning_run.kpis(direct, "zh"):
        assert shown[label] == value, label
    session = at.session_state["_bangfu_session_cache"] if "_bangfu_session_cache" in at.session_state else {}
    assert not any("households" in name for name in session), list(session)


@pytest.mark.parametrize("level", ["province", "city"])
def test_tourism_at_province_and_city_equals_the_layers(province_ws: Path, level: str):
    """The tourism page at a province or city (stored counts per village and per site) shows the figures of
    bangfu.indicators.tourism computed from the household points."""
    from bangfu import indicators as ind
    from bangfu.workspace import areas

    path = province_ws / store.WORKSPACE_FILE
    layers = {n: store.read_layer(path, n) for n in ("villages", "households", "tourism_sites")}
    area = areas.area_for(layers["villages"], LEVELS[level][0].get("area"))
    data = areas.AreaLayers(lambda n: layers[n], area)
    row = ind.reach_by_town(data.layer("villages"), data.layer("households"), layers["tourism_sites"]).iloc[-1]
    shown = _metrics(_page(province_ws, "tourism", LEVELS[level][0]))
    assert shown[t("tourism.kpi_reached", "zh")] == ind.fmt_int(row["reached"])
    assert shown[t("tourism.kpi_poor_reached", "zh")] == ind.fmt_int(row["poor_reached"])
    assert shown[t("pt.col.poor_reached_pct", "zh")] == ind.fmt_pct(row["poor_reached_pct"])


def _planning_layers(path: Path) -> dict[str, pd.DataFrame]:
    return {n: store.read_layer(path, n) for n in ("villages", "households", "roads", "projects")}


def test_planning_at_province_opens_on_the_stored_portfolio(province_ws: Path, monkeypatch: pytest.MonkeyPatch):
    """At the form's default options the province page solves nothing: it reads the exact portfolio that ``derive``
    stored (portfolio_straight), whose score and cost equal a solve on the household points (the exact oracle of
    tests/test_planning.py: HiGHS on the households' own coverage, no stored table), proven optimal and cheapest."""
    from bangfu.planning import run as planning_run, solvers
    from bangfu.workspace import derived

    path = province_ws / store.WORKSPACE_FILE
    report = derived.derive(path, ["catchments_straight", "portfolio_straight"])
    assert not report.failed
    layers = _planning_layers(path)
    direct = planning_run.run(layers, planning_run.default_options(layers["projects"], layers["villages"]))

    calls: list[float] = []
    real = solvers.solve_exact

    def counted(*a, **k):
        calls.append(k.get("time_limit", 0.0))
        return real(*a, **k)

    monkeypatch.setattr(solvers, "solve_exact", counted)
    at = _page(province_ws, "planning", {})
    assert calls == []  # nothing solved: the stored portfolio
    res = at.session_state["planning_result"]
    assert res.exact.extra.get("stored") == 1.0
    assert res.exact.status == "optimal" and res.exact.cost_status == "minimal"
    assert res.exact.objective == pytest.approx(direct.exact.objective)
    assert res.exact.cost == pytest.approx(direct.exact.cost)
    assert res.exact.totals == pytest.approx(direct.exact.totals)
    shown = _metrics(at)
    for label, value in planning_run.kpis(direct, "zh"):
        assert shown[label] == value, label
    at.session_state["planning.tab"] = t("planning.portfolio", "zh")  # the method's words: in the portfolio tab
    at.run()
    how = " ".join(s.value for s in at.success)
    assert "已证明最优" in how and "预先求解" in how
    assert calls == []
    # another budget is solved (no stored answer for it), first with the quick limit
    at.number_input(key="budget").set_value(float(res.options.budget) + 50.0)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert calls == [planning_run.QUICK_SECONDS]
    assert at.session_state["planning_result"].exact.extra.get("stored") is None


def test_planning_at_province_other_budget_best_found_then_optimum(province_ws: Path, monkeypatch: pytest.MonkeyPatch):
    """Another budget at province level first gets the quick time limit (here none at all): the page shows the best
    portfolio found with its proven gap and never says 最优 for it; the button solves on within the form's limit
    to the proven optimum (= a solve without limit of the same options on the household points)."""
    from bangfu.planning import run as planning_run

    path = province_ws / store.WORKSPACE_FILE
    monkeypatch.setattr(planning_run, "QUICK_SECONDS", 1e-9)
    at = _page(province_ws, "planning", {})
    budget = float(at.session_state["planning_result"].options.budget) + 100.0
    at.number_input(key="budget").set_value(budget)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    quick = at.session_state["planning_result"]
    assert quick.exact.status == "time_limit" and quick.options.time_limit == 1e-9
    shown = " ".join(x.value for x in [*at.info, *at.warning, *at.success, *at.caption, *at.markdown])
    assert "目前找到的最好方案" in shown and "最优（" not in shown.replace("未证明最优", "")
    assert "已证明最优" not in shown
    at.session_state["planning.tab"] = t("planning.portfolio", "zh")  # the method's words: in the portfolio tab
    at.run()
    shown = " ".join(x.value for x in [*at.info, *at.warning, *at.success, *at.caption, *at.markdown])
    assert "整数规划目前最好解（未证明最优）" in shown and "已证明最优" not in shown
    at.button(key="planning_solve_full").click().run()
    assert not at.exception, [e.value for e in at.exception]
    full = at.session_state["planning_result"]
    assert full.exact.status == "optimal" and full.options.time_limit == 30.0
    layers = _planning_layers(path)
    oracle = planning_run.run(layers, planning_run.PlanOptions(budget=budget, must_in=full.options.must_in))
    assert full.exact.objective == pytest.approx(oracle.exact.objective)
    assert full.exact.cost == pytest.approx(oracle.exact.cost)
    assert not any(b.key == "planning_solve_full" for b in at.button)
    assert "已证明最优" in " ".join(s.value for s in at.success)


@pytest.mark.parametrize("level", ["province", "city"])
def test_briefing_map_units_from_the_shared_dissolve_equal_a_dissolve_of_the_area(province_ws: Path, level: str):
    """The briefing's map of a province or city takes its units (the areas one level below, and the other areas as
    context) from the whole workspace's dissolve — the app's shared cache, as the page passes it — instead of
    dissolving the area's villages again: the same units, figures and outlines as that dissolve
    (bangfu.workspace.areas.unit_polygons of the area's own villages)."""
    import shapely

    from bangfu.briefing import content as bc
    from bangfu.workspace import access, areas, personal

    path = province_ws / store.WORKSPACE_FILE
    code = LEVELS[level][0].get("area")
    load = personal.loader(path, access.cli_principal(), aggregates=True)
    villages = store.read_layer(path, "villages")
    asked: list[str] = []

    def units(lv: str):
        asked.append(lv)
        return areas.unit_polygons(villages, lv)

    meta = store.read_meta(path)
    shared = bc.compute_content(load, meta=meta, town_code=code, units=units)
    own = bc.compute_content(load, meta=meta, town_code=code)
    assert asked == (["city"] if level == "province" else ["county", "city"])
    for a, b in ((shared.villages, own.villages), (shared.context, own.context)):
        if b is None:
            assert a is None
            continue
        a, b = a.sort_values("code").reset_index(drop=True), b.sort_values("code").reset_index(drop=True)
        assert a["code"].tolist() == b["code"].tolist() and len(a) >= 1
        for col in ("poor_households", "households", "poverty_density"):
            if col in b:
                assert a[col].tolist() == pytest.approx(b[col].tolist())
        assert all(shapely.equals_exact(x, y, 1e-6) for x, y in zip(a.geometry, b.geometry))


@pytest.mark.parametrize("level", ["county", "town"])
def test_roads_network_tab_of_a_county_or_town_equals_the_whole_network(province_ws: Path, level: str):
    """The network tab of a county or town — built from the area's part of the network only
    (bangfu.indicators.network.area_network_data) — shows the figures of the whole workspace's network for the area:
    通硬化路 counts and shares, access along roads and straight line, and the ranked missing links of its roads."""
    from bangfu import indicators as ind
    from bangfu.geo.crs import metric_crs
    from bangfu.indicators import network as ni
    from bangfu.workspace import areas

    path = province_ws / store.WORKSPACE_FILE
    layers = {n: store.read_layer(path, n) for n in ("villages", "roads", "households", "seats")}
    v = layers["villages"]
    query = LEVELS[level][0]
    area = areas.area_for(v, query["area"])
    al = areas.AreaLayers(lambda n: layers[n], area)
    mine = al.layer("villages")
    whole = ni.network_data(layers["roads"], v, layers["seats"])
    conn = ni.village_connection(whole, v)
    summary = ni.connection_summary(conn[conn["village_code"].isin(mine["village_code"].astype(str))],
                                    level="county").iloc[0]
    pts = ind.prepare_households(al.layer("households"), mine, crs=metric_crs(v))
    access = ni.network_access(whole, pts, mine).set_index("town_code").loc[area.town_code or ""]
    links = ni.missing_links(whole, conn)
    links = links[links["road_id"].isin(al.layer("roads")["road_id"].astype(str)) & (links["villages"] > 0)]
    at = AppTest.from_file(str(ROOT / "pages/roads.py"), default_timeout=TIMEOUT)
    sign_in(at, province_ws, "chief")
    for k, val in query.items():
        at.query_params[k] = val
    at.run()
    assert t("network.kpi.connected", "zh") not in _metrics(at)  # the network is built only while its tab is shown
    at.session_state["roads.tab"] = t("roads.tab.network", "zh")  # open the tab (as a click does: a rerun)
    at.run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    shown = _metrics(at)
    assert shown[t("network.kpi.connected", "zh")] == (
        f"{ind.fmt_int(int(summary['connected']))} / {ind.fmt_int(int(summary['villages']))}")
    assert shown[t("network.kpi.connected_pct", "zh")] == ind.fmt_pct(summary["connected_pct"])
    assert shown[t("network.kpi.households_pct", "zh")] == ind.fmt_pct(summary["households_pct"])
    assert shown[t("network.kpi.along", "zh")] == ind.fmt_pct(access["along_pct"])
    assert shown[t("network.kpi.straight", "zh")] == ind.fmt_pct(access["straight_pct"])
    ranked = [df.value for df in at.dataframe if "#" in df.value.columns]
    assert len(ranked) == 1
    table = ranked[0]
    assert table["#"].tolist() == list(range(1, len(links) + 1))
    assert table.iloc[:, 1].astype(str).tolist() == links["road_id"].tolist()


@pytest.mark.parametrize("level", ["county", "town"])
def test_briefing_of_a_county_or_town_reads_only_its_households(province_ws: Path, level: str):
    """The briefing of a county or a town reads the households of the area only (spatial index), never the whole
    layer into the session, and shows the same key figures and project ranking as the briefing computed from the
    whole layers (bangfu.briefing.build_from_workspace)."""
    from bangfu import briefing

    path = province_ws / store.WORKSPACE_FILE
    code = LEVELS[level][0]["area"]
    direct = briefing.build_from_workspace(path, town_code=code).content
    at = _page(province_ws, "briefing", LEVELS[level][0])
    shown = _metrics(at)
    for k in direct.kpis:
        assert shown[k.label] == k.text, k.label
    memo = at.session_state["_bangfu_session_cache"]
    built = memo["briefing"][1].content
    assert [r[:4] for r in built.tables["projects"].rows] == [r[:4] for r in direct.tables["projects"].rows]
    assert "aggregate.households" not in memo  # the whole layer was never read
    held = memo["area_aggregate.households"][1]
    everyone = store.read_layer(path, "households")
    villages = store.read_layer(path, "villages")
    in_area = villages.loc[villages["village_code"].astype(str).str.startswith(code), "village_code"].astype(str)
    assert 0 < len(held) < len(everyone)
    assert len(held) == int(everyone["village_code"].astype(str).isin(set(in_area)).sum())
