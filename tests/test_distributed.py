"""Catchment pairs on a Dask LocalCluster (dask-geopandas partitions by county or by space) = one machine."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from bangfu.geo import proximity
from bangfu.planning import distributed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import instances  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.local_client(n_workers=2, processes=False) as c:
        yield c


@pytest.fixture(scope="module")
def province():
    hh, geoms, dist, _, _ = instances.sparse(30_000, 250, polygons=30)
    county = (hh[:, 0] // 60_000).astype(int) * 10 + (hh[:, 1] // 60_000).astype(int)  # 60 km county squares
    return hh, geoms, dist, county


def test_partitioned_by_county_equals_single_machine(client, province):
    hh, geoms, dist, county = province
    one = proximity.pairs_within(geoms, hh, dist)
    many = distributed.pairs_within_dask(geoms, hh, dist, client=client, partition=county, npartitions=5)
    assert np.array_equal(many.feature, one.feature) and np.array_equal(many.point, one.point)
    assert len(one.feature) > 1_000
    counts = distributed.catchment_counts(geoms, hh, dist, client=client, partition=county)
    assert np.array_equal(counts, np.bincount(one.feature, minlength=len(geoms)))


def test_spatial_partitions_equal_single_machine(client, province):
    hh, geoms, dist, _ = province
    hh = hh.copy()
    hh[::97] = np.nan  # missing coordinates never match, positions stay those of the input
    one = proximity.pairs_within(geoms, hh, dist)
    many = distributed.pairs_within_dask(geoms, hh, dist, client=client, npartitions=6)
    assert np.array_equal(many.feature, one.feature) and np.array_equal(many.point, one.point)


def test_path_is_chosen_by_size_and_configured_cluster(monkeypatch):
    monkeypatch.delenv(distributed.SCHEDULER_ENV, raising=False)
    assert distributed.choose_path(10**9) == "local"
    assert distributed.choose_path(10**9, "tcp://h:8786") == "dask"
    monkeypatch.setenv(distributed.SCHEDULER_ENV, "tcp://h:8786")
    assert distributed.scheduler_address() == "tcp://h:8786"
    assert distributed.choose_path(distributed.MIN_HOUSEHOLDS) == "dask"
    assert distributed.choose_path(distributed.MIN_HOUSEHOLDS - 1) == "local"
    monkeypatch.delenv(distributed.SCHEDULER_ENV)
    with pytest.raises(ValueError, match=distributed.SCHEDULER_ENV):
        with distributed.connect():
            pass


def test_build_coverage_goes_to_the_configured_cluster_for_big_workspaces(client, monkeypatch):
    """With a scheduler configured and the size threshold met, the coverage table comes from the cluster
    (partitioned by county code) and equals the single-machine table."""
    from contextlib import contextmanager

    from bangfu.planning import coverage
    from factories import planning_layers

    lay = planning_layers(np.random.default_rng(5), 3_000)
    args = (lay["projects"], lay["villages"], lay["households"], lay["roads"])
    one = coverage.build_coverage(*args)
    used = []

    @contextmanager
    def fake_connect(scheduler=None):
        used.append(scheduler)
        yield client

    monkeypatch.setenv(distributed.SCHEDULER_ENV, "tcp://cluster:8786")
    monkeypatch.setattr(distributed, "MIN_HOUSEHOLDS", 1)
    monkeypatch.setattr(distributed, "connect", fake_connect)
    many = coverage.build_coverage(*args)
    assert used and (many.matrix != one.matrix).nnz == 0 and one.matrix.nnz > 0
