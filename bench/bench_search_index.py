"""Issue 15 item 3 (each page ≤ 5 s): the search index of a province, built on the first search — this tree against a
named baseline tree (e.g. main before the change), in the same run, one child process per tree.

    PYTHONPATH=src python bench/bench_search_index.py --workspace WS.gpkg [--baseline-src /tmp/baseline/src]

Each child reads the five searchable layers, then times :func:`bangfu.indicators.search.build_index` (towns, villages,
roads, projects, enterprises, tourism sites with the pinyin initials of every name) and one query; it reports the
number of entries and a digest of every entry's (kind, key, initials), so the two trees' answers are compared too.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("villages", "roads", "projects", "enterprises", "tourism_sites")


def child(ws: str) -> dict:
    from bangfu.indicators import search
    from bangfu.workspace import store

    layers = {n: store.read_layer(ws, n) for n in LAYERS}
    t0 = time.perf_counter()
    index = search.build_index(layers["villages"], roads=layers["roads"], projects=layers["projects"],
                               enterprises=layers["enterprises"], sites=layers["tourism_sites"])
    t1 = time.perf_counter()
    hits = search.search(index, "gsc")
    t2 = time.perf_counter()
    digest = hashlib.sha256("\n".join(f"{e.kind}|{e.key}|{e.initials}" for e in index).encode()).hexdigest()[:16]
    return {"build_s": t1 - t0, "query_s": t2 - t1, "entries": len(index), "hits": len(hits), "digest": digest,
            "load": os.getloadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--baseline-src", type=Path)
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        sys.path.insert(0, str(args.child))
        print(json.dumps(child(args.workspace)))
        return
    print(f"workspace {args.workspace}; load at start {os.getloadavg()[0]:.1f}")
    trees = [("this tree", ROOT / "src")] + ([("baseline", args.baseline_src)] if args.baseline_src else [])
    for name, src in trees:
        proc = subprocess.run([sys.executable, __file__, "--workspace", args.workspace, "--child", str(src)],
                              capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(src)})
        if proc.returncode:
            print(f"[{name}] FAILED\n{proc.stderr[-2000:]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"| {name} | {r['entries']:,} | {r['build_s']:.1f} s | {r['query_s'] * 1000:.0f} ms | {r['digest']} | "
              f"{r['load']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
