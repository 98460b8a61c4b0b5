"""Two-parameter Weibull fit of time-to-onset data, and its WSP reading.

F(t) = 1 − exp(−(t/α)^β), shape β, scale α (days). The reading follows the confidence
interval of β, not its point estimate (FACTS.md §2.5, FACTS-2.md §5): upper limit < 1 →
"early failure"; lower limit > 1 → "wear-out failure"; otherwise "random failure".
Spontaneous-report onset data are right-truncated (Leroy et al., BMC Med Res Methodol
2014;14:17), which this naive MLE does not correct.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import optimize, special, stats

from pvsignal.errors import AnalysisError, ConfigError
from pvsignal.stats.estimates import lognormal_interval


@dataclass(frozen=True)
class WeibullFit:
    """Two-parameter Weibull MLE with confidence intervals (see :func:`weibull_fit`)."""

    n: int
    shape: float
    shape_lower: float
    shape_upper: float
    scale: float
    scale_lower: float
    scale_upper: float
    se_shape: float
    se_scale: float
    loglik: float
    level: float
    ci_method: str

    @property
    def reading(self) -> str:
        """WSP reading from the CI of the shape: early failure / random failure / wear-out failure."""
        return weibull_reading(self.shape_lower, self.shape_upper)

    def pdf(self, t: np.ndarray) -> np.ndarray:
        """Fitted density at ``t`` days."""
        return stats.weibull_min.pdf(t, self.shape, scale=self.scale)


def weibull_reading(lower: float, upper: float) -> str:
    """'early failure' if upper < 1, 'wear-out failure' if lower > 1, else 'random failure'.

    ``lower``, ``upper``: the confidence limits of the Weibull shape β (dimensionless).
    Reference: the WSP reading of FAERS/JADER onset studies, e.g. Yamada M, Handa J.
    Jpn J Pharmacoepidemiol 2014;19(1):23–30 (FACTS-2.md §5).
    """
    if upper < 1:
        return "early failure"
    if lower > 1:
        return "wear-out failure"
    return "random failure"


def weibull_fit(t: Sequence[float] | np.ndarray, *, level: float = 0.95, ci: str = "wald-log") -> WeibullFit:
    """Maximum-likelihood two-parameter Weibull (location 0) with confidence intervals.

    F(t) = 1 − exp(−(t/α)^β). The MLE solves the profile score equation
    1/β + mean(ln t) − Σ t^β ln t / Σ t^β = 0 for β (``scipy.optimize.brentq``; computed
    on t/max(t), which leaves β unchanged and avoids overflow), then α = (mean t^β)^(1/β).
    Standard errors from the inverse observed information (analytic Hessian at the MLE).

    ``ci='wald-log'`` (default; JMP's default Wald interval, built on the log scale):
    β·exp(±z·SE(β)/β), α·exp(±z·SE(α)/α). ``ci='profile'``: the shape's interval is the
    profile-likelihood interval {β : 2(ℓ̂ − ℓp(β)) ≤ χ²₁(level)}; the scale keeps the
    Wald-log interval.

    Needs at least 3 values, all > 0 and not all equal (:class:`AnalysisError`
    otherwise). Reference vector: FACTS-2.md §5 (β 0.742164, α 24.58119).
    """
    x = np.asarray(t, dtype=float)
    if x.ndim != 1 or len(x) < 3:
        raise AnalysisError(f"a Weibull fit needs at least 3 onset times, got {x.size}")
    if not np.all(np.isfinite(x)) or np.any(x <= 0):
        raise AnalysisError("a Weibull fit needs onset times > 0 (map day 0 first)")
    if np.all(x == x[0]):
        raise AnalysisError("a Weibull fit needs onset times that are not all equal")
    if ci not in ("wald-log", "profile"):
        raise ConfigError(f"ci must be 'wald-log' or 'profile', not {ci!r}")
    n = len(x)
    lu = np.log(x / x.max())  # ≤ 0
    mean_lu = lu.mean()

    def score(b: float) -> float:
        w = np.exp(b * lu)
        return 1.0 / b + mean_lu - float(np.dot(w, lu) / w.sum())

    lo, hi = 1e-3, 1.0
    while score(lo) <= 0:
        lo /= 10
    while score(hi) > 0:
        hi *= 2
    beta = optimize.brentq(score, lo, hi, xtol=1e-14, rtol=1e-15, maxiter=500)
    lt = np.log(x)
    alpha = math.exp((special.logsumexp(beta * lt) - math.log(n)) / beta)

    # observed information at the MLE (second derivatives of ℓ(β, α))
    z = x / alpha
    L = np.log(z)
    zb = z**beta
    h_bb = -n / beta**2 - float(np.sum(zb * L * L))
    h_aa = n * beta / alpha**2 - beta * (beta + 1) / alpha**2 * float(zb.sum())
    h_ab = (-n + float(zb.sum()) + beta * float(np.sum(zb * L))) / alpha
    cov = np.linalg.inv(-np.array([[h_bb, h_ab], [h_ab, h_aa]]))
    se_b, se_a = math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1])
    loglik = float(np.sum(stats.weibull_min.logpdf(x, beta, scale=alpha)))

    # Wald on the log scale: SE(ln β) = SE(β)/β (delta method), limits exp(ln β ∓ z·SE)
    b_lo, b_hi = map(float, lognormal_interval(math.log(beta), se_b / beta, level=level))
    a_lo, a_hi = map(float, lognormal_interval(math.log(alpha), se_a / alpha, level=level))
    if ci == "profile":
        sum_lt = float(lt.sum())

        def prof(b: float) -> float:  # ℓ maximised over α at fixed β
            return n * math.log(b) - n * (special.logsumexp(b * lt) - math.log(n)) + (b - 1) * sum_lt - n

        cut = prof(beta) - stats.chi2.ppf(level, 1) / 2
        f = lambda b: prof(b) - cut  # noqa: E731
        a = beta / 2
        while f(a) > 0:
            a /= 2
        b = beta * 2
        while f(b) > 0:
            b *= 2
        b_lo = optimize.brentq(f, a, beta, xtol=1e-12)
        b_hi = optimize.brentq(f, beta, b, xtol=1e-12)
    return WeibullFit(
        n=n, shape=beta, shape_lower=b_lo, shape_upper=b_hi, scale=alpha,
        scale_lower=a_lo, scale_upper=a_hi,
        se_shape=se_b, se_scale=se_a, loglik=loglik, level=level, ci_method=ci,
    )
