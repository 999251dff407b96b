"""AppTest: every page on the small synthetic province at province, city, county and town level — no exception,
no error, and the title names the area. The default suite runs each page at one level (rotating, so every page
and every level is covered); the full page × level matrix is marked slow."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bangfu.core.labels import t
from bangfu.ui.pages import PAGES
from bangfu.workspace import store
from factories import sign_in

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
    at = AppTest.from_file(str(ROOT / spec.path), default_timeout=TIMEOUT)
    sign_in(at, folder, "chief")
    for k, val in query.items():
        at.query_params[k] = val
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
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
