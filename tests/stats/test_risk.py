"""Risk ratio, risk difference and the trial comparison columns, against hand-worked values
and scipy.stats.fisher_exact (the test the trial tables used before the one Fisher test)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact as scipy_fisher

from pvsignal.errors import AnalysisError
from pvsignal.stats.risk import risk_comparison, risk_difference, risk_ratio

Z95 = 1.959963984540054


def test_risk_ratio_and_difference_worked_by_hand():
    # 3/4 vs 2/4 (Rothman et al., Modern Epidemiology 3rd ed., ch. 14 formulas):
    # RR = 1.5; SE(ln RR) = sqrt(1/3 − 1/4 + 1/2 − 1/4) = 0.5773503 → exp(ln 1.5 ∓ 1.959964·SE)
    rr = risk_ratio(3, 4, 2, 4)
    assert rr.rr == pytest.approx(1.5)
    assert rr.se_log == pytest.approx(math.sqrt(1 / 3 - 1 / 4 + 1 / 2 - 1 / 4), rel=1e-14)
    assert (rr.rr_lower, rr.rr_upper) == pytest.approx((0.483782, 4.650854), abs=1e-5)
    assert not rr.corrected and rr.reason is None
    # RD = 0.25; SE = sqrt(.75·.25/4 + .5·.5/4) = 0.3307189 → 0.25 ∓ 0.6481972
    rd = risk_difference(3, 4, 2, 4)
    assert rd.rd == pytest.approx(0.25)
    assert rd.se == pytest.approx(math.sqrt(0.75 * 0.25 / 4 + 0.25 / 4), rel=1e-14)
    assert (rd.rd_lower, rd.rd_upper) == pytest.approx((-0.3981972, 0.8981972), abs=1e-7)


def test_risk_ratio_edges():
    # 1/4 vs 0/4: RR = inf; interval with 0.5 added to each cell: (1.5/5)/(0.5/5) = 3,
    # SE = sqrt(1/1.5 − 1/5 + 1/0.5 − 1/5) = 1.505545 → 0.156891, 57.36457
    rr = risk_ratio([1, 0, 0, 0], [4, 4, 4, 0], [0, 1, 0, 1], [4, 4, 4, 4])
    assert math.isinf(rr.rr[0]) and rr.rr[1] == 0.0
    assert rr.rr_lower[0] == pytest.approx(0.156891, abs=1e-5)
    assert rr.rr_upper[0] == pytest.approx(57.36457, abs=1e-3)
    assert list(rr.corrected) == [True, True, False, False]
    assert list(rr.reason) == [None, None, "no events in either arm", "empty arm"]
    assert np.isnan(rr.rr[2:]).all() and np.isnan(rr.rr_lower[2:]).all()
    rd = risk_difference([0, 4, 0], [4, 4, 0], [0, 4, 1], [4, 4, 4])
    assert list(rd.rd[:2]) == [0.0, 0.0] and list(rd.rd_upper[:2]) == [0.0, 0.0]  # Wald degenerates
    assert rd.reason[2] == "empty arm" and np.isnan(rd.rd[2])
    with pytest.raises(AnalysisError, match="more subjects with the event"):
        risk_ratio(5, 4, 0, 4)


def test_risk_comparison_frame_in_percentage_points():
    out = risk_comparison([3, 3, 0, 0], [4, 4, 4, 0], [0, 1, 0, 1], [4, 4, 4, 4])
    assert list(out.columns) == ["p_fisher", "rd", "rd_lower", "rd_upper", "rr", "rr_lower", "rr_upper",
                                 "rr_ci_corrected"]
    # 3/4 vs 0/4: P(a = k) = 5, 30, 30, 5 /70 for k = 0..3; two-sided = 10/70
    # 3/4 vs 1/4: Fisher's tea-tasting table, p = 34/70 (Agresti, Categorical Data Analysis, §3.5)
    assert out["p_fisher"][:3].tolist() == pytest.approx([10 / 70, 34 / 70, 1.0], rel=1e-12)
    assert out["rd"][0] == pytest.approx(75.0)
    assert out["rr_ci_corrected"].tolist() == [True, False, False, False]
    assert out.iloc[3].drop("rr_ci_corrected").isna().all()  # an empty arm: no comparison


def test_trial_fisher_p_values_equal_scipy_fisher_exact():
    # the trial's p-values came from scipy.stats.fisher_exact table by table; the one
    # vectorised test gives the same numbers on trial-sized tables (arms of 0–300 subjects)
    rng = np.random.default_rng(12)
    n1, n0 = rng.integers(1, 300, 400), rng.integers(1, 300, 400)
    a, c = rng.binomial(n1, rng.uniform(0, 0.6, 400)), rng.binomial(n0, rng.uniform(0, 0.6, 400))
    a[:40], c[:20] = 0, 0
    got = risk_comparison(a, n1, c, n0)["p_fisher"].to_numpy()
    ref = np.array([scipy_fisher([[x, m - x], [y, k - y]]).pvalue for x, m, y, k in zip(a, n1, c, n0)])
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-300)


arm = st.integers(min_value=1, max_value=500).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@settings(max_examples=150, deadline=None)
@given(arm, arm)
def test_swapping_arms_inverts_rr_and_negates_rd(x, y):
    (a, n1), (c, n0) = x, y
    rr, rs = risk_ratio(a, n1, c, n0), risk_ratio(c, n0, a, n1)
    assert rr.reason == rs.reason and bool(rr.corrected) == bool(rs.corrected)
    if rr.reason is None:
        with np.errstate(divide="ignore"):
            assert rs.rr == pytest.approx(1 / rr.rr, rel=1e-12)
        assert rs.rr_lower == pytest.approx(1 / rr.rr_upper, rel=1e-12)
        assert rs.rr_upper == pytest.approx(1 / rr.rr_lower, rel=1e-12)
        assert rr.rr_lower <= rr.rr_upper
    rd, ds = risk_difference(a, n1, c, n0), risk_difference(c, n0, a, n1)
    assert ds.rd == pytest.approx(-rd.rd, abs=1e-15)
    assert (ds.rd_lower, ds.rd_upper) == pytest.approx((-rd.rd_upper, -rd.rd_lower), abs=1e-12)
    assert rd.rd_lower <= rd.rd <= rd.rd_upper
