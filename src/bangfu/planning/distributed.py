"""Catchment pairs on a Dask cluster: households partitioned by county (dask-geopandas), same pairs as one machine.

Every household lives in exactly one partition, so the (project, household) pairs of the whole
workspace are the union of the partitions' pairs: each worker runs
:func:`bangfu.geo.proximity.pairs_within` on its households against the projects whose catchment
box reaches the partition, and the pairs are gathered and sorted — identical to the single-machine
result, in the same order.

Where the cluster is: ``scheduler=`` or the environment variable ``BANGFU_DASK_SCHEDULER`` (e.g.
``tcp://10.0.0.5:8786``). :func:`choose_path` decides automatically: the cluster only when one is
configured and the workspace is big enough to repay shipping the households (docs/planning.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from bangfu.geo.proximity import Pairs, pairs_within

__all__ = ["SCHEDULER_ENV", "MIN_HOUSEHOLDS", "scheduler_address", "choose_path", "connect", "local_client",
           "pairs_within_dask", "catchment_counts"]

#: Environment variable with the address of a running Dask scheduler (``tcp://host:8786``).
SCHEDULER_ENV = "BANGFU_DASK_SCHEDULER"
#: Below this many households the single-machine path is used even with a cluster (shipping the
#: households and starting the tasks costs more than the whole single-machine search).
MIN_HOUSEHOLDS = 20_000_000


def scheduler_address(scheduler: str | None = None) -> str | None:
    """The configured scheduler: the argument, else ``$BANGFU_DASK_SCHEDULER``, else None."""
    return scheduler or os.environ.get(SCHEDULER_ENV) or None


def choose_path(n_households: int, scheduler: str | None = None) -> str:
    """``"dask"`` when a cluster is configured and there are at least :data:`MIN_HOUSEHOLDS`, else ``"local"``."""
    return "dask" if scheduler_address(scheduler) and n_households >= MIN_HOUSEHOLDS else "local"


@contextmanager
def connect(scheduler: str | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` on the configured scheduler (closed on exit)."""
    from distributed import Client

    addr = scheduler_address(scheduler)
    if addr is None:
        raise ValueError(f"no Dask scheduler configured: pass scheduler= or set {SCHEDULER_ENV}")
    client = Client(addr)
    try:
        yield client
    finally:
        client.close()


@contextmanager
def local_client(n_workers: int = 2, threads_per_worker: int = 1, processes: bool = True) -> Iterator[Any]:
    """A ``distributed.LocalCluster`` and its client (tests and benchmarks), shut down on exit
    (``processes=False``: workers are threads of this process — quick to start, for tests)."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker, processes=processes,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        yield client


def _partition_pairs(part: pd.DataFrame, geoms: NDArray[np.object_], dist: NDArray[np.float64],
                     boxes: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(project, household position) pairs of one partition (run on a worker)."""
    if part.empty:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    x, y = part["x"].to_numpy(), part["y"].to_numpy()
    near = np.flatnonzero((boxes[:, 0] <= x.max()) & (boxes[:, 2] >= x.min())
                          & (boxes[:, 1] <= y.max()) & (boxes[:, 3] >= y.min()))
    if not len(near):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pairs = pairs_within(geoms[near], np.column_stack([x, y]), dist[near], sort_points=False)
    return near[pairs.feature].astype(np.int64), part["pos"].to_numpy(np.int64)[pairs.point]


def pairs_within_dask(
    features: NDArray[np.object_],
    xy: NDArray[np.float64],
    distance: float | NDArray[np.float64],
    *,
    client: Any,
    partition: NDArray[Any] | None = None,
    npartitions: int | None = None,
) -> Pairs:
    """:func:`bangfu.geo.proximity.pairs_within` (sorted pairs) computed on a Dask cluster.

    ``partition`` gives each household's county (any label); households are split into
    ``npartitions`` dask-geopandas partitions of whole counties (default: one per worker thread × 4).
    Without labels the partitions are spatial (squares of a grid over the households).
    """
    import dask
    import dask_geopandas  # type: ignore[import-untyped]

    geoms = np.asarray(features, dtype=object)
    xy = np.asarray(xy, dtype="float64").reshape(-1, 2)
    dist = np.array(np.broadcast_to(np.asarray(distance, dtype="float64"), (len(geoms),)))
    empty = np.zeros(0, np.int64)
    if not len(geoms) or not len(xy):
        return Pairs(empty, empty, len(geoms), len(xy))
    if np.isnan(dist).any() or (dist < 0).any():
        raise ValueError("distance must be >= 0")
    ok = np.isfinite(xy).all(axis=1)
    frame = pd.DataFrame({"x": xy[ok, 0], "y": xy[ok, 1], "pos": np.flatnonzero(ok)})
    n_parts = npartitions or max(1, 4 * sum(client.nthreads().values()))
    if partition is None:  # a spatial partition: squares of a k × k grid over the households
        k = max(1, int(np.ceil(np.sqrt(n_parts))))
        lo, span = xy[ok].min(axis=0), np.maximum(np.ptp(xy[ok], axis=0), 1e-9)
        cell = np.minimum((k * (xy[ok] - lo) / span).astype(np.int64), k - 1)
        labels = cell[:, 0] * k + cell[:, 1]
    else:
        labels = np.asarray(partition)[ok]
    frame["part"] = pd.factorize(labels)[0]
    gdf = gpd.GeoDataFrame(frame.set_index("part"), geometry=gpd.points_from_xy(frame["x"], frame["y"]))
    ddf = dask_geopandas.from_geopandas(gdf, npartitions=n_parts, sort=True)  # whole counties (cells) per partition
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    boxes = np.full((len(geoms), 4), np.nan)
    b = shapely.bounds(geoms[usable])
    boxes[usable] = b + np.c_[-dist[usable], -dist[usable], dist[usable], dist[usable]]
    g_fut, d_fut, b_fut = client.scatter([geoms, dist, boxes], broadcast=True)
    tasks = [dask.delayed(_partition_pairs)(part.drop(columns="geometry"), g_fut, d_fut, b_fut) for part in ddf.to_delayed()]
    results = client.compute(tasks, sync=True)
    feat = np.concatenate([r[0] for r in results] + [empty])
    pt = np.concatenate([r[1] for r in results] + [empty])
    key = feat * np.int64(len(xy) + 1) + pt
    key.sort()
    return Pairs(key // (len(xy) + 1), key % (len(xy) + 1), len(geoms), len(xy))


def catchment_counts(features: NDArray[np.object_], xy: NDArray[np.float64], distance: float | NDArray[np.float64],
                     *, client: Any, partition: NDArray[Any] | None = None) -> NDArray[np.int64]:
    """Households within each feature's distance, counted on the cluster (same as one machine)."""
    pairs = pairs_within_dask(features, xy, distance, client=client, partition=partition)
    return np.bincount(pairs.feature, minlength=pairs.n_features).astype(np.int64)
