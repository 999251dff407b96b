"""Changing area on the overview, server side: the script run after a choice in the sidebar's area box.

One AppTest session of ``app.py`` per tree (this checkout and a baseline ``src``), in a child process each, on its
own copy of a workspace (with its stored validation and aggregates copied beside it when present). The session
opens the overview at province level, waits for the warm-up thread, then chooses areas in the sidebar one after
another and reports the wall time of each run (what the browser waits for before it draws; the browser's own
part is measured by bench/bench_map_scale.py).

    PYTHONPATH=src python bench/bench_area_change.py --workspace WS.gpkg --baseline-src /tmp/base/src [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE_VISITS = ROOT / "tests" / "page_visits.py"  # the AppTest session (only app, pages, ui and tests use streamlit)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", type=Path, required=True, help="a province GeoPackage (copied, with side files)")
    ap.add_argument("--baseline-src", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tmp", type=Path)
    args = ap.parse_args()
    where = args.tmp or Path(tempfile.mkdtemp(prefix="bench-area-"))
    trees = [("this checkout", ROOT / "src")] + ([("baseline", args.baseline_src)] if args.baseline_src else [])
    print(f"workspace {args.workspace}; load {os.getloadavg()}", flush=True)
    for name, src in trees:
        folder = where / name.replace(" ", "-")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        ws = folder / "workspace.gpkg"
        shutil.copyfile(args.workspace, ws)
        for side in (".checks", ".derived"):
            s = args.workspace.parent / f".{args.workspace.name}{side}"
            if s.exists():
                shutil.copyfile(s, folder / f".workspace.gpkg{side}")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(ROOT / "tests")]),
               "BANGFU_WORKSPACE": str(folder), "BENCH_REPEAT": str(args.repeat)}
        proc = subprocess.run([sys.executable, str(PAGE_VISITS), "--child", "area_change", "--workspace", str(ws)],
                              capture_output=True, text=True, env=env, cwd=str(ROOT))
        lines = proc.stdout.strip().splitlines()
        r = json.loads(lines[-1]) if lines else {"error": proc.stderr[-500:]}
        if "error" in r:
            print(f"[{name}: {src}] FAILED {r['error']}", flush=True)
            continue
        print(f"[{name}: {src}] first page {r['first']:.1f} s; load {os.getloadavg()[0]:.1f}", flush=True)
        for label, times in r["runs"].items():
            print(f"  {label:<16} median {statistics.median(times):5.2f} s  (runs: "
                  + ", ".join(f"{x:.2f}" for x in times) + ")", flush=True)
    if args.tmp is None:
        shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()
