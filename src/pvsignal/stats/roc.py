"""Diagnostic accuracy of a score against known positives and negatives: ROC, AUC, 2×2 metrics.

* :func:`confusion` — TP, FP, FN, TN, sensitivity, specificity, PPV and NPV of a yes/no call;
* :func:`roc_curve` — the empirical ROC curve (every distinct score a threshold);
* :func:`auc_delong` — the area under it with DeLong's variance, for one or several scores
  of the same cases at once (their covariance included, so two methods can be compared).

AUC = P(score of a positive > score of a negative) + ½·P(tie), the Mann–Whitney U statistic
divided by n₁·n₀ (Hanley & McNeil, Radiology 1982;143:29–36). Its variance is DeLong's
nonparametric estimate (DeLong, DeLong & Clarke-Pearson, Biometrics 1988;44:837–845),
computed with the midrank algorithm of Sun & Xu (IEEE Signal Process Lett 2014;21:1389–1393):
no n₁×n₀ comparison matrix, O(n log n) per score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm, rankdata

from pvsignal.errors import AnalysisError


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=den > 0)


def confusion(called, truth) -> pd.DataFrame:
    """2×2 accuracy of yes/no calls against the truth, per column of ``called``.

    ``called``: booleans, shape (n,) or (n, k) for k rules; ``truth``: booleans (n,), True
    for a positive control. Returns one row per rule: ``tp, fp, fn, tn``,
    ``sensitivity`` = TP/(TP+FN), ``specificity`` = TN/(TN+FP), ``ppv`` = TP/(TP+FP),
    ``npv`` = TN/(TN+FN); a ratio with a zero denominator is NaN.
    """
    c = np.asarray(called, dtype=bool)
    c = c[:, None] if c.ndim == 1 else c
    t = np.asarray(truth, dtype=bool)
    if c.shape[0] != t.shape[0]:
        raise AnalysisError(f"calls ({c.shape[0]}) and truth ({t.shape[0]}) differ in length")
    tp = (c & t[:, None]).sum(axis=0)
    fp = (c & ~t[:, None]).sum(axis=0)
    fn = (~c & t[:, None]).sum(axis=0)
    tn = (~c & ~t[:, None]).sum(axis=0)
    return pd.DataFrame({
        "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        "sensitivity": _ratio(tp, tp + fn), "specificity": _ratio(tn, tn + fp),
        "ppv": _ratio(tp, tp + fp), "npv": _ratio(tn, tn + fn),
    })


def roc_curve(scores, truth) -> pd.DataFrame:
    """The empirical ROC curve: one row per distinct score (highest first) plus the origin.

    At threshold s a case is called positive when its score ≥ s. Columns ``threshold``
    (+inf for the origin), ``fpr`` = FP/n₀ and ``tpr`` = TP/n₁; ties move both at once (a
    diagonal step), so the trapezoid area under the curve equals :func:`auc_delong`'s AUC.
    NaN scores are an error: leave such cases out (or give them a value, −inf allowed) before.
    """
    s, t = _checked(scores, truth)
    s = s[0]
    order = np.argsort(-s, kind="stable")
    s, t = s[order], t[order]
    last = np.r_[np.flatnonzero(s[1:] != s[:-1]), len(s) - 1]  # the last case of each distinct score
    tp, fp = np.cumsum(t)[last], np.cumsum(~t)[last]
    n1, n0 = t.sum(), (~t).sum()
    return pd.DataFrame({
        "threshold": np.r_[np.inf, s[last]],
        "fpr": np.r_[0.0, fp / n0], "tpr": np.r_[0.0, tp / n1],
    })


@dataclass(frozen=True)
class AucEstimate:
    """AUCs of k scores with DeLong's standard errors and Wald intervals.

    ``auc``, ``se``, ``lower``, ``upper``: arrays (k,); ``cov``: the k×k DeLong covariance;
    ``n_pos``, ``n_neg``: positives and negatives; ``level``: the interval's coverage.
    Intervals are AUC ± z·SE clipped to [0, 1] (as pROC reports them).
    """

    auc: np.ndarray
    se: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    cov: np.ndarray
    n_pos: int
    n_neg: int
    level: float

    def to_frame(self, names=None) -> pd.DataFrame:
        names = list(names) if names is not None else [f"score_{i}" for i in range(len(self.auc))]
        return pd.DataFrame({"score": names, "auc": self.auc, "auc_se": self.se, "auc_lower": self.lower,
                             "auc_upper": self.upper, "positives": self.n_pos, "negatives": self.n_neg})


def _checked(scores, truth) -> tuple[np.ndarray, np.ndarray]:
    s = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    t = np.asarray(truth, dtype=bool)
    if s.shape[1] != t.shape[0]:
        raise AnalysisError(f"scores ({s.shape[1]} cases) and truth ({t.shape[0]}) differ in length")
    if np.isnan(s).any():
        raise AnalysisError("a score is NaN: leave undefined scores out, or give them a value, before the ROC")
    if t.all() or not t.any():
        raise AnalysisError("an ROC needs at least one positive and one negative case")
    return s, t


def auc_delong(scores, truth, *, level: float = 0.95) -> AucEstimate:
    """AUC of each row of ``scores`` (shape (n,) or (k, n)) against ``truth`` (n booleans), with
    DeLong's variance (Sun & Xu 2014 midrank form).

    With X the n₁ positive scores, Y the n₀ negative ones and R, R₁, R₀ midranks among all,
    positives only and negatives only: placements V₁₀(Xᵢ) = (R(Xᵢ) − R₁(Xᵢ))/n₀ and
    V₀₁(Yⱼ) = 1 − (R(Yⱼ) − R₀(Yⱼ))/n₁; AUC = mean V₁₀; S₁₀ and S₀₁ their sample
    covariance matrices (k×k, divisor n − 1); Cov(AUC) = S₁₀/n₁ + S₀₁/n₀. Needs at least one
    positive and one negative, and at least two of each for a standard error (else NaN).
    """
    s, t = _checked(scores, truth)
    if not 0 < level < 1:
        raise AnalysisError(f"level must be in (0, 1); got {level}")
    x, y = s[:, t], s[:, ~t]
    n1, n0 = x.shape[1], y.shape[1]
    r_all = rankdata(s, axis=1)
    v10 = (r_all[:, t] - rankdata(x, axis=1)) / n0
    v01 = 1.0 - (r_all[:, ~t] - rankdata(y, axis=1)) / n1
    auc = v10.mean(axis=1)
    k = s.shape[0]
    if n1 > 1 and n0 > 1:
        cov = np.atleast_2d(np.cov(v10)) / n1 + np.atleast_2d(np.cov(v01)) / n0
    else:
        cov = np.full((k, k), np.nan)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    z = norm.ppf(0.5 + level / 2)
    return AucEstimate(auc=auc, se=se, lower=np.clip(auc - z * se, 0, 1), upper=np.clip(auc + z * se, 0, 1),
                       cov=cov, n_pos=int(n1), n_neg=int(n0), level=level)
