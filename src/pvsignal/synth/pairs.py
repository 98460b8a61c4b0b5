"""Pair-level heterogeneity: a latent relative reporting ratio λ for every (ingredient, PT).

Real FAERS is heterogeneous across drug–event pairs (the MGPS prior fitted on it is a
wide two-gamma mixture, FACTS-2 §7: α1 0.983, β1 0.393, α2 0.386, β2 0.00326, P 0.806);
exactly independent data make the fitted prior collapse to a point mass at 1. So each
corpus draws, once, a matrix λ (ingredients × PTs) from a two-component mixture:

* with probability ``1 − elevated_share``: ln λ ~ Normal(0, ``pair_sd``) (the bulk:
  reporting noise around independence, 95 % of pairs within ×/÷ e^(1.96·sd));
* with probability ``elevated_share``: ln λ ~ Normal(ln ``elevated_median``,
  ``elevated_sd``) (true associations, λ well above 1).

The raw draws are then rescaled (iterative proportional fitting, 200 sweeps) so that
Σ_e w_e λ_de = 1 for every drug d and Σ_d v_d λ_de = 1 for every PT e, with w the PT
weights and v the drug weights of :mod:`~pvsignal.synth.draw`. Then a report whose only
suspect is d draws each PT with probability exactly w_e·λ_de, and every PT keeps its
population share w_e, so λ_de is the ratio P(PT = e | d suspect) / P(PT = e) per draw —
the quantity disproportionality estimates. (The rescaling moves the bulk's median a
little below 1, since the elevated pairs must be paid for by the rest.) Values are rounded
to 3 significant digits before use, so the λ recorded in ``truth.json`` is exactly the λ
drawn with. Voclosporin's row is 1: its only associations are the planted ones.

How λ enters the reports: see :func:`pvsignal.synth.draw.draw_events` — PT weights of a
report are w_e·Π λ_de over its distinct suspect ingredients (PS, SS), renormalised.
"""

from __future__ import annotations

import numpy as np

#: significant digits of λ (as used and as recorded)
DIGITS = 3
_SWEEPS = 200


def draw_lambda(rng: np.random.Generator, drug_w: np.ndarray, pt_w: np.ndarray, *, pair_sd: float,
                elevated_share: float, elevated_median: float, elevated_sd: float,
                fixed_rows: tuple[int, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """``(λ, elevated)``: the (drugs × PTs) matrix of relative reporting ratios and the
    boolean matrix of pairs drawn from the elevated component. ``fixed_rows`` stay 1."""
    shape = (len(drug_w), len(pt_w))
    elevated = rng.random(shape) < elevated_share
    z = rng.standard_normal(shape)
    log_lam = np.where(elevated, np.log(elevated_median) + elevated_sd * z, pair_sd * z)
    lam = np.exp(log_lam)
    rows = drug_w > 0
    for _ in range(_SWEEPS):
        lam[rows] /= (lam[rows] @ pt_w)[:, None]
        lam /= (drug_w @ lam)[None, :]
    lam[list(fixed_rows)] = 1.0
    elevated[list(fixed_rows)] = False
    return round_sig(lam), elevated


def round_sig(x: np.ndarray, digits: int = DIGITS) -> np.ndarray:
    """Round positive values to ``digits`` significant digits."""
    e = np.floor(np.log10(x))
    scale = 10.0 ** (digits - 1 - e)
    return np.round(x * scale) / scale


__all__ = ["draw_lambda", "round_sig", "DIGITS"]
