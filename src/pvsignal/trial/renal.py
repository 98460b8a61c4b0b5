"""Kidney function: CKD-EPI 2021 creatinine equation (race-free) and KDIGO G categories.

eGFR = 142 · min(Scr/κ, 1)^α · max(Scr/κ, 1)^−1.200 · 0.9938^age · 1.012 [female]
in mL/min/1.73 m², with Scr the IDMS-standardised serum creatinine in mg/dL,
κ = 0.7 (female) / 0.9 (male), α = −0.241 (female) / −0.302 (male), age in years.
Creatinine in µmol/L is divided by 88.42 first.
Reference: Inker LA et al. N Engl J Med 2021;385:1737–1749
(https://kidney.org/ckd-epi-creatinine-equation-2021). Do not confuse with CKD-EPI
2009 (141, α −0.329/−0.411, 0.993^age, race term).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pvsignal.errors import AnalysisError
from pvsignal.trial.units import MGDL, UMOL, UMOL_PER_MGDL, canonical_unit

_FEMALE = {"F", "FEMALE", "W", "WOMAN"}
_MALE = {"M", "MALE", "MAN"}


class RenalInputError(AnalysisError):
    """Creatinine, age or sex values outside the domain of the equation."""


def _unit_is_umol(unit: Any, n: int) -> np.ndarray:
    units = np.broadcast_to(np.asarray(unit, dtype=object), (n,)) if n else np.asarray([], dtype=object)
    keys = np.array([canonical_unit(u) for u in units], dtype=object) if n else units
    umol = keys == UMOL
    bad = ~(umol | (keys == MGDL))
    if bad.any():
        found = sorted({str(u) for u in units[bad]})
        raise RenalInputError(
            f"unknown creatinine unit(s) {found}; use 'mg/dL' or 'umol/L' (µmol/L)"
        )
    return umol


def sex_is_female(sex: Any) -> np.ndarray:
    """Map sex codes to 1.0 (female) / 0.0 (male) / NaN (unknown or missing).

    Accepted (case-insensitive): F, FEMALE, M, MALE (CDISC SEX uses M/F/U/UNDIFFERENTIATED).
    """
    arr = np.atleast_1d(np.asarray(sex, dtype=object))
    out = np.full(arr.shape, np.nan)
    codes = pd.Series(arr).astype("string").str.strip().str.upper()
    out[codes.isin(_FEMALE).to_numpy(dtype=bool)] = 1.0
    out[codes.isin(_MALE).to_numpy(dtype=bool)] = 0.0
    return out


def egfr(creatinine: Any, age: Any, sex: Any, unit: Any = "mg/dL", *, invalid: str = "raise"):
    """CKD-EPI 2021 eGFR (mL/min/1.73 m²), vectorised over arrays, Series or scalars.

    ``unit`` is 'mg/dL' or 'umol/L' (also 'µmol/L'), a scalar or one unit per value.
    Missing inputs (NaN/None) give NaN. Values outside the equation's domain —
    creatinine ≤ 0, age < 18 (the equation is for adults), a sex code other than
    F/FEMALE/M/MALE — raise :class:`RenalInputError` naming the first offending
    positions when ``invalid='raise'`` (default), or give NaN when ``invalid='nan'``
    (use :func:`egfr_invalid_reason` to say why).
    Returns a float for scalar input, a Series (same index) for a Series input,
    else a numpy array.
    """
    if invalid not in ("raise", "nan"):
        raise ValueError("invalid must be 'raise' or 'nan'")
    scalar = np.ndim(creatinine) == 0 and np.ndim(age) == 0 and np.ndim(sex) == 0
    index = creatinine.index if isinstance(creatinine, pd.Series) else None
    scr = np.atleast_1d(pd.to_numeric(pd.Series(np.atleast_1d(creatinine)), errors="coerce").to_numpy(float))
    n = scr.shape[0]
    yrs = np.broadcast_to(
        pd.to_numeric(pd.Series(np.atleast_1d(age)), errors="coerce").to_numpy(float), (n,)
    )
    sex_arr = np.atleast_1d(np.asarray(sex, dtype=object))
    sex_arr = np.broadcast_to(sex_arr, (n,))
    female = sex_is_female(sex_arr)
    umol = _unit_is_umol(unit, n)
    scr = np.where(umol, scr / UMOL_PER_MGDL, scr)

    reasons = _reasons(scr, yrs, sex_arr, female)
    bad = reasons != ""
    if bad.any() and invalid == "raise":
        pos = np.flatnonzero(bad)[:5]
        if bad.size == 1:  # one value (the command line): name what is wrong, nothing about arrays
            raise RenalInputError(f"outside the CKD-EPI 2021 domain: {reasons.flat[0]}")
        detail = "; ".join(f"position {i}: {reasons[i]}" for i in pos)
        raise RenalInputError(
            f"{int(bad.sum())} value(s) outside the CKD-EPI 2021 domain ({detail}); "
            "fix the data or call egfr(..., invalid='nan')"
        )

    kappa = np.where(female == 1.0, 0.7, 0.9)
    alpha = np.where(female == 1.0, -0.241, -0.302)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = scr / kappa
        val = (
            142.0
            * np.minimum(ratio, 1.0) ** alpha
            * np.maximum(ratio, 1.0) ** -1.200
            * 0.9938**yrs
            * np.where(female == 1.0, 1.012, 1.0)
        )
    val = np.where(bad | np.isnan(female), np.nan, val)
    if scalar:
        return float(val[0])
    if index is not None:
        return pd.Series(val, index=index, name="EGFR")
    return val


def _reasons(scr: np.ndarray, yrs: np.ndarray, sex_raw: np.ndarray, female: np.ndarray) -> np.ndarray:
    reasons = np.full(scr.shape, "", dtype=object)
    missing_sex = pd.isna(pd.Series(sex_raw, dtype=object)).to_numpy() | (
        pd.Series(sex_raw, dtype=object).astype("string").str.strip().fillna("") == ""
    ).to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        reasons = np.where(scr <= 0, "creatinine must be > 0", reasons)
        reasons = np.where(yrs < 18, "age < 18 (CKD-EPI 2021 is for adults)", reasons)
    unknown = np.isnan(female) & ~missing_sex
    reasons = np.where(
        unknown,
        np.char.add("unknown sex code ", np.array([repr(str(s)) for s in sex_raw], dtype=str))
        if len(sex_raw)
        else reasons,
        reasons,
    )
    return reasons.astype(object)


def egfr_invalid_reason(creatinine: Any, age: Any, sex: Any, unit: Any = "mg/dL") -> np.ndarray:
    """Why each input is outside the equation's domain ('' when valid or merely missing)."""
    scr = np.atleast_1d(pd.to_numeric(pd.Series(np.atleast_1d(creatinine)), errors="coerce").to_numpy(float))
    n = scr.shape[0]
    yrs = np.broadcast_to(pd.to_numeric(pd.Series(np.atleast_1d(age)), errors="coerce").to_numpy(float), (n,))
    sex_arr = np.broadcast_to(np.atleast_1d(np.asarray(sex, dtype=object)), (n,))
    umol = _unit_is_umol(unit, n)
    scr = np.where(umol, scr / UMOL_PER_MGDL, scr)
    return _reasons(scr, yrs, sex_arr, sex_is_female(sex_arr))


def kdigo_category(egfr_value: Any) -> np.ndarray:
    """KDIGO GFR category: G1 ≥ 90, G2 60–89, G3a 45–59, G3b 30–44, G4 15–29, G5 < 15.

    Lower bounds inclusive on the unrounded value; NaN → ''.
    """
    v = np.atleast_1d(np.asarray(egfr_value, dtype=float))
    cats = np.select(
        [v >= 90, v >= 60, v >= 45, v >= 30, v >= 15, v < 15],
        ["G1", "G2", "G3a", "G3b", "G4", "G5"],
        default="",
    )
    return cats.astype(object)
