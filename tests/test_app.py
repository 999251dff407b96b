"""AppTest on the demo workspace: app.py, and every registered page in Chinese and English shows its title
and a figure equal to an independent computation from the workspace layers (pandas / geopandas)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Iterator

import os
import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bangfu import indicators as ind
from bangfu.core.labels import t
from bangfu.core.resources import DEMO_PATH
from bangfu.planning.project_types import PROJECT_TYPE_TABLE
from bangfu.ui.pages import PAGES
from bangfu.workspace import store
from factories import UTM, account, sign_in, xlsx_bytes

#: The import order of a new workspace, written out (the oracle of bangfu.workspace.status.IMPORT_ORDER).
IMPORT_ORDER = ("villages", "households", "roads", "tourism_sites", "enterprises", "pairings", "projects")
ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120


@pytest.fixture
def demo_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "ws"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    return folder


def _run(path: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_app_runs_and_shows_totals(demo_ws: Path):
    at = _run("app.py")
    assert (demo_ws / "workspace.gpkg").exists(), "the demo was not copied into the workspace folder"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["行政村（社区）"] == "270"
    assert any("示例数据" in c.value for c in at.caption), "the synthetic-data note is missing"


# --------------------------------------------------------------------------- every page: title and a real figure


@dataclass(frozen=True)
class Demo:
    """The demo's layers, and the households and roads in UTM 49N (metres) for the distance oracles."""

    layers: dict[str, pd.DataFrame]
    meta: dict[str, str]
    households: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    memo: dict = field(default_factory=dict)

    def within(self, features: gpd.GeoDataFrame, distance_m: float) -> np.ndarray:
        """Mask of households at most ``distance_m`` from one of ``features`` (nearest distance, geopandas)."""
        key = (tuple(features.index), tuple(features.geometry.to_wkb()), distance_m)
        if key not in self.memo:
            near = gpd.sjoin_nearest(self.households[["geometry"]], features.to_crs(UTM)[["geometry"]], distance_col="d")
            d = near["d"].groupby(level=0).min().reindex(self.households.index).to_numpy()
            assert (np.abs(d - distance_m) > 0.01).all(), "a household on the edge would make the oracle ambiguous"
            self.memo[key] = d <= distance_m
        return self.memo[key]


@pytest.fixture(scope="module")
def demo() -> Demo:
    if not DEMO_PATH.exists():
        pytest.fail("geodata/kaiping_demo.gpkg is missing: run `python -m bangfu.demo build`")
    layers = store.read_workspace(DEMO_PATH)
    return Demo(layers, store.read_meta(DEMO_PATH), layers["households"].to_crs(UTM), layers["roads"].to_crs(UTM))


def _poor_households(d: Demo, at: AppTest) -> str:
    return f"{int(d.layers['villages']['poor_households'].sum()):,}"


def _hardening_rate(d: Demo, at: AppTest) -> str:
    km = d.roads.length / 1000
    return ind.fmt_pct(km[d.roads["status"] == "completed"].sum() / km.sum() * 100)


def _total_road_km(d: Demo, at: AppTest) -> str:
    return ind.fmt_km(d.roads.length.sum() / 1000)


def _access_share(d: Demo, at: AppTest) -> str:
    done = d.layers["roads"][d.layers["roads"]["status"] == "completed"]
    return ind.fmt_pct(d.within(done, 2000.0).mean() * 100)


def _households_near_sites(d: Demo, at: AppTest) -> str:
    return f"{int(d.within(d.layers['tourism_sites'], 3000.0).sum()):,}"  # the page's default reach: 3 km


def _needy_villages(d: Demo, at: AppTest) -> str:
    v = d.layers["villages"]
    return str(int((v["is_key_village"] | v["is_old_district"]).sum()))  # default rule: key or 老区


def _paired_needy_villages(d: Demo, at: AppTest) -> str:
    v, p = d.layers["villages"], d.layers["pairings"]
    as_of = d.meta["as_of"]  # ISO dates compare as text; the end date is exclusive
    active = p[(p["start_date"] <= as_of) & (p["end_date"].isna() | (p["end_date"] > as_of))]
    needy = v.loc[v["is_key_village"] | v["is_old_district"], "village_code"]
    return str(int(needy.isin(set(active["village_code"])).sum()))


def _chosen(at: AppTest) -> list[str]:
    res = at.session_state["planning_result"]
    return res.coverage.projects["project_id"].iloc[list(res.exact.chosen)].tolist()


def _portfolio_cost(d: Demo, at: AppTest) -> str:
    projects = d.layers["projects"].set_index("project_id")
    cost = projects.loc[_chosen(at), "cost_wan"].sum()
    assert 0 < cost <= 500.0  # the default budget
    return f"{cost:,.1f}"


def _portfolio_households(d: Demo, at: AppTest) -> str:
    """Households within the default service distance of one of the chosen projects (each counted once)."""
    projects = d.layers["projects"].set_index("project_id").loc[_chosen(at)]
    reached = np.zeros(len(d.households), dtype=bool)
    for kind, group in projects.groupby("project_type"):
        reached |= d.within(group.reset_index(), float(PROJECT_TYPE_TABLE[kind].distance_m))
    return f"{int(reached.sum()):,}"


def _unchanged_villages(d: Demo, at: AppTest) -> str:
    return str(len(d.layers["villages"]) - 1)  # the uploaded sheet changes one village


def _one_village_update(d: Demo) -> dict:
    """What the uploader would hold: a sheet raising the first village's poor households by one."""
    v = d.layers["villages"].iloc[0]
    sheet = pd.DataFrame({"统计用区划代码": [v["village_code"]], "建档立卡户数": [int(v["poor_households"]) + 1]})
    return {"data.upload": ("建档立卡.xlsx", xlsx_bytes(sheet)), "data.layer": "villages"}


def _office(sql: str) -> str:
    """A count from the office database of the app's workspace folder, read with sqlite3 (the oracle of the
    audit page)."""
    con = sqlite3.connect(Path(os.environ["BANGFU_WORKSPACE"]) / "office.sqlite")
    try:
        return f"{con.execute(sql).fetchone()[0]:,}"
    finally:
        con.close()


@dataclass(frozen=True)
class PageCheck:
    """The figures one page must show (metric label key → expected text) and how to set its session up."""

    figures: dict[str, Callable[[Demo, AppTest], str]]
    session: Callable[[Demo], dict] = lambda d: {}


PAGE_CHECKS: dict[str, PageCheck] = {
    "pages/overview.py": PageCheck({"kpi.poor_households": _poor_households, "kpi.hardening_rate": _hardening_rate}),
    "pages/planning.py": PageCheck({"planning.kpi.cost": _portfolio_cost, "planning.kpi.households": _portfolio_households}),
    "pages/roads.py": PageCheck({"roads.kpi.total_km": _total_road_km, "roads.kpi.access": _access_share}),
    "pages/tourism.py": PageCheck({"tourism.kpi_reached": _households_near_sites}),
    "pages/pairings.py": PageCheck({"pairings.kpi_needy": _needy_villages, "pairings.kpi_paired": _paired_needy_villages}),
    "pages/start.py": PageCheck({
        "start.kpi_layers": lambda d, at: f"{sum(len(d.layers[n]) > 0 for n in IMPORT_ORDER)} / {len(IMPORT_ORDER)}",
        "start.kpi_villages": lambda d, at: f"{len(d.layers['villages']):,}"}),
    "pages/data.py": PageCheck({"data.change.changed": lambda d, at: "1", "data.change.unchanged": _unchanged_villages},
                               session=_one_village_update),
    "pages/briefing.py": PageCheck({"kpi.poor_households": _poor_households, "briefing.kpi_access": _access_share}),
    "pages/audit.py": PageCheck({"audit.kpi_rows": lambda d, at: _office("SELECT COUNT(*) FROM audit"),
                                 "audit.kpi_actors": lambda d, at: _office("SELECT COUNT(DISTINCT username) FROM audit"),
                                 "users.kpi_count": lambda d, at: _office("SELECT COUNT(*) FROM users")}),
    "pages/help.py": PageCheck({}),  # no figures: its tables are checked in tests/test_help_page.py
}


def test_every_page_has_a_check():
    assert set(PAGE_CHECKS) == {p.path for p in PAGES}


@pytest.fixture(scope="module")
def shared_demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One copy of the demo for the page checks below, which only read it: the app's caches (keyed by the
    workspace file and version) then serve every page after the first, as in the running app. Its office has
    accounts (an administrator and a county planner), so every page runs behind the login gate, signed in."""
    folder = tmp_path_factory.mktemp("pages") / "ws"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BANGFU_WORKSPACE", str(folder))
        store.ensure_workspace(folder)
        account(folder, "chief", "admin", display_name="管理员")
        account(folder, "li", "county_planner")
        yield folder
    assert store.open_workspace(folder / store.WORKSPACE_FILE).meta.get("version") == "1", "a page wrote to the demo"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_every_page_shows_its_title_and_true_figures(shared_demo_ws: Path, demo: Demo, spec, lang: str):
    check = PAGE_CHECKS[spec.path]
    at = AppTest.from_file(str(ROOT / spec.path), default_timeout=TIMEOUT)
    sign_in(at, shared_demo_ws, "chief")
    at.query_params["lang"] = lang
    for k, v in check.session(demo).items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert [x.value for x in at.title][:1] == [t(spec.label, lang)]
    shown = {m.label: m.value for m in at.metric}
    for key, expected in check.figures.items():
        assert shown.get(t(key, lang)) == expected(demo, at), (key, shown)


def test_english_labels(demo_ws: Path):
    at = _run("app.py", lang="en")
    assert {m.label: m.value for m in at.metric}["Villages"] == "270"


def test_town_selection_from_url(demo_ws: Path):
    at = _run("app.py", town="440783116")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["行政村（社区）"] == "19"
    assert "赤水镇" in at.title[0].value


def test_corrupt_workspace_offers_restore(demo_ws: Path):
    demo_ws.mkdir(parents=True)
    (demo_ws / "workspace.gpkg").write_bytes(b"this is not a geopackage")
    at = _run("app.py")
    assert at.error and "工作空间" in at.error[0].value
    restore = [b for b in at.button if b.key == "restore_after_error"]
    assert restore
    restore[0].click().run()
    assert not at.exception
    assert any("另存" in w.value for w in at.warning), "the confirmation says the unusable file is kept aside"
    assert (demo_ws / "workspace.gpkg").read_bytes() == b"this is not a geopackage", "nothing before the confirmation"
    next(b for b in at.button if b.key == "restore_after_error_confirm").click().run()
    assert not at.exception
    assert store.open_workspace(demo_ws / "workspace.gpkg").meta.get("source") == "demo"
    kept = list(demo_ws.glob("workspace.corrupt-*.gpkg"))
    assert [k.read_bytes() for k in kept] == [b"this is not a geopackage"] and not store.list_backups(demo_ws / "workspace.gpkg")


def test_invalid_workspace_is_not_opened(demo_ws: Path):
    ws = store.ensure_workspace(demo_ws)
    with store.transaction(ws) as con:
        con.execute("UPDATE villages SET poor_households = households + 5 WHERE fid = 1")
    at = _run("app.py")
    assert at.error and "未通过检查" in at.error[0].value
    assert not at.metric, "a workspace that fails validation must not be shown half-way"
