"""Data squashing against openEBGM's documented behaviour and published outputs.

Sources: openEBGM 0.9.1 (cran/openEBGM) tests/testthat/testB_Squashing.R,
R/f_dataSquashing.R, vignettes/vignette03-hyperparameterEstimation (HTML output printed in
the vignette); pvsignal FACTS-2 §3.
"""

from __future__ import annotations

import numpy as np
import pytest

from pvsignal.stats.mgps.squashing import auto_squash, squash_data
from pvsignal.errors import AnalysisError


def test_small_squash_illustration_facts2():
    # FACTS-2 §3 small illustration: N = 1, bin_size = 3, keep_pts = 2
    E = np.array([0.05, 0.10, 0.20, 0.40, 0.50, 0.70, 0.90, 1.30, 2.50, 6.00])
    out = squash_data(np.ones(10, int), E, bin_size=3, keep_pts=2, min_bin=1, min_pts=1)
    np.testing.assert_allclose(out.E, [0.116667, 0.533333, 1.10, 2.50, 6.00], atol=1e-6)
    np.testing.assert_array_equal(out.weight, [3, 3, 2, 1, 1])
    np.testing.assert_array_equal(out.n, [1] * 5)
    assert out.weight.sum() == 10  # no point lost


def _testb_data():
    # 11 zero counts, then 15 points with other counts (testB_Squashing.R shape)
    rng = np.random.default_rng(483726)
    n = np.array([0] * 11 + [1] * 10 + [2] * 4 + [3] * 1)
    E = np.round(np.abs(rng.normal(0, 1, 26)) + 0.001, 3)
    return n, E


def test_openebgm_testb_weights_for_count_zero():
    # testB_Squashing.R: squashData(dat, count = 0, bin_size = 3, keep_pts = 0) gives
    # weights 3, 3, 3, 2 and then ones for the other counts; keep_pts = 3 gives 3, 3, 2, 1, 1, 1
    n, E = _testb_data()
    out = squash_data(n, E, count=0, bin_size=3, keep_pts=0, min_bin=1, min_pts=1)
    np.testing.assert_array_equal(out.weight, [3, 3, 3, 2] + [1] * 15)
    out3 = squash_data(n, E, count=0, bin_size=3, keep_pts=3, min_bin=1, min_pts=1)
    np.testing.assert_array_equal(out3.weight[:6], [3, 3, 2, 1, 1, 1])
    # bins hold the smallest E in order; the kept points are the 3 largest E
    zeros = np.sort(E[n == 0])
    np.testing.assert_allclose(out3.E[:3], [zeros[0:3].mean(), zeros[3:6].mean(), zeros[6:8].mean()])
    np.testing.assert_allclose(out3.E[3:6], zeros[8:])
    # the other counts pass through unchanged, in input order after the zeros
    np.testing.assert_array_equal(out3.n[6:], [1] * 10 + [2] * 4 + [3])
    np.testing.assert_array_equal(out3.E[6:], E[n != 0])
    assert out3.weight.sum() == 26


def test_iterative_squash_refuses_second_pass_on_same_count():
    n, E = _testb_data()
    once = squash_data(n, E, count=0, bin_size=3, keep_pts=0, min_bin=1, min_pts=1)
    with pytest.raises(AnalysisError, match="already squashed"):
        squash_data(once.n, once.E, once.weight, count=0, bin_size=3, keep_pts=0, min_bin=1, min_pts=1)
    # another count may be squashed next (openEBGM: count = 1, then 2, ...)
    twice = squash_data(once.n, once.E, once.weight, count=1, bin_size=2, keep_pts=1, min_bin=1, min_pts=1)
    assert twice.weight.sum() == 26
    np.testing.assert_array_equal(twice.weight[twice.n == 1], [2, 2, 2, 2, 1, 1])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"bin_size": 1}, "bin_size"),
        ({"keep_pts": -1}, "keep_pts"),
        ({"min_pts": 500}, "not enough points"),
        ({"bin_size": 5, "min_bin": 3}, "not enough bins"),
        ({"bin_size": 5, "keep_pts": 8}, "left to squash"),
    ],
)
def test_squash_guards(kwargs, message):
    n, E = np.ones(10, int), np.linspace(0.1, 1, 10)
    base = {"bin_size": 3, "keep_pts": 0, "min_bin": 1, "min_pts": 1}
    with pytest.raises(AnalysisError, match=message):
        squash_data(n, E, **{**base, **kwargs})


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(AnalysisError, match="NaN"):
        squash_data([1, 1], [np.nan, 1.0])
    with pytest.raises(AnalysisError, match="≤ 0"):
        auto_squash([1, 2], [0.0, 1.0])
    with pytest.raises(AnalysisError, match="same length"):
        auto_squash([1, 2, 3], [1.0, 1.0])


def test_auto_squash_bin_rule_and_weights_preserved():
    # 1,000 points with n = 1: keep 100, 900 to squash (< 1,000) → 75 super points, bin 12
    # 300 points with n = 2: keep 75, 225 (< 500) → 50 super points, bin max(floor(4.5), 2) = 4
    # 60 points with n = 3: not more than max(keep_pts) + 1 = 101 points → untouched
    rng = np.random.default_rng(1)
    n = np.repeat([1, 2, 3], [1000, 300, 60])
    E = rng.lognormal(0, 1, n.size)
    out = auto_squash(n, E)
    w1 = out.weight[out.n == 1]
    assert np.count_nonzero(w1 == 12) == 75 and np.count_nonzero(w1 == 1) == 100
    w2 = out.weight[out.n == 2]
    assert np.count_nonzero(w2 == 4) == 56 and np.count_nonzero(w2 == 1) == 75 + 1
    assert np.all(out.weight[out.n == 3] == 1) and np.count_nonzero(out.n == 3) == 60
    for k in (1, 2, 3):  # the weighted sum of E per count is unchanged
        assert np.dot(out.weight[out.n == k], out.E[out.n == k]) == pytest.approx(E[n == k].sum())
