"""ROR, PRR and chi-square against published and hand-worked values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, norm

from pvsignal.stats.ratios import (
    chi_square,
    classic_scores,
    expected_count,
    prr,
    ror,
)
from pvsignal.errors import AnalysisError


def test_ror_prr_chi2_on_facts_table_122_1320_381_31341():
    # FACTS.md §2.4 (YUN example table): ROR 7.6028 (6.1553–9.3906), PRR 7.0442
    # (5.7849–8.5775), χ² 486.629, Yates 481.781
    r = ror(122, 1320, 381, 31341)
    assert r.ror == pytest.approx(7.6028, abs=1e-4)
    assert r.ror_lower == pytest.approx(6.1553, abs=1e-4)
    assert r.ror_upper == pytest.approx(9.3906, abs=1e-4)
    p = prr(122, 1320, 381, 31341)
    assert (p.prr, p.prr_lower, p.prr_upper) == pytest.approx((7.0442, 5.7849, 8.5775), abs=1e-4)
    x = chi_square(122, 1320, 381, 31341)
    assert x.chi2 == pytest.approx(486.629, abs=1e-3)
    assert x.chi2_yates == pytest.approx(481.781, abs=1e-3)


def test_ror_prr_chi2_on_facts_table_3_97_100_99800():
    # FACTS.md §2.4: ROR 30.866 (9.6222–99.012); PRR 29.970 (9.6659–92.9244); χ² 81.647; Yates 55.896
    # FACTS used z = 1.96 exactly; the level with that z is 2Φ(1.96) − 1 = 0.9500042097
    # (with the exact 95 % z the upper ROR limit is 99.00989, 2e-5 lower).
    lvl = float(2 * norm.cdf(1.96) - 1)
    r = ror(3, 97, 100, 99800, level=lvl)
    assert (r.ror, r.ror_lower, r.ror_upper) == pytest.approx((30.866, 9.6222, 99.012), abs=6e-4)
    assert ror(3, 97, 100, 99800).ror_upper == pytest.approx(99.00989, abs=1e-5)
    p = prr(3, 97, 100, 99800, level=lvl)
    assert (p.prr, p.prr_lower, p.prr_upper) == pytest.approx((29.970, 9.6659, 92.9244), abs=6e-4)
    x = chi_square(3, 97, 100, 99800)
    assert (x.chi2, x.chi2_yates) == pytest.approx((81.647, 55.896), abs=1e-3)


@pytest.mark.parametrize(
    "cells, expected",
    [
        # tystan/pharmsignal tests test_ror_signal.R / test_prr_signal.R (Singhal et al.
        # IJPPS 7(6):405 Table 16 counts); values recomputed in reference_test_vectors.json
        ((28, 942, 17, 31435), (54.96315723741726, 29.98082651554288, 100.76268751093006,
                                 53.40545785324439, 29.33201273054071, 97.23652293199063)),
        ((122, 1320, 381, 31341), (7.602803626819375, 6.15536192026393, 9.39061321442158,
                                   7.044175303329803, 5.784965275571365, 8.577476845639431)),
    ],
)
def test_ror_prr_pharmsignal_singhal(cells, expected):
    r, p = ror(*cells), prr(*cells)
    got = (r.ror, r.ror_lower, r.ror_upper, p.prr, p.prr_lower, p.prr_upper)
    assert got == pytest.approx(expected, rel=1e-12)


def test_ror_vigicaen_compute_dispro_wald_interval():
    # pharmacologie-caen/vigicaen test-compute_dispro.R (a,b,c,d) = (44,181,60,465):
    # OR "1.88"; Wald limits recomputed 1.2314127174105727–2.8823583511739352
    r = ror(44, 181, 60, 465)
    assert round(float(r.ror), 2) == 1.88
    assert (r.ror_lower, r.ror_upper) == pytest.approx((1.2314127174105727, 2.8823583511739352), rel=1e-12)


def test_ror_faersquarterlydata_values():
    # luisgarcez11/faersquarterlydata tests/testthat/test-ror.R: ROR 2.0 and 0.5
    r = ror([20, 20], [10, 10], [200, 200], [200, 50])
    np.testing.assert_allclose(r.ror, [2.0, 0.5], rtol=1e-14)


def test_prr_diana_label():
    # DiAna 2.1.0 test-disproportionality_analysis.R: drug 100, event 50, both 3, tot 20000
    # → PRR "12.7 (4.02-40.14)" (Wald log interval, rounded)
    p = prr(3, 97, 47, 19853)
    assert round(float(p.prr), 2) == 12.7
    assert round(float(p.prr_lower), 2) == 4.02
    assert round(float(p.prr_upper), 2) == 40.14


def test_ror_by_hand_and_level():
    # by hand: ROR = 10·40/(20·5) = 4; SE = √(1/10+1/20+1/5+1/40) = √0.375;
    # 90 % limits exp(ln 4 ∓ 1.6448536·0.6123724)
    r = ror(10, 20, 5, 40, level=0.90)
    se = np.sqrt(0.375)
    assert r.ror == pytest.approx(4.0, rel=1e-14)
    assert r.se_log == pytest.approx(se, rel=1e-14)
    assert r.ror_lower == pytest.approx(4 * np.exp(-1.6448536269514722 * se), rel=1e-12)
    assert r.ror_upper == pytest.approx(4 * np.exp(1.6448536269514722 * se), rel=1e-12)


def test_zero_cells_give_nan_with_reason_and_haldane_fixes_them():
    r = ror([3, 3, 3], [0, 2, 2], [1, 0, 1], [5, 5, 5])
    assert np.isnan(r.ror[:2]).all() and r.ror[2] == pytest.approx(7.5)
    assert list(r.reason) == ["zero cell", "zero cell", None]
    h = ror([3, 3], [0, 2], [1, 1], [5, 5], correction="haldane")
    # by hand: (3.5·5.5)/(0.5·1.5) = 25.666…; the table without a zero cell is unchanged
    assert h.ror == pytest.approx([3.5 * 5.5 / (0.5 * 1.5), 7.5])
    ha = ror(3, 2, 1, 5, correction="haldane_all")
    assert ha.ror == pytest.approx(3.5 * 5.5 / (2.5 * 1.5))
    with pytest.raises(ValueError, match="correction"):
        ror(1, 1, 1, 1, correction="yes")


def test_prr_edges_drug_or_event_in_every_report():
    # drug in every report: c = d = 0 → undefined, named reason
    p = prr(5, 3, 0, 0)
    assert np.isnan(p.prr) and p.reason == "no reports without the drug"
    # event in every report: b = d = 0 → PRR = (5/5)/(3/3) = 1 with zero SE
    p = prr(5, 0, 3, 0)
    assert p.prr == pytest.approx(1.0) and p.se_log == 0 and p.prr_lower == pytest.approx(1.0)
    x = chi_square([5, 5], [3, 0], [0, 3], [0, 0])
    assert np.isnan(x.chi2).all() and list(x.reason) == ["zero margin", "zero margin"]
    # n = N: the only pair in a one-drug, one-event database
    r, p, x = ror(7, 0, 0, 0), prr(7, 0, 0, 0), chi_square(7, 0, 0, 0)
    assert r.reason == "zero cell" and p.reason == "no reports without the drug"
    assert x.reason == "zero margin"


def test_huge_counts_stay_finite_and_exact():
    # counts of 1e9: products reach 1e18 (beyond int64-safe sums of squares); by hand
    # ROR = (1e9·3e9)/(1e9·2e9) = 1.5, PRR = (1/2)/(2/5) = 1.25
    r = ror(1e9, 1e9, 2e9, 3e9)
    p = prr(np.int64(10**9), np.int64(10**9), np.int64(2 * 10**9), np.int64(3 * 10**9))
    x = chi_square(1e9, 1e9, 2e9, 3e9)
    assert r.ror == pytest.approx(1.5, rel=1e-12) and np.isfinite(r.ror_upper)
    assert p.prr == pytest.approx(1.25, rel=1e-12)
    ref = chi2_contingency(np.array([[1e9, 1e9], [2e9, 3e9]]), correction=False)[0]
    assert x.chi2 == pytest.approx(ref, rel=1e-9)


def test_invalid_cells_raise_clear_error():
    with pytest.raises(AnalysisError, match="negative"):
        ror(1, -1, 2, 3)
    with pytest.raises(AnalysisError, match="NaN"):
        prr(np.nan, 1, 2, 3)
    with pytest.raises(ValueError, match="level"):
        ror(1, 1, 1, 1, level=1.5)


def test_chi_square_matches_scipy_chi2_contingency():
    rng = np.random.default_rng(3)
    t = rng.integers(1, 60, size=(200, 4))
    t[:20] = [[10, 10, 10, 11]] * 20  # |ad − bc| < N/2: Yates gives 0 (scipy convention)
    x = chi_square(*t.T)
    for i, (a, b, c, d) in enumerate(t):
        tab = np.array([[a, b], [c, d]])
        plain = chi2_contingency(tab, correction=False)
        yates = chi2_contingency(tab, correction=True)
        assert x.chi2[i] == pytest.approx(plain[0], rel=1e-10, abs=1e-12)
        assert x.chi2_yates[i] == pytest.approx(yates[0], rel=1e-10, abs=1e-12)
        assert x.p_value[i] == pytest.approx(plain[1], rel=1e-8)
        assert x.p_value_yates[i] == pytest.approx(yates[1], rel=1e-8)
    assert x.chi2_yates[0] == 0.0


def test_expected_count_and_classic_scores_frame():
    counts = pd.DataFrame({
        "drug": ["A", "B"], "event": ["x", "y"], "n": [3, 5],
        "a": [3, 5], "b": [97, 0], "c": [100, 3], "d": [99800, 0],
    })
    counts["expected"] = expected_count(counts.a + counts.b, counts.a + counts.c, counts[list("abcd")].sum(axis=1))
    assert counts["expected"].tolist() == pytest.approx([0.103, 5.0])  # 100·103/100000, 5·8/8
    s = classic_scores(counts)
    assert list(s.columns[:4]) == ["drug", "event", "n", "expected"]
    assert {"ror", "ror_lower", "ror_upper", "prr", "prr_lower", "prr_upper", "chi2",
            "chi2_yates", "ic", "ic025", "ic975", "ror_reason"} <= set(s.columns)
    assert s.loc[0, "ror"] == pytest.approx(30.866, rel=2e-5)  # FACTS §2.4
    assert s.loc[1, "ror_reason"] == "zero cell" and np.isnan(s.loc[1, "ror"])
    assert s.loc[1, "chi2_reason"] == "zero margin"
    assert np.isfinite(s["ic"]).all()


cells = st.integers(min_value=1, max_value=10_000)


@settings(max_examples=150, deadline=None)
@given(cells, cells, cells, cells)
def test_ror_and_prr_agree_in_direction(a, b, c, d):
    r, p = ror(a, b, c, d), prr(a, b, c, d)
    # ad > bc ⇔ a/(a+b) > c/(c+d): both ratios are on the same side of 1
    assert np.sign(np.round(np.log(r.ror), 12)) == np.sign(np.round(np.log(p.prr), 12))


@settings(max_examples=150, deadline=None)
@given(cells, cells, cells, cells, st.integers(min_value=2, max_value=1000))
def test_scaling_cells_keeps_ror_and_narrows_interval(a, b, c, d, k):
    r1, rk = ror(a, b, c, d), ror(k * a, k * b, k * c, k * d)
    assert rk.ror == pytest.approx(r1.ror, rel=1e-12)
    assert rk.ror_lower > r1.ror_lower and rk.ror_upper < r1.ror_upper
    assert r1.ror_lower < r1.ror < r1.ror_upper
