"""Fitting the MGPS prior: maximum marginal likelihood from several starts (DuMouchel 1999).

θ = (α1, β1, α2, β2, P) maximises the likelihood of :mod:`.likelihood`, optimised in
(ln α1, ln β1, ln α2, ln β2, logit P) with the analytic gradient, on squashed points
(:func:`.squashing.auto_squash`) when the table is large. Starts, tolerance for
"agreeing" starts and squashing defaults follow openEBGM 0.9.1 ``autoHyper``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special

from pvsignal.errors import AnalysisError
from pvsignal.stats.mgps.likelihood import GammaMixturePrior, _from_z, _Likelihood, _to_z
from pvsignal.stats.mgps.squashing import SquashedPoints, as_points, auto_squash

#: openEBGM's default starting points (vignette 3; FACTS §2.3), rows (α1, β1, α2, β2, P).
DEFAULT_STARTS: tuple[tuple[float, ...], ...] = (
    (0.2, 0.1, 2.0, 4.0, 1 / 3),
    (0.1, 0.2, 10.0, 10.0, 0.2),
    (0.3, 0.5, 6.0, 6.0, 0.5),
)

_PARAM_BOUNDS = (1e-6, 1e6)  # α and β
_P_BOUNDS = (1e-7, 1 - 1e-7)
_AUTO_SQUASH_ABOVE = 20_000  # openEBGM advises ≤ ~20,000 points for the optimiser


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
    Edges: no pair left, or a single distinct count → :class:`AnalysisError` (θ is not
    identifiable; supply it instead). Hyperparameters: α shapes, β rates (per unit λ).
    Reference: DuMouchel W. Am Stat 1999;53(3):177–190 (eq. 12 is the marginal);
    openEBGM 0.9.1 ``autoHyper`` (Canida & Ihrie, R Journal 2017, RJ-2017-063).
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
    use_grad = n_star is None or n_star == 1
    fun, scale = _objective(lik, use_grad)

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
        ffun, fscale = _objective(full_lik, use_grad)
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


def _objective(lik: _Likelihood, use_grad: bool):
    """−log L per unit weight (and its gradient when ``use_grad``), and that scale factor."""
    scale = 1.0 / lik.wsum

    def fun(z):
        if use_grad:
            v, g = lik.value_and_grad(z)
            return v * scale, g * scale
        return lik.value_and_grad(z, grad=False) * scale

    return fun, scale


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
