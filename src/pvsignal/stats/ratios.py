"""Frequentist disproportionality over 2×2 cells: ROR, PRR and the chi-square statistic.

Cells per drug–event pair, counted in reports (FACTS.md §2): a = drug & event,
b = drug & other events, c = other drugs & event, d = neither; N = a + b + c + d.
Every function takes arrays (or scalars) that broadcast, works in float64 (so counts of
1e9 neither overflow nor lose the ratio), and never loops over pairs in Python.

Undefined values are NaN *with a reason*: each result has a ``reason`` array (``None``
where the value is defined; labels from :mod:`pvsignal.stats.reasons`) and ``to_frame()``
gives it as a categorical column ``<measure>_reason``. ROR and PRR are
:class:`~pvsignal.stats.estimates.RatioEstimate` s with the one log-normal interval. Negative, NaN or infinite cells are a caller's mistake and raise
:class:`~pvsignal.errors.AnalysisError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import erfc

from pvsignal.errors import AnalysisError
from pvsignal.stats.bcpnn import ic
from pvsignal.stats.estimates import RatioEstimate, as_counts
from pvsignal.stats.reasons import WithReason, first_reason, reason_categorical


def _haldane(a, b, c, d, correction):
    """Cells with 0.5 added (Haldane–Anscombe) and where it was added."""
    if correction is None:
        return a, b, c, d, np.zeros(a.shape, dtype=bool)
    if correction == "haldane":
        add = np.where((a == 0) | (b == 0) | (c == 0) | (d == 0), 0.5, 0.0)
    elif correction == "haldane_all":
        add = np.full(a.shape, 0.5)
    else:
        raise ValueError(f"correction must be None, 'haldane' or 'haldane_all', got {correction!r}")
    return a + add, b + add, c + add, d + add, add > 0


def _frame(columns: dict, index=None) -> pd.DataFrame:
    return pd.DataFrame({k: np.atleast_1d(v) for k, v in columns.items()}, index=index)


def ror(a, b, c, d, *, level: float = 0.95, correction: str | None = None) -> RatioEstimate:
    """Reporting odds ratio with a log-normal (Woolf) confidence interval.

    ROR = (a·d)/(b·c) (dimensionless, > 0); SE(ln ROR) = √(1/a + 1/b + 1/c + 1/d);
    limits = exp(ln ROR ∓ z·SE), z = Φ⁻¹(1/2 + level/2) (1.959964 for 95 %).
    Zero cells: ROR and limits are NaN with reason ``'zero cell'`` (a drug or event in
    every report makes c = d = 0 or b = d = 0 and lands here), unless
    ``correction='haldane'`` adds 0.5 to all four cells of the tables that have a zero
    cell (Haldane–Anscombe), or ``'haldane_all'`` to every table (``corrected`` says where).
    Float64 throughout: huge counts (1e9) give finite, exact-to-rounding values.
    Returns a :class:`RatioEstimate` (``.ror``, ``.ror_lower``, ``.ror_upper``, ``.se_log``).
    Reference: van Puijenbroek EP et al., Pharmacoepidemiol Drug Saf 2002;11:3–10;
    Woolf B, Ann Hum Genet 1955;19:251–253.
    """
    a, b, c, d, corrected = _haldane(*as_counts(a, b, c, d), correction)
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = np.log((a * d) / (b * c))  # one log; products of counts ≤ 1e150 cannot overflow
        se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return RatioEstimate.from_log("ror", lr, se, level=level, corrected=corrected,
                                  reason_code=first_reason((zero, "zero cell")))


def prr(a, b, c, d, *, level: float = 0.95, correction: str | None = None) -> RatioEstimate:
    """Proportional reporting ratio with a log-normal confidence interval.

    PRR = [a/(a+b)] / [c/(c+d)] (dimensionless, > 0);
    SE(ln PRR) = √(1/a − 1/(a+b) + 1/c − 1/(c+d)); limits = exp(ln PRR ∓ z·SE).
    Edges: a drug in every report (c + d = 0) → NaN, reason ``'no reports without the
    drug'``; a = 0 or c = 0 → NaN, reason ``'zero cell'`` unless ``correction`` is
    ``'haldane'`` (add 0.5 to all cells of tables with a zero cell) or ``'haldane_all'``.
    b = 0 or d = 0 is defined (an event in every report gives PRR = 1, SE = 0).
    Returns a :class:`RatioEstimate` (``.prr``, ``.prr_lower``, ``.prr_upper``, ``.se_log``).
    Reference: Evans SJW, Waller PC, Davis S. Pharmacoepidemiol Drug Saf 2001;10:483–486.
    """
    a, b, c, d = as_counts(a, b, c, d)
    no_unexposed = (c + d) == 0
    a, b, c, d, corrected = _haldane(a, b, c, d, correction)
    zero = (a == 0) | (c == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r1, r2 = a + b, c + d
        lp = np.log((a * r2) / (r1 * c))
        # 1/a − 1/(a+b) = b/(a(a+b)) avoids cancellation for large a
        se = np.sqrt(b / (a * r1) + d / (c * r2))
    code = first_reason((no_unexposed, "no reports without the drug"), (zero, "zero cell"))
    return RatioEstimate.from_log("prr", lp, se, level=level, reason_code=code, corrected=corrected)


@dataclass(frozen=True)
class ChiSquare(WithReason):
    """Pearson chi-square of the 2×2 table (1 df) with and without Yates' correction."""

    chi2: np.ndarray
    chi2_yates: np.ndarray
    p_value: np.ndarray
    p_value_yates: np.ndarray
    reason_code: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """Columns ``chi2, chi2_yates, chi2_p, chi2_yates_p, chi2_reason``."""
        return _frame({
            "chi2": self.chi2, "chi2_yates": self.chi2_yates, "chi2_p": self.p_value,
            "chi2_yates_p": self.p_value_yates, "chi2_reason": reason_categorical(self.reason_code),
        })


def chi_square(a, b, c, d, *, p_values: bool = True) -> ChiSquare:
    """Pearson's chi-square statistic of the 2×2 table, plain and with Yates' correction.

    χ² = N·(ad − bc)² / [(a+b)(c+d)(a+c)(b+d)];
    χ²_Yates = N·max(|ad − bc| − N/2, 0)² / [(a+b)(c+d)(a+c)(b+d)] — each cell moves 0.5
    towards its expected value but never past it, as in
    ``scipy.stats.chi2_contingency(correction=True)`` (the textbook (|ad − bc| − N/2)²
    differs only when |ad − bc| < N/2, where it wrongly grows again).
    χ² is dimensionless (1 df); p-values from the χ² distribution with 1 df (``p_values=False`` skips them: NaN).
    Edges: a zero margin (a drug or an event in every report or in none) → NaN with
    reason ``'zero margin'``. Zero cells with non-zero margins are defined.
    Reference: FACTS.md §2.1; Yates F, Suppl J R Stat Soc 1934;1:217–235.
    """
    a, b, c, d = as_counts(a, b, c, d)
    n = a + b + c + d
    denom = (a + b) * (c + d) * (a + c) * (b + d)
    zero = denom == 0
    diff = np.abs(a * d - b * c)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(zero, np.nan, n * diff * diff / denom)
        y = np.maximum(diff - n / 2, 0.0)
        xy = np.where(zero, np.nan, n * y * y / denom)
    if p_values:
        # P(χ²₁ > x) = erfc(√(x/2)), ~10× faster than the general χ² survival function
        p, py = erfc(np.sqrt(x / 2)), erfc(np.sqrt(xy / 2))
    else:
        p = py = np.full(np.shape(x), np.nan)
    return ChiSquare(
        chi2=x, chi2_yates=xy, p_value=p, p_value_yates=py,
        reason_code=first_reason((zero, "zero margin")),
    )


def expected_count(n_drug, n_event, n_total) -> np.ndarray:
    """Expected count under independence, E = n_drug·n_event/N, in reports (FACTS.md §2).

    N = 0 raises :class:`AnalysisError`; n_drug = 0 or n_event = 0 gives E = 0.
    Reference: DuMouchel W. Am Stat 1999;53(3):177–190 (the baseline E of MGPS and IC).
    """
    n_drug, n_event, n_total = as_counts(n_drug, n_event, n_total, names=("n_drug", "n_event", "N"))
    if np.any(n_total == 0):
        raise AnalysisError("N = 0: the report population is empty")
    return n_drug * n_event / n_total


def classic_scores(
    counts: pd.DataFrame, *, level: float = 0.95, correction: str | None = None,
    ic_method: str = "closed_form",
) -> pd.DataFrame:
    """ROR, PRR, χ² and IC for every row of a :func:`~pvsignal.analysis.counts.pair_counts` frame.

    Needs columns ``a, b, c, d, expected``; returns ``drug, event, n, expected`` (when
    present) then ``ror, ror_lower, ror_upper, prr, prr_lower, prr_upper, chi2,
    chi2_yates, ic, ic025, ic975`` and the ``*_reason`` columns, in the counts' order
    (cells a, b, c, d and E in reports, as :func:`expected_count`).
    Formulas and edges: :func:`ror`, :func:`prr`, :func:`chi_square`,
    :func:`~pvsignal.stats.bcpnn.ic`.
    """
    missing = [c for c in ("a", "b", "c", "d", "expected") if c not in counts.columns]
    if missing:
        raise AnalysisError(f"counts lack column(s) {', '.join(missing)}; use pair_counts()")
    a, b, c, d = (counts[k].to_numpy() for k in "abcd")
    r = ror(a, b, c, d, level=level, correction=correction)
    p = prr(a, b, c, d, level=level, correction=correction)
    x = chi_square(a, b, c, d, p_values=False)
    i = ic(a, counts["expected"].to_numpy(), method=ic_method, level=level)
    keep = [k for k in ("drug", "event", "n", "expected") if k in counts.columns]
    out = counts[keep].reset_index(drop=True)
    parts = [r.to_frame(), p.to_frame(), x.to_frame()[["chi2", "chi2_yates", "chi2_reason"]], i.to_frame()]
    out = pd.concat([out, *parts], axis=1)
    order = keep + [
        "ror", "ror_lower", "ror_upper", "prr", "prr_lower", "prr_upper", "chi2", "chi2_yates",
        *[k for k in i.to_frame().columns],
        "ror_reason", "prr_reason", "chi2_reason",
    ]
    return out[order]
