"""Shared timing helper for the benchmark scripts: the median wall-clock time of several calls."""

from __future__ import annotations

import statistics
import time
from typing import TypeVar
from collections.abc import Callable

T = TypeVar("T")


def median_time(fn: Callable[[], T], runs: int) -> tuple[float, T]:
    """(median seconds over ``runs`` calls of ``fn``, the last call's result)."""
    times: list[float] = []
    out: T
    for _ in range(max(1, runs)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out
