"""Headless Chromium on the maps (issue 14): a map in a tab has the county in view, local tiles in the documented
folder are drawn, clicking a village that is partly below the fold neither scrolls the page nor loses the click,
every map has the plain attribution, a metric-only scale bar that no legend covers, and overlay legends only for
the overlays that are on. Nothing is fetched from a non-local host (one app start for the module)."""

from __future__ import annotations

import io
import math
import shutil
from pathlib import Path

import geopandas as gpd
import pytest

from bangfu.core.labels import t
from bangfu.maps.offline import LOCAL_TILE_FOLDER
from bangfu.workspace import store
from browser_util import ARTIFACTS, MAP_IFRAME, ROOT, browser_page, map_frame, running_app, settle

pytestmark = pytest.mark.browser

_VIEW = """() => { const b = window.map.getBounds();
  return {zoom: window.map.getZoom(), s: b.getSouth(), w: b.getWest(), n: b.getNorth(), e: b.getEast()}; }"""


_WS: list[gpd.GeoDataFrame] = []  # the villages of the module's workspace (lon/lat)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("maps") / "ws"
    path = store.ensure_workspace(folder)  # the demo, as the app would make it
    villages = gpd.read_file(path, layer="villages").to_crs("EPSG:4326")
    _WS[:] = [villages]
    with running_app(folder) as base:
        yield base, tuple(float(v) for v in villages.total_bounds)


def _in_view(view: dict, bounds: tuple[float, float, float, float]) -> None:
    """The area's bounds are inside the map's view and fill a good part of it (not a dot on a world map)."""
    minx, miny, maxx, maxy = bounds
    assert view["w"] <= minx and view["e"] >= maxx and view["s"] <= miny and view["n"] >= maxy, (view, bounds)
    assert (maxx - minx) / (view["e"] - view["w"]) > 0.3 or (maxy - miny) / (view["n"] - view["s"]) > 0.3, (view, bounds)
    assert view["zoom"] >= 8, view


def _open(page, label: str) -> None:
    page.locator("[data-testid='stSidebar'] a", has_text=label).first.click()
    page.wait_for_selector(f"h1:has-text('{label}')", timeout=60000)
    settle(page)


def _chrome(frame) -> None:
    """The map's attribution has no flag and no link, its one scale bar is metric, no legend covers it."""
    attribution = frame.locator(".leaflet-control-attribution")
    assert attribution.locator("svg, img").count() == 0, attribution.inner_html()
    assert attribution.inner_text().startswith("Leaflet")
    lines = frame.locator(".leaflet-control-scale-line")
    assert lines.count() == 1
    text = lines.first.inner_text()
    assert text.endswith(" m") or text.endswith(" km"), text
    scale = lines.first.bounding_box()
    legends = frame.locator(".bangfu-legend")
    for i in range(legends.count()):
        box = legends.nth(i).bounding_box()
        if box is None:  # hidden (no overlay on)
            continue
        apart = (box["x"] >= scale["x"] + scale["width"] or scale["x"] >= box["x"] + box["width"]
                 or box["y"] >= scale["y"] + scale["height"] or scale["y"] >= box["y"] + box["height"])
        assert apart, ("a legend covers the scale bar", box, scale)


def test_map_in_a_tab_has_the_county_in_view(app):
    base, bounds = app
    with browser_page() as (page, log, dialogs):
        page.goto(base + "/planning", wait_until="domcontentloaded")
        settle(page)
        page.get_by_role("tab", name=t("planning.map", "zh")).click()
        frame = map_frame(page)
        frame.wait_for_function("() => window.map && window.map.getZoom() >= 8", timeout=30000)
        _in_view(frame.evaluate(_VIEW), bounds)
        _chrome(frame)
        page.screenshot(path=str(ARTIFACTS / "planning_map_tab.png"))
        assert not log.foreign, log.foreign[:10]
        assert not dialogs


def _tiles(z: int, bounds: tuple[float, float, float, float]) -> list[tuple[int, int]]:
    """The slippy-map tiles (x, y) at zoom ``z`` covering ``bounds`` (one tile of margin)."""
    def xy(lon: float, lat: float) -> tuple[int, int]:
        n = 2 ** z
        r = math.radians(lat)
        return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(r)) / math.pi) / 2 * n)
    minx, miny, maxx, maxy = bounds
    (x0, y0), (x1, y1) = xy(minx, maxy), xy(maxx, miny)
    return [(x, y) for x in range(x0 - 1, x1 + 2) for y in range(y0 - 1, y1 + 2)]


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 230, 200)).save(buf, format="PNG")
    return buf.getvalue()


def test_tiles_in_the_documented_folder_are_drawn(app):
    base, bounds = app
    folder = ROOT / Path(LOCAL_TILE_FOLDER.split("{")[0])  # static/tiles/
    made = not folder.exists()
    png = _png()
    try:
        for z in range(8, 14):
            for x, y in _tiles(z, bounds):
                f = folder / str(z) / str(x) / f"{y}.png"
                if not f.exists():
                    f.parent.mkdir(parents=True, exist_ok=True)
                    f.write_bytes(png)
        with browser_page() as (page, log, dialogs):
            answers: list[tuple[str, int]] = []
            page.on("response", lambda r: answers.append((r.url, r.status)) if "/tiles/" in r.url else None)
            page.goto(base + "/", wait_until="domcontentloaded")
            settle(page)
            sidebar = page.locator("[data-testid='stSidebar']")
            sidebar.locator("[data-testid='stExpander'] summary", has_text=t("sidebar.basemap", "zh")).click()
            combo = sidebar.locator(".st-key-basemap input")  # the select box of key "basemap"
            option = page.get_by_role("option", name=t("basemap.local", "zh"))
            for _ in range(3):  # open its list (a click, else the arrow key), then pick the option
                combo.click()
                try:
                    option.wait_for(state="visible", timeout=5000)
                    break
                except Exception:
                    combo.press("ArrowDown")
            with page.expect_response(lambda r: "/tiles/" in r.url, timeout=120_000):  # the map drawn anew asks
                option.click()
            # the map is drawn anew with the tile layer (a locator through the iframe follows the new frame)
            page.frame_locator(MAP_IFRAME).first.locator("img.leaflet-tile-loaded").first.wait_for(
                state="attached", timeout=120_000)
            settle(page)
            assert answers, "no tile was asked for"
            assert all(status == 200 for _, status in answers), [a for a in answers if a[1] != 200][:5]
            assert all("/app/static/tiles/" in url for url, _ in answers), answers[:3]
            page.screenshot(path=str(ARTIFACTS / "overview_local_tiles.png"))
            assert not log.foreign, log.foreign[:10]
    finally:
        if made:
            shutil.rmtree(folder, ignore_errors=True)


def test_overview_legends_follow_the_layers(app):
    base, _ = app
    with browser_page() as (page, log, dialogs):
        page.goto(base + "/", wait_until="domcontentloaded")
        settle(page)
        frame = map_frame(page)
        _chrome(frame)
        roads = t("roads.legend", "zh")
        group = frame.locator(".lg-group", has_text=roads)
        assert group.count() == 1
        assert not group.is_visible(), "road colours explained while the road layer is off"
        frame.locator(".leaflet-control-layers").hover()
        frame.locator(".leaflet-control-layers label", has_text=t("overview.layer.roads", "zh")).click()
        group.wait_for(state="visible", timeout=10000)
        _chrome(frame)
        frame.locator(".leaflet-control-layers label", has_text=t("overview.layer.roads", "zh")).click()
        group.wait_for(state="hidden", timeout=10000)
        assert not log.foreign, log.foreign[:10]


def test_every_map_has_the_same_chrome(app):
    base, _ = app
    with browser_page() as (page, log, dialogs):
        page.goto(base + "/", wait_until="domcontentloaded")
        settle(page)
        for label in ("page.roads", "page.tourism", "page.pairings"):  # one session: the sidebar links
            _open(page, t(label, "zh"))
            _chrome(map_frame(page))
        assert not log.foreign, log.foreign[:10]


_NEAR_FOLD = """(fold) => {
  // a village whose centre is drawn just above the fold of the page (the map goes on below it)
  const top = window.frameElement.getBoundingClientRect().top;
  for (const l of Object.values(window.map._layers)) {
    const p = l.feature && l.feature.properties;
    if (!p || !p.c || !l._path || !l.getCenter) continue;
    const pt = window.map.latLngToContainerPoint(l.getCenter());
    const r = window.map.getContainer().getBoundingClientRect();
    const x = r.left + pt.x, y = r.top + pt.y;
    if (top + y < fold - 40 || top + y > fold - 8) continue;
    if (document.elementFromPoint(x, y) !== l._path) continue;
    return {x: window.frameElement.getBoundingClientRect().left + x, y: top + y, code: p.c, name: p.n};
  }
  return null;
}"""


def test_click_on_a_village_below_the_fold_opens_its_profile_and_highlights_it(app):
    from bangfu.core import styles

    base, _ = app
    with browser_page(width=1400, height=1000) as (page, log, dialogs):
        page.goto(base + "/", wait_until="domcontentloaded")
        settle(page)
        frame = map_frame(page)
        box = page.locator(MAP_IFRAME).first.bounding_box()
        assert box["y"] < 1000 < box["y"] + box["height"], "the map must reach below the fold for this test"
        target = frame.evaluate(_NEAR_FOLD, 1000)
        assert target is not None, "no village drawn just above the fold"
        page.mouse.click(target["x"], target["y"])  # Streamlit scrolls a container, not the window: see the map move
        assert page.locator(MAP_IFRAME).first.bounding_box()["y"] == box["y"], "the page jumped"
        page.wait_for_function(
            "(name) => [...document.querySelectorAll('strong')].some(e => e.textContent.includes(name))",
            arg=target["name"], timeout=30000)
        settle(page)
        frame = map_frame(page)
        focus = frame.locator(f"path[stroke='{styles.FOCUS['color']}']")
        focus.first.wait_for(state="attached", timeout=30000)
        assert focus.count() == 1
        page.screenshot(path=str(ARTIFACTS / "overview_clicked_below_fold.png"))
        assert not log.foreign, log.foreign[:10]
        assert not dialogs


@pytest.mark.slow  # the default suite has the AppTests of the search box (tests/test_map_search.py)
def test_search_box_zooms_the_map_to_the_town_found(app):
    from bangfu.core import styles

    base, _ = app
    with browser_page() as (page, log, dialogs):
        page.goto(base + "/", wait_until="domcontentloaded")
        settle(page)
        frame = map_frame(page)
        county_zoom = frame.evaluate(_VIEW)["zoom"]
        page.locator(".st-key-ov_search_q input").fill("csz")  # pinyin initials of 赤水镇
        page.locator(".st-key-ov_search_q input").press("Enter")
        settle(page)
        frame = map_frame(page)
        frame.wait_for_function(f"() => window.map.getZoom() > {county_zoom}", timeout=30000)
        view = frame.evaluate(_VIEW)
        town = _WS[0][_WS[0]["town_name"] == "赤水镇"]
        _in_view(view, tuple(float(v) for v in town.total_bounds))
        assert frame.locator(f"path[stroke='{styles.FOCUS['color']}']").count() == 1  # the town outlined
        page.screenshot(path=str(ARTIFACTS / "overview_search_town.png"))
        assert not log.foreign, log.foreign[:10]
