"""Issue 15: Fisher–Jenks at province size against mapclassify (the pure-Python fallback without numba), and the
synthetic province build.

    PYTHONPATH=src python bench/bench_province.py [--n 16727] [--runs 3] [--build] [--out /tmp/province.gpkg]

``--build`` also times ``python -m bangfu.demo build --region liaoning`` at full size (in-process, one run).
mapclassify is timed on a smaller sample and extrapolated as O(k·n²) unless ``--full-mapclassify`` is given
(452 s at 16,727 values on the reference machine).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import mapclassify
import numpy as np

from bangfu import indicators as ind
from timing import median_time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=16727)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sample", type=int, default=2000, help="values for timing mapclassify (extrapolated)")
    ap.add_argument("--full-mapclassify", action="store_true")
    ap.add_argument("--build", action="store_true")
    ap.add_argument("--out", type=Path, default=Path("/tmp/province.gpkg"))
    args = ap.parse_args()
    x = np.random.default_rng(0).lognormal(1, 0.8, args.n)
    new_t, bins = median_time(lambda: ind.fisher_jenks_bins_large(x, 5), args.runs)
    q_t, _ = median_time(lambda: mapclassify.Quantiles(x, k=5), args.runs)
    m = args.n if args.full_mapclassify else min(args.sample, args.n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        ref = mapclassify.FisherJenks(x[:m], k=5)
        old_t = time.perf_counter() - t0
    assert np.allclose(ref.bins, ind.fisher_jenks_bins_large(x[:m], 5)), "breaks differ from mapclassify"
    est = old_t * (args.n / m) ** 2
    print(f"Fisher–Jenks n={args.n} k=5: divide-and-conquer {new_t * 1000:.1f} ms; quantiles {q_t * 1000:.1f} ms; "
          f"mapclassify {old_t:.2f} s at n={m}" + ("" if m == args.n else f" → ~{est:.0f} s at n={args.n} (O(n²))"))
    print(f"breaks: {np.round(bins, 3).tolist()}")
    if args.build:
        from bangfu.demo.build import build_province

        t0 = time.perf_counter()
        path = build_province(args.out, verbose=True)
        print(f"province build (16,727 villages, 3M households, 58k roads, 5.2k projects): "
              f"{time.perf_counter() - t0:.1f} s, {path.stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
