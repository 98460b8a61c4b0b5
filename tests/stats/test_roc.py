"""ROC, AUC with DeLong's variance, and 2×2 accuracy: hand-worked cases and an independent U."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from pvsignal.errors import AnalysisError
from pvsignal.stats.roc import auc_delong, confusion, roc_curve

# positives X = 0.8, 0.6, 0.4; negatives Y = 0.5, 0.4, 0.1 (one tie across the classes)
X = [0.8, 0.6, 0.4]
Y = [0.5, 0.4, 0.1]
SCORES = np.array(X + Y)
TRUTH = np.array([True] * 3 + [False] * 3)


def test_delong_by_hand_on_three_positives_and_three_negatives():
    # DeLong 1988 §2, worked by hand with ψ(x, y) = 1 if x > y, ½ if x = y, 0 else:
    # V10 = (1, 1, ½) (0.4 beats 0.1, ties 0.4, loses to 0.5) → AUC = 2.5/3 = 5/6
    # V01 = (2/3, 5/6, 1); S10 = var(1, 1, ½) = 1/12; S01 = var(2/3, 5/6, 1) = 1/36 (divisor n − 1)
    # Var(AUC) = S10/3 + S01/3 = 1/36 + 1/108 = 1/27 → SE = 0.19245009
    est = auc_delong(SCORES, TRUTH)
    assert est.auc[0] == pytest.approx(5 / 6, abs=1e-12)
    assert est.se[0] == pytest.approx((1 / 27) ** 0.5, abs=1e-12)
    assert est.lower[0] == pytest.approx(5 / 6 - 1.959963985 * (1 / 27) ** 0.5, abs=1e-8)  # 0.456134
    assert est.upper[0] == 1.0  # 5/6 + 0.3772 = 1.2105, clipped
    assert (est.n_pos, est.n_neg) == (3, 3)


def test_delong_covariance_of_two_scores_by_hand():
    # second score: the first one reversed in sign → AUC 1 − 5/6 = 1/6; its placements are
    # 1 − V10 and 1 − V01, so the covariance with the first is −Var = −1/27
    est = auc_delong(np.vstack([SCORES, -SCORES]), TRUTH)
    assert est.auc == pytest.approx([5 / 6, 1 / 6], abs=1e-12)
    assert est.cov[0, 1] == pytest.approx(-1 / 27, abs=1e-12)
    assert est.cov[1, 1] == pytest.approx(1 / 27, abs=1e-12)


def test_auc_equals_mann_whitney_u_over_n1_n0_and_brute_force_delong():
    rng = np.random.default_rng(3)
    truth = rng.random(300) < 0.3
    scores = np.round(rng.normal(truth * 0.8, 1.0), 1)  # rounding makes ties
    est = auc_delong(scores, truth)
    x, y = scores[truth], scores[~truth]
    u = mannwhitneyu(x, y).statistic  # scipy: U of the first sample (ties count ½)
    assert est.auc[0] == pytest.approx(u / (len(x) * len(y)), abs=1e-12)
    # DeLong 1988 directly: the n1 × n0 kernel matrix, placements as its row and column means
    psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    var = v10.var(ddof=1) / len(x) + v01.var(ddof=1) / len(y)
    assert est.se[0] == pytest.approx(var ** 0.5, rel=1e-12)


def test_roc_curve_steps_and_area():
    roc = roc_curve(SCORES, TRUTH)
    # thresholds 0.8, 0.6, 0.5, 0.4 (a tie: one positive and one negative), 0.1
    assert roc["threshold"].tolist()[1:] == [0.8, 0.6, 0.5, 0.4, 0.1]
    assert roc["tpr"].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 2 / 3, 1, 1])
    assert roc["fpr"].tolist() == pytest.approx([0, 0, 0, 1 / 3, 2 / 3, 1])
    assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(5 / 6)


def test_confusion_by_hand():
    # calls: score ≥ 0.5 → positives 0.8, 0.6 called; negative 0.5 called
    called = np.c_[SCORES >= 0.5, np.zeros(6, dtype=bool)]
    m = confusion(called, TRUTH)
    assert m.loc[0, ["tp", "fp", "fn", "tn"]].tolist() == [2, 1, 1, 2]
    assert m.loc[0, "sensitivity"] == pytest.approx(2 / 3)
    assert m.loc[0, "specificity"] == pytest.approx(2 / 3)
    assert m.loc[0, "ppv"] == pytest.approx(2 / 3)
    assert m.loc[0, "npv"] == pytest.approx(2 / 3)
    # a rule that calls nothing: PPV undefined, NPV = 3/6
    assert np.isnan(m.loc[1, "ppv"]) and m.loc[1, "npv"] == pytest.approx(0.5)


def test_edges():
    with pytest.raises(AnalysisError, match="one positive and one negative"):
        auc_delong([1.0, 2.0], [True, True])
    with pytest.raises(AnalysisError, match="NaN"):
        auc_delong([1.0, np.nan], [True, False])
    one_each = auc_delong([2.0, 1.0], [True, False])
    assert one_each.auc[0] == 1.0 and np.isnan(one_each.se[0])
