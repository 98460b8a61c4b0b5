"""Comparing the risk of an event between two arms: risk ratio, risk difference, and the
comparison columns of a trial incidence table.

Cells per row: a subjects with the event among n1 in the arm, c among n0 in the control
arm (a ≤ n1, c ≤ n0). Risks p1 = a/n1, p0 = c/n0 are proportions (0–1). Arrays
broadcast; no loop over rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvsignal.errors import AnalysisError
from pvsignal.stats.estimates import DifferenceEstimate, RatioEstimate, as_counts, lognormal_interval, z_value
from pvsignal.stats.fisher import fisher_exact
from pvsignal.stats.reasons import first_reason


def _arms(a, n1, c, n0) -> list[np.ndarray]:
    a, n1, c, n0 = as_counts(a, n1, c, n0, names=("a", "n1", "c", "n0"))
    if np.any(a > n1) or np.any(c > n0):
        raise AnalysisError("more subjects with the event than subjects in the arm (a > n1 or c > n0)")
    return [a, n1, c, n0]


def risk_ratio(a, n1, c, n0, *, level: float = 0.95) -> RatioEstimate:
    """Risk ratio (relative risk) of a/n1 versus c/n0 with a log-normal interval.

    RR = (a/n1)/(c/n0) (dimensionless); SE(ln RR) = √(1/a − 1/n1 + 1/c − 1/n0);
    limits exp(ln RR ∓ z·SE) (:func:`~pvsignal.stats.estimates.lognormal_interval`).
    Edges: exactly one of a, c is 0 → RR stays uncorrected (0 or inf) and only the
    interval adds 0.5 to a and c and 1 to n1 and n0 (0.5 to each of the four cells;
    ``corrected`` is True there); a = c = 0 → NaN, reason ``'no events in either arm'``;
    n1 = 0 or n0 = 0 → NaN, reason ``'empty arm'``. Swapping the arms inverts RR and its
    limits. Returns a :class:`RatioEstimate` (``.rr``, ``.rr_lower``, ``.rr_upper``).
    Reference: Rothman KJ, Greenland S, Lash TL. Modern Epidemiology, 3rd ed. 2008, ch. 14.
    """
    a, n1, c, n0 = _arms(a, n1, c, n0)
    code = first_reason(((n1 == 0) | (n0 == 0), "empty arm"), ((a == 0) & (c == 0), "no events in either arm"))
    ok = code == 0
    corrected = ok & ((a == 0) ^ (c == 0))
    add = np.where(corrected, 0.5, 0.0)
    ac, cc, n1c, n0c = a + add, c + add, n1 + 2 * add, n0 + 2 * add
    with np.errstate(invalid="ignore", divide="ignore"):
        rr = np.where(ok, (a / n1) / (c / n0), np.nan)
        se = np.where(ok, np.sqrt(1 / ac - 1 / n1c + 1 / cc - 1 / n0c), np.nan)
        log_centre = np.where(ok, np.log((ac / n1c) / (cc / n0c)), np.nan)
    lower, upper = lognormal_interval(log_centre, se, level=level)
    return RatioEstimate(measure="rr", estimate=rr, lower=lower, upper=upper, level=level,
                         reason_code=code, se_log=se, corrected=corrected)


def risk_difference(a, n1, c, n0, *, level: float = 0.95) -> DifferenceEstimate:
    """Risk difference a/n1 − c/n0 (a proportion, −1 to 1) with a Wald interval.

    RD = p1 − p0; SE = √(p1(1 − p1)/n1 + p0(1 − p0)/n0); limits RD ∓ z·SE (not clipped to
    [−1, 1]). Edges: both risks 0 or both 1 → SE = 0, degenerate interval [RD, RD];
    n1 = 0 or n0 = 0 → NaN, reason ``'empty arm'``. Swapping the arms negates RD and
    its limits. Returns a :class:`DifferenceEstimate` (``.rd``, ``.rd_lower``, ``.rd_upper``).
    Reference: Agresti A. Categorical Data Analysis, 3rd ed. 2013, §3.1.
    """
    a, n1, c, n0 = _arms(a, n1, c, n0)
    code = first_reason(((n1 == 0) | (n0 == 0), "empty arm"))
    ok = code == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        p1 = np.where(ok, a / np.where(ok, n1, 1), np.nan)
        p0 = np.where(ok, c / np.where(ok, n0, 1), np.nan)
        se = np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    rd = p1 - p0
    z = z_value(level)
    return DifferenceEstimate(measure="rd", estimate=rd, lower=rd - z * se, upper=rd + z * se,
                              level=level, reason_code=code, se=se)


def risk_comparison(a, n1, c, n0, *, level: float = 0.95) -> pd.DataFrame:
    """Two-sided Fisher exact p, risk difference and risk ratio of a/n1 versus c/n0.

    Columns ``p_fisher`` (:func:`~pvsignal.stats.fisher.fisher_exact` of the table
    (a, n1 − a / c, n0 − c), two-sided: the definition of R's ``fisher.test`` and
    ``scipy.stats.fisher_exact``), ``rd, rd_lower, rd_upper`` (:func:`risk_difference`
    in **percentage points**, 100 × proportion), ``rr, rr_lower, rr_upper,
    rr_ci_corrected`` (:func:`risk_ratio`). Rows with n1 = 0 or n0 = 0 give NaN.
    """
    a, n1, c, n0 = _arms(a, n1, c, n0)
    rd = risk_difference(a, n1, c, n0, level=level)
    rr = risk_ratio(a, n1, c, n0, level=level)
    ok = (n1 > 0) & (n0 > 0)
    p = fisher_exact(a, n1 - a, c, n0 - c, alternative="two-sided").p_value
    return pd.DataFrame({
        "p_fisher": np.atleast_1d(np.where(ok, p, np.nan)),
        "rd": np.atleast_1d(100 * rd.estimate),
        "rd_lower": np.atleast_1d(100 * rd.lower),
        "rd_upper": np.atleast_1d(100 * rd.upper),
        "rr": np.atleast_1d(rr.estimate),
        "rr_lower": np.atleast_1d(rr.lower),
        "rr_upper": np.atleast_1d(rr.upper),
        "rr_ci_corrected": np.atleast_1d(rr.corrected),
    })
