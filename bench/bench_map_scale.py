"""Issue 15 items 1–2: the overview map of a province in headless Chromium — this checkout against the named
baseline "naive folium" (the code before the map of the level below: every village and every overlay sent).

    PYTHONPATH=src:tests python bench/bench_map_scale.py --workspace /tmp/prov.gpkg [--baseline-ref c8dcba7,e19b1ff]
        [--baseline-timeout 300] [--skip-baseline] [--areas 2102,210202] [--villages-only --village-reps 3]

Both apps run in the same run, one after the other, each with its own copy of the workspace; the baseline is
``git archive <ref>`` of this repository unpacked in a temporary folder and started with its own ``src``, with
the two small fixes without which it cannot draw a province at all (:data:`BASELINE_FIXES`). For
each app it measures, in a new browser session each time:

* **cold first draw**: the first visit after the server started (includes opening and checking the workspace
  and filling the caches) — seconds until Leaflet has drawn the map's paths, and bytes received over the
  websocket (Streamlit sends the map's HTML inside it);
* **first draw after a server restart** (this checkout): the same workspace served again by a new server process
  (its stored checks and aggregates kept, every cache empty) — what the first visitor after a restart sees; once
  with ``streamlit run app.py`` and once with ``streamlit run serve.py`` (the caches of the first view filled before
  the server takes connections, :mod:`bangfu.ui.server`; the note says when the server answered its health check);
* **warm first draw** of the province view (caches filled, a new session: what any later visitor sees);
* **change area**: opening ``?area=<code>`` for each code of ``--areas`` (a city, a county) — seconds to the
  drawn map and bytes; for this checkout also a **click on a city** of the province map (the drill-down);
* **zoom/pan frames**: in the province view, three animated zooms and pans driven through Leaflet's API while
  ``requestAnimationFrame`` records every frame: the longest frame and the 95th percentile (ms);
* for this checkout, **the province at village level** (every village from the app's vector tiles,
  :mod:`bangfu.maps.tiles`): choosing 村 in 地图单位 until every tile in view is drawn — the first time after a
  server start (the tiles are written then, once per villages content) and again in a new session — with the
  bytes over the websocket and over HTTP for the tiles, the tiles requested, zoom/pan frames (tiles loaded while
  zooming), a click on a village (→ its town) and a city chosen in the sidebar's area picker.

``--villages-only`` measures only the village level (for this checkout and the baselines, which must then have the
village tiles: e.g. ``--baseline-ref <main's commit>``), each village view preceded by the same zooms and pans on
the map of cities in the same session (the note's "unit map before": the machine's noise floor at that moment);
``--village-reps`` repeats its new session (zoom/pan frames are noisy on a shared machine).

Nothing is asserted: the figures go to docs/benchmarks.md with the machine's load. The baseline stops at
``--baseline-timeout`` seconds per view and reports "not drawn" with the bytes received until then.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterator

from bangfu.workspace import store
from browser_util import DRAWN, MAP_IFRAME, browser_page, running_app

sys.path.insert(0, str(Path(__file__).resolve().parent))
import trees  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: Frame times in the map's iframe while it zooms and pans (Leaflet's own animations, driven by its API).
_FRAMES_JS = """
async () => {
  const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] && window[k].setZoom);
  const map = window[key];
  const times = [];
  let last = performance.now(), on = true;
  function tick(t) { times.push(t - last); last = t; if (on) requestAnimationFrame(tick); }
  requestAnimationFrame(tick);
  const wait = ms => new Promise(r => setTimeout(r, ms));
  for (let i = 0; i < 3; i++) {
    map.zoomIn(1, {animate: true}); await wait(600);
    map.panBy([200, 120], {animate: true, duration: 0.5}); await wait(700);
  }
  for (let i = 0; i < 3; i++) { map.zoomOut(1, {animate: true}); await wait(600); }
  on = false;
  times.shift();
  times.sort((a, b) => a - b);
  return {max: times[times.length - 1], p95: times[Math.floor(times.length * 0.95)], n: times.length};
}
"""


@dataclass
class Meter:
    """Bytes received over the page's websockets since the last :meth:`reset`."""

    received: int = 0
    frames: list[int] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        n = len(payload) if isinstance(payload, (bytes, bytearray)) else len(str(payload).encode("utf-8"))
        self.received += n
        self.frames.append(n)

    def reset(self) -> None:
        self.received, self.frames = 0, []


@dataclass
class View:
    name: str
    seconds: float | None  # None: not drawn within the timeout
    mb: float
    largest_mb: float
    note: str = ""
    app: str = ""
    frames_ms: float | None = None  # the longest zoom/pan frame, when measured

    def row(self, app: str | None = None) -> str:
        app = self.app if app is None else app
        drawn = f"{self.seconds:.1f} s" if self.seconds is not None else "not drawn"
        return f"| {app} | {self.name} | {drawn} | {self.mb:.2f} MB | {self.largest_mb:.2f} MB | {self.note} |"


def _drawn(page, timeout_s: float) -> bool:
    """Wait until the script run is over and the map iframe shows Leaflet paths; False on timeout or when the page
    shows an exception (checked every half second)."""
    end = time.perf_counter() + timeout_s
    paths = page.frame_locator(MAP_IFRAME).first.locator(DRAWN)
    idle = page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")
    while time.perf_counter() < end:
        if page.locator("[data-testid='stException']").count():
            return False
        try:
            if idle.count() and paths.count():
                page.frame_locator(MAP_IFRAME).first.locator(".leaflet-zoom-anim").wait_for(
                    state="detached", timeout=max(1, int((end - time.perf_counter()) * 1000)))
                return True
        except Exception:  # playwright's errors while the page is being replaced
            pass
        page.wait_for_timeout(500)
    return False


def _open(page, meter: Meter, url: str, name: str, timeout_s: float, note: str = "") -> View:
    meter.reset()
    t0 = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    ok = _drawn(page, timeout_s)
    dt = time.perf_counter() - t0
    if page.locator("[data-testid='stException']").count():
        note = "the page shows an exception"
    return View(name, dt if ok else None, meter.received / 1e6, max(meter.frames, default=0) / 1e6, note)


@contextlib.contextmanager
def _session(timeout_s: float) -> Iterator[tuple[object, Meter]]:
    with browser_page() as (page, _log, _dialogs):
        page.set_default_timeout(timeout_s * 1000)
        meter = Meter()
        meter.attach(page)
        yield page, meter


def _frames(page) -> tuple[str, float]:
    """Zoom and pan the map (:data:`_FRAMES_JS`): a note and the longest frame in ms."""
    frame = page.locator(MAP_IFRAME).first.element_handle().content_frame()
    f = frame.evaluate(_FRAMES_JS)
    return f"zoom/pan frames: longest {f['max']:.0f} ms, p95 {f['p95']:.0f} ms ({f['n']} frames)", float(f["max"])


def _click_a_unit(page, meter: Meter, timeout_s: float) -> View:
    """A mouse click on the first city's name label (the click reaches the city below it) and wait for the
    drilled-down map."""
    meter.reset()
    page.locator(MAP_IFRAME).first.scroll_into_view_if_needed()
    frame = page.locator(MAP_IFRAME).first.element_handle().content_frame()
    box = frame.locator(".bangfu-town-label div").first.bounding_box()
    title = page.locator("[data-testid='stMain'] h1").first.inner_text()
    t0 = time.perf_counter()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("t => { const h = document.querySelector(\"[data-testid='stMain'] h1\");"
                           " return h && h.innerText !== t; }", arg=title, timeout=timeout_s * 1000)
    ok = _drawn(page, timeout_s)
    dt = time.perf_counter() - t0
    new_title = page.locator("[data-testid='stMain'] h1").first.inner_text()
    return View("click a city (drill down)", dt if ok else None, meter.received / 1e6,
                max(meter.frames, default=0) / 1e6, new_title.replace("\n", " "))


@dataclass
class TileMeter:
    """Village tiles fetched over HTTP since the last :meth:`reset` (count and body bytes)."""

    n: int = 0
    received: int = 0

    def attach(self, page) -> None:
        page.on("requestfinished", self._done)

    def _done(self, request) -> None:
        if "/app/static/vtiles/" in request.url:
            self.n += 1
            try:
                self.received += int(request.sizes()["responseBodySize"])
            except Exception:  # a request the page cancelled
                pass

    def reset(self) -> None:
        self.n, self.received = 0, 0


_TILES_DONE_JS = """() => { const all = document.querySelectorAll('canvas.leaflet-tile');
  return all.length > 0 && [...all].every(c => c.classList.contains('leaflet-tile-loaded')); }"""


def _tiles_drawn(page, timeout_s: float) -> bool:
    if not _drawn(page, timeout_s):
        return False
    frame = page.locator(MAP_IFRAME).first.element_handle().content_frame()
    frame.wait_for_function(_TILES_DONE_JS, timeout=timeout_s * 1000)
    return True


def _village_level(page, meter: Meter, tiles: TileMeter, name: str, timeout_s: float) -> View:
    """Choose 村 in the map-unit box of the province view and wait until every tile in view is drawn."""
    meter.reset()
    tiles.reset()
    t0 = time.perf_counter()
    page.locator("[data-testid='stSelectbox']").filter(has_text="地图单位").first.click()
    page.get_by_role("option", name="村", exact=True).click()
    page.frame_locator(MAP_IFRAME).first.locator("canvas.leaflet-tile").first.wait_for(
        state="attached", timeout=timeout_s * 1000)
    ok = _tiles_drawn(page, timeout_s)
    dt = time.perf_counter() - t0
    return View(name, dt if ok else None, (meter.received + tiles.received) / 1e6, max(meter.frames, default=0) / 1e6,
                f"{tiles.n} tiles, {tiles.received / 1e6:.2f} MB of them over HTTP; "
                f"websocket {meter.received / 1e6:.2f} MB")


def _click_a_village(page, meter: Meter, timeout_s: float) -> View:
    """A click in the middle of the tile map (a village there: Liaoning's centre is land) and wait for its town."""
    meter.reset()
    page.locator(MAP_IFRAME).first.scroll_into_view_if_needed()
    frame = page.locator(MAP_IFRAME).first.element_handle().content_frame()
    frame.evaluate("() => { const k = Object.keys(window).find(k => k.startsWith('map_') && window[k].setView);"
                   " window[k].fitBounds(window[k].getBounds(), {animate: false}); }")
    box = page.locator(MAP_IFRAME).first.bounding_box()
    title = page.locator("[data-testid='stMain'] h1").first.inner_text()
    t0 = time.perf_counter()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.wait_for_function("t => { const h = document.querySelector(\"[data-testid='stMain'] h1\");"
                           " return h && h.innerText !== t; }", arg=title, timeout=timeout_s * 1000)
    ok = _drawn(page, timeout_s)
    dt = time.perf_counter() - t0
    new_title = page.locator("[data-testid='stMain'] h1").first.inner_text()
    return View("click a village on the tile map (→ its town)", dt if ok else None, meter.received / 1e6,
                max(meter.frames, default=0) / 1e6, new_title.replace("\n", " "))


def _pick_area(page, meter: Meter, label: str, timeout_s: float) -> View:
    """Choose the area ``label`` in the sidebar's area box (the level box on 市) and wait for its map."""
    meter.reset()
    title = page.locator("[data-testid='stMain'] h1").first.inner_text()
    t0 = time.perf_counter()
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text="地区").first.click()
    page.get_by_role("option", name=label, exact=True).click()
    page.wait_for_function("t => { const h = document.querySelector(\"[data-testid='stMain'] h1\");"
                           " return h && h.innerText !== t; }", arg=title, timeout=timeout_s * 1000)
    ok = _drawn(page, timeout_s)
    dt = time.perf_counter() - t0
    return View(f"choose {label} in the sidebar's area box", dt if ok else None, meter.received / 1e6,
                max(meter.frames, default=0) / 1e6)


def measure(app: str, root: Path, gpkg: Path, areas: list[str], timeout_s: float, ours: bool,
            villages_only: bool = False, village_reps: int = 1, script: str = "app.py") -> list[View]:
    """Every view of the app in ``root`` (a checkout) on a copy of ``gpkg``, each printed as a table row when measured
    and returned (``View.app`` = ``app``). ``villages_only``: only the province at village level (first view,
    ``village_reps`` new sessions with the tiles on disk, a click on a village); ``ours``: the views only this
    checkout has (the village tiles, a click on a city, the restart under ``app.py`` and ``serve.py``). ``script``: how
    the server runs (``app.py``, or ``serve.py``: the caches warmed before it answers; the cold row then measures the
    first visit after that start)."""
    views: list[View] = []

    def add(v: View) -> None:
        v.app = app
        views.append(v)
        print(v.row(), flush=True)

    with tempfile.TemporaryDirectory(prefix=f"bench-map-{app}-") as tmp:
        folder = Path(tmp) / "ws"
        store.ensure_workspace(folder, demo=gpkg)
        with running_app(folder, root=root, start_timeout_s=900, script=script) as base:
            if not villages_only:
                for v in _unit_views(base, timeout_s, ours):
                    add(v)
            for run in (("first village view after the start",) if ours else ()) + (
                    ("new session, tiles on disk",) * village_reps if ours else ()):
                with _session(timeout_s) as (page, meter):
                    tiles = TileMeter()
                    tiles.attach(page)
                    if _open(page, meter, f"{base}/overview", "province", timeout_s).seconds is None:
                        continue
                    # the control: the same zooms on the map of cities just before (the machine's noise floor)
                    control = _frames(page)[0].replace("zoom/pan frames", "unit map before") if villages_only else ""
                    try:
                        v = _village_level(page, meter, tiles, f"province at village level, {run}", timeout_s)
                    except Exception as exc:  # no tiles (a workspace small enough for GeoJSON villages) or a timeout
                        v = View(f"province at village level, {run}", None, meter.received / 1e6,
                                 max(meter.frames, default=0) / 1e6, f"no village tiles drawn ({type(exc).__name__})")
                    if v.seconds is not None:
                        tiles.reset()
                        note, v.frames_ms = _frames(page)
                        v.note += "; " + note + f" ({tiles.n} more tiles while zooming)"
                        v.note += f"; {control}" if control else ""
                    add(v)
                    if v.seconds is not None and run.startswith("new") and not any(
                            x.name.startswith("click a village") for x in views):
                        add(_click_a_village(page, meter, timeout_s))
            for code in ([] if villages_only else areas):
                with _session(timeout_s) as (page, meter):
                    add(_open(page, meter, f"{base}/overview?area={code}", f"open ?area={code}", timeout_s))
        if ours and not villages_only:  # a restart on the same workspace: checks and aggregates stored, caches empty
            for script, what in (("app.py", "`streamlit run app.py`"), ("serve.py", "`streamlit run serve.py`")):
                t0 = time.perf_counter()
                with running_app(folder, root=root, start_timeout_s=300, script=script) as base:
                    started = time.perf_counter() - t0  # serve.py answers once its warm-up is done
                    with _session(timeout_s) as (page, meter):
                        add(_open(page, meter, f"{base}/overview", f"province, first draw after a server restart, "
                                  f"{what}", timeout_s, note=f"server answered {started:.1f} s after its start"))
    return views


def _unit_views(base: str, timeout_s: float, ours: bool) -> Iterator[View]:
    """The views of the map of units: cold and warm first draw, the floor, a click on a city, the area box."""
    with _session(timeout_s) as (page, meter):
        yield _open(page, meter, f"{base}/overview", "province, cold first draw", timeout_s)
    with _session(timeout_s) as (page, meter):  # the floor: a page without a map, same server, warm
        meter.reset()
        t0 = time.perf_counter()
        page.goto(f"{base}/help", wait_until="domcontentloaded")
        page.locator("[data-testid='stMain'] h1").first.wait_for(timeout=timeout_s * 1000)
        page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
            state="attached", timeout=timeout_s * 1000)
        yield View("help page (no map): the floor", time.perf_counter() - t0, meter.received / 1e6,
                   max(meter.frames, default=0) / 1e6)
    with _session(timeout_s) as (page, meter):
        v = _open(page, meter, f"{base}/overview", "province, warm first draw", timeout_s)
        if v.seconds is not None:
            v.note, v.frames_ms = _frames(page)
        yield v
        if ours and v.seconds is not None:
            yield _click_a_unit(page, meter, timeout_s)
    with _session(timeout_s) as (page, meter):
        v = _open(page, meter, f"{base}/overview", "province (again, for the area box)", timeout_s)
        if v.seconds is not None:
            try:
                yield _pick_area(page, meter, "沈阳市", min(timeout_s, 60))
            except Exception as exc:  # the naive baseline has no area box (towns only)
                yield View("choose 沈阳市 in the sidebar's area box", None, 0, 0, f"no area box ({type(exc).__name__})")


#: The two fixes the baseline needs to draw a province at all (its map builder otherwise stops with an error):
#: file → (text, replacement). Nothing else of the baseline is changed.
BASELINE_FIXES: dict[str, list[tuple[str, str]]] = {
    # the table of the level below named its code column town_code at every level (KeyError on a province)
    "src/bangfu/ui/panels/overview.py": [(
        '[(kind, str(c)) for c in summary["town_code"]])',
        '[(kind, str(c)) for c in summary["town_code" if below == "town" else "area_code"]])',
    )],
    # towns dissolved after rounding are not always correctly noded: fall back to a plain union
    "src/bangfu/maps/overview.py": [(
        "g = shapely.coverage_union_all(geoms[sel])",
        "g = _safe_union(geoms[sel])",
    ), (
        "county = shapely.coverage_union_all(parts) if len(parts) else shapely.Polygon()",
        "county = _safe_union(parts) if len(parts) else shapely.Polygon()",
    ), (
        "@dataclass\nclass _Boundaries:",
        "def _safe_union(g):\n    try:\n        return shapely.coverage_union_all(g)\n"
        "    except Exception:\n        return shapely.union_all(g)\n\n\n@dataclass\nclass _Boundaries:",
    )],
}


def _export(ref: str, into: Path) -> Path:
    """``git archive <ref>`` unpacked into ``into`` with :data:`BASELINE_FIXES` (bench/trees.py)."""
    return trees.export_tree(ref, into, BASELINE_FIXES)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", type=Path, required=True, help="a province GeoPackage (python -m bangfu.demo build"
                                                                  " --region liaoning)")
    ap.add_argument("--baseline-ref", default="c8dcba7,e19b1ff",
                    help="git refs of the baselines, comma-separated: naive folium (the code before issue 15's map),"
                         " today's code (main before the village tiles)")
    ap.add_argument("--baseline-timeout", type=float, default=300)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--areas", default="2102,210202,210202001", help="area codes opened by URL (a city, a county, a town)")
    ap.add_argument("--villages-only", action="store_true",
                    help="only the province at village level (vector tiles), also for the baselines, which must then"
                         " have the village tiles too (e.g. --baseline-ref main)")
    ap.add_argument("--script", default="app.py", help="this checkout's server: app.py or serve.py (warmed at start)")
    ap.add_argument("--village-reps", type=int, default=1,
                    help="new sessions at village level (tiles on disk), each with its zoom/pan frames")
    args = ap.parse_args()
    areas = [a for a in args.areas.split(",") if a]
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} cores", flush=True)
    print("| app | view | first map drawn | received over the websocket | largest message | note |")
    print("|---|---|---|---|---|---|")
    rows = [v.row() for v in measure("this checkout", ROOT, args.workspace, areas, args.timeout, ours=True,
                                     villages_only=args.villages_only, village_reps=args.village_reps,
                                     script=args.script)]
    names = {"c8dcba7": "naive folium", "e19b1ff": "today's code"}
    for ref in ([] if args.skip_baseline else [r for r in args.baseline_ref.split(",") if r]):
        tmp = Path(tempfile.mkdtemp(prefix="bench-map-baseline-"))
        try:
            base_root = _export(ref, tmp)
            rows += [v.row() for v in measure(f"{names.get(ref, 'baseline')} ({ref})", base_root, args.workspace,
                                              areas, args.baseline_timeout, ours=args.villages_only,
                                              villages_only=args.villages_only, village_reps=args.village_reps)]
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    print("\n".join(["", "| app | view | first map drawn | received over the websocket | largest message | note |",
                     "|---|---|---|---|---|---|", *rows]))


if __name__ == "__main__":
    sys.exit(main())
