"""Mantel–Haenszel ROR and Breslow–Day test against statsmodels values and hand checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pvsignal.stats.stratified import (
    _expected_a,
    breslow_day,
    mantel_haenszel,
    stratified_scores,
)

# three strata of one pair (a, b, c, d); reference values computed once with
# statsmodels 0.15.0 StratifiedTable (oddsratio_pooled, oddsratio_pooled_confint,
# logodds_pooled_se, test_equal_odds(adjust=False / True)) — statsmodels is not a
# dependency, so the numbers are written here.
STRATA = np.array([[10, 20, 30, 400], [5, 40, 12, 900], [8, 8, 20, 150]])
SM_OR, SM_LO, SM_HI, SM_SE = 7.445044827150245, 4.185819618383759, 13.242016506119521, 0.29380445779389064
SM_BD, SM_BD_P = 0.2381635596605023, 0.8877351989594301
SM_TARONE, SM_TARONE_P = 0.2365277680846382, 0.8884615708472194


def test_mantel_haenszel_matches_statsmodels():
    mh = mantel_haenszel(np.zeros(3, dtype=int), *STRATA.T)
    assert mh.ror_mh[0] == pytest.approx(SM_OR, rel=1e-12)
    assert mh.se_log[0] == pytest.approx(SM_SE, rel=1e-12)
    assert (mh.ror_mh_lower[0], mh.ror_mh_upper[0]) == pytest.approx((SM_LO, SM_HI), rel=1e-10)
    assert mh.n_strata[0] == 3


def test_mantel_haenszel_by_hand():
    # by hand: ΣR = 10·400/460 + 5·900/957 + 8·150/186; ΣS = 20·30/460 + 40·12/957 + 8·20/186
    sr = 10 * 400 / 460 + 5 * 900 / 957 + 8 * 150 / 186
    ss = 20 * 30 / 460 + 40 * 12 / 957 + 8 * 20 / 186
    assert mantel_haenszel(np.zeros(3, dtype=int), *STRATA.T).ror_mh[0] == pytest.approx(sr / ss, rel=1e-14)
    # one stratum: the MH ROR is the crude ROR ad/bc; the RGB variance is Woolf's
    one = mantel_haenszel(np.array([0]), [10], [20], [30], [400])
    assert one.ror_mh[0] == pytest.approx(10 * 400 / (20 * 30))
    assert one.se_log[0] == pytest.approx(np.sqrt(1 / 10 + 1 / 20 + 1 / 30 + 1 / 400), rel=1e-12)


def test_breslow_day_and_tarone_match_statsmodels():
    bd = breslow_day(np.zeros(3, dtype=int), *STRATA.T)
    assert bd.statistic[0] == pytest.approx(SM_BD, rel=1e-10)
    assert bd.p_value[0] == pytest.approx(SM_BD_P, rel=1e-10)
    assert bd.df[0] == 2
    bt = breslow_day(np.zeros(3, dtype=int), *STRATA.T, tarone=True)
    assert bt.statistic[0] == pytest.approx(SM_TARONE, rel=1e-10)
    assert bt.p_value[0] == pytest.approx(SM_TARONE_P, rel=1e-10)


def test_breslow_day_zero_when_strata_share_the_odds_ratio():
    # strata with the same OR (2) and proportional cells: a_s equals its expected value
    bd = breslow_day(np.array([0, 0]), [10, 20], [20, 40], [5, 10], [20, 40])
    assert bd.statistic[0] == pytest.approx(0.0, abs=1e-10) and bd.p_value[0] == pytest.approx(1.0)


def test_vectorised_over_pairs_equals_pair_by_pair():
    rng = np.random.default_rng(5)
    pair = np.repeat(np.arange(50), rng.integers(1, 5, 50))
    cells = rng.integers(0, 40, size=(pair.size, 4))
    mh = mantel_haenszel(pair, *cells.T)
    bd = breslow_day(pair, *cells.T, tarone=True)
    for p in (0, 17, 49):
        sel = pair == p
        one = mantel_haenszel(np.zeros(sel.sum(), dtype=int), *cells[sel].T)
        b1 = breslow_day(np.zeros(sel.sum(), dtype=int), *cells[sel].T, tarone=True)
        np.testing.assert_allclose([mh.ror_mh[p], mh.ror_mh_upper[p]], [one.ror_mh[0], one.ror_mh_upper[0]], rtol=1e-13)
        np.testing.assert_allclose(bd.statistic[p], b1.statistic[0], rtol=1e-12)


def test_expected_a_solves_the_conditional_equation():
    # A(N − r1 − k1 + A) = ψ(r1 − A)(k1 − A) with A inside its bounds, for ψ ≪ 1, 1, ≫ 1
    r1, k1, n = np.array([30.0, 30, 30, 5]), np.array([40.0, 40, 40, 900]), np.array([460.0, 460, 460, 1000])
    psi = np.array([0.01, 1.0, 500.0, 3.0])
    a = _expected_a(psi, r1, k1, n)
    np.testing.assert_allclose(a * (n - r1 - k1 + a), psi * (r1 - a) * (k1 - a), rtol=1e-9)
    assert np.all((a >= np.maximum(0, r1 + k1 - n)) & (a <= np.minimum(r1, k1)))
    assert a[1] == pytest.approx(30 * 40 / 460)


def test_undefined_cases_have_reasons():
    # pair 0: ΣS = 0 (b or c zero in every stratum); pair 1: ΣR = 0; pair 2: no rows;
    # pair 3: a single informative stratum → Breslow–Day undefined
    pair = np.array([0, 0, 1, 3])
    a, b, c, d = [3, 2, 0, 4], [0, 1, 5, 6], [4, 0, 2, 7], [9, 9, 9, 8]
    mh = mantel_haenszel(pair, a, b, c, d, n_pairs=4)
    assert list(mh.reason) == [
        "zero Mantel-Haenszel denominator", "zero Mantel-Haenszel numerator",
        "no informative stratum", None,
    ]
    assert np.isnan(mh.ror_mh[:3]).all() and np.isfinite(mh.ror_mh[3])
    bd = breslow_day(pair, a, b, c, d, n_pairs=4)
    assert bd.reason[3] == "no informative stratum" and np.isnan(bd.statistic[3])


def test_stratified_scores_frame():
    long = pd.DataFrame({
        "drug": ["A"] * 3 + ["B"], "event": ["x"] * 3 + ["y"],
        "a": [*STRATA[:, 0], 3], "b": [*STRATA[:, 1], 1], "c": [*STRATA[:, 2], 2], "d": [*STRATA[:, 3], 50],
    })
    s = stratified_scores(long)
    assert list(s["drug"]) == ["A", "B"]
    assert s.loc[0, "ror_mh"] == pytest.approx(SM_OR, rel=1e-12)
    assert s.loc[0, "breslow_day"] == pytest.approx(SM_BD, rel=1e-10)
    assert s.loc[1, "ror_mh"] == pytest.approx(3 * 50 / 2)
    assert s.loc[1, "breslow_day_reason"] == "no informative stratum"
