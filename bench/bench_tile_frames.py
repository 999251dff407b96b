"""Issue 15 item 2: zoom/pan frames of the village vector tiles alone — this checkout's tile layer against a
baseline's, in headless Chromium without Streamlit, the two pages alternated rep by rep.

    PYTHONPATH=src:tests:bench python bench/bench_tile_frames.py --workspace /tmp/p300k.gpkg --baseline-ref 670091f \
        [--reps 6] [--main-thread]

Each tree (this checkout, and ``git archive <ref>`` unpacked in a temporary folder) writes the villages' tiles with
its own :mod:`bangfu.maps.tiles` and builds the village map page with its own ``prepare_tile_map`` /
``build_overview_map`` (poverty density, quantiles, 5 classes) into a folder laid out like the app's
``static/`` (Leaflet, VectorGrid, our layer, ``vtiles/``), served by a plain local HTTP server. A page of the size
of the app's map (900 × 560) opens the province at its fitting zoom, waits until every tile in view is drawn,
then runs the zooms and pans of ``bench_map_scale`` (three zoom-ins with a pan each, three zoom-outs) while
``requestAnimationFrame`` records every frame. Per rep and tree: the longest frame, the 95th percentile and the
frames over 50 and 100 ms. Alternating the trees rep by rep gives both the same machine load.
A control page, this checkout's with every tile missing (404), runs the same zooms in the same reps: the machine's
noise floor at that moment. ``--main-thread`` also measures this checkout with the Web Worker off (``useWorker: false``: the fallback that
draws on the main thread in slices). Nothing is asserted: the figures go to docs/benchmarks.md with the load.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from bench_map_scale import _FRAMES_JS
from browser_util import CHROMIUM_ARGS, chromium_path

ROOT = Path(__file__).resolve().parents[1]

#: Run with a tree's own ``src`` on the path: tiles + the map page into argv[2] (argv[1]: the workspace).
_MAKE_PAGE = """
import sys
from pathlib import Path
from bangfu import indicators as ind
from bangfu.maps import offline, tiles as vt, units as mu
from bangfu.maps.overview import build_overview_map
from bangfu.workspace import store

gpkg, out = Path(sys.argv[1]), Path(sys.argv[2])
static = out / "app" / "static"
offline.install_static_assets(static)
villages = ind.village_metrics(store.read_layer(gpkg, "villages"))
plan = vt.ensure_tiles(static / vt.TILE_FOLDER, "k", lambda: villages)
data = mu.prepare_tile_map(villages, options=mu.UnitOptions("poverty_density", "quantiles", 5),
                           url=vt.tile_url("k"), zooms=(plan.min_zoom, plan.max_zoom))
(out / "index.html").write_text(build_overview_map(data).get_root().render(), encoding="utf-8")
"""

_FRAMES = _FRAMES_JS.replace(
    "return {max:", "return {over50: times.filter(t => t > 50).length, over100: times.filter(t => t > 100).length, max:")
_LOADED = """() => { const all = document.querySelectorAll('canvas.leaflet-tile');
  return all.length > 0 && [...all].every(c => c.classList.contains('leaflet-tile-loaded')); }"""


def _make(src: Path, gpkg: Path, out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", _MAKE_PAGE, str(gpkg), str(out)], check=True, env=env, cwd=out)


def _serve(folder: Path) -> str:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # noqa: ANN002 - keep the output to the figures
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{srv.server_address[1]}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", type=Path, required=True)
    ap.add_argument("--baseline-ref", default="", help="git ref of the baseline tree (none: this checkout only)")
    ap.add_argument("--reps", type=int, default=6)
    ap.add_argument("--main-thread", action="store_true", help="also this checkout with useWorker: false")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench-tile-frames-"))
    try:
        pages: dict[str, str] = {}
        if args.baseline_ref:
            base_root = tmp / "baseline-src"
            base_root.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline_ref], check=True,
                                     capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(base_root)], input=archive, check=True)
            (tmp / "baseline").mkdir()
            _make(base_root / "src", args.workspace, tmp / "baseline")
            pages[f"baseline ({args.baseline_ref})"] = _serve(tmp / "baseline") + "/index.html"
        (tmp / "this").mkdir()
        _make(ROOT / "src", args.workspace, tmp / "this")
        pages["this checkout"] = _serve(tmp / "this") + "/index.html"
        html = (tmp / "this" / "index.html").read_text(encoding="utf-8")
        (tmp / "this" / "control.html").write_text(  # every tile a 404: the same page and zooms, nothing drawn
            html.replace("L.bangfuTiles(s.url, {", "L.bangfuTiles('/none/{z}/{x}/{y}.pbf', {"), encoding="utf-8")
        pages["control: no tiles (the machine's noise floor)"] = pages["this checkout"].replace("index.html",
                                                                                                "control.html")
        if args.main_thread:
            html = (tmp / "this" / "index.html").read_text(encoding="utf-8")
            (tmp / "this" / "main.html").write_text(
                html.replace("L.bangfuTiles(s.url, {", "L.bangfuTiles(s.url, {useWorker: false, "), encoding="utf-8")
            pages["this checkout, main thread (no worker)"] = pages["this checkout"].replace("index.html", "main.html")
        load = os.getloadavg()
        print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} cores", flush=True)
        results: dict[str, list[dict]] = {k: [] for k in pages}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
            for rep in range(args.reps):
                for name, url in pages.items():
                    page = browser.new_page(viewport={"width": 900, "height": 560})
                    page.goto(url)
                    page.wait_for_function(_LOADED, timeout=120_000)
                    page.wait_for_timeout(300)
                    f = page.evaluate(_FRAMES)
                    results[name].append(f)
                    print(f"rep {rep} | {name}: longest {f['max']:.0f} ms, p95 {f['p95']:.0f} ms, "
                          f"frames > 50 ms: {f['over50']}, > 100 ms: {f['over100']} ({f['n']} frames)", flush=True)
                    page.close()
            browser.close()
        load = os.getloadavg()
        print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
        print("\n| tile layer | longest frame: median (max) of reps | p95 (median) | frames > 50 ms | frames > 100 ms |"
              "\n|---|---|---|---|---|")
        for name, rs in results.items():
            print(f"| {name} | {statistics.median(r['max'] for r in rs):.0f} ms ({max(r['max'] for r in rs):.0f} ms) | "
                  f"{statistics.median(r['p95'] for r in rs):.0f} ms | {sum(r['over50'] for r in rs)} | "
                  f"{sum(r['over100'] for r in rs)} |")
        print(f"({args.reps} reps each, {sum(r['n'] for r in next(iter(results.values())))} frames in the first row)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
