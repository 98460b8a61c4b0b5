"""Frequentist disproportionality over 2×2 cells: ROR, PRR and the chi-square statistic.

Cells per drug–event pair, counted in reports (FACTS.md §2): a = drug & event,
b = drug & other events, c = other drugs & event, d = neither; N = a + b + c + d.
Every function takes arrays (or scalars) that broadcast, works in float64 (so counts of
1e9 neither overflow nor lose the ratio), and never loops over pairs in Python.

Undefined values are NaN *with a reason*: each result has a ``reason`` array (``None``
where the value is defined) and ``to_frame()`` gives it as a categorical column
``<measure>_reason``. Negative, NaN or infinite cells are a caller's mistake and raise
:class:`~pvsignal.errors.AnalysisError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import erfc, ndtri

from pvsignal.errors import AnalysisError

#: Labels of the ``reason`` codes shared by the statistics of this package (code 0 = defined).
REASONS: tuple[str | None, ...] = (
    None,
    "zero cell",
    "zero margin",
    "no reports without the drug",
    "no informative stratum",
    "zero Mantel-Haenszel numerator",
    "zero Mantel-Haenszel denominator",
)
_REASON_LABELS = np.array(REASONS, dtype=object)
REASON = {label: code for code, label in enumerate(REASONS) if label is not None}


def reason_labels(codes: np.ndarray) -> np.ndarray:
    """Object array of reason labels (``None`` where defined) for an int8 code array."""
    return _REASON_LABELS[codes]


def reason_categorical(codes: np.ndarray) -> pd.Categorical:
    """Reason codes as a pandas categorical (NaN where the value is defined)."""
    codes = np.atleast_1d(codes).astype(np.int8) - 1  # 0 (defined) → -1 (missing category)
    return pd.Categorical.from_codes(codes, categories=list(REASONS[1:]))


def as_counts(*arrays, names: str = "abcd") -> list[np.ndarray]:
    """Broadcast count arrays to float64 and check they are finite and ≥ 0."""
    out = np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in arrays])
    for name, x in zip(names, out):
        if not np.all(np.isfinite(x)):
            raise AnalysisError(f"cell {name} has NaN or infinite values; counts must be finite")
        if np.any(x < 0):
            raise AnalysisError(
                f"cell {name} has negative values; check that n ≤ n_drug, n ≤ n_event and "
                "n_drug + n_event − n ≤ N"
            )
    return out


def z_value(level: float) -> float:
    """Two-sided standard normal quantile for a confidence level in (0, 1)."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return float(ndtri(0.5 + level / 2))


def _haldane(a, b, c, d, correction):
    if correction is None:
        return a, b, c, d
    if correction == "haldane":
        add = np.where((a == 0) | (b == 0) | (c == 0) | (d == 0), 0.5, 0.0)
    elif correction == "haldane_all":
        add = 0.5
    else:
        raise ValueError(f"correction must be None, 'haldane' or 'haldane_all', got {correction!r}")
    return a + add, b + add, c + add, d + add


def _frame(columns: dict, index=None) -> pd.DataFrame:
    return pd.DataFrame({k: np.atleast_1d(v) for k, v in columns.items()}, index=index)


@dataclass(frozen=True)
class RorEstimate:
    """Reporting odds ratio, its Woolf interval and the standard error of ln ROR."""

    ror: np.ndarray
    ror_lower: np.ndarray
    ror_upper: np.ndarray
    se_log: np.ndarray
    level: float
    reason_code: np.ndarray

    @property
    def reason(self) -> np.ndarray:
        return reason_labels(self.reason_code)

    def to_frame(self) -> pd.DataFrame:
        """Columns ``ror, ror_lower, ror_upper, ror_reason``."""
        return _frame({
            "ror": self.ror, "ror_lower": self.ror_lower, "ror_upper": self.ror_upper,
            "ror_reason": reason_categorical(self.reason_code),
        })


def ror(a, b, c, d, *, level: float = 0.95, correction: str | None = None) -> RorEstimate:
    """Reporting odds ratio with a log-normal (Woolf) confidence interval.

    ROR = (a·d)/(b·c); SE(ln ROR) = √(1/a + 1/b + 1/c + 1/d);
    limits = exp(ln ROR ∓ z·SE), z = Φ⁻¹(1/2 + level/2) (1.959964 for 95 %).
    Zero cells: ROR and limits are NaN with reason ``'zero cell'`` (a drug or event in
    every report makes c = d = 0 or b = d = 0 and lands here), unless
    ``correction='haldane'`` adds 0.5 to all four cells of the tables that have a zero
    cell (Haldane–Anscombe), or ``'haldane_all'`` to every table.
    Float64 throughout: huge counts (1e9) give finite, exact-to-rounding values.
    Reference: van Puijenbroek EP et al., Pharmacoepidemiol Drug Saf 2002;11:3–10;
    Woolf B, Ann Hum Genet 1955;19:251–253.
    """
    a, b, c, d = _haldane(*as_counts(a, b, c, d), correction)
    z = z_value(level)
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = np.log((a * d) / (b * c))  # one log; products of counts ≤ 1e150 cannot overflow
        se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    lr = np.where(zero, np.nan, lr)
    se = np.where(zero, np.nan, se)
    return RorEstimate(
        ror=np.exp(lr), ror_lower=np.exp(lr - z * se), ror_upper=np.exp(lr + z * se),
        se_log=se, level=level, reason_code=np.where(zero, REASON["zero cell"], 0).astype(np.int8),
    )


@dataclass(frozen=True)
class PrrEstimate:
    """Proportional reporting ratio, its log-normal interval and SE of ln PRR."""

    prr: np.ndarray
    prr_lower: np.ndarray
    prr_upper: np.ndarray
    se_log: np.ndarray
    level: float
    reason_code: np.ndarray

    @property
    def reason(self) -> np.ndarray:
        return reason_labels(self.reason_code)

    def to_frame(self) -> pd.DataFrame:
        """Columns ``prr, prr_lower, prr_upper, prr_reason``."""
        return _frame({
            "prr": self.prr, "prr_lower": self.prr_lower, "prr_upper": self.prr_upper,
            "prr_reason": reason_categorical(self.reason_code),
        })


def prr(a, b, c, d, *, level: float = 0.95, correction: str | None = None) -> PrrEstimate:
    """Proportional reporting ratio with a log-normal confidence interval.

    PRR = [a/(a+b)] / [c/(c+d)];
    SE(ln PRR) = √(1/a − 1/(a+b) + 1/c − 1/(c+d)); limits = exp(ln PRR ∓ z·SE).
    Edges: a drug in every report (c + d = 0) → NaN, reason ``'no reports without the
    drug'``; a = 0 or c = 0 → NaN, reason ``'zero cell'`` unless ``correction`` is
    ``'haldane'`` (add 0.5 to all cells of tables with a zero cell) or ``'haldane_all'``.
    b = 0 or d = 0 is defined (an event in every report gives PRR = 1, SE = 0).
    Reference: Evans SJW, Waller PC, Davis S. Pharmacoepidemiol Drug Saf 2001;10:483–486.
    """
    a, b, c, d = as_counts(a, b, c, d)
    no_unexposed = (c + d) == 0
    a, b, c, d = _haldane(a, b, c, d, correction)
    z = z_value(level)
    zero = (a == 0) | (c == 0)
    bad = zero | no_unexposed
    with np.errstate(divide="ignore", invalid="ignore"):
        r1, r2 = a + b, c + d
        lp = np.log((a * r2) / (r1 * c))
        # 1/a − 1/(a+b) = b/(a(a+b)) avoids cancellation for large a
        se = np.sqrt(b / (a * r1) + d / (c * r2))
    lp = np.where(bad, np.nan, lp)
    se = np.where(bad, np.nan, se)
    code = np.where(no_unexposed, REASON["no reports without the drug"],
                    np.where(zero, REASON["zero cell"], 0)).astype(np.int8)
    return PrrEstimate(
        prr=np.exp(lp), prr_lower=np.exp(lp - z * se), prr_upper=np.exp(lp + z * se),
        se_log=se, level=level, reason_code=code,
    )


@dataclass(frozen=True)
class ChiSquare:
    """Pearson chi-square of the 2×2 table (1 df) with and without Yates' correction."""

    chi2: np.ndarray
    chi2_yates: np.ndarray
    p_value: np.ndarray
    p_value_yates: np.ndarray
    reason_code: np.ndarray

    @property
    def reason(self) -> np.ndarray:
        return reason_labels(self.reason_code)

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
    p-values from the χ² distribution with 1 df (``p_values=False`` skips them: NaN).
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
        reason_code=np.where(zero, REASON["zero margin"], 0).astype(np.int8),
    )


def expected_count(n_drug, n_event, n_total) -> np.ndarray:
    """Expected count under independence, E = n_drug·n_event/N (FACTS.md §2)."""
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
    chi2_yates, ic, ic025, ic975`` and the ``*_reason`` columns, in the counts' order.
    """
    from pvsignal.stats.bcpnn import ic

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
