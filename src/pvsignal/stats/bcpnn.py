"""Information component (IC): the BCPNN measure of disproportionality, on the log2 scale.

Three conventions are in use and give different numbers at small counts (FACTS.md §2.2,
§2.4); each has its own function:

* :func:`ic` — the shrinkage observed-to-expected IC of Norén et al. 2013, with the
  closed-form or the exact gamma-quantile credibility limits (what UMC/VigiBase use);
* :func:`bcpnn_gould` — the Bayesian BCPNN of Bate et al. 1998 with the exact posterior
  moments of Gould 2003 (digamma/trigamma) and a normal interval;
* :func:`bcpnn_bate` — the closed form E(IC) − 2√V(IC) copied in many FAERS papers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaincinv, polygamma

from pvsignal.stats.estimates import as_counts, z_value

_LN2 = np.log(2.0)
METHODS = ("closed_form", "exact")


@dataclass(frozen=True)
class ICEstimate:
    """IC with its lower and upper credibility limits (log2 scale)."""

    ic: np.ndarray
    ic_lower: np.ndarray
    ic_upper: np.ndarray
    level: float
    method: str

    @property
    def ic025(self) -> np.ndarray:
        """Lower limit of the 95 % interval (only for level = 0.95)."""
        self._check95()
        return self.ic_lower

    @property
    def ic975(self) -> np.ndarray:
        """Upper limit of the 95 % interval (only for level = 0.95)."""
        self._check95()
        return self.ic_upper

    def _check95(self) -> None:
        if not np.isclose(self.level, 0.95):
            raise AttributeError(f"ic025/ic975 name a 95 % interval; this one is {self.level:.0%}")

    def to_frame(self) -> pd.DataFrame:
        """Columns ``ic, ic025, ic975`` (``ic, ic_lower, ic_upper`` at another level)."""
        lo, hi = ("ic025", "ic975") if np.isclose(self.level, 0.95) else ("ic_lower", "ic_upper")
        return pd.DataFrame({
            "ic": np.atleast_1d(self.ic), lo: np.atleast_1d(self.ic_lower),
            hi: np.atleast_1d(self.ic_upper),
        })


def _gamma_quantile_log2(shape: np.ndarray, rate: np.ndarray, p: float) -> np.ndarray:
    """log2 of the p-quantile of Gamma(shape, rate), computing gammaincinv once per distinct shape.

    Observed counts take few distinct values, so this is fast for millions of pairs.
    """
    flat = shape.ravel()
    u, inv = np.unique(flat, return_inverse=True)
    q = gammaincinv(u, p)[inv].reshape(shape.shape)
    return np.log2(q) - np.log2(rate)


def ic(observed, expected, *, method: str = "closed_form", level: float = 0.95) -> ICEstimate:
    """Shrinkage information component IC = log2((O + 0.5)/(E + 0.5)) with credibility limits.

    O = observed reports of the pair (n), E = expected count (crude or stratified).
    The posterior of the observed-to-expected ratio is Gamma(O + 0.5, rate E + 0.5).

    ``method='exact'``: limits are log2 of that gamma's (1 − level)/2 and (1 + level)/2
    quantiles (as vigicaen's ``ic_tail``). ``method='closed_form'`` (95 % only):
    IC025 = IC − 3.3·(O + 0.5)^(−1/2) − 2·(O + 0.5)^(−3/2),
    IC975 = IC + 2.4·(O + 0.5)^(−1/2) − 0.5·(O + 0.5)^(−3/2); where O + 0.5 < 1 (O = 0)
    the paper advises the exact limits, and they are used there.
    Edges: E = 0 is defined (IC = log2(2·O + 1)); O, E must be finite and ≥ 0
    (otherwise :class:`~pvsignal.errors.AnalysisError`); no NaN is produced.
    Reference: Norén GN, Hopstadius J, Bate A. Stat Methods Med Res 2013;22(1):57–69.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    o, e = as_counts(observed, expected, names=("observed", "expected"))
    shape, rate = o + 0.5, e + 0.5
    point = np.log2(shape) - np.log2(rate)
    lo_p, hi_p = (1 - level) / 2, (1 + level) / 2
    if method == "exact":
        lower = _gamma_quantile_log2(shape, rate, lo_p)
        upper = _gamma_quantile_log2(shape, rate, hi_p)
    else:
        if not np.isclose(level, 0.95):
            raise ValueError("the closed form gives 95 % limits only; use method='exact' for other levels")
        s = 1 / np.sqrt(shape)
        s3 = s * s * s
        lower = point - 3.3 * s - 2.0 * s3
        upper = point + 2.4 * s - 0.5 * s3
        small = shape < 1
        if np.any(small):
            lower = np.array(lower, copy=True)
            upper = np.array(upper, copy=True)
            lower[small] = _gamma_quantile_log2(shape[small], rate[small], lo_p)
            upper[small] = _gamma_quantile_log2(shape[small], rate[small], hi_p)
    return ICEstimate(ic=point, ic_lower=lower, ic_upper=upper, level=level, method=method)


@dataclass(frozen=True)
class BcpnnEstimate:
    """BCPNN E(IC), its variance and a normal credibility interval (log2 scale)."""

    ic: np.ndarray
    variance: np.ndarray
    ic_lower: np.ndarray
    ic_upper: np.ndarray
    level: float

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(self.variance)

    def to_frame(self, prefix: str = "bcpnn") -> pd.DataFrame:
        """Columns ``<prefix>_ic, <prefix>_var, <prefix>_lower, <prefix>_upper``."""
        return pd.DataFrame({
            f"{prefix}_ic": np.atleast_1d(self.ic), f"{prefix}_var": np.atleast_1d(self.variance),
            f"{prefix}_lower": np.atleast_1d(self.ic_lower), f"{prefix}_upper": np.atleast_1d(self.ic_upper),
        })


def bcpnn_gould(n11, n1_, n_1, n, *, level: float = 0.95) -> BcpnnEstimate:
    """Bayesian BCPNN information component with exact posterior moments (Gould 2003).

    Beta/Dirichlet priors of Bate et al. 1998: α1 = β1 = 1, α = β = 2, γ11 = 1,
    γ = γ11·(N + α)(N + β)/((n1· + α1)(n·1 + β1)). With ψ = digamma, ψ' = trigamma:
    E(IC) = [ψ(n11 + γ11) − ψ(N + γ) − ψ(n1· + α1) + ψ(N + α) − ψ(n·1 + β1) + ψ(N + β)]/ln 2,
    V(IC) = [ψ'(n11 + γ11) − ψ'(N + γ) + ψ'(n1· + α1) − ψ'(N + α) + ψ'(n·1 + β1) − ψ'(N + β)]/ln²2;
    limits E ∓ z·√V. n11 = a, n1· = reports with the drug, n·1 with the event, N total.
    Every argument ≥ 0 gives finite values (the priors keep all terms positive).
    Reference: Gould AL. Pharmacoepidemiol Drug Saf 2003;12:559–574 (App. eqs A3/A4);
    Bate A et al. Eur J Clin Pharmacol 1998;54:315–321.
    """
    n11, n1_, n_1, n = as_counts(n11, n1_, n_1, n, names=("n11", "n1_", "n_1", "N"))
    a1 = b1 = g11 = 1.0
    al = be = 2.0
    g = g11 * (n + al) * (n + be) / ((n1_ + a1) * (n_1 + b1))
    e = (digamma(n11 + g11) - digamma(n + g) - digamma(n1_ + a1) + digamma(n + al)
         - digamma(n_1 + b1) + digamma(n + be)) / _LN2
    tg = lambda x: polygamma(1, x)  # noqa: E731
    v = (tg(n11 + g11) - tg(n + g) + tg(n1_ + a1) - tg(n + al) + tg(n_1 + b1) - tg(n + be)) / _LN2**2
    z = z_value(level)
    sd = np.sqrt(v)
    return BcpnnEstimate(ic=e, variance=v, ic_lower=e - z * sd, ic_upper=e + z * sd, level=level)


def bcpnn_bate(a, b, c, d) -> BcpnnEstimate:
    """The BCPNN closed form printed in many FAERS papers ("IC025 = E(IC) − 2√V(IC)").

    E(IC) = log2[(a+1)(N+2)² / ((N+4)(a+b+1)(a+c+1))];
    V(IC) = (1/ln 2)²·[(N−a+3)/((a+1)(N+5)) + (N−(a+b)+1)/((a+b+1)(N+3))
            + (N−(a+c)+1)/((a+c+1)(N+3))]; limits E ∓ 2√V (``level`` reported as 0.9545).
    For comparison with published FAERS studies only; prefer :func:`ic`.
    Reference: as tabulated in Front Pharmacol 2022;13:848472 (PMC8959618), Table 2;
    FACTS.md §2.1/§2.4.
    """
    a, b, c, d = as_counts(a, b, c, d)
    n = a + b + c + d
    r1, k1 = a + b, a + c
    e = (np.log2(a + 1) + 2 * np.log2(n + 2) - np.log2(n + 4) - np.log2(r1 + 1) - np.log2(k1 + 1))
    v = ((n - a + 3) / ((a + 1) * (n + 5)) + (n - r1 + 1) / ((r1 + 1) * (n + 3))
         + (n - k1 + 1) / ((k1 + 1) * (n + 3))) / _LN2**2
    sd = np.sqrt(v)
    return BcpnnEstimate(ic=e, variance=v, ic_lower=e - 2 * sd, ic_upper=e + 2 * sd, level=0.9545)
