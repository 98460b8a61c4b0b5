"""Vectorised Fisher exact test against scipy, and Benjamini–Hochberg against hand values."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import numpy as np
import pytest
from scipy.stats import fisher_exact as scipy_fisher

from pvsignal.stats.fisher import benjamini_hochberg, fisher_exact


def _random_tables(seed: int, m: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 30, size=(m, 4))
    t[: m // 3] = rng.integers(0, 4, size=(m // 3, 4))  # many zeros and ties
    t[m // 3 : m // 2, 3] = rng.integers(1000, 200_000, size=m // 2 - m // 3)  # FAERS-like d
    return t


@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
def test_fisher_matches_scipy_fisher_exact_on_random_tables(alternative):
    # reference: scipy.stats.fisher_exact, table by table (same definition as R fisher.test)
    t = _random_tables(11, 300)
    got = fisher_exact(*t.T, alternative=alternative).p_value
    ref = np.array([scipy_fisher([[a, b], [c, d]], alternative=alternative).pvalue for a, b, c, d in t])
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-300)


def test_fisher_diana_table_and_hand_value():
    # by hand, (a,b,c,d) = (3,1,1,3): X ~ Hypergeom(8, 4, 4); P(X=3) = 16/70, P(X=4) = 1/70
    # greater: 17/70; two-sided: tables as improbable as a=3 are x ∈ {0,1,3,4} → 34/70
    assert fisher_exact(3, 1, 1, 3).p_value == pytest.approx(17 / 70, rel=1e-12)
    assert fisher_exact(3, 1, 1, 3, alternative="two-sided").p_value == pytest.approx(34 / 70, rel=1e-12)
    # DiAna drug 100 / event 50 / both 3 / tot 20000: compare with scipy on the same table
    p = fisher_exact(3, 97, 47, 19853, alternative="two-sided").p_value
    assert p == pytest.approx(scipy_fisher([[3, 97], [47, 19853]]).pvalue, rel=1e-10)


def test_fisher_degenerate_tables_give_defined_p():
    # N = 0, a full margin (drug in every report), n = N
    p = fisher_exact([0, 5, 7], [0, 3, 0], [0, 0, 0], [0, 0, 0], alternative="two-sided").p_value
    np.testing.assert_array_equal(p, [1.0, 1.0, 1.0])
    g = fisher_exact([0, 5, 7], [0, 3, 0], [0, 0, 0], [0, 0, 0]).p_value
    np.testing.assert_array_equal(g, [1.0, 1.0, 1.0])


def test_benjamini_hochberg_by_hand():
    # m = 5, sorted p (0.01, 0.02, 0.03, 0.04, 0.5): m·p/i = 0.05, 0.05, 0.05, 0.05, 0.5;
    # running minimum from the top leaves them; order restored; NaN stays NaN, not counted
    p = np.array([0.04, 0.5, np.nan, 0.01, 0.03, 0.02])
    q = benjamini_hochberg(p)
    np.testing.assert_allclose(q[[0, 1, 3, 4, 5]], [0.05, 0.5, 0.05, 0.05, 0.05])
    assert np.isnan(q[2])
    # step-up: p = (0.01, 0.04, 0.045) → 3·0.01/1 = 0.03, 3·0.04/2 = 0.06, 0.045 → min → 0.045
    np.testing.assert_allclose(benjamini_hochberg([0.01, 0.04, 0.045]), [0.03, 0.045, 0.045])
    with pytest.raises(ValueError):
        benjamini_hochberg([0.5, 1.5])


@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
def test_fisher_faers_sized_margins_match_scipy(alternative):
    # N ≈ 20 M reports, margins up to 1e5: the tail sums need hundreds of steps near the
    # mode (E = 500) and underflow far from it; reference scipy.stats.fisher_exact.
    # Tolerance 1e-6: at this N the log-binomials (betaln of ~2e7) carry ~4e-8 relative
    # error (scipy's own values are off by ~1e-9 against exact integer arithmetic, below)
    big = 20_000_000
    k = np.array([100_000, 100_000, 100_000, 5_000, 300, 100_000])
    n = np.array([100_000, 100_000, 100_000, 2_000, 50, 1])
    a = np.array([500, 560, 3000, 4, 1, 1])  # E = 500, 500, 500, 0.5, 0.00075, 0.005
    b, c = k - a, n - a
    d = big - k - n + a
    got = fisher_exact(a, b, c, d, alternative=alternative).p_value
    ref = [scipy_fisher([[w, x], [y, z]], alternative=alternative).pvalue for w, x, y, z in zip(a, b, c, d)]
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-300)


def test_fisher_against_exact_integer_arithmetic():
    # P(X ≥ 4) for N = 2e7, K = 1e5, n = 2000, by exact big-integer sums (math.comb):
    # 1 − Σ_{x<4} C(K,x)C(N−K,n−x)/C(N,n) = 0.989798632353494
    big, k, n, a = 20_000_000, 100_000, 2_000, 4
    exact = 1 - Fraction(sum(comb(k, x) * comb(big - k, n - x) for x in range(a)), comb(big, n))
    got = fisher_exact(a, k - a, n - a, big - k - n + a).p_value
    assert got == pytest.approx(float(exact), rel=1e-7)
