"""The MGPS model's marginal likelihood: a two-gamma mixture prior and its negative binomial marginals.

n ~ Poisson(λ·E) with λ ~ P·Gamma(α1, β1) + (1 − P)·Gamma(α2, β2) (β rates) gives the
marginal P·NB(n; α1, β1/(β1 + E)) + (1 − P)·NB(n; α2, β2/(β2 + E)) (DuMouchel 1999,
eq. 12). Counts below N* are left out and each component truncated there (openEBGM
``negLLsquash``). Reference: DuMouchel W. Am Stat 1999;53(3):177–190; Canida T, Ihrie J,
R Journal 2017, RJ-2017-063 (openEBGM).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import special

from pvsignal.errors import AnalysisError
from pvsignal.stats.mgps.squashing import SquashedPoints, as_points


@dataclass(frozen=True)
class GammaMixturePrior:
    """Two-gamma mixture prior θ = (α1, β1, α2, β2, P); β are rates, P the weight of component 1."""

    alpha1: float
    beta1: float
    alpha2: float
    beta2: float
    p: float

    def __post_init__(self) -> None:
        vals = (self.alpha1, self.beta1, self.alpha2, self.beta2, self.p)
        if not all(isinstance(v, (int, float, np.floating, np.integer)) for v in vals):
            raise AnalysisError("MGPS hyperparameters must be numbers (α1, β1, α2, β2, P).")
        if not all(math.isfinite(float(v)) and float(v) > 0 for v in vals) or self.p >= 1:
            raise AnalysisError(
                f"invalid MGPS hyperparameters {vals}: α and β must be positive and 0 < P < 1."
            )

    @classmethod
    def from_sequence(cls, theta: Sequence[float]) -> "GammaMixturePrior":
        """Build from (α1, β1, α2, β2, P) in openEBGM's order."""
        vals = [float(v) for v in theta]
        if len(vals) != 5:
            raise AnalysisError("θ must have 5 values: α1, β1, α2, β2, P.")
        return cls(*vals)

    @property
    def theta(self) -> np.ndarray:
        return np.array([self.alpha1, self.beta1, self.alpha2, self.beta2, self.p])

    def to_dict(self) -> dict[str, float]:
        return dict(zip(("alpha1", "beta1", "alpha2", "beta2", "p"), map(float, self.theta)))




def _count_index(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct counts and, per point, the index of its count (O(len) when counts are small)."""
    if n.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.intp)
    top = int(n.max())
    if top <= 4 * n.size + 1_000_000:
        present = np.bincount(n, minlength=top + 1) > 0
        values = np.flatnonzero(present)
        lut = np.cumsum(present) - 1
        return values, lut[n]
    values, inv = np.unique(n, return_inverse=True)
    return values, inv


class _Likelihood:
    """−log L and its gradient in (ln α1, ln β1, ln α2, ln β2, logit P) for fixed points."""

    def __init__(self, pts: SquashedPoints, n_star: int | None):
        self.n = pts.n.astype(np.float64)
        self.E = pts.E
        self.w = pts.weight
        self.wsum = float(pts.weight.sum())
        self.logE = np.log(pts.E)
        self.values, self.inv = _count_index(pts.n)
        self.vals_f = self.values.astype(np.float64)
        self.lgam_n1 = special.gammaln(self.vals_f + 1.0)
        self.n_star = n_star

    def _component(self, a: float, b: float, grad: bool):
        L = np.log1p(self.E / b)  # ln(β+E) − ln β
        c = (special.gammaln(a + self.vals_f) - special.gammaln(a) - self.lgam_n1)[self.inv]
        logf = c + self.n * (self.logE - math.log(b)) - (a + self.n) * L
        da = db = None
        if self.n_star is not None and self.n_star >= 1:
            if self.n_star == 1:
                with np.errstate(over="ignore"):
                    em = np.expm1(a * L)  # 1/P(n≥1) = 1 + 1/em
                log_s = np.log(-np.expm1(-a * L))
            else:
                log_s = np.log(special.betainc(self.n_star, a, self.E / (b + self.E)))
            logf = logf - log_s
        if grad:
            dig = (special.digamma(a + self.vals_f) - special.digamma(a))[self.inv]
            da = dig - L
            db = a / b - (a + self.n) / (b + self.E)
            if self.n_star == 1:
                da = da - L / em
                db = db + a * self.E / (b * (b + self.E)) / em
            # chain rule to log coordinates
            da = da * a
            db = db * b
        return logf, da, db

    def value_and_grad(self, z: np.ndarray, grad: bool = True):
        a1, b1, a2, b2 = np.exp(z[:4])
        P = special.expit(z[4])
        lf1, da1, db1 = self._component(a1, b1, grad)
        lf2, da2, db2 = self._component(a2, b2, grad)
        t1 = math.log(P) + lf1
        t2 = math.log1p(-P) + lf2
        ll = np.logaddexp(t1, t2)
        # (x * y).sum() rather than np.dot: a threaded BLAS dot costs milliseconds of
        # thread start-up per call on a busy machine, the plain product microseconds
        nll = -float((self.w * ll).sum())
        if not grad:
            return nll
        r1 = np.exp(t1 - ll)
        wr1 = self.w * r1
        wr2 = self.w - wr1
        g = -np.array(
            [
                (wr1 * da1).sum(),
                (wr1 * db1).sum(),
                (wr2 * da2).sum(),
                (wr2 * db2).sum(),
                wr1.sum() - P * self.wsum,
            ]
        )
        return nll, g


def neg_log_likelihood(theta, n, E, weight=None, *, n_star: int | None = 1) -> float:
    """−log marginal likelihood of θ = (α1, β1, α2, β2, P) (openEBGM likelihood functions).

    f_k(n) = NB(n; size α_k, prob β_k/(β_k + E)) (DuMouchel 1999, eq. 12);
    −log L = −Σ_i w_i·log(P·f*_1(n_i) + (1 − P)·f*_2(n_i)), f*_k = f_k/P_k(n ≥ N*), in nats.
    With ``n_star=k`` (k ≥ 1) every count must be ≥ k and each negative binomial is
    truncated below k (``negLL`` / ``negLLsquash``); ``n_star=None`` uses the untruncated
    marginal (``negLLzero`` / ``negLLzeroSquash``). ``weight`` weights each point (squashed
    data); default 1.
    Reference: DuMouchel W. Am Stat 1999;53(3):177–190; openEBGM 0.9.1
    ``R/f_likelihoodEqs.R`` (FACTS-2 §3).
    """
    prior = theta if isinstance(theta, GammaMixturePrior) else GammaMixturePrior.from_sequence(theta)
    pts = as_points(n, E, weight)
    if pts.n.size == 0:
        raise AnalysisError("no (n, E) points to evaluate the likelihood on.")
    if n_star is not None:
        if n_star < 1:
            raise AnalysisError("n_star must be None (no truncation) or a whole number ≥ 1.")
        if int(pts.n.min()) < n_star:
            raise AnalysisError(
                f"counts below n_star = {n_star} are present; drop them or lower n_star."
            )
    lik = _Likelihood(pts, n_star)
    return lik.value_and_grad(_to_z(prior.theta), grad=False)


def _to_z(theta: np.ndarray) -> np.ndarray:
    return np.concatenate([np.log(theta[:4]), [special.logit(theta[4])]])


def _from_z(z: np.ndarray) -> np.ndarray:
    return np.concatenate([np.exp(z[:4]), [special.expit(z[4])]])
