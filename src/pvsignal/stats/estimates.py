"""What every measure shares: checked count arrays, the normal quantile, the log-normal
ratio interval, and the result types :class:`RatioEstimate` and :class:`DifferenceEstimate`.

A result holds arrays (one value per table; scalars broadcast to 0-d arrays) and an int8
``reason_code`` from :mod:`pvsignal.stats.reasons` (0 where defined). ``to_frame(prefix)``
gives the columns ``<prefix>, <prefix>_lower, <prefix>_upper, <prefix>_reason``; the
same names work as attributes (``est.ror``, ``est.ror_lower`` for a ROR).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri

from pvsignal.errors import AnalysisError
from pvsignal.stats.reasons import WithReason, reason_categorical


def as_counts(*arrays, names="abcd") -> list[np.ndarray]:
    """Broadcast count arrays to float64 and check they are finite and ≥ 0.

    Float64 keeps products of counts up to 1e150 exact to rounding (no int overflow).
    NaN, ±inf or negative values are a caller's mistake: :class:`AnalysisError`.
    """
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
    """Two-sided standard normal quantile z = Φ⁻¹(1/2 + level/2) (1.959964 for 0.95)."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return float(ndtri(0.5 + level / 2))


def lognormal_interval(log_estimate, se_log, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Limits exp(ln R ∓ z·SE(ln R)) of a ratio R whose logarithm is approximately normal.

    The one log-normal (Wald-on-the-log-scale, "Woolf") interval of the package: ROR, PRR,
    RR, Mantel–Haenszel ROR and the Weibull parameters use it. NaN in gives NaN out; SE = 0
    gives the degenerate interval [R, R].
    Reference: Woolf B, Ann Hum Genet 1955;19:251–253; Rothman, Greenland, Lash, Modern
    Epidemiology, 3rd ed., ch. 14.
    """
    z = z_value(level)
    half = z * np.asarray(se_log, dtype=np.float64)
    log_estimate = np.asarray(log_estimate, dtype=np.float64)
    return np.exp(log_estimate - half), np.exp(log_estimate + half)


def _frame(prefix: str, columns: dict[str, np.ndarray], reason_code) -> pd.DataFrame:
    out = {(prefix + k): np.atleast_1d(v) for k, v in columns.items()}
    out[f"{prefix}_reason"] = reason_categorical(reason_code)
    return pd.DataFrame(out)


@dataclass(frozen=True)
class _Interval(WithReason):
    """A point estimate with a two-sided interval, one value per table."""

    measure: str
    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float
    reason_code: np.ndarray

    def __getattr__(self, name: str):
        # est.ror, est.ror_lower, est.ror_upper for measure 'ror'
        if not name.startswith("_"):
            measure = self.__dict__.get("measure")
            suffix = {"": "estimate", "_lower": "lower", "_upper": "upper"}
            if measure and name.startswith(measure) and name[len(measure):] in suffix:
                return self.__dict__[suffix[name[len(measure):]]]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def _columns(self) -> dict[str, np.ndarray]:
        return {"": self.estimate, "_lower": self.lower, "_upper": self.upper}

    def to_frame(self, prefix: str | None = None) -> pd.DataFrame:
        """Columns ``<prefix>, <prefix>_lower, <prefix>_upper, <prefix>_reason`` (prefix: the measure)."""
        return _frame(prefix or self.measure, self._columns(), self.reason_code)


@dataclass(frozen=True)
class RatioEstimate(_Interval):
    """A ratio (ROR, PRR, RR, MH ROR …) with its log-normal interval and SE of its logarithm.

    ``corrected`` is True where 0.5 was added to the cells (Haldane–Anscombe) for the
    interval (and, for ROR/PRR with ``correction``, for the estimate too).
    """

    se_log: np.ndarray
    corrected: np.ndarray

    @classmethod
    def from_log(cls, measure: str, log_estimate, se_log, *, level: float, reason_code,
                 corrected=False) -> "RatioEstimate":
        """Build from ln R and SE(ln R); NaN wherever ``reason_code`` ≠ 0."""
        bad = np.asarray(reason_code) != 0
        log_estimate = np.where(bad, np.nan, log_estimate)
        se_log = np.where(bad, np.nan, se_log)
        lower, upper = lognormal_interval(log_estimate, se_log, level=level)
        return cls(measure=measure, estimate=np.exp(log_estimate), lower=lower, upper=upper,
                   level=level, reason_code=np.asarray(reason_code, dtype=np.int8), se_log=se_log,
                   corrected=np.broadcast_to(np.asarray(corrected, dtype=bool), bad.shape))


@dataclass(frozen=True)
class DifferenceEstimate(_Interval):
    """A difference (risk difference …) with its Wald interval estimate ∓ z·SE and its SE."""

    se: np.ndarray
