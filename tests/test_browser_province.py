"""Headless Chromium on the small synthetic province: the overview at province level draws its map, names 辽宁省,
heads the table of its cities, and ``?area=<county>`` opens that county (kept in the URL, in the title)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bangfu.workspace import store
from browser_util import ARTIFACTS, MAP_IFRAME, browser_page, free_port, map_frame, running_app, settle

pytestmark = pytest.mark.browser


def test_province_view(tmp_path: Path, province_gpkg: Path):
    folder = tmp_path / "ws"
    store.ensure_workspace(folder, demo=province_gpkg)
    with running_app(folder) as base, browser_page() as (page, log, dialogs):
        page.goto(f"{base}/overview", wait_until="domcontentloaded")
        settle(page)
        title = page.locator("[data-testid='stMain'] h1").first.inner_text()
        assert "总览地图" in title and "辽宁省" in title, title
        map_frame(page)  # the map drew its village paths
        main = page.locator("[data-testid='stMain']").inner_text()
        assert "辽宁省 · 市" in main, main[-300:]  # the table of the level below (its rows are drawn on a canvas)
        page.screenshot(path=str(ARTIFACTS / "province_overview.png"), full_page=False)
        page.goto(f"{base}/overview?area=210202", wait_until="domcontentloaded")
        settle(page)
        title = page.locator("[data-testid='stMain'] h1").first.inner_text()
        assert "中山区" in title, title
        assert "area=210202" in page.url
        assert page.locator("[data-testid='stException']").count() == 0
        assert not log.foreign, f"requests to non-local hosts: {sorted(set(log.foreign))[:10]}"
        assert not dialogs


def _click_label(page, frame, name: str) -> None:
    """A mouse click (as a user's) where the map shows the name label of ``name`` (labels are not clickable
    themselves: the click reaches the area below)."""
    page.locator(MAP_IFRAME).first.scroll_into_view_if_needed()
    box = frame.locator(".bangfu-town-label div", has_text=name).bounding_box()
    assert box is not None, name
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_province_map_of_cities_drills_down(tmp_path: Path, province_gpkg: Path):
    """The province view draws its cities (not its villages) with their names; clicking 沈阳市 on the map opens the
    city (title, sidebar, ``?area=2101``) with its counties drawn, and clicking a county opens that county."""
    folder = tmp_path / "ws"
    store.ensure_workspace(folder, demo=province_gpkg)
    with running_app(folder) as base, browser_page() as (page, log, dialogs):
        page.goto(f"{base}/overview", wait_until="domcontentloaded")
        settle(page)
        frame = map_frame(page)
        assert frame.locator("path.leaflet-interactive").count() == 2  # two cities, nothing else clickable
        assert frame.locator(".bangfu-town-label").all_inner_texts() == ["沈阳市", "大连市"]
        _click_label(page, frame, "沈阳市")  # the label lets the click through to the city below
        page.locator("[data-testid='stMain'] h1", has_text="沈阳市").wait_for()
        settle(page)
        assert "area=2101" in page.url
        frame = map_frame(page)
        counties = sorted(frame.locator(".bangfu-town-label").all_inner_texts())
        assert counties and "和平区" in counties and "中山区" not in counties  # 沈阳市's counties only
        assert frame.locator("path.leaflet-interactive").count() == len(counties)
        _click_label(page, frame, "和平区")
        page.locator("[data-testid='stMain'] h1", has_text="和平区").wait_for()
        settle(page)
        assert "area=210102" in page.url
        boxes = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']")
        shown = boxes.evaluate_all("els => els.map(e => { const i = e.querySelector('input');"
                                   " return (i && i.value) || e.innerText; })")
        assert any("县（市、区）" in x for x in shown) and any("和平区" in x for x in shown), shown  # boxes follow the map
        page.screenshot(path=str(ARTIFACTS / "province_drill_down.png"), full_page=False)
        assert page.locator("[data-testid='stException']").count() == 0
        assert not log.foreign, f"requests to non-local hosts: {sorted(set(log.foreign))[:10]}"
        assert not dialogs


@pytest.mark.parametrize("script", ["app.py", "serve.py"])
def test_province_villages_from_vector_tiles(tmp_path: Path, province_gpkg: Path, script: str):
    """The whole province at village level, drawn from the app's own vector tiles (the village limit lowered so the
    small province counts as big): canvas tiles drawn from /app/static/vtiles, nothing from another host; a click on
    a village shows its popup and opens its town (title, ``?area=<town>``) with the village's profile. Served by
    ``streamlit run app.py`` and by ``serve.py`` (Streamlit's ASGI server, caches warmed before it takes connections;
    the map component and the static tiles served as by ``app.py``)."""
    folder = tmp_path / "ws"
    store.ensure_workspace(folder, demo=province_gpkg)
    port = free_port()
    with running_app(folder, port=port, env={"BANGFU_VILLAGE_MAP_MAX": "100"}, script=script) as base, \
            browser_page() as (page, log, dialogs):
        page.goto(f"{base}/overview", wait_until="domcontentloaded")
        settle(page)
        box = page.locator("[data-testid='stSelectbox']").filter(has_text="地图单位").first
        box.click()
        page.get_by_role("option", name="村", exact=True).click()
        frame_loc = page.frame_locator(MAP_IFRAME).first
        frame_loc.locator("canvas.leaflet-tile-loaded").first.wait_for(state="attached", timeout=90_000)
        settle(page)
        frame = map_frame(page)
        assert frame.locator("canvas.leaflet-tile-loaded").count() >= 1
        assert frame.locator("path.leaflet-interactive").count() == 0  # no village sent as GeoJSON
        tiles = [u for u in log.urls if "/app/static/vtiles/" in u and u.endswith(".pbf")]
        assert tiles, log.urls[-20:]
        assert any("/app/static/vendor/vectorgrid/" in u for u in log.urls)
        assert frame.evaluate("() => L.BangfuTiles.usesWorker()")  # drawn off the main thread in the app's iframe
        # the tiles draw the classes: the canvas is not blank where the map shows the province
        colours = frame.evaluate("""() => { const out = new Set();
            for (const c of document.querySelectorAll('canvas.leaflet-tile-loaded')) {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                for (let i = 0; i < d.length; i += 4 * 97) { if (d[i + 3] > 0) out.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]); }
            } return out.size; }""")
        assert colours >= 2, colours
        page.screenshot(path=str(ARTIFACTS / "province_village_tiles.png"), full_page=False)
        if script == "serve.py":  # the warm-up ran in the server (before it answered the health check)
            assert "caches warmed" in (ARTIFACTS / f"streamlit-{port}.log").read_text(encoding="utf-8")
        page.locator(MAP_IFRAME).first.scroll_into_view_if_needed()
        title = page.locator("[data-testid='stMain'] h1").first.inner_text()
        villages = store.read_layer(province_gpkg, "villages")  # the workspace's content
        one = villages.sort_values("village_code").iloc[len(villages) // 2]
        pt = one.geometry.representative_point()
        target = frame.evaluate("""([lat, lng]) => new Promise(done => {
            const m = window[Object.keys(window).find(k => k.startsWith('map_') && window[k] && window[k].setView)];
            const grid = Object.values(window).find(v => v instanceof L.VectorGrid);
            grid.once('load', () => { const p = m.latLngToContainerPoint([lat, lng]); done([p.x, p.y]); });
            m.setView([lat, lng], 14, {animate: false}); })""", [pt.y, pt.x])  # resolves once its tiles are drawn
        iframe_box = page.locator(MAP_IFRAME).first.bounding_box()
        page.mouse.click(iframe_box["x"] + target[0], iframe_box["y"] + target[1])
        frame.locator(".leaflet-popup-content").wait_for(timeout=30_000)
        popup = frame.locator(".leaflet-popup-content").inner_text()
        assert "村代码" in popup and str(one["village_code"]) in popup and str(one["village_name"]) in popup, popup
        page.wait_for_function("t => { const h = document.querySelector(\"[data-testid='stMain'] h1\");"
                               " return h && h.innerText !== t; }", arg=title, timeout=90_000)
        settle(page)
        import re
        assert re.search(r"area=\d{9}\b", page.url), page.url
        code = re.search(r"area=(\d{9})", page.url).group(1)
        assert code == str(one["village_code"])[:9], (code, popup)  # the clicked village's town
        main = page.locator("[data-testid='stMain']").inner_text()
        assert "点击地图上的村庄" not in main and str(one["village_name"]) in main  # the village's profile
        page.screenshot(path=str(ARTIFACTS / "province_village_click.png"), full_page=False)
        assert page.locator("[data-testid='stException']").count() == 0
        assert not log.foreign, f"requests to non-local hosts: {sorted(set(log.foreign))[:10]}"
        assert not dialogs
