"""Read CDISC ADaM datasets (ADSL, ADAE, ADLB) from SAS files, CSV or Parquet, as sponsors make them.

Formats by suffix: ``.sas7bdat`` and ``.xpt`` (SAS transport) with pyreadstat, ``.csv``,
``.parquet``. pyreadstat keeps exact values:
``pandas.read_sas`` turns some exact zeros (and the date 1960-01-01) into
5.397605e-79 = 2^−260 (pandas issue #50670). Dates with a SAS date format come back
as pandas datetimes.

Normalisation, the same for every format: variable names upper-cased (SAS names are
case-insensitive); character variables stripped, with a missing value as ''
(SAS has no null for text); the ADaM date variables listed in :data:`DATE_VARS`
parsed to ``datetime64``. Nothing else is changed.

**Variables in more than one dataset.** Real ADAE and ADLB repeat ADSL variables (SAFFL,
TRT01A, AGE, SEX, …). When records are joined to ADSL (:func:`join_adsl`), a variable
present in both is taken from the dataset that owns it: subject-level variables from
ADSL (the copy in ADAE/ADLB is dropped), record-level ones (:data:`RECORD_LEVEL`: TRTA,
TRTP and their numeric codes, APERIOD, …) from the records. So SAFFL and TRT01A always
mean what ADSL says, and ADAE's TRTA what the event record says.

**Arm order** (:func:`arm_order`): the order the user lists; else by the arm's numeric
code (``TRT01AN`` for ``TRT01A``, ``TRTAN`` for ``TRTA``, …) when that variable exists;
else alphabetical. CDISC non-arms ("Screen Failure", "Not Assigned", "Not Treated") are
left out unless listed.

**Wrong dataset.** A reader given the wrong dataset says so (e.g. "this looks like ADAE,
not ADSL: several rows per USUBJID and AEDECOD present").
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from pvsignal.errors import AnalysisError, InputFileError

DATE_VARS = ("TRTSDT", "TRTEDT", "ASTDT", "AENDT", "ADT", "RANDDT", "BRTHDT")

ADSL_REQUIRED = ("USUBJID", "SAFFL")
ADAE_REQUIRED = ("USUBJID", "TRTEMFL", "AEBODSYS", "AEDECOD")
ADLB_REQUIRED = ("USUBJID", "PARAMCD", "AVAL")

SUFFIXES = (".sas7bdat", ".xpt", ".csv", ".parquet")
RECORD_LEVEL = ("TRTA", "TRTAN", "TRTP", "TRTPN", "APERIOD", "APERIODC", "APHASE")
NON_ARMS = {"SCREEN FAILURE", "NOT ASSIGNED", "NOT TREATED"}


class MissingVariablesError(InputFileError):
    """A dataset lacks variables that the analysis needs."""


def read_dataset(path: str | Path, *, name: str | None = None, required: Iterable[str] = ()) -> pd.DataFrame:
    """Read one ADaM dataset (.sas7bdat, .xpt, .csv or .parquet), normalised as described above.

    ``required`` variables must be present, else :class:`MissingVariablesError`
    names the missing ones and lists those found.
    """
    path = Path(path)
    label = name or path.stem.upper()
    if not path.is_file():
        raise InputFileError(f"{label}: file {path} does not exist (give the path of the {label} dataset)")
    suffix = path.suffix.lower()
    try:
        if suffix == ".xpt":
            import pyreadstat

            df, _meta = pyreadstat.read_xport(str(path), dates_as_pandas_datetime=True)
        elif suffix == ".sas7bdat":
            import pyreadstat

            df, _meta = pyreadstat.read_sas7bdat(str(path), dates_as_pandas_datetime=True)
        elif suffix == ".csv":
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
            df = _numeric_csv_columns(df)
        elif suffix == ".parquet":
            df = pd.read_parquet(path)
        else:
            raise InputFileError(
                f"{label}: cannot read {path}: the suffix must be one of {', '.join(SUFFIXES)}"
            )
    except InputFileError:
        raise
    except Exception as exc:  # the reader's own message says what is wrong with the file
        raise InputFileError(f"{label}: cannot read {path}: {exc}") from exc
    df = normalise(df)
    require(df, required, dataset=label, source=str(path))
    return df


def normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Upper-case names, strip text (missing text → ''), parse ADaM date variables."""
    out = df.copy()
    out.columns = [str(c).upper() for c in out.columns]
    dupes = out.columns[out.columns.duplicated()].tolist()
    if dupes:
        raise InputFileError(f"variables {dupes} occur twice when names are upper-cased")
    cols = {}
    for col in out.columns:
        s = out[col]
        if col in DATE_VARS:
            s = _to_datetime(s, col)
        elif s.dtype == object or pd.api.types.is_string_dtype(s):
            if s.map(lambda v: isinstance(v, (bytes, bytearray))).any():
                s = s.map(lambda v: v.decode("latin-1") if isinstance(v, (bytes, bytearray)) else v)
            s = s.astype("string").str.strip().fillna("").astype(object)
        cols[col] = s
    return pd.DataFrame(cols, index=out.index)  # built at once: no fragmented frame


def _to_datetime(s: pd.Series, col: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s
    if pd.api.types.is_numeric_dtype(s):
        # a SAS date without a date format: days since 1960-01-01
        return pd.to_datetime(s, unit="D", origin="1960-01-01")
    txt = s.astype("string").str.strip().replace("", pd.NA)
    # ISO 8601 (YYYY-MM-DD[Thh:mm:ss]) or SAS DATE9 (05MAR2024); free-form text is refused
    parsed = pd.to_datetime(txt, errors="coerce", format="ISO8601")
    retry = txt.notna() & parsed.isna()
    if retry.any():
        parsed = parsed.where(~retry, pd.to_datetime(txt.where(retry).str.upper(), errors="coerce", format="%d%b%Y"))
    bad = txt.notna() & parsed.isna()
    if bad.any():
        examples = txt[bad].unique()[:3].tolist()
        raise InputFileError(f"{col}: {int(bad.sum())} value(s) are not dates, e.g. {examples}; use ISO 8601 (YYYY-MM-DD) or DATE9 (05MAR2024)")
    return parsed


def _numeric_csv_columns(df: pd.DataFrame) -> pd.DataFrame:
    """CSV is read as text; a column whose every non-blank value is a number becomes numeric."""
    for col in df.columns:
        if str(col).upper() in DATE_VARS or str(col).upper() == "USUBJID":
            continue
        txt = df[col].str.strip()
        nonblank = txt != ""
        if not nonblank.any():
            continue
        num = pd.to_numeric(txt.where(nonblank), errors="coerce")
        if num[nonblank].notna().all():
            df[col] = num
    return df


def require(df: pd.DataFrame, variables: Iterable[str], *, dataset: str, source: str = "") -> None:
    """Raise :class:`MissingVariablesError` if any of ``variables`` is not a column of ``df``."""
    missing = [v for v in variables if v not in df.columns]
    if missing:
        where = f" ({source})" if source else ""
        raise MissingVariablesError(
            f"{dataset}{where} lacks required variable(s) {', '.join(missing)}; "
            f"variables found: {', '.join(map(str, df.columns)) or 'none'}"
        )


def looks_like(df: pd.DataFrame) -> str | None:
    """Which ADaM dataset ``df`` resembles: 'ADAE', 'ADLB', 'ADSL' or None."""
    cols = set(df.columns)
    if {"AEDECOD", "AETERM"} & cols:
        return "ADAE"
    if {"PARAMCD", "AVAL"} <= cols:
        return "ADLB"
    if "USUBJID" in cols and not df["USUBJID"].duplicated().any() and {"SAFFL", "TRT01A", "ARM", "AGE"} & cols:
        return "ADSL"
    return None


def _check_kind(df: pd.DataFrame, expected: str, path: str | Path) -> None:
    kind = looks_like(df)
    if kind is not None and kind != expected:
        raise InputFileError(
            f"{path} looks like {kind}, not {expected} ({_KIND_SIGN[kind]}); give the {expected} dataset "
            f"(--{expected.lower()})"
        )


_KIND_SIGN = {
    "ADAE": "it has AEDECOD/AETERM, one row per adverse event",
    "ADLB": "it has PARAMCD and AVAL, one row per lab measurement",
    "ADSL": "one row per USUBJID, no AE or lab variables",
}


def read_adsl(path: str | Path, *, arm_var: str | None = None) -> pd.DataFrame:
    """ADSL: one row per subject; requires USUBJID, SAFFL (and ``arm_var`` when given).

    ``arm_var`` may be an ADAE/ADLB variable (TRTA, TRTP); ADSL then needs TRT01A/TRT01P.
    """
    df = read_dataset(path, name="ADSL")
    _check_kind(df, "ADSL", path)
    arm = denominator_arm_var(arm_var) if arm_var else None
    require(df, ADSL_REQUIRED + ((arm,) if arm else ()), dataset="ADSL", source=str(path))
    return df


def read_adae(path: str | Path) -> pd.DataFrame:
    """ADAE: requires USUBJID, TRTEMFL, AEBODSYS, AEDECOD."""
    df = read_dataset(path, name="ADAE")
    _check_kind(df, "ADAE", path)
    require(df, ADAE_REQUIRED, dataset="ADAE", source=str(path))
    return df


def read_adlb(path: str | Path) -> pd.DataFrame:
    """ADLB (BDS): requires USUBJID, PARAMCD, AVAL; ADT or ADY orders the records."""
    df = read_dataset(path, name="ADLB")
    _check_kind(df, "ADLB", path)
    require(df, ADLB_REQUIRED, dataset="ADLB", source=str(path))
    if "ADT" not in df.columns and "ADY" not in df.columns:
        require(df, ["ADT or ADY"], dataset="ADLB", source=str(path))
    return df


def require_one_row_per_subject(adsl: pd.DataFrame) -> None:
    """Raise :class:`~pvsignal.errors.AnalysisError` when ADSL repeats a USUBJID (saying what it looks like)."""
    dup = adsl["USUBJID"][adsl["USUBJID"].duplicated()]
    if len(dup):
        kind = looks_like(adsl)
        raise AnalysisError(
            f"ADSL has {len(dup)} duplicated USUBJID(s), e.g. {dup.iloc[:3].tolist()}; ADSL has one row per subject"
            + (f" (the data given look like {kind})" if kind else "")
        )


def denominator_arm_var(arm_var: str) -> str:
    """The ADSL variable that gives the denominator for ``arm_var`` (TRTA → TRT01A, TRTP → TRT01P)."""
    v = arm_var.upper()
    return {"TRTA": "TRT01A", "TRTP": "TRT01P"}.get(v, v)


def join_adsl(records: pd.DataFrame, adsl: pd.DataFrame, variables: Iterable[str]) -> tuple[pd.DataFrame, list[str]]:
    """``records`` left-joined to ADSL's ``variables`` by USUBJID, by the ownership rule above.

    Returns the joined frame (with pandas' ``_merge`` indicator) and the variables that
    were in both datasets and taken from ADSL.
    """
    wanted = [v for v in dict.fromkeys(variables) if v != "USUBJID"]
    overlap = [v for v in wanted if v in records.columns and v not in RECORD_LEVEL]
    joined = records.drop(columns=overlap).merge(adsl[["USUBJID", *wanted]], on="USUBJID", how="left", indicator=True)
    return joined, overlap


def arm_order(values: pd.Series, *, codes: pd.Series | None = None, arms: Iterable[str] | None = None) -> list[str]:
    """Arms in display order (see the module docstring): listed, else by numeric code, else by name."""
    if arms is not None:
        return [str(a) for a in arms]
    v = values.astype(str)
    present = [a for a in v.unique() if a != "" and a.upper() not in NON_ARMS]
    if codes is not None:
        code = pd.to_numeric(codes, errors="coerce").groupby(v).min()
        return sorted(present, key=lambda a: (np.isnan(code.get(a, np.nan)), code.get(a, 0.0), a))
    return sorted(present)
