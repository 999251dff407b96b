"""Headless Chromium on the overview page: county and town views, legend, hostile village name, offline."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bangfu.workspace import store
from browser_util import ARTIFACTS, browser_page, map_frame, running_app, settle
from factories import HOSTILE_NAME as HOSTILE
from factories import county_like, workspace

pytestmark = pytest.mark.browser

DEMO = Path(__file__).resolve().parents[1] / "geodata" / "kaiping_demo.gpkg"
TOWN = "440783116"  # 赤水镇

_FIND_HOSTILE = """() => {
  for (const l of Object.values(window.map._layers)) {
    const p = l.feature && l.feature.properties;
    if (p && typeof p.n === 'string' && p.n.indexOf('onerror') >= 0 && l._path) return l._path;
  }
  return null;
}"""


def _workspace(folder: Path) -> tuple[Path, int]:
    """A copy of the demo workspace (or a Kaiping-sized stand-in without it), one village renamed HOSTILE.

    Returns the folder and the number of villages.
    """
    folder.mkdir(parents=True)
    path = folder / store.WORKSPACE_FILE
    if DEMO.exists():
        shutil.copyfile(DEMO, path)
    else:
        workspace(path, meta={"source": "test", "as_of": "2020-12-31"}, **county_like())
    with store.transaction(path) as con:
        fid = con.execute(
            "SELECT fid FROM villages WHERE town_code = ? ORDER BY village_code LIMIT 1", (TOWN,)
        ).fetchone()[0]
        con.execute("UPDATE villages SET village_name = ? WHERE fid = ?", (HOSTILE, fid))
        n = con.execute("SELECT count(*) FROM villages").fetchone()[0]
    return folder, int(n)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    folder, n = _workspace(tmp_path_factory.mktemp("overview") / "ws")
    with running_app(folder) as base:
        yield base, n


def _legend(frame) -> str:
    frame.wait_for_selector(".bangfu-legend", timeout=30000)
    legends = frame.locator(".bangfu-legend")
    assert all(legends.nth(i).is_visible() for i in range(legends.count()))
    return "\n".join(legends.nth(i).inner_text() for i in range(legends.count()))


def test_county_view(app):
    base, n = app
    with browser_page(height=1350) as (page, log, dialogs):
        page.goto(base + "/", wait_until="domcontentloaded")
        frame = map_frame(page)
        assert frame.locator("path.leaflet-interactive").count() >= n
        legend = _legend(frame)
        assert "贫困密度" in legend and "老区村" in legend and "重点帮扶村" in legend
        assert frame.locator(".leaflet-control-layers").count() == 1
        settle(page)
        page.screenshot(path=str(ARTIFACTS / "overview_county.png"))
        assert page.locator("text=各镇街汇总").count() > 0
        assert not dialogs
        assert not log.foreign, log.foreign[:10]


def test_town_view_and_hostile_name(app):
    base, _ = app
    with browser_page(height=1350) as (page, log, dialogs):
        page.goto(base + f"/?town={TOWN}", wait_until="domcontentloaded")
        frame = map_frame(page)
        _legend(frame)
        page.wait_for_selector("h1:has-text('赤水镇')", timeout=30000)
        settle(page)
        page.screenshot(path=str(ARTIFACTS / "overview_town.png"))

        path = frame.evaluate_handle(_FIND_HOSTILE).as_element()
        assert path is not None, "the renamed village was not drawn"
        path.hover(force=True)
        frame.wait_for_selector(".leaflet-tooltip", timeout=10000)
        tip = frame.locator(".leaflet-tooltip").first
        assert HOSTILE in tip.inner_text(), "the hostile name must be shown as text"
        assert frame.locator(".leaflet-tooltip img, .leaflet-tooltip script").count() == 0
        page.screenshot(path=str(ARTIFACTS / "overview_hostile_tooltip.png"))

        # clicking opens the profile beside the map, the name still plain text
        path.click(force=True)
        page.wait_for_selector("text=村情档案", timeout=30000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('strong')].some(e => e.textContent.includes('onerror=alert(1)'))",
            timeout=30000,
        )
        settle(page)
        page.screenshot(path=str(ARTIFACTS / "overview_profile.png"))
        assert page.locator("img[src='x']").count() == 0
        assert not dialogs, dialogs
        assert not log.foreign, log.foreign[:10]
