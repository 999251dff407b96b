"""The village tile layer (``bangfu/assets/bangfu-vtiles.js``, ``L.bangfuTiles``) in headless Chromium, without
Streamlit: the Kaiping demo's tiles (:mod:`bangfu.maps.tiles`) and the map page the app builds, served by a plain
local HTTP server.

Oracle, independent of the layer's JavaScript: the villages' own polygons (shapely; for each village the point
farthest inside it, :func:`shapely.polylabel`, in Web-Mercator pixels of the zoom), the class string and colours
computed in Python (:func:`bangfu.indicators.choropleth`) and Leaflet's own projection. At every zoom level of the
tile plan, every sampled village at least 3 px inside its border must show its class colour on the canvas under
that point, and a mouse click there must return that village's code (the popup's properties). Both ways of
drawing are checked: the Web Worker (the default) and the main-thread fallback; no request leaves localhost.
"""

from __future__ import annotations

import functools
import http.server
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.ops import polylabel

from bangfu import indicators as ind
from bangfu.maps import offline
from bangfu.maps import tiles as vt
from bangfu.maps import units as mu
from bangfu.maps.overview import build_overview_map
from bangfu.workspace import store
from browser_util import browser_page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
#: A sampled point must be this far inside its village (px at the zoom): borders, simplification and rounding stay
#: well below it.
INSIDE_PX = 3.0

_LOADED = """() => { const all = document.querySelectorAll('canvas.leaflet-tile');
  return all.length > 0 && [...all].every(c => c.classList.contains('leaflet-tile-loaded')); }"""


@contextmanager
def _serve(folder: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # noqa: ANN002 - the test log stays readable
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def _world_to_lonlat(wx: float, wy: float) -> tuple[float, float]:
    return wx * 360.0 - 180.0, math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * wy))))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, object, object, object]:
    """A folder holding the tiles, Leaflet, VectorGrid, our layer and two map pages (worker / main thread)."""
    folder = tmp_path_factory.mktemp("vtiles-site")
    static = folder / "app" / "static"
    offline.install_static_assets(static)
    villages = ind.village_metrics(store.read_layer(ROOT / "geodata" / "kaiping_demo.gpkg", "villages"))
    plan = vt.ensure_tiles(static / vt.TILE_FOLDER, "k", lambda: villages)
    data = mu.prepare_tile_map(villages, options=mu.UnitOptions("poverty_density", "quantiles", 5),
                               url=vt.tile_url("k"), zooms=(plan.min_zoom, plan.max_zoom))
    html = build_overview_map(data).get_root().render()
    assert "useWorker" not in html
    (folder / "worker.html").write_text(html, encoding="utf-8")
    (folder / "main.html").write_text(html.replace("L.bangfuTiles(s.url, {", "L.bangfuTiles(s.url, {useWorker: false, "),
                                      encoding="utf-8")
    return folder, villages, plan, data.tiles


def _samples(villages, plan, z: int) -> list[tuple[str, float, float, int]]:
    """(code, lat, lon, index i) of villages with a point at least INSIDE_PX inside them at zoom ``z``."""
    order = vt.village_order(villages["village_code"])
    rows = villages.iloc[order].reset_index(drop=True)
    px = 256.0 * 2.0 ** z
    out = []
    for i, (code, geom) in enumerate(zip(rows["village_code"].astype(str), rows.geometry)):
        world = shapely.transform(geom, lambda c: np.column_stack(vt.lonlat_to_world(c[:, 0], c[:, 1])))
        part = max(shapely.get_parts(world), key=lambda g: g.area)
        pole = polylabel(part, tolerance=0.1 / px)
        if part.exterior.distance(pole) * px < INSIDE_PX or any(
                shapely.LinearRing(r).distance(pole) * px < INSIDE_PX for r in part.interiors):
            continue
        lon, lat = _world_to_lonlat(pole.x, pole.y)
        out.append((code, lat, lon, i))
    return out


@pytest.mark.parametrize("page_name", ["worker.html", "main.html"])
def test_every_zoom_draws_and_clicks_each_village(site, page_name: str):
    folder, villages, plan, spec = site
    colours = [c.lower() for c in spec.colors]
    with _serve(folder) as base, browser_page(width=900, height=640) as (page, log, dialogs):
        page.goto(f"{base}/{page_name}")
        page.wait_for_function(_LOADED, timeout=60_000)
        assert page.evaluate("() => L.BangfuTiles.usesWorker()") is (page_name == "worker.html")
        page.evaluate("""() => { window.__m = window[Object.keys(window).find(k => k.startsWith('map_')
                                  && window[k] && window[k].setView)];
                                 window.__g = Object.values(window).find(v => v instanceof L.BangfuTiles);
                                 window.__clicked = [];
                                 window.__g.on('click', e => window.__clicked.push(String(e.layer.properties.c))); }""")
        checked = 0
        for z in plan.zooms:
            samples = _samples(villages, plan, z)
            # the view: centred on the sampled villages' middle one, so the highest zooms show some of them
            mid = samples[len(samples) // 2]
            page.evaluate("""([lat, lon, z]) => new Promise(done => {
                __g.once('load', () => done()); __m.setView([lat, lon], z, {animate: false});
                setTimeout(() => { if (document.querySelectorAll('canvas.leaflet-tile:not(.leaflet-tile-loaded)')
                                       .length === 0) done(); }, 200); })""", [mid[1], mid[2], z])
            page.wait_for_function(_LOADED, timeout=60_000)
            pts = page.evaluate("""(pts) => pts.map(([code, lat, lon, i]) => {
                const p = __m.latLngToContainerPoint([lat, lon]), s = __m.getSize();
                if (p.x < 30 || p.y < 30 || p.x > s.x - 30 || p.y > s.y - 30) return null;
                const r = __m.getContainer().getBoundingClientRect(), x = r.left + p.x, y = r.top + p.y;
                const c = document.elementFromPoint(x, y);
                if (!c || !c.matches('canvas.leaflet-tile')) return null;  // under the legend or a control
                if (!c.matches('.leaflet-tile-loaded')) return [code, i, x, y, null];
                const b = c.getBoundingClientRect();
                const px = Math.floor((x - b.left) * c.width / b.width), py = Math.floor((y - b.top) * c.height / b.height);
                const d = c.getContext('2d').getImageData(px, py, 1, 1).data;
                return [code, i, x, y, [d[0], d[1], d[2], d[3]]];
            }).filter(Boolean)""", [list(s) for s in samples])
            assert len(pts) >= 5, (z, len(pts))  # the test sees enough villages at every zoom
            step = max(1, len(pts) // 25)
            for code, i, x, y, rgba in pts[::step]:
                assert rgba is not None and rgba[3] > 200, (z, code, rgba)  # a tile is drawn there, opaque fill
                cls = ord(spec.classes[i]) - 48
                want = colours[cls] if 0 <= cls < len(colours) else spec.no_data.lower()
                got = "#" + "".join(f"{v:02x}" for v in rgba[:3])
                assert all(abs(int(want[k:k + 2], 16) - int(got[k:k + 2], 16)) <= 3 for k in (1, 3, 5)), (
                    z, code, want, got)
                page.evaluate("() => __m.closePopup()")  # the last popup fades out: wait until it is gone
                page.wait_for_function("() => !document.querySelector('.leaflet-popup')", timeout=5_000)
                page.mouse.click(x, y)
                page.wait_for_function("() => __clicked.length > 0", timeout=5_000)
                clicked = page.evaluate("() => __clicked.pop()")
                assert clicked == code, (z, code, clicked)
                checked += 1
        assert checked >= 5 * len(plan.zooms)
        assert not log.foreign, sorted(set(log.foreign))[:10]
        assert not dialogs
