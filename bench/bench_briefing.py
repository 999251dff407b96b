"""Benchmark: building the leadership briefing (PDF + Word + map PNG) of the demo county and of 赤水镇.

Baseline in the same run: the same A4 page figure saved as PNG only (no PDF font embedding, no
Word file, no separate map PNG) — what a naive "screenshot of the page" export would cost.

    PYTHONPATH=src python bench/bench_briefing.py [--workspace geodata/kaiping_demo.gpkg] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bangfu.core.resources import DEMO_PATH
from bangfu import briefing
from bangfu.workspace import store
from bangfu.briefing import content as bc
from bangfu.briefing import figures, fonts


def _median(fn, runs: int) -> tuple[float, float, float]:
    """(median wall-clock s, max wall-clock s, median CPU s of this process) over ``runs`` calls.

    CPU time is reported too because wall-clock on a shared machine includes waiting for a core."""
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), max(wall), statistics.median(cpu)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", default=str(DEMO_PATH))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    path = Path(args.workspace)
    if not path.exists():
        sys.exit(f"workspace not found: {path} (build the demo with `python -m bangfu.demo build`)")
    layers = store.read_workspace(path)  # reading the file is the app's cached loader's job, not timed
    meta = store.read_meta(path)
    family = fonts.find_cjk_family()

    def loader(name: str):
        return layers[name]

    t0 = time.perf_counter()
    briefing.build_briefing(loader, meta=meta)
    cold = time.perf_counter() - t0
    print(f"first build in this process (font cache warm-up): {cold:.2f} s")
    for label, town in (("county 开平市", None), ("town 赤水镇", "440783116")):
        content = bc.compute_content(loader, meta=meta, town_code=town)

        def baseline() -> None:
            with fonts.cjk_rc(family):
                figures.figure_bytes(figures.page_figure(content), "png", dpi=150)

        def full() -> None:
            briefing.build_briefing(loader, meta=meta, town_code=town)

        def content_only() -> None:
            bc.compute_content(loader, meta=meta, town_code=town)

        b_med, b_max, b_cpu = _median(baseline, args.runs)
        c_med, _, c_cpu = _median(content_only, args.runs)
        f_med, f_max, f_cpu = _median(full, args.runs)
        print(f"{label}:\n  baseline page-as-PNG-only: median {b_med:.2f} s (max {b_max:.2f}, CPU {b_cpu:.2f} s)"
              f"\n  figures only (compute_content): median {c_med:.2f} s (CPU {c_cpu:.2f} s)"
              f"\n  full briefing (PDF + Word + map PNG + preview): median {f_med:.2f} s (max {f_max:.2f}, CPU {f_cpu:.2f} s)")


if __name__ == "__main__":
    main()
