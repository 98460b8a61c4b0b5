"""Drug–drug interaction measures over the 2×2×2 table of (victim D1, perpetrator D2, event).

Notation (Norén et al. 2008): ``n_ijk`` counts reports with D1 present (i), D2 present (j)
and the event present (k); "_" sums over an index. The four exposure strata:

    n11_ both drugs        n111 of them with the event
    n10_ D1 without D2     n101
    n01_ D2 without D1     n011
    n00_ neither           n001

Pure numpy/scipy over arrays of these counts (any number of triples at once).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from pvsignal.stats.ratios import ror
from pvsignal.stats.reasons import first_reason, reason_text

STRATA_COLUMNS = ("n111", "n11_", "n101", "n10_", "n011", "n01_", "n001", "n00_")

def margins_to_strata(nxyz, nxy, nxz, nyz, nx, ny, nz, n) -> dict[str, np.ndarray]:
    """Convert marginal counts (PVomega's input form) to the four exposure strata.

    ``nxyz = n111``, ``nxy = n11_``, ``nxz = n1_1``, ``nyz = n_11``, ``nx = n1__``,
    ``ny = n_1_``, ``nz = n__1``, ``n = n___``. Returns a dict with :data:`STRATA_COLUMNS`
    (arrays; inconsistent margins give negative counts, which :func:`omega` flags).
    Reference: FACTS-2 §2.1 items 1–2; PVomega R/omega_from_counts.R.
    """
    nxyz, nxy, nxz, nyz, nx, ny, nz, n = (
        np.asarray(v, dtype=np.int64) for v in (nxyz, nxy, nxz, nyz, nx, ny, nz, n)
    )
    return {
        "n111": nxyz,
        "n11_": nxy,
        "n101": nxz - nxyz,
        "n10_": nx - nxy,
        "n011": nyz - nxyz,
        "n01_": ny - nxy,
        "n001": nz - nxz - nyz + nxyz,
        "n00_": n - nx - ny + nxy,
    }


def omega(
    n111, n11_, n101, n10_, n011, n01_, n001, n00_,
    *,
    alpha: float = 0.5,
    level: float = 0.95,
    background: bool = True,
) -> pd.DataFrame:
    """The Ω shrinkage measure of interaction with its exact credibility interval.

    Reporting rates per stratum ``f_ij = n_ij1 / n_ij_`` and odds ``o = f/(1−f)``; the rate
    expected with both drugs under "no interaction" (additive excess odds, eq. 16):

        g11 = 1 − 1 / (max(o00, o10) + max(o00, o01) − o00 + 1)

    ``E111 = g11·n11_``; ``Ω = log2((n111 + α)/(E111 + α))``, α = 0.5 by default; the limits
    (eq. 19–20) are log2 of the (1−level)/2 and (1+level)/2 quantiles of
    Gamma(shape = n111 + α, rate = E111 + α), computed exactly (``scipy.special.gammaincinv``).
    ``omega_lower > 0`` (Ω025 at level 0.95) is a signal of disproportionate reporting; with
    α = 0.5 it needs at least 3 reports. ``background=False`` is the paper's robustness
    variant ``g11 = 1 − 1/(o10 + o01 + 1)``.

    Edges: Ω is undefined (NaN, ``reason`` says why) when a stratum is empty
    (n11_, n10_, n01_ or n00_ = 0), when f00, f10 or f01 = 1 (infinite odds), or when the
    counts are inconsistent (negative, or more events than reports); f11 = 1 and n111 = 0
    are fine. Arrays broadcast; no loop over triples.

    Returns a DataFrame with columns ``n111, expected, omega, omega_lower, omega_upper,
    omega0`` (unshrunk log2(n111/E111)), ``f11, f10, f01, f00, g11, reason``.

    Reference: Norén GN, Sundberg R, Bate A, Edwards IR. A statistical methodology for drug–drug
    interaction surveillance. Stat Med 2008;27:3057–3070, doi:10.1002/sim.3247 (eq. 16, 19–20);
    checked against Uppsala-Monitoring-Centre/PVomega (FACTS-2 §2).
    """
    if not alpha > 0:
        raise ValueError("alpha must be > 0")
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    arrs = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (n111, n11_, n101, n10_, n011, n01_, n001, n00_)))
    c111, c11, c101, c10, c011, c01, c001, c00 = (np.atleast_1d(a) for a in arrs)

    events = (c111, c101, c011, c001)
    sizes = (c11, c10, c01, c00)
    bad = np.zeros(c111.shape, bool)
    for k, s in zip(events, sizes):  # four strata, not a loop over triples
        bad |= (k < 0) | (s < 0) | (k > s)
    empty = (c11 == 0) | (c10 == 0) | (c01 == 0) | (c00 == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        f11, f10, f01, f00 = c111 / c11, c101 / c10, c011 / c01, c001 / c00
        code = first_reason(
            (bad, "inconsistent counts"), (empty, "empty stratum"),
            ((f00 == 1) | (f10 == 1) | (f01 == 1), "f00, f10 or f01 = 1"),
        )
        ok = code == 0
        o00, o10, o01 = f00 / (1 - f00), f10 / (1 - f10), f01 / (1 - f01)
        if background:
            odds = np.maximum(o00, o10) + np.maximum(o00, o01) - o00
        else:
            odds = o10 + o01
        g11 = np.where(ok, 1 - 1 / (odds + 1), np.nan)  # eq. 16
        expected = g11 * c11
        shape, rate = c111 + alpha, expected + alpha
        om = np.log2(shape / rate)
        tail = (1 - level) / 2
        lower = np.log2(special.gammaincinv(shape, tail) / rate)  # eq. 20
        upper = np.log2(special.gammaincinv(shape, 1 - tail) / rate)
        om0 = np.log2(c111 / expected)
    nan_if = lambda a: np.where(ok, a, np.nan)  # noqa: E731
    return pd.DataFrame(
        {
            "n111": c111.astype(np.int64) if np.all(np.isfinite(c111)) else c111,
            "expected": expected,
            "omega": nan_if(om),
            "omega_lower": nan_if(lower),
            "omega_upper": nan_if(upper),
            "omega0": nan_if(om0),
            "f11": nan_if(f11),
            "f10": nan_if(f10),
            "f01": nan_if(f01),
            "f00": nan_if(f00),
            "g11": g11,
            "reason": reason_text(code),
        }
    )


def stratified_ror(
    n111, n11_, n101, n10_, n011, n01_, n001, n00_, *, level: float = 0.95
) -> pd.DataFrame:
    """Event reporting with both drugs against either drug alone (stratified ROR).

    Rates: ``rate_both = n111/n11_``, ``rate_drug_alone = n101/n10_``,
    ``rate_perpetrator_alone = n011/n01_``, ``rate_neither = n001/n00_``.
    ``ror_both_vs_drug`` = (n111·(n10_−n101)) / ((n11_−n111)·n101), with a Woolf (log-normal)
    interval, SE = sqrt(1/a + 1/b + 1/c + 1/d); likewise ``ror_both_vs_perpetrator``
    against the perpetrator-alone stratum. A zero cell gives NaN (``reason`` 'zero cell'),
    no continuity correction. ROR > 1 with a lower limit > 1 says the event is reported
    more with the combination than with the drug alone; it ignores the background and so is
    cruder than :func:`omega`.
    Reference: van Puijenbroek EP et al. Pharmacoepidemiol Drug Saf 2002;11:3–10 (ROR);
    the stratified form as used in FAERS DDI screens (e.g. Hult et al. Drug Saf 2020).
    """
    c111, c11, c101, c10, c011, c01, c001, c00 = (
        np.atleast_1d(a).astype(float)
        for a in np.broadcast_arrays(*(np.asarray(v) for v in (n111, n11_, n101, n10_, n011, n01_, n001, n00_)))
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = {
            "rate_both": c111 / c11,
            "rate_drug_alone": c101 / c10,
            "rate_perpetrator_alone": c011 / c01,
            "rate_neither": c001 / c00,
        }
    vs_drug = ror(c111, c11 - c111, c101, c10 - c101, level=level)
    vs_perp = ror(c111, c11 - c111, c011, c01 - c011, level=level)
    return pd.DataFrame(
        {
            **rates,
            "ror_both_vs_drug": vs_drug.estimate,
            "ror_both_vs_drug_lower": vs_drug.lower,
            "ror_both_vs_drug_upper": vs_drug.upper,
            "ror_both_vs_perpetrator": vs_perp.estimate,
            "ror_both_vs_perpetrator_lower": vs_perp.lower,
            "ror_both_vs_perpetrator_upper": vs_perp.upper,
            "ror_reason": reason_text(vs_drug.reason_code),  # of the comparison with the drug alone
        }
    )
