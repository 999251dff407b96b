"""Issue 15 item 3 in a real browser: one Chromium session visits every page (``bangfu.ui.pages.PAGES``) at a level
(``--area``: none for the province, else an area code), against a running server — seconds until each page has
settled (its script run over, its maps drawn: ``tests/browser_util.settle``) and the resident memory of the server
process after it (``VmRSS``, every process of that server).

    CI=true PYTHONPATH=src:tests python bench/bench_page_walk.py --workspace-dir FOLDER [--script app.py,serve.py]
        [--area 2102] [--baseline-ref REF] [--warm-wait 0]

``FOLDER`` holds ``workspace.gpkg`` (e.g. ``python -m bangfu.demo build --region liaoning --out FOLDER/workspace.gpkg``,
which also stores its checks and aggregate tables). Each script (``app.py``: plain ``streamlit run``; ``serve.py``: the
server that warms its caches before it takes connections) gets a new server; the walk starts as soon as the server
answers (``--warm-wait S``: S seconds later, for the background warm-up to finish). ``--baseline-ref``: the same walk
with ``app.py`` of that commit (``git archive``), in the same run. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import browser_util  # noqa: E402


def _rss_mb(port: int) -> float:
    pids = subprocess.run(["pgrep", "-f", f"server.port {port}"], capture_output=True, text=True).stdout.split()
    total = 0.0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024
        except (OSError, IndexError, ValueError):
            pass
    return total


def walk(folder: Path, *, root: Path, script: str, area: str | None, warm_wait: float, label: str) -> list[str]:
    from bangfu.ui.pages import PAGES

    rows = []
    port = browser_util.free_port()
    query = f"?area={area}" if area else ""
    t0 = time.perf_counter()
    with browser_util.running_app(folder, port=port, root=root, script=script, start_timeout_s=900) as base:
        ready = time.perf_counter() - t0
        if warm_wait:
            time.sleep(warm_wait)
        rows.append(f"| {label} | (server answers) | {ready:.1f} s | {_rss_mb(port):,.0f} MB | |")
        print(rows[-1], flush=True)
        with browser_util.browser_page() as (page, log, _dialogs):
            for spec in PAGES:
                t = time.perf_counter()
                page.goto(f"{base}/{spec.url_path}{query}", wait_until="domcontentloaded")
                try:
                    browser_util.settle(page, timeout_ms=600_000)
                    note = "exception shown" if page.locator("[data-testid='stException']").count() else ""
                except Exception as exc:  # noqa: BLE001 - a page that never settles is reported, the walk goes on
                    note = f"not settled ({type(exc).__name__})"
                rows.append(f"| {label} | {spec.url_path} | {time.perf_counter() - t:.1f} s | {_rss_mb(port):,.0f} MB "
                            f"| {note} |")
                print(rows[-1], flush=True)
            if log.foreign:
                rows.append(f"| {label} | requests to other hosts | {len(log.foreign)} | | |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspace-dir", type=Path, required=True)
    ap.add_argument("--script", default="app.py,serve.py")
    ap.add_argument("--area", default=None)
    ap.add_argument("--warm-wait", type=float, default=0.0)
    ap.add_argument("--baseline-ref", default=None)
    args = ap.parse_args()
    print(f"workspace {args.workspace_dir}; area {args.area or 'province'}; load {os.getloadavg()[0]:.1f}")
    print("| server | page | settled after | server memory after | note |\n|---|---|---|---|---|")
    for script in args.script.split(","):
        walk(args.workspace_dir, root=ROOT, script=script, area=args.area, warm_wait=args.warm_wait,
             label=f"this checkout, {script}")
    if args.baseline_ref:
        with tempfile.TemporaryDirectory(prefix="walk-base-") as tmp:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline_ref], capture_output=True,
                                     check=True).stdout
            with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
                tar.extractall(tmp)
            walk(args.workspace_dir, root=Path(tmp), script="app.py", area=args.area, warm_wait=args.warm_wait,
                 label=f"{args.baseline_ref}, app.py")
    print(f"load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
