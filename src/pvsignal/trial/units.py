"""Lab units in ADLB: which unit AVAL is in, and whether the values fit it (serum creatinine).

Where the unit of a record comes from, first found wins (``unit_source`` says which):

1. ``AVALU`` (ADaM "Analysis Value Unit"), when non-blank;
2. the unit in parentheses at the end of ``PARAM``, e.g. "Creatinine (umol/L)" — the
   ADaM convention that PARAM names the unit;
3. ``LBSTRESU`` (SDTM standard unit) when ``AVAL`` equals ``LBSTRESN`` on that record, i.e.
   AVAL was taken from the standardised result;
4. the unit the caller assumes (``--creatinine-unit``, default mg/dL).

PARAMCD/PARAMN do not decide it: the CDISC controlled term for creatinine (LBTESTCD
CREAT) is the same in mg/dL and µmol/L, so a code fixes the unit only when the data say
it elsewhere. Creatinine is converted with 1 mg/dL = 88.42 µmol/L (FACTS.md §5.1).

Plausibility (a wrong unit is a 88-fold error, so it is refused, not guessed): the median
serum creatinine of a group of records must lie in :data:`PLAUSIBLE_MEDIAN` for its unit —
mg/dL 0.1–20 (a median above 20 mg/dL = 1,768 µmol/L is not a trial population), µmol/L
10–1,800 (below 10 µmol/L = 0.11 mg/dL the values are mg/dL). One value is merely
suspicious outside :data:`PLAUSIBLE_VALUE` (0.1–25 mg/dL, 10–2,200 µmol/L).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from pvsignal.errors import AnalysisError

UMOL_PER_MGDL = 88.42
MGDL, UMOL = "mg/dL", "umol/L"
_SPELLINGS = {
    MGDL: {"mg/dl", "mg/100ml", "mg dl-1", "mg per dl", "mg/dl."},
    UMOL: {"umol/l", "µmol/l", "μmol/l", "micromol/l", "umol l-1", "mmol/m3", "µmol l-1"},
}
PLAUSIBLE_MEDIAN = {MGDL: (0.1, 20.0), UMOL: (10.0, 1800.0)}
PLAUSIBLE_VALUE = {MGDL: (0.1, 25.0), UMOL: (10.0, 2200.0)}
_PAREN = re.compile(r"\(([^()]*)\)\s*$")


class UnitError(AnalysisError):
    """A lab unit is unknown, or the values do not fit the unit they are said to be in."""


def canonical_unit(text: Any) -> str | None:
    """'mg/dL' or 'umol/L' for any usual spelling (case-insensitive); None when blank; the text when unknown."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    key = str(text).strip()
    if not key:
        return None
    low = key.lower()
    return next((unit for unit, names in _SPELLINGS.items() if low in names), key)


def param_unit(param: pd.Series) -> pd.Series:
    """The unit in parentheses at the end of PARAM ('' when there is none)."""
    return param.astype("string").str.extract(_PAREN, expand=False).fillna("").str.strip().astype(object)


def record_units(records: pd.DataFrame, assumed: str) -> tuple[pd.Series, pd.Series]:
    """(unit, unit_source) per ADLB record, by the order in the module docstring.

    Units are given in canonical spelling; an unknown unit is kept as written (the
    caller refuses it). ``assumed`` is used only where the data state no unit.
    """
    n = len(records)
    unit = pd.Series([""] * n, index=records.index, dtype=object)
    source = pd.Series([""] * n, index=records.index, dtype=object)

    def fill(values: pd.Series, label: pd.Series | str) -> None:
        vals = values.astype("string").fillna("").str.strip()
        take = (unit == "") & (vals != "")
        unit[take] = vals[take]
        source[take] = label[take] if isinstance(label, pd.Series) else label

    if "AVALU" in records.columns:
        fill(records["AVALU"], "AVALU")
    if "PARAM" in records.columns:
        fill(param_unit(records["PARAM"]), "PARAM " + records["PARAM"].astype(str).map(repr))
    if {"LBSTRESU", "LBSTRESN"} <= set(records.columns):
        same = pd.to_numeric(records["LBSTRESN"], errors="coerce").sub(pd.to_numeric(records["AVAL"], errors="coerce")).abs() < 1e-9
        fill(records["LBSTRESU"].where(same, ""), "LBSTRESU (AVAL = LBSTRESN)")
    fill(pd.Series([assumed] * n, index=records.index, dtype=object), "assumed (--creatinine-unit)")
    return unit.map(canonical_unit).astype(object), source


def check_creatinine(values: pd.Series, units: pd.Series, sources: pd.Series, *, label: str = "creatinine") -> None:
    """Refuse unknown units and groups of records whose median does not fit their unit.

    Raises :class:`UnitError` naming the unit, where it came from, the median and what to do.
    """
    unknown = sorted({str(u) for u in units.unique() if u not in PLAUSIBLE_MEDIAN})
    if unknown:
        where = sorted(set(sources[units.isin(unknown)]))[:3]
        raise UnitError(
            f"{label}: unknown unit(s) {unknown} (from {', '.join(where)}); "
            f"creatinine must be in mg/dL or umol/L (µmol/L)"
        )
    v = pd.to_numeric(values, errors="coerce")
    for (unit, src), grp in v.groupby([units, sources], sort=True):
        med = grp.median()
        lo, hi = PLAUSIBLE_MEDIAN[unit]
        if pd.notna(med) and not lo <= med <= hi:
            other = UMOL if unit == MGDL else MGDL
            assumed = src.startswith("assumed")
            hint = (f"give --creatinine-unit {other} (or AVALU/PARAM units in ADLB)" if assumed
                    else f"the values look like {other}: correct the unit in ADLB ({src})")
            raise UnitError(
                f"{label}: median {med:g} {unit} over {grp.notna().sum()} record(s) is implausible for {unit} "
                f"(expected a median between {lo:g} and {hi:g}); unit {'assumed, the data state none' if assumed else 'from ' + src}; {hint}"
            )


def creatinine_warning(value: float, unit: str) -> str:
    """A warning text when one creatinine value is implausible for ``unit`` ('' when plausible)."""
    u = canonical_unit(unit)
    if u not in PLAUSIBLE_VALUE or value is None or not np.isfinite(value):
        return ""
    lo, hi = PLAUSIBLE_VALUE[u]
    if lo <= value <= hi:
        return ""
    other = UMOL if u == MGDL else MGDL
    in_mgdl = value / UMOL_PER_MGDL if u == MGDL else value
    return (f"creatinine {value:g} {u} is implausible (expected {lo:g}–{hi:g} {u}); "
            f"if it is in {other} ({in_mgdl:.3g} mg/dL), give --unit {other}")
