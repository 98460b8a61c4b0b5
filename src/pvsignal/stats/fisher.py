"""Fisher's exact test over all drug–event pairs at once, and Benjamini–Hochberg control.

Given the margins, cell a of a 2×2 table is hypergeometric: X ~ Hypergeom(N, K = a + b,
n = a + c) under independence. Tail probabilities are summed term by term from the
observed value *away* from the mode (where terms shrink geometrically), using the pmf
ratio recurrence, for all tables at once; a tail that contains the mode is taken as the
complement of the other one. The loop runs over summation steps, never over pairs, and
stops per table when the remainder bound term·r/(1 − r) is below 1e-16 of the sum.
(``scipy.stats.hypergeom.sf`` gives the same values but took ≈ 50 s for 200 000
FAERS-sized tables here; this takes well under a second.) The two-sided test needs the
boundary of the opposite tail, found by a vectorised integer bisection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betaln
from scipy.stats import false_discovery_control

from pvsignal.stats.estimates import as_counts

ALTERNATIVES = ("greater", "less", "two-sided")
#: Relative tolerance for "as or less probable than the observed table" (as R's fisher.test).
_REL_TOL = 1 + 1e-7


@dataclass(frozen=True)
class FisherResult:
    """Fisher exact test p-values (and, after :func:`benjamini_hochberg`, q-values)."""

    p_value: np.ndarray
    alternative: str

    def to_frame(self) -> pd.DataFrame:
        """Column ``fisher_p`` (two-sided: ``fisher_p_two_sided``)."""
        name = "fisher_p" if self.alternative == "greater" else f"fisher_p_{self.alternative.replace('-', '_')}"
        return pd.DataFrame({name: np.atleast_1d(self.p_value)})


def fisher_exact(a, b, c, d, *, alternative: str = "greater") -> FisherResult:
    """Fisher's exact test of the 2×2 tables (a b / c d), vectorised over tables.

    With K = a + b (reports with the drug), n = a + c (with the event), N = a + b + c + d,
    X ~ Hypergeom(N, K, n):
    ``'greater'`` (excess reporting, the usual pharmacovigilance choice) p = P(X ≥ a);
    ``'less'`` p = P(X ≤ a); ``'two-sided'`` p = Σ P(X = x) over the x with
    P(X = x) ≤ P(X = a)·(1 + 1e-7) — the definition of R's ``fisher.test`` and
    ``scipy.stats.fisher_exact``.
    Edges: any valid table (cells ≥ 0, even N = 0 or a full margin) gives p in [0, 1];
    a degenerate table (one possible value of X) gives p = 1.
    Precision: relative error ≈ N·1e-15 from the log-binomials (≈ 4e-8 at N = 2e7,
    checked against exact integer arithmetic); p below ~1e-308 is 0.
    Reference: Fisher RA, J R Stat Soc 1922;85:87–94; Agresti A, Categorical Data
    Analysis, 3rd ed., §3.5.
    """
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    a, b, c, d = as_counts(a, b, c, d)
    big_n, k, n = a + b + c + d, a + b, a + c
    if alternative == "greater":
        p = _sf(a - 1, big_n, k, n)
    elif alternative == "less":
        p = _cdf(a, big_n, k, n)
    else:
        p = _two_sided(a, big_n, k, n)
    p = np.clip(np.where(big_n == 0, 1.0, p), 0.0, 1.0)
    return FisherResult(p_value=p, alternative=alternative)


def _logcomb(m, j):
    """ln C(m, j) via betaln (accurate for m up to 1e9 and beyond)."""
    return -np.log1p(m) - betaln(m - j + 1, j + 1)


def _logpmf(x, big_n, k, n):
    """Hypergeometric ln P(X = x); −inf outside the support."""
    lo, hi = np.maximum(0, n - (big_n - k)), np.minimum(k, n)
    inside = (x >= lo) & (x <= hi)
    xs = np.clip(x, lo, hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = _logcomb(k, xs) + _logcomb(big_n - k, n - xs) - _logcomb(big_n, n)
    return np.where(inside, lp, -np.inf)


def _tail(start, step: int, big_n, k, n) -> np.ndarray:
    """Σ P(X = x) for x = start, start + step, … to the end of the support.

    Callers start on the side of the mode where the pmf decreases along ``step``.
    """
    lo, hi = np.maximum(0, n - (big_n - k)), np.minimum(k, n)
    total = np.zeros(np.shape(start))
    idx = np.flatnonzero((start >= lo) & (start <= hi))
    x = start[idx]
    nn, kk, bn = n[idx], k[idx], big_n[idx]
    lo_i, hi_i = lo[idx], hi[idx]
    term = np.exp(_logpmf(x, bn, kk, nn))
    acc = term.copy()
    while idx.size:
        with np.errstate(divide="ignore", invalid="ignore"):
            if step > 0:
                r = (kk - x) * (nn - x) / ((x + 1) * (bn - kk - nn + x + 1))
            else:
                r = x * (bn - kk - nn + x) / ((kk - x + 1) * (nn - x + 1))
        x = x + step
        valid = (x >= lo_i) & (x <= hi_i)
        term = np.where(valid, term * r, 0.0)
        acc += term
        with np.errstate(divide="ignore", invalid="ignore"):
            done = ~valid | (term == 0) | (term * r <= 1e-17 * acc * (1 - r))
        if done.any():
            total[idx[done]] = acc[done]
            keep = ~done
            idx, x, nn, kk, bn, lo_i, hi_i, term, acc = (
                v[keep] for v in (idx, x, nn, kk, bn, lo_i, hi_i, term, acc)
            )
    return total


def _mode(big_n, k, n):
    lo, hi = np.maximum(0, n - (big_n - k)), np.minimum(k, n)
    return np.clip(np.floor((n + 1) * (k + 1) / (big_n + 2)), lo, hi)


def _sf(x, big_n, k, n) -> np.ndarray:
    """P(X > x), from the upper tail when x ≥ mode, else 1 − P(X ≤ x)."""
    m = _mode(big_n, k, n)
    up = x >= m
    p = np.empty(np.shape(x))
    p[up] = _tail(x[up] + 1, +1, big_n[up], k[up], n[up])
    lo = ~up
    p[lo] = 1.0 - _tail(x[lo], -1, big_n[lo], k[lo], n[lo])
    return np.clip(p, 0.0, 1.0)


def _cdf(x, big_n, k, n) -> np.ndarray:
    """P(X ≤ x), from the lower tail when x < mode, else 1 − P(X > x)."""
    m = _mode(big_n, k, n)
    down = x < m
    p = np.empty(np.shape(x))
    p[down] = _tail(x[down], -1, big_n[down], k[down], n[down])
    up = ~down
    p[up] = 1.0 - _tail(x[up] + 1, +1, big_n[up], k[up], n[up])
    return np.clip(p, 0.0, 1.0)


def _two_sided(a, big_n, k, n) -> np.ndarray:
    """Two-sided p: observed tail + the opposite tail up to the first x as improbable as a."""
    lo = np.maximum(0, n - (big_n - k))
    hi = np.minimum(k, n)
    mode = np.floor((n + 1) * (k + 1) / (big_n + 2))
    mode = np.clip(mode, lo, hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        thr = _logpmf(a, big_n, k, n) + np.log(_REL_TOL)
    below = a < mode  # observed in the left tail → search the right side (mode, hi]
    above = a > mode
    # Bisection for the boundary x* on the far side of the mode, both sides at once.
    far_lo = np.where(below, mode + 1, lo)  # search interval [far_lo, far_hi]
    far_hi = np.where(below, hi, mode - 1)
    # Right side (below): pmf decreasing; find smallest x with pmf ≤ thr (none → hi + 1).
    # Left side (above): pmf increasing; find largest x with pmf ≤ thr (none → lo − 1).
    left, right = far_lo.copy(), far_hi.copy()
    active = (below | above) & (far_lo <= far_hi)
    steps = int(np.ceil(np.log2(np.max(far_hi - far_lo + 2, initial=2)))) + 1
    res_hi = np.where(below, far_hi + 1, 0.0)  # right side: candidate answer
    res_lo = np.where(above, far_lo - 1, 0.0)  # left side: candidate answer
    for _ in range(steps):
        run = active & (left <= right)
        if not np.any(run):
            break
        mid = np.floor((left + right) / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            ok = _logpmf(mid, big_n, k, n) <= thr  # mid is as improbable as a
        # right side: ok → answer ≤ mid, search left half; else search right half
        r_ok = run & below & ok
        r_no = run & below & ~ok
        res_hi = np.where(r_ok, mid, res_hi)
        right = np.where(r_ok, mid - 1, right)
        left = np.where(r_no, mid + 1, left)
        # left side: ok → answer ≥ mid, search right half; else search left half
        l_ok = run & above & ok
        l_no = run & above & ~ok
        res_lo = np.where(l_ok, mid, res_lo)
        left = np.where(l_ok, mid + 1, left)
        right = np.where(l_no, mid - 1, right)
    p = np.ones_like(a)
    # observed left of the mode: P(X ≤ a) + P(X ≥ x*)
    p = np.where(below, _cdf(a, big_n, k, n) + _sf(res_hi - 1, big_n, k, n), p)
    # observed right of the mode: P(X ≥ a) + P(X ≤ x*)
    p = np.where(above, _sf(a - 1, big_n, k, n) + _cdf(res_lo, big_n, k, n), p)
    # the mode itself, or a value as probable as the mode, has p = 1
    with np.errstate(divide="ignore", invalid="ignore"):
        at_mode = _logpmf(mode, big_n, k, n) <= thr
    return np.where(at_mode, 1.0, p)


def benjamini_hochberg(p) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values) across the whole table.

    q_(i) = min_{j ≥ i} m·p_(j)/j over the m p-values sorted ascending (capped at 1),
    via ``scipy.stats.false_discovery_control(method='bh')``. NaN p-values (undefined
    tests) stay NaN and do not count in m.
    Reference: Benjamini Y, Hochberg Y. J R Stat Soc B 1995;57:289–300.
    """
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    if np.any(ok):
        out[ok] = false_discovery_control(p[ok], method="bh")
    return out
