"""Write result tables to CSV, Parquet or Excel, chosen by the file suffix.

Text from public reports is untrusted: in CSV and Excel output any text cell that a
spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) is prefixed with an apostrophe (OWASP "CSV injection" advice).
Parquet keeps values unchanged (it is not opened by spreadsheets).

Key/value sheets (``parameters``, and any ``sheets`` entry given as a mapping such as the
MGPS prior) hold one row per parameter, nested keys flattened with dots (``source.tally.cases``),
a list of mappings item by item, numbered from 1 (``cutoffs.1.mgps_prior.alpha1``): numbers and
booleans are stored as Excel numbers and booleans, other lists as comma-joined text
(``[1, 2]`` → ``1, 2``), ``None`` as an empty cell.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from pvsignal.errors import InputFileError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
SUFFIXES = (".csv", ".parquet", ".xlsx")


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` whose text cells cannot be taken for spreadsheet formulas."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            txt = s.astype("string")
            risky = txt.str.startswith(FORMULA_PREFIXES).fillna(False)
            # a plain negative number such as "-1.5" is data, not a formula
            numeric = pd.to_numeric(txt.where(risky), errors="coerce").notna()
            fix = risky & ~numeric
            if fix.any():
                out[col] = s.where(~fix, "'" + txt)
    return out


def write_table(
    df: pd.DataFrame,
    path: str | Path,
    *,
    metadata: Mapping[str, Any] | None = None,
    sheets: Mapping[str, pd.DataFrame | Mapping[str, Any]] | None = None,
    filters: bool = False,
) -> Path:
    """Write ``df`` to ``path`` (.csv, .parquet or .xlsx).

    ``metadata`` (JSON-serialisable) goes to a sidecar ``<path>.json`` for every
    format and, for Excel, to a sheet ``parameters`` of typed key/value rows.
    ``sheets`` adds further named sheets to an Excel workbook (ignored otherwise): a
    DataFrame as it is, a mapping as typed key/value rows. ``filters`` (Excel): the
    ``results`` sheet gets a frozen header row and an autofilter over its columns.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputFileError(
            f"cannot write {path}: the output suffix must be one of {', '.join(SUFFIXES)}"
        )
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        neutralise_formulas(df).to_csv(path, index=False)
    elif suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        with pd.ExcelWriter(path, engine="openpyxl") as xl:
            neutralise_formulas(df).to_excel(xl, sheet_name="results", index=False)
            if filters:
                ws = xl.sheets["results"]
                ws.freeze_panes = "A2"
                ws.auto_filter.ref = ws.dimensions
            for name, extra in (sheets or {}).items():
                frame = extra if isinstance(extra, pd.DataFrame) else key_values(extra)
                neutralise_formulas(frame).to_excel(xl, sheet_name=name[:31], index=False)
            if metadata:
                neutralise_formulas(key_values(metadata)).to_excel(xl, sheet_name="parameters", index=False)
    if metadata is not None:
        sidecar = path.with_name(path.name + ".json")
        sidecar.write_text(json.dumps(metadata, indent=2, default=str), encoding="utf-8")
    return path


def key_values(d: Mapping[str, Any]) -> pd.DataFrame:
    """``{"a": {"b": 1.5}, "c": [1, 2], "d": [{"e": 1}]}`` → rows ``(a.b, 1.5)``, ``(c, "1, 2")``,
    ``(d.1.e, 1)``: one row per parameter, the ``value`` column of object dtype so each cell
    keeps its type (number, bool or text) when written to Excel."""
    flat = _flatten(d)
    return pd.DataFrame({"parameter": list(flat), "value": pd.Series([_cell(v) for v in flat.values()], dtype=object)})


def _cell(v: Any) -> Any:
    """A parameter value as one spreadsheet cell: numbers and booleans kept, None empty, the rest text."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if hasattr(v, "item") and callable(v.item):  # numpy scalar
        return v.item()
    if isinstance(v, (list, tuple, set)):
        return ", ".join(str(x) for x in v)
    return str(v)


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            flat.update(_flatten(v, key + "."))
        elif isinstance(v, (list, tuple)) and v and all(isinstance(x, Mapping) for x in v):
            for i, item in enumerate(v, 1):  # e.g. a validation's cutoffs: cutoffs.1.mgps_prior.alpha1
                flat.update(_flatten(item, f"{key}.{i}."))
        else:
            flat[key] = v
    return flat
