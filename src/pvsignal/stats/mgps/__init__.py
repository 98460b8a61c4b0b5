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

The package follows openEBGM's seams, one module each:

* :mod:`.likelihood` — the prior θ (:class:`GammaMixturePrior`) and the marginal
  likelihood (:func:`neg_log_likelihood`);
* :mod:`.fit` — maximum marginal likelihood from several starts (:func:`fit_prior`,
  :class:`PriorFit`);
* :mod:`.posterior` — Qn, EBGM and the EB05/EB95 quantiles (:func:`ebgm_scores`);
* :mod:`.squashing` — data squashing for the fit (:func:`squash_data`, :func:`auto_squash`);
* :mod:`.estimator` — :class:`MGPS`, fit then score.
"""

from __future__ import annotations

from pvsignal.stats.mgps.estimator import MGPS
from pvsignal.stats.mgps.fit import DEFAULT_STARTS, PriorFit, fit_prior
from pvsignal.stats.mgps.likelihood import GammaMixturePrior, neg_log_likelihood
from pvsignal.stats.mgps.posterior import eb_quantile, ebgm, ebgm_scores, posterior_weight
from pvsignal.stats.mgps.squashing import SquashedPoints, as_points, auto_squash, squash_data

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
    "SquashedPoints",
    "as_points",
    "squash_data",
    "auto_squash",
]
