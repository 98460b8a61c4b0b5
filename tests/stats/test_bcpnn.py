"""IC (Norén 2013 shrinkage) and BCPNN (Gould 2003, FAERS-paper closed form) against published values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pvsignal.stats.bcpnn import bcpnn_bate, bcpnn_gould, ic
from pvsignal.errors import AnalysisError


def floor2(x: float) -> float:
    """DiAna truncates (floors) its labels to 2 decimals."""
    return math.floor(float(x) * 100) / 100


def test_ic025_closed_form_on_noren_2006_stratum_1():
    # inputs: Norén et al., Stat Med 2006;25:3740, Table III, stratum 1 (via tystan/pharmsignal
    # test_obsexp_shrink_signal.R); limits by the closed form of Norén et al. 2013
    # (the paper's own MCMC IC025 is 4.64)
    est = ic(25, 1126 * 87 / 572573)
    assert est.ic == pytest.approx(5.247845, abs=1e-6)
    assert est.ic025 == pytest.approx(4.578816, abs=1e-6)
    assert est.ic975 == pytest.approx(5.719233243864911, rel=1e-12)


def test_ic025_closed_form_on_noren_2006_stratum_3():
    # Norén 2006 Table III stratum 3 via pharmsignal: IC 1.0408, IC025 0.8087816
    est = ic(203, 30068 * 508 / 155209)
    assert est.ic == pytest.approx(1.0408, abs=1e-4)
    assert est.ic025 == pytest.approx(0.8087816, abs=1e-7)
    assert est.ic975 == pytest.approx(1.208868116405556, rel=1e-12)


def test_ic_exact_gamma_limits_vigicaen_style():
    # reference_test_vectors.json: IC025_exact_gamma_vigicaen_style for the two Norén strata
    e = ic([25, 203], [1126 * 87 / 572573, 30068 * 508 / 155209], method="exact")
    np.testing.assert_allclose(e.ic025, [4.6268698321523285, 0.8354341276151224], rtol=1e-10)


def test_ic_tail_vigicaen():
    # pharmacologie-caen/vigicaen test-ic_tail.R: log2(qgamma(0.025, 12.5, rate 5.5))
    assert ic(12, 5, method="exact").ic025 == pytest.approx(0.25423340939633465, rel=1e-10)


def test_ic_vigicaen_compute_dispro():
    # vigicaen test-compute_dispro.R: (a,b,c,d) = (44,181,60,465), IC "0.49";
    # recomputed IC 0.48932249571435277, IC025 (exact gamma tail) 0.03136316652523066
    a, b, c, d = 44, 181, 60, 465
    e = ic(a, (a + b) * (a + c) / (a + b + c + d), method="exact")
    assert e.ic == pytest.approx(0.48932249571435277, rel=1e-12)
    assert e.ic025 == pytest.approx(0.03136316652523066, rel=1e-9)


def test_ic_diana_labels():
    # DiAna 2.1.0 test-disproportionality_analysis.R (drug 100, event 50, both 3, tot 20000):
    # IC "2.22 (0.15-3.42)" closed form; IC_gamma limits "(0.17-3.42)"; labels floored
    expected = 100 * 50 / 20000
    cf = ic(3, expected)
    assert (floor2(cf.ic), floor2(cf.ic025), floor2(cf.ic975)) == (2.22, 0.15, 3.42)
    ex = ic(3, expected, method="exact")
    # exact limits 0.17195 and 3.41619: the lower label is the floor, the upper label
    # 3.42 is the value rounded (DiAna's gamma upper label does not floor)
    assert floor2(ex.ic025) == 0.17 and round(float(ex.ic975), 2) == 3.42
    assert (ex.ic025, ex.ic975) == pytest.approx((0.17194906549453054, 3.4161879751656605), rel=1e-10)


def test_ic_facts_vectors():
    # FACTS.md §2.4: (122,1320,381,31341) E = 21.8709 → IC 2.4531, IC025 2.1535, IC975 2.6696;
    # (3,97,100,99800) E = 0.103 → IC 2.5371, IC025 0.4678
    e = ic([122, 3], [1442 * 503 / 33164, 0.103])
    np.testing.assert_allclose(e.ic, [2.4531, 2.5371], atol=1e-4)
    np.testing.assert_allclose(e.ic025, [2.1535, 0.4678], atol=1e-4)
    assert e.ic975[0] == pytest.approx(2.6696, abs=1e-4)


def test_ic_zero_observed_uses_exact_limits():
    # pharmsignal test_bcpnn_mcmc_signal.R third row: n11 = 0, n1. = 5232, n.1 = 3,
    # N = 80140. By hand E = 15696/80140 = 0.1958572, IC = log2(0.5/0.6958572) = −0.476863
    # (pharmsignal's MCMC BCPNN, a different estimator, gives −0.4768594). O + 0.5 < 1, so
    # Norén 2013 advises exact limits: the closed form switches to them there.
    expected = 5232 * 3 / 80140
    cf, ex = ic(0, expected), ic(0, expected, method="exact")
    assert cf.ic == pytest.approx(-0.476863, abs=1e-6)
    assert cf.ic == pytest.approx(-0.4768594, abs=1e-5)
    assert cf.ic025 == pytest.approx(ex.ic025, rel=1e-14)
    assert cf.ic975 == pytest.approx(ex.ic975, rel=1e-14)
    # by hand: Gamma(0.5, rate E + 0.5) 2.5 % quantile = χ²₁ 2.5 % quantile / (2(E + 0.5))
    from scipy.stats import chi2
    assert ex.ic025 == pytest.approx(np.log2(chi2.ppf(0.025, 1) / 2 / (expected + 0.5)), rel=1e-10)


def test_ic_edges_and_errors():
    e = ic([1, 0], [0.0, 0.0])  # E = 0 is defined: IC = log2(2·O + 1)
    assert e.ic == pytest.approx([np.log2(3), 0.0])
    assert np.isfinite(e.ic_lower).all() and np.isfinite(e.ic_upper).all()
    with pytest.raises(AnalysisError):
        ic(-1, 2.0)
    with pytest.raises(ValueError, match="95"):
        ic(3, 1.0, level=0.9)
    e90 = ic(3, 1.0, level=0.9, method="exact")
    assert list(e90.to_frame().columns) == ["ic", "ic_lower", "ic_upper"]
    with pytest.raises(AttributeError):
        _ = e90.ic025
    assert list(ic(3, 1.0).to_frame().columns) == ["ic", "ic025", "ic975"]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 100_000), st.floats(0, 1e5, allow_nan=False))
def test_ic_interval_contains_point(o, e):
    for method in ("closed_form", "exact"):
        est = ic(o, e, method=method)
        assert est.ic025 <= est.ic <= est.ic975


@pytest.mark.parametrize(
    "n11, n1_, n_1, n, exp",
    [
        # tystan/pharmsignal test_bcpnn_norm_signal.R (Gould 2003 PDS 12:559 Table 1, headache)
        (1614, 85304, 71209, 4640498, (0.301503, 0.001341455, 0.2297176, 0.3732884)),
        # same source, akathisia
        (328, 85304, 3001, 4640498, (2.547888, 0.007052478, 2.383292, 2.712484)),
    ],
)
def test_bcpnn_gould_exact_moments(n11, n1_, n_1, n, exp):
    b = bcpnn_gould(n11, n1_, n_1, n)
    assert (b.ic, b.variance, b.ic_lower, b.ic_upper) == pytest.approx(exp, rel=2e-6)


def test_bcpnn_bate_closed_form_facts():
    # FACTS.md §2.4: Bate closed form E(IC) 2.4877, IC025 2.1890 for (122,1320,381,31341);
    # E(IC) 5.2510, IC025 3.7531 for (3,97,100,99800)
    b = bcpnn_bate([122, 3], [1320, 97], [381, 100], [31341, 99800])
    np.testing.assert_allclose(b.ic, [2.4877, 5.2510], atol=1e-4)
    np.testing.assert_allclose(b.ic_lower, [2.1890, 3.7531], atol=1e-4)
