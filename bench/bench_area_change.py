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
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: (label, level, code) chosen one after another; each is chosen ``--repeat`` times, alternating with the next.
CHOICES: tuple[tuple[str, str, str], ...] = (
    ("city 沈阳市", "city", "2101"), ("city 大连市", "city", "2102"), ("county 和平区", "county", "210102"),
    ("county 中山区", "county", "210202"),
)


def child(ws: Path, repeat: int) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from streamlit.testing.v1 import AppTest

    from factories import account, sign_in

    try:
        account(ws.parent, "chief", "admin", display_name="管理员")
    except Exception:  # noqa: BLE001 - the account exists already
        pass
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=3600)
    sign_in(at, ws.parent, "chief")
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    for th in threading.enumerate():  # the overview's warm-up of the other levels (a server would have it too)
        if th is not threading.current_thread() and "warm" in th.name.lower():
            th.join()
    out: dict[str, list[float]] = {}
    level = "province"
    for _ in range(repeat):
        for label, lv, code in CHOICES:
            if lv != level:
                at.selectbox(key="area_level").set_value(lv).run()
                level = lv
            t1 = time.perf_counter()
            at.selectbox(key=f"area_{lv}").set_value(code).run()
            out.setdefault(label, []).append(time.perf_counter() - t1)
            if at.exception:
                return {"error": str(at.exception[0].value)[:300]}
    return {"first": first, "runs": out}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", type=Path, required=True, help="a province GeoPackage (copied, with side files)")
    ap.add_argument("--baseline-src", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tmp", type=Path)
    ap.add_argument("--child", action="store_true")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.workspace, args.repeat), ensure_ascii=False))
        return
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
               "BANGFU_WORKSPACE": str(folder)}
        proc = subprocess.run([sys.executable, __file__, "--child", "--workspace", str(ws), "--repeat",
                               str(args.repeat)], capture_output=True, text=True, env=env, cwd=str(ROOT))
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
