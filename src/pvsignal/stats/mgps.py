"""MGPS: DuMouchel's gamma–Poisson shrinker (EBGM, EB05, EB95) over arrays of (n, E).

Model (DuMouchel W. Bayesian data mining in large frequency tables, with an application to
the FDA spontaneous reporting system. Am Stat 1999;53(3):177–190; notation of openEBGM,
Canida & Ihrie, R Journal 2017, RJ-2017-063):

* n_ij ~ Poisson(λ_ij · E_ij), E the expected count under independence (computed upstream,
  possibly stratified); prior λ ~ P·Gamma(α1, β1) + (1 − P)·Gamma(α2, β2) (rate β),
  θ = (α1, β1, α2, β2, P).
* Marginal of n: P·NB(n; α1, β1/(β1+E)) + (1 − P)·NB(n; α2, β2/(β2+E)) (DuMouchel eq. 12).
  θ is fitted by maximum marginal likelihood. Counts below N* (usually the zero counts,
  N* = 1) are left out and each component is truncated, f*_k = f_k / P_k(n ≥ N*); points
  may carry weights (data squashing): −log L = −Σ w_i log(P f*_1(n_i) + (1−P) f*_2(n_i))
  (openEBGM ``negLLsquash``; ``n_star=None`` gives the untruncated ``negLLzero[Squash]``).
* Posterior of λ given n: Qn·Gamma(α1+n, β1+E) + (1−Qn)·Gamma(α2+n, β2+E) with
  Qn = P f1(n) / (P f1(n) + (1−P) f2(n)) (untruncated marginals).
  E[ln λ | n] = Qn(ψ(α1+n) − ln(β1+E)) + (1−Qn)(ψ(α2+n) − ln(β2+E)); EBGM = exp(E[ln λ]);
  EB05 / EB95 = 5th / 95th percentiles of the posterior mixture.

Speed. The fit runs on squashed data (``squashing.auto_squash``) when the table is large,
with an analytic gradient in log/logit coordinates (SLSQP, several starts). The
quantiles are solved in u = ln λ by a bracketed, masked Newton iteration on the mixture
CDF. Its starting point comes from a cubic spline of the exact quantile over ln E, built
per distinct count n on a small grid (n takes few values), so most points need a single
Newton evaluation, which also checks them: a point stops only when the predicted error of
its last Newton step, |F''/2F'|·step², is below 1e-10 in ln λ (relative error in λ). The
bracket [min, max] of the two component quantiles (``gammaincinv`` per distinct n) is kept
as a bisection safeguard. Where one component holds all but 1e-13 of the posterior weight
the quantile is that component's, in closed form.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special

from pvsignal.stats.squashing import SquashedPoints, as_points, auto_squash
from pvsignal.errors import AnalysisError

__all__ = [
    "GammaMixturePrior",
    "PriorFit",
    "MGPS",
    "DEFAULT_STARTS",
    "neg_log_likelihood",
    "fit_prior",
    "posterior_weight",
    "ebgm",
    "eb_quantile",
    "ebgm_scores",
]

#: openEBGM's default starting points (vignette 3; FACTS §2.3), rows (α1, β1, α2, β2, P).
DEFAULT_STARTS: tuple[tuple[float, ...], ...] = (
    (0.2, 0.1, 2.0, 4.0, 1 / 3),
    (0.1, 0.2, 10.0, 10.0, 0.2),
    (0.3, 0.5, 6.0, 6.0, 0.5),
)

_PARAM_BOUNDS = (1e-6, 1e6)  # α and β
_P_BOUNDS = (1e-7, 1 - 1e-7)
_AUTO_SQUASH_ABOVE = 20_000  # openEBGM advises ≤ ~20,000 points for the optimiser
_DOMINANT = 1e-13  # posterior weight below which a component is ignored for quantiles
_NEWTON_TOL = 1e-10  # predicted error in ln λ at which a quantile is accepted
_SPLINE_NODES = 128


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


@dataclass(frozen=True)
class PriorFit:
    """Result of :func:`fit_prior`.

    ``loglik`` is the log-likelihood (truncated at ``n_star``) on the points the optimiser
    saw (the squashed points if ``squashed``); ``loglik_full`` is the same likelihood on
    every unsquashed pair at the estimate. ``converged`` is the optimiser's success flag
    for the winning start; ``n_agree`` counts converged starts whose estimate lies within
    openEBGM's ``autoHyper`` tolerance (0.05, 0.05, 0.2, 0.2, 0.025) of the winner;
    ``at_bound`` is True if a parameter ended on its box bound. ``starts`` has one row per
    start with its estimate, −log L, convergence and iterations.
    """

    prior: GammaMixturePrior
    loglik: float
    loglik_full: float
    converged: bool
    iterations: int
    start: int
    n_agree: int
    at_bound: bool
    squashed: bool
    n_star: int | None
    n_points: int
    n_fit_points: int
    n_excluded: int
    message: str
    starts: pd.DataFrame = field(repr=False)

    @property
    def theta(self) -> np.ndarray:
        return self.prior.theta

    def to_dict(self) -> dict:
        """Plain values for a JSON sidecar (hyperparameters and fit diagnostics)."""
        return {
            **self.prior.to_dict(),
            "loglik": self.loglik,
            "loglik_full": self.loglik_full,
            "converged": self.converged,
            "iterations": self.iterations,
            "start": self.start,
            "n_agree": self.n_agree,
            "at_bound": self.at_bound,
            "squashed": self.squashed,
            "n_star": self.n_star,
            "n_points": self.n_points,
            "n_fit_points": self.n_fit_points,
            "n_excluded": self.n_excluded,
            "message": self.message,
        }


# --------------------------------------------------------------------------- likelihood


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

    With ``n_star=k`` (k ≥ 1) every count must be ≥ k and each negative binomial is
    truncated below k (``negLL`` / ``negLLsquash``); ``n_star=None`` uses the untruncated
    marginal (``negLLzero`` / ``negLLzeroSquash``). ``weight`` weights each point (squashed
    data); default 1.
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


# --------------------------------------------------------------------------- fitting

_AGREE_TOL = np.array([0.05, 0.05, 0.2, 0.2, 0.025])  # openEBGM autoHyper default 'tol'


def fit_prior(
    n,
    E,
    *,
    weight=None,
    squash: str | bool | None = "auto",
    starts: Sequence[Sequence[float]] | None = None,
    n_star: int | None = 1,
    refine: bool = False,
    max_iter: int = 500,
) -> PriorFit:
    """Fit the two-gamma prior by maximum marginal likelihood (DuMouchel 1999).

    Parameters
    ----------
    n, E : counts of reports per pair and their expected counts (E > 0), one per pair.
    weight : optional weights of already-squashed points (then no further squashing).
    squash : 'auto' squashes with :func:`auto_squash` when more than 20,000 pairs enter
        the fit; True always; None/False never.
    starts : rows (α1, β1, α2, β2, P); default openEBGM's three (``DEFAULT_STARTS``).
    n_star : smallest count used (pairs with n < n_star are left out, the likelihood is
        truncated there); None keeps every count, zeros included, untruncated.
    refine : after a squashed fit, polish the estimate on the unsquashed pairs.

    Truncation is per component, as openEBGM (P f1* + (1−P) f2*); vigipy and open-altio
    instead condition the whole mixture on n ≥ N*, a different likelihood.

    Each start is optimised by SLSQP (L-BFGS-B as fallback) on (ln α, ln β, logit P) within
    α, β ∈ [1e-6, 1e6], P ∈ [1e-7, 1 − 1e-7], with the analytic gradient (numerical for
    n_star ≥ 2). The start
    with the lowest −log L among the converged ones wins (among all if none converged).
    """
    pts = as_points(n, E, weight)
    n_points = int(pts.n.size)
    if n_star is not None and n_star < 1:
        raise AnalysisError("n_star must be None (keep zero counts) or a whole number ≥ 1.")
    n_excluded = 0
    if n_star is not None:
        keep = pts.n >= n_star
        n_excluded = int(n_points - np.count_nonzero(keep))
        if n_excluded:
            pts = SquashedPoints(pts.n[keep], pts.E[keep], pts.weight[keep])
    if pts.n.size == 0:
        raise AnalysisError(
            "no pairs left to fit the MGPS prior (empty input, or every count is below n_star)."
        )
    if np.unique(pts.n).size < 2:
        raise AnalysisError(
            f"every pair has the same count n = {int(pts.n[0])}; the two-gamma prior cannot "
            "be estimated from one distinct count. Supply the hyperparameters instead."
        )
    full = pts
    do_squash = False
    if squash in (True, "always"):
        do_squash = True
    elif squash == "auto":
        do_squash = weight is None and pts.n.size > _AUTO_SQUASH_ABOVE
    elif squash not in (None, False):
        raise AnalysisError("squash must be 'auto', True or None.")
    if do_squash:
        if weight is not None:
            raise AnalysisError("points given with weights are already squashed; use squash=None.")
        pts = auto_squash(pts.n, pts.E)
    lik = _Likelihood(pts, n_star)
    scale = 1.0 / lik.wsum
    use_grad = n_star is None or n_star == 1

    def fun(z):
        if use_grad:
            v, g = lik.value_and_grad(z)
            return v * scale, g * scale
        return lik.value_and_grad(z, grad=False) * scale

    lb = [math.log(_PARAM_BOUNDS[0])] * 4 + [special.logit(_P_BOUNDS[0])]
    ub = [math.log(_PARAM_BOUNDS[1])] * 4 + [special.logit(_P_BOUNDS[1])]
    bounds = list(zip(lb, ub))
    start_rows = np.asarray(DEFAULT_STARTS if starts is None else starts, dtype=np.float64)
    if start_rows.ndim != 2 or start_rows.shape[1] != 5 or start_rows.shape[0] < 1:
        raise AnalysisError("starts must be rows of 5 values (α1, β1, α2, β2, P).")
    rows = []
    for i, s in enumerate(start_rows):
        GammaMixturePrior.from_sequence(s)  # validates the start
        res = _minimize(fun, _to_z(s), use_grad, bounds, max_iter)
        theta = _from_z(res.x)
        rows.append(
            {
                "start": i,
                "alpha1": theta[0],
                "beta1": theta[1],
                "alpha2": theta[2],
                "beta2": theta[3],
                "p": theta[4],
                "neg_loglik": float(res.fun) / scale,
                "converged": bool(res.success and np.all(np.isfinite(res.x))),
                "iterations": int(res.nit),
                "at_bound": bool(np.any(np.isclose(res.x, lb, atol=1e-6) | np.isclose(res.x, ub, atol=1e-6))),
                "message": str(res.message),
                "_z": res.x,
            }
        )
    table = pd.DataFrame(rows)
    pool = table[table["converged"]] if table["converged"].any() else table
    best = pool.loc[pool["neg_loglik"].idxmin()]
    z_best = best["_z"]
    thetas = table[["alpha1", "beta1", "alpha2", "beta2", "p"]].to_numpy()
    theta_best = _from_z(z_best)
    agree = np.all(np.abs(thetas - theta_best) <= _AGREE_TOL, axis=1) & table["converged"].to_numpy()
    iterations = int(best["iterations"])
    converged = bool(best["converged"])
    message = str(best["message"])
    full_lik = _Likelihood(full, n_star) if (do_squash or refine) else lik
    if refine and do_squash:
        fscale = 1.0 / full_lik.wsum

        def ffun(z):
            if use_grad:
                v, g = full_lik.value_and_grad(z)
                return v * fscale, g * fscale
            return full_lik.value_and_grad(z, grad=False) * fscale

        res = _minimize(ffun, z_best, use_grad, bounds, 50)
        before = full_lik.value_and_grad(z_best, grad=False) * fscale
        if res.fun <= before:
            z_best = res.x
            iterations += int(res.nit)
            converged = bool(res.success)
            message = f"refined on unsquashed pairs: {res.message}"
    theta_best = _from_z(z_best)
    loglik = -lik.value_and_grad(z_best, grad=False)
    loglik_full = -full_lik.value_and_grad(z_best, grad=False) if full_lik is not lik else loglik
    return PriorFit(
        prior=GammaMixturePrior.from_sequence(theta_best),
        loglik=float(loglik),
        loglik_full=float(loglik_full),
        converged=converged,
        iterations=iterations,
        start=int(best["start"]),
        n_agree=int(agree.sum()),
        at_bound=bool(best["at_bound"]),
        squashed=do_squash,
        n_star=n_star,
        n_points=n_points,
        n_fit_points=int(pts.n.size),
        n_excluded=n_excluded,
        message=message,
        starts=table.drop(columns="_z"),
    )


def _minimize(fun, z0, use_grad, bounds, max_iter):
    """SLSQP within the box; L-BFGS-B if SLSQP reports failure.

    SLSQP first: on this 5-parameter problem it needs as many evaluations as L-BFGS-B, but
    L-BFGS-B's per-iteration overhead (milliseconds on a busy machine) dominated the fit.
    """
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        res = optimize.minimize(
            fun, z0, jac=use_grad, method="SLSQP", bounds=bounds,
            options={"maxiter": max_iter, "ftol": 1e-12},
        )
        if not res.success or not np.all(np.isfinite(res.x)):
            res = optimize.minimize(
                fun, z0, jac=use_grad, method="L-BFGS-B", bounds=bounds,
                options={"maxiter": max_iter, "ftol": 1e-13, "gtol": 1e-9},
            )
    return res


# --------------------------------------------------------------------------- posterior


def _as_prior(prior) -> GammaMixturePrior:
    if isinstance(prior, PriorFit):
        return prior.prior
    if isinstance(prior, GammaMixturePrior):
        return prior
    return GammaMixturePrior.from_sequence(prior)


class _Posterior:
    """Per-point posterior pieces, with everything that depends on n only computed per distinct n."""

    def __init__(self, n, E, prior):
        self.prior = _as_prior(prior)
        pts = as_points(n, E)
        self.n = pts.n.astype(np.float64)
        self.E = pts.E
        self.values, self.inv = _count_index(pts.n)
        v = self.values.astype(np.float64)
        pr = self.prior
        self.a = (pr.alpha1 + v, pr.alpha2 + v)  # per distinct n
        self.b0 = (pr.beta1, pr.beta2)
        self.L = (np.log1p(self.E / pr.beta1), np.log1p(self.E / pr.beta2))
        self.logE = logE = np.log(self.E)
        lg_n1 = special.gammaln(v + 1.0)
        logf = []
        for k, (al, be) in enumerate(((pr.alpha1, pr.beta1), (pr.alpha2, pr.beta2))):
            c = (special.gammaln(al + v) - special.gammaln(al) - lg_n1)[self.inv]
            logf.append(c + self.n * (logE - math.log(be)) - (al + self.n) * self.L[k])
        self.log_odds = special.logit(pr.p) + logf[0] - logf[1]
        self.qn = special.expit(self.log_odds)
        self.lgam_a = (special.gammaln(self.a[0]), special.gammaln(self.a[1]))

    def log_b(self, k):
        return math.log(self.b0[k]) + self.L[k]

    def e_log_lambda(self):
        d1 = special.digamma(self.a[0])[self.inv] - self.log_b(0)
        d2 = special.digamma(self.a[1])[self.inv] - self.log_b(1)
        return self.qn * d1 + (1.0 - self.qn) * d2


def posterior_weight(n, E, prior) -> np.ndarray:
    """Qn, the posterior probability that λ comes from prior component 1 (DuMouchel 1999)."""
    return _Posterior(n, E, prior).qn


def ebgm(n, E, prior) -> np.ndarray:
    """Empirical Bayes geometric mean exp(E[ln λ | n]) (DuMouchel 1999; openEBGM ``ebgm``)."""
    return np.exp(_Posterior(n, E, prior).e_log_lambda())


def eb_quantile(n, E, prior, q: float, *, n_threads: int | None = None) -> np.ndarray:
    """The q-quantile (0 < q < 1) of the posterior of λ (EB05: q = 0.05; EB95: q = 0.95)."""
    post = _Posterior(n, E, prior)
    return np.exp(_quantiles(post, [_check_q(q)], _threads(n_threads))[0])


def ebgm_scores(
    n, E, prior, *, quantiles: Sequence[float] = (0.05, 0.95), n_threads: int | None = None
) -> pd.DataFrame:
    """Posterior summaries per pair: ``qn``, ``ebgm``, and one column per quantile.

    Quantile columns are named ``eb05``/``eb95`` for 0.05/0.95 and ``eb{100q:g}`` otherwise
    (e.g. ``eb2.5``). Rows in input order. ``n_threads`` (default: up to 2 CPUs) splits the
    quantile iteration across threads. Raises AnalysisError for NaN, E ≤ 0, negative counts
    or invalid hyperparameters — never returns a silent NaN.
    """
    qs = [_check_q(q) for q in quantiles]
    post = _Posterior(n, E, prior)
    out = {"qn": post.qn, "ebgm": np.exp(post.e_log_lambda())}
    for q, u in zip(qs, _quantiles(post, qs, _threads(n_threads))):
        out[_quantile_name(q)] = np.exp(u)
    return pd.DataFrame(out)


def _threads(n_threads: int | None) -> int:
    if n_threads is None:
        return max(1, min(2, os.cpu_count() or 1))
    if n_threads < 1:
        raise AnalysisError("n_threads must be ≥ 1.")
    return int(n_threads)


def _quantile_name(q: float) -> str:
    pct = 100 * q
    return f"eb{int(round(pct)):02d}" if abs(pct - round(pct)) < 1e-9 else f"eb{pct:g}"


def _check_q(q) -> float:
    q = float(q)
    if not 0 < q < 1:
        raise AnalysisError(f"quantile must lie strictly between 0 and 1 (got {q}).")
    return q


def _cdf_terms(u, a1, a2, lb1, lb2, lg1, lg2, w):
    """Mixture CDF F, dF/du, d²F/du² at u = ln λ for posterior components Gamma(a_k, rate e^{lb_k})."""
    ly1 = lb1 + u
    ly2 = lb2 + u
    y1 = np.exp(ly1)
    y2 = np.exp(ly2)
    wg1 = w * np.exp(a1 * ly1 - y1 - lg1)  # weighted density of ln λ, component 1
    wg2 = (1.0 - w) * np.exp(a2 * ly2 - y2 - lg2)
    F = w * special.gammainc(a1, y1) + (1.0 - w) * special.gammainc(a2, y2)
    d1 = wg1 + wg2
    d2 = wg1 * (a1 - y1) + wg2 * (a2 - y2)
    return F, d1, d2


def _newton(q, u, lo, hi, args, max_iter=200):
    """Bracketed Newton on F(u) = q for many points; only unfinished points are recomputed.

    ``args`` = (a1, a2, lb1, lb2, lg1, lg2, w), one value per point. A Newton step that
    leaves the bracket is replaced by bisection. A point is done when its predicted error
    after the step, |F''/(2F')|·step², is below ``_NEWTON_TOL`` (and the step < 0.01), or
    its bracket is narrower than ``_NEWTON_TOL``.
    """
    u, lo, hi = u.copy(), lo.copy(), hi.copy()
    active = None  # None: every point (no gather on the first, largest pass)
    for _ in range(max_iter):
        if active is None:
            ua, la, ha, aa = u, lo, hi, args
        else:
            if active.size == 0:
                return u
            ua, la, ha = u[active], lo[active], hi[active]
            aa = [x[active] for x in args]
        F, d1, d2 = _cdf_terms(ua, *aa)
        r = F - q
        below = r < 0
        la = np.where(below, ua, la)
        ha = np.where(below, ha, ua)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = -r / d1
            un = ua + step
            bad = ~np.isfinite(un) | (un <= la) | (un >= ha)
            pred = np.abs(d2 / (2.0 * d1)) * (step * step)
        un = np.where(bad, 0.5 * (la + ha), un)
        done = ((~bad) & (pred < _NEWTON_TOL) & (np.abs(step) < 1e-2)) | (ha - la <= _NEWTON_TOL) | (r == 0)
        if active is None:
            u, lo, hi = un, la, ha
            active = np.flatnonzero(~done)
        else:
            u[active], lo[active], hi[active] = un, la, ha
            active = active[~done]
    if active is None or active.size:
        raise RuntimeError("posterior quantile iteration did not converge")
    return u


def _newton_threads(q, u, lo, hi, args, n_threads):
    """:func:`_newton` on contiguous chunks in threads (NumPy/SciPy ufuncs release the GIL)."""
    size = u.size
    if n_threads <= 1 or size < 200_000:
        return _newton(q, u, lo, hi, args)
    from concurrent.futures import ThreadPoolExecutor

    edges = np.linspace(0, size, n_threads + 1).astype(int)
    parts = [slice(edges[i], edges[i + 1]) for i in range(n_threads)]
    with ThreadPoolExecutor(n_threads) as pool:
        outs = list(pool.map(lambda sl: _newton(q, u[sl], lo[sl], hi[sl], [x[sl] for x in args]), parts))
    return np.concatenate(outs)


def _quantiles(post: _Posterior, qs: Sequence[float], n_threads: int, spline: bool = True):
    """ln of the posterior q-quantiles for every point, one array per q."""
    inv = post.inv
    w = post.qn
    lb1, lb2 = post.log_b(0), post.log_b(1)
    # a component holding < 1e-13 of the posterior weight moves F by < 1e-13: drop it
    mixed = np.flatnonzero((w >= _DOMINANT) & (w <= 1.0 - _DOMINANT))
    if mixed.size:
        im = inv[mixed]
        args = [post.a[0][im], post.a[1][im], lb1[mixed], lb2[mixed],
                post.lgam_a[0][im], post.lgam_a[1][im], w[mixed]]
        grid = _SplineGrid(post, mixed) if spline else None
    results = []
    for q in qs:
        # exact component quantiles (gammaincinv per distinct n) bracket the mixture quantile
        z1 = np.log(special.gammaincinv(post.a[0], q))
        z2 = np.log(special.gammaincinv(post.a[1], q))
        u = np.where(w >= 0.5, z1[inv] - lb1, z2[inv] - lb2)
        if mixed.size:
            m1 = z1[im] - args[2]
            m2 = z2[im] - args[3]
            lo, hi = np.minimum(m1, m2), np.maximum(m1, m2)
            start = args[6] * (m1 - m2) + m2
            if grid is not None and grid.idx.size:
                sl = grid.idx
                start[sl] = np.clip(grid.evaluate(q), lo[sl], hi[sl])
            u[mixed] = _newton_threads(q, start, lo, hi, args, n_threads)
        results.append(u)
    return results


class _SplineGrid:
    """Newton starting points from a cubic spline of the exact quantile over ln E.

    For every distinct count n held by at least 8 × ``_SPLINE_NODES`` of the points, the
    quantile is solved exactly at ``_SPLINE_NODES`` equally spaced ln E nodes spanning the
    data and interpolated by a cubic spline (one spline per count, one shared grid).
    """

    def __init__(self, post: _Posterior, todo: np.ndarray):
        self.post = post
        inv = post.inv[todo]
        counts = np.bincount(inv, minlength=post.values.size)
        self.big = np.flatnonzero(counts >= 8 * _SPLINE_NODES)
        if self.big.size == 0:
            self.idx = np.zeros(0, dtype=np.intp)
            return
        is_big = np.zeros(post.values.size, dtype=bool)
        is_big[self.big] = True
        self.idx = np.flatnonzero(is_big[inv])
        t = post.logE[todo[self.idx]]
        tmin, tmax = float(t.min()), float(t.max())
        span = max(tmax - tmin, 1e-9)
        K = _SPLINE_NODES
        self.grid_t = tmin + span * np.linspace(0.0, 1.0, K)
        slot = np.full(post.values.size, -1)
        slot[self.big] = np.arange(self.big.size)
        s = (t - tmin) * ((K - 1) / span)
        j = np.clip(s.astype(np.intp), 0, K - 2)
        self.ds = s - j
        self.flat = j * self.big.size + slot[inv[self.idx]]  # index into coef[:, j, g]

    def evaluate(self, q: float) -> np.ndarray:
        from scipy.interpolate import CubicSpline

        K, G = _SPLINE_NODES, self.big.size
        nodes = _Posterior(np.repeat(self.post.values[self.big], K), np.exp(np.tile(self.grid_t, G)), self.post.prior)
        node_u = _quantiles(nodes, [q], 1, spline=False)[0].reshape(G, K)
        c = CubicSpline(np.arange(K, dtype=np.float64), node_u.T, axis=0).c.reshape(4, -1)
        ds, f = self.ds, self.flat
        return ((c[0][f] * ds + c[1][f]) * ds + c[2][f]) * ds + c[3][f]


# --------------------------------------------------------------------------- estimator


class MGPS:
    """Estimator shape (scikit-learn/lifelines-like): ``fit`` the prior, then ``score`` pairs.

    >>> model = MGPS().fit(n, E)          # doctest: +SKIP
    >>> model.prior_, model.fit_.loglik    # doctest: +SKIP
    >>> model.score(n, E)                  # DataFrame: qn, ebgm, eb05, eb95  # doctest: +SKIP
    """

    def __init__(self, *, squash="auto", starts=None, n_star: int | None = 1,
                 quantiles: Sequence[float] = (0.05, 0.95)):
        self.squash = squash
        self.starts = starts
        self.n_star = n_star
        self.quantiles = tuple(quantiles)

    def fit(self, n, E, weight=None) -> "MGPS":
        self.fit_ = fit_prior(n, E, weight=weight, squash=self.squash, starts=self.starts, n_star=self.n_star)
        self.prior_ = self.fit_.prior
        return self

    def score(self, n, E) -> pd.DataFrame:
        if not hasattr(self, "prior_"):
            raise AnalysisError("MGPS.score called before fit; call fit(n, E) first.")
        return ebgm_scores(n, E, self.prior_, quantiles=self.quantiles)
