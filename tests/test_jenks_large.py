"""Fisher–Jenks at province size: the divide-and-conquer solver gives the same breaks as mapclassify and the dense DP."""

import warnings

import mapclassify
import numpy as np
import pytest

from bangfu import indicators as ind
import bangfu.indicators.classify  # noqa: F401  (the module, not the function of the same name)
import sys

cl = sys.modules["bangfu.indicators.classify"]


@pytest.mark.parametrize("seed", range(8))
def test_large_solver_equals_mapclassify_with_ties(seed):
    rng = np.random.default_rng(100 + seed)
    y = np.round(rng.lognormal(2, 1, int(rng.integers(30, 280))))  # many ties
    k = 3 + seed % 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = mapclassify.FisherJenks(y, k=k)
    np.testing.assert_allclose(ind.fisher_jenks_bins_large(y, k), ref.bins)


@pytest.mark.parametrize("seed", range(4))
def test_large_solver_equals_dense_dp(seed):
    """The dense NumPy DP (itself checked against mapclassify) is the oracle up to its size limit."""
    rng = np.random.default_rng(seed)
    n = 2500
    y = rng.lognormal(0, 1, n) if seed % 2 else np.round(rng.gamma(2.0, 3.0, n), 1)
    for k in (3, 5, 7):
        np.testing.assert_array_equal(ind.fisher_jenks_bins_large(y, k), ind.fisher_jenks_bins(y, k))


def _ssd(x: np.ndarray, bins: np.ndarray) -> float:
    cls = np.searchsorted(bins, x, side="left")
    return float(sum(((x[cls == c] - x[cls == c].mean()) ** 2).sum() for c in np.unique(cls)))


def test_province_size_is_optimal_among_nearby_breaks():
    """16,727 values (the dense DP would need 16,727² cells): the breaks are those classify uses, and no
    break moved to a neighbouring value lowers the within-class sum of squares."""
    rng = np.random.default_rng(7)
    x = np.sort(rng.lognormal(1, 0.8, 16_727))
    bins = ind.fisher_jenks_bins_large(x, 5)
    got = ind.classify(x, method="fisher_jenks", k=5)
    np.testing.assert_array_equal(np.asarray(got.bounds), bins)
    best = _ssd(x, bins)
    for c in range(4):
        pos = int(np.searchsorted(x, bins[c]))
        for step in (-3, -1, 1, 3):
            moved = bins.copy()
            moved[c] = x[min(max(pos + step, 0), len(x) - 2)]
            if np.all(np.diff(moved) > 0):
                assert _ssd(x, moved) >= best - 1e-6 * best


def test_classes_remembered_by_content():
    """The same values (a whole workspace, whatever town is shown) are classified once."""
    x = np.random.default_rng(3).lognormal(0, 1, 500)
    a = ind.classify(x, method="fisher_jenks", k=5)
    assert ind.classify(x.copy(), method="fisher_jenks", k=5) is a
    assert ind.classify(x, method="quantiles", k=5) is not a
    assert not a.index.flags.writeable
    y = x.copy()
    y[0] += 1.0
    assert ind.classify(y, method="fisher_jenks", k=5) is not a
    assert len(cl._MEMO) <= cl._MEMO_SIZE
