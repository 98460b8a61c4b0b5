"""Signal flags per method, with configurable thresholds.

Defaults are the usual criteria (FACTS.md §2.1, §2.3):

* ROR: lower 95 % limit > 1 and n ≥ 3 (van Puijenbroek et al. 2002);
* PRR (Evans): PRR ≥ 2, χ² (Yates) ≥ 4 and n ≥ 3 (Evans, Waller, Davis 2001);
* IC: IC025 > 0 (Norén et al. 2013);
* EBGM: EB05 ≥ 2 (Szarfman, Machado, O'Neill, Drug Saf 2002;25:381–392).

A statistic that is undefined (NaN, see its ``*_reason`` column) never raises a flag.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from pvsignal.errors import AnalysisError


class Thresholds(BaseModel):
    """Signal criteria; every field can be set from a config file (``analysis.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ror_lower_gt: float = Field(1.0, description="flag when ror_lower > this")
    ror_min_n: int = Field(3, ge=1, description="and n ≥ this")
    prr_min: float = Field(2.0, description="flag when prr ≥ this")
    prr_chi2_min: float = Field(4.0, description="and the chi-square ≥ this")
    prr_chi2: Literal["yates", "plain"] = Field("yates", description="which chi-square (Evans: Yates)")
    prr_min_n: int = Field(3, ge=1, description="and n ≥ this")
    ic025_gt: float = Field(0.0, description="flag when ic025 > this")
    ic_min_n: int = Field(1, ge=1, description="and n ≥ this")
    eb05_min: float = Field(2.0, description="flag when eb05 ≥ this")
    ebgm_min_n: int = Field(1, ge=1, description="and n ≥ this")


def _ge(x, t) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.greater_equal(x, t, where=~np.isnan(x), out=np.zeros(x.shape, dtype=bool))


def _gt(x, t) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.greater(x, t, where=~np.isnan(x), out=np.zeros(x.shape, dtype=bool))


def ror_flag(n, ror_lower, t: Thresholds = Thresholds()) -> np.ndarray:
    """ROR signal: ror_lower > t.ror_lower_gt (default 1) and n ≥ t.ror_min_n (default 3).

    NaN limits never flag. Reference: van Puijenbroek EP et al. Pharmacoepidemiol Drug Saf
    2002;11:3–10.
    """
    return _gt(ror_lower, t.ror_lower_gt) & _ge(n, t.ror_min_n)


def prr_flag(n, prr, chi2, t: Thresholds = Thresholds()) -> np.ndarray:
    """Evans PRR signal: prr ≥ t.prr_min (2), chi2 ≥ t.prr_chi2_min (4) and n ≥ t.prr_min_n (3).

    ``chi2`` is Yates-corrected in Evans' criteria. NaN never flags. Reference: Evans SJW,
    Waller PC, Davis S. Pharmacoepidemiol Drug Saf 2001;10:483–486.
    """
    return _ge(prr, t.prr_min) & _ge(chi2, t.prr_chi2_min) & _ge(n, t.prr_min_n)


def ic_flag(n, ic025, t: Thresholds = Thresholds()) -> np.ndarray:
    """IC signal: ic025 > t.ic025_gt (0, log2 scale) and n ≥ t.ic_min_n (1).

    Reference: Norén GN, Hopstadius J, Bate A. Stat Methods Med Res 2013;22(1):57–69.
    """
    return _gt(ic025, t.ic025_gt) & _ge(n, t.ic_min_n)


def ebgm_flag(n, eb05, t: Thresholds = Thresholds()) -> np.ndarray:
    """MGPS signal: eb05 ≥ t.eb05_min (2) and n ≥ t.ebgm_min_n (1).

    NaN never flags. Reference: Szarfman A, Machado SG, O'Neill RT. Drug Saf 2002;25:381–392.
    """
    return _ge(eb05, t.eb05_min) & _ge(n, t.ebgm_min_n)


def signal_flags(scores: pd.DataFrame, thresholds: Thresholds | None = None) -> pd.DataFrame:
    """Boolean flag columns for every method whose columns ``scores`` holds.

    Reads ``n`` and, when present, ``ror_lower`` → ``flag_ror``; ``prr`` and ``chi2_yates``
    (or ``chi2``, per ``thresholds.prr_chi2``) → ``flag_prr``; ``ic025`` → ``flag_ic``;
    ``eb05`` → ``flag_ebgm``. Returns a frame with the same index.
    """
    t = thresholds or Thresholds()
    if "n" not in scores.columns:
        raise AnalysisError("scores need an 'n' column (reports of the pair) to flag signals")
    n = scores["n"].to_numpy()
    out = {}
    if "ror_lower" in scores.columns:
        out["flag_ror"] = ror_flag(n, scores["ror_lower"].to_numpy(), t)
    chi = "chi2_yates" if t.prr_chi2 == "yates" else "chi2"
    if "prr" in scores.columns and chi in scores.columns:
        out["flag_prr"] = prr_flag(n, scores["prr"].to_numpy(), scores[chi].to_numpy(), t)
    if "ic025" in scores.columns:
        out["flag_ic"] = ic_flag(n, scores["ic025"].to_numpy(), t)
    if "eb05" in scores.columns:
        out["flag_ebgm"] = ebgm_flag(n, scores["eb05"].to_numpy(), t)
    return pd.DataFrame(out, index=scores.index)
