"""Confounder adjustment over strata: Mantel–Haenszel ROR and the Breslow–Day test.

Input is long format, one row per (pair, stratum) with that stratum's 2×2 cells — what
:func:`pvsignal.analysis.counts.stratum_counts` returns. ``pair`` holds integer pair
codes 0..P−1; sums over strata use ``np.bincount`` (no loop over pairs or strata).
:func:`stratified_scores` does the coding for a counts frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy.special import chdtrc

from pvsignal.errors import AnalysisError
from pvsignal.stats.estimates import RatioEstimate, as_counts
from pvsignal.stats.reasons import REASON, WithReason, first_reason, reason_categorical


def _pairs(pair, n_pairs: int | None) -> tuple[np.ndarray, int]:
    pair = np.asarray(pair)
    if pair.ndim != 1 or not np.issubdtype(pair.dtype, np.integer):
        raise ValueError("pair must be a 1-d array of integer pair codes (use pandas.factorize)")
    if pair.size and pair.min() < 0:
        raise ValueError("pair codes must be ≥ 0")
    size = int(pair.max()) + 1 if pair.size else 0
    if n_pairs is None:
        n_pairs = size
    elif n_pairs < size:
        raise ValueError(f"n_pairs={n_pairs} but the largest pair code is {size - 1}")
    return pair, n_pairs


def _sum(pair, w, n_pairs):
    return np.bincount(pair, weights=w, minlength=n_pairs)


@dataclass(frozen=True)
class MantelHaenszel(RatioEstimate):
    """Mantel–Haenszel common ROR per pair (``.ror_mh``, ``.ror_mh_lower`` …) and its strata."""

    n_strata: np.ndarray

    def to_frame(self, prefix: str | None = None) -> pd.DataFrame:
        """Columns ``ror_mh, ror_mh_lower, ror_mh_upper, ror_mh_strata, ror_mh_reason``."""
        out = super().to_frame(prefix)
        out.insert(3, f"{prefix or self.measure}_strata", self.n_strata)
        return out


def mantel_haenszel(
    pair, a, b, c, d, *, n_pairs: int | None = None, level: float = 0.95
) -> MantelHaenszel:
    """Mantel–Haenszel common odds ratio over strata with the Robins–Breslow–Greenland CI.

    Per stratum s with N_s = a+b+c+d: R = a·d/N, S = b·c/N, P = (a+d)/N, Q = (b+c)/N.
    ROR_MH = ΣR/ΣS; Var(ln ROR_MH) = ΣPR/(2(ΣR)²) + Σ(PS+QR)/(2·ΣR·ΣS) + ΣQS/(2(ΣS)²);
    limits exp(ln ROR_MH ∓ z·SE). Strata with N_s = 0 are ignored; ``n_strata`` counts
    the strata with N_s > 0.
    Edges (NaN with reason): no stratum → ``'no informative stratum'``; ΣR = 0 →
    ``'zero Mantel-Haenszel numerator'``; ΣS = 0 → ``'zero Mantel-Haenszel denominator'``.
    References: Mantel N, Haenszel W. J Natl Cancer Inst 1959;22:719–748; Robins J,
    Breslow N, Greenland S. Biometrics 1986;42:311–323.
    """
    pair, n_pairs = _pairs(pair, n_pairs)
    a, b, c, d = as_counts(a, b, c, d)
    if a.ndim != 1 or a.shape != pair.shape:
        raise ValueError("pair and the cells must be 1-d arrays of the same length")
    n = a + b + c + d
    use = n > 0
    inv = np.divide(1.0, n, out=np.zeros_like(n), where=use)
    r, s = a * d * inv, b * c * inv
    p, q = (a + d) * inv, (b + c) * inv
    sr, ss = _sum(pair, r, n_pairs), _sum(pair, s, n_pairs)
    spr, sqs = _sum(pair, p * r, n_pairs), _sum(pair, q * s, n_pairs)
    sx = _sum(pair, p * s + q * r, n_pairs)
    k = np.bincount(pair[use], minlength=n_pairs)
    code = first_reason(
        (k == 0, "no informative stratum"),
        (sr == 0, "zero Mantel-Haenszel numerator"),
        (ss == 0, "zero Mantel-Haenszel denominator"),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        lor = np.log(sr) - np.log(ss)  # ln(ΣR/ΣS), Mantel–Haenszel 1959
        var = spr / (2 * sr**2) + sx / (2 * sr * ss) + sqs / (2 * ss**2)  # Robins–Breslow–Greenland 1986
        se = np.sqrt(var)
    est = RatioEstimate.from_log("ror_mh", lor, se, level=level, reason_code=code)
    return MantelHaenszel(**{f.name: getattr(est, f.name) for f in fields(est)}, n_strata=k)


@dataclass(frozen=True)
class BreslowDay(WithReason):
    """Breslow–Day test of a common odds ratio across strata, per pair."""

    statistic: np.ndarray
    df: np.ndarray
    p_value: np.ndarray
    tarone: bool
    reason_code: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """Columns ``breslow_day, breslow_day_df, breslow_day_p, breslow_day_reason``."""
        return pd.DataFrame({
            "breslow_day": self.statistic, "breslow_day_df": self.df,
            "breslow_day_p": self.p_value,
            "breslow_day_reason": reason_categorical(self.reason_code),
        })


def _expected_a(psi, r1, k1, n):
    """Cell a expected under common odds ratio psi given the stratum margins.

    Root of (1 − ψ)A² + (N − r1 − k1 + ψ(r1 + k1))A − ψ·r1·k1 = 0 inside
    [max(0, r1 + k1 − N), min(r1, k1)], by the cancellation-free quadratic formula.
    """
    qa = 1 - psi
    qb = n - r1 - k1 + psi * (r1 + k1)
    qc = -psi * r1 * k1
    disc = np.sqrt(np.maximum(qb * qb - 4 * qa * qc, 0.0))
    qq = -0.5 * (qb + np.where(qb >= 0, disc, -disc))
    with np.errstate(divide="ignore", invalid="ignore"):
        x1 = qq / qa
        x2 = qc / qq
    lo, hi = np.maximum(0.0, r1 + k1 - n), np.minimum(r1, k1)
    tol = 1e-9 * np.maximum(hi, 1.0)
    in2 = np.isfinite(x2) & (x2 >= lo - tol) & (x2 <= hi + tol)
    return np.clip(np.where(in2, x2, x1), lo, hi)


def breslow_day(
    pair, a, b, c, d, *, n_pairs: int | None = None, tarone: bool = False,
    ror_mh: np.ndarray | None = None,
) -> BreslowDay:
    """Breslow–Day χ² test of homogeneity of the odds ratio across strata (K − 1 df).

    ψ = Mantel–Haenszel ROR of the pair. In each informative stratum (all four margins
    > 0) A_s solves A(N − r1 − k1 + A) = ψ(r1 − A)(k1 − A) and
    Var_s = [1/A + 1/(r1 − A) + 1/(k1 − A) + 1/(N − r1 − k1 + A)]⁻¹;
    BD = Σ_s (a_s − A_s)²/Var_s, df = K − 1 with K informative strata.
    ``tarone=True`` subtracts (Σa_s − ΣA_s)²/ΣVar_s (Tarone 1985), which makes the
    statistic asymptotically χ² when ψ is the MH estimate.
    Edges (NaN with reason): fewer than two informative strata → ``'no informative
    stratum'``; ψ undefined → the Mantel–Haenszel reason.
    References: Breslow NE, Day NE. Statistical Methods in Cancer Research I, IARC 1980,
    §4.4; Tarone RE. Biometrika 1985;72:91–95.
    """
    pair, n_pairs = _pairs(pair, n_pairs)
    a, b, c, d = as_counts(a, b, c, d)
    if ror_mh is None:
        mh = mantel_haenszel(pair, a, b, c, d, n_pairs=n_pairs)
        ror_mh, mh_code = mh.ror_mh, mh.reason_code
    else:
        ror_mh = np.asarray(ror_mh, dtype=np.float64)
        mh_code = np.where(np.isfinite(ror_mh), 0, REASON["no informative stratum"]).astype(np.int8)
    r1, k1, n = a + b, a + c, a + b + c + d
    info = (r1 > 0) & (c + d > 0) & (k1 > 0) & (b + d > 0)
    psi = ror_mh[pair]
    ok = info & np.isfinite(psi) & (psi > 0)
    psi_ok = np.where(ok, psi, 1.0)
    big_a = _expected_a(psi_ok, r1, k1, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = 1 / (1 / big_a + 1 / (r1 - big_a) + 1 / (k1 - big_a) + 1 / (n - r1 - k1 + big_a))
        term = np.where(ok, (a - big_a) ** 2 / var, 0.0)
    var = np.where(ok, var, 0.0)
    stat = _sum(pair, term, n_pairs)
    if tarone:
        dev = _sum(pair, np.where(ok, a - big_a, 0.0), n_pairs)
        svar = _sum(pair, var, n_pairs)
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = stat - np.where(svar > 0, dev * dev / svar, 0.0)
    k = np.bincount(pair[info], minlength=n_pairs)
    code = np.where(mh_code != 0, mh_code, np.where(k < 2, REASON["no informative stratum"], 0))
    code = code.astype(np.int8)
    bad = code != 0
    df = (k - 1).astype(np.float64)
    stat = np.where(bad, np.nan, np.maximum(stat, 0.0))
    p = np.where(bad, np.nan, chdtrc(np.where(bad, 1.0, df), np.where(bad, 0.0, stat)))
    return BreslowDay(statistic=stat, df=np.where(bad, np.nan, df), p_value=p, tarone=tarone, reason_code=code)


def stratified_scores(
    long: pd.DataFrame, by: Sequence[str] = ("drug", "event"), *, level: float = 0.95,
    tarone: bool = False,
) -> pd.DataFrame:
    """Mantel–Haenszel ROR and Breslow–Day test per pair from a long per-stratum frame.

    ``long`` has the ``by`` columns and ``a, b, c, d`` per stratum (as
    :func:`~pvsignal.analysis.counts.stratum_counts` returns). One row per pair, columns
    ``by`` + :meth:`MantelHaenszel.to_frame` + :meth:`BreslowDay.to_frame`. Formulas,
    edges and references: :func:`mantel_haenszel` (Mantel & Haenszel 1959; Robins, Breslow
    & Greenland 1986) and :func:`breslow_day` (Breslow & Day 1980; Tarone 1985).
    """
    missing = [k for k in (*by, "a", "b", "c", "d") if k not in long.columns]
    if missing:
        raise AnalysisError(f"stratum counts lack column(s) {', '.join(missing)}; use stratum_counts()")
    by = list(by)
    codes, keys = pd.MultiIndex.from_frame(long[by]).factorize() if len(by) > 1 else pd.factorize(long[by[0]])
    codes = np.asarray(codes, dtype=np.int64)
    cells = [long[k].to_numpy() for k in "abcd"]
    n_pairs = len(keys)
    mh = mantel_haenszel(codes, *cells, n_pairs=n_pairs, level=level)
    bd = breslow_day(codes, *cells, n_pairs=n_pairs, tarone=tarone, ror_mh=None)
    head = keys.to_frame(index=False) if len(by) > 1 else pd.DataFrame({by[0]: keys})
    head.columns = by
    return pd.concat([head, mh.to_frame(), bd.to_frame()], axis=1)
