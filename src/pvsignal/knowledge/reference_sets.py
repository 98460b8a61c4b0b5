"""Reference sets of positive and negative drug–outcome controls, for method validation.

:func:`load_reference_set` reads a CSV in one of these layouts (recognised by its header)
and returns one row per control: ``drug``, ``outcome``, ``control`` (1 positive, 0
negative), ``label_date`` (the date from which the association was known, e.g. a label
change; missing unless the file gives one) and ``source`` (the layout's name).

* ``omop`` — OMOP 2013 (Ryan et al., Drug Saf 2013;36 Suppl 1:S33–47) and EU-ADR (Coloma et
  al., Drug Saf 2013;36:13–23) as OHDSI MethodEvaluation ships them: ``exposureName``,
  ``outcomeName``, ``groundTruth`` (other columns kept as they are);
* ``harpaz`` — the time-indexed reference standard of Harpaz et al., Sci Data
  2014;1:140043: ``DRUG_CONCEPT_NAME``, ``EVENT_CONCEPT_NAME``, ``GROUND_TRUTH``, and a
  label-change date when the file has one (a column named ``LABEL_CHANGE_DATE``,
  ``CHANGE_DATE`` or ``DATE``);
* ``generic`` — the documented layout for your own set: ``drug``, ``outcome``, ``control``
  (1/0) and an optional ``label_change_date`` (ISO date, e.g. 2013-06-30).

Names are kept as written (drug names are normalised to ingredients by the analysis, as
the lake's are; outcomes are concepts to map to PT groups). A row repeated exactly counts
once; the same drug–outcome listed as both positive and negative is an error.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pvsignal.errors import InputFileError

#: layout → (drug column, outcome column, control column, date columns tried in order)
LAYOUTS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "omop": ("exposureName", "outcomeName", "groundTruth", ()),
    "harpaz": ("DRUG_CONCEPT_NAME", "EVENT_CONCEPT_NAME", "GROUND_TRUTH", ("LABEL_CHANGE_DATE", "CHANGE_DATE", "DATE")),
    "generic": ("drug", "outcome", "control", ("label_change_date",)),
}
COLUMNS = ("drug", "outcome", "control", "label_date", "source")


def _layout(columns: list[str], path: Path) -> str:
    for name, (drug, outcome, control, _) in LAYOUTS.items():
        if {drug, outcome, control} <= set(columns):
            return name
    wanted = "; ".join(f"{n}: {', '.join(c[:3])}" for n, c in LAYOUTS.items())
    raise InputFileError(f"{path} is not a reference set I know: its columns are {', '.join(columns[:10])}; "
                         f"expected one of these column sets — {wanted}")


def load_reference_set(path: str | Path) -> pd.DataFrame:
    """The controls of a reference-set CSV (layout recognised from the header; module doc).

    Raises :class:`InputFileError` for a missing or unreadable file, an unknown layout, a
    control value other than 1/0, an unparseable date or a pair listed both ways.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"reference set {p} does not exist")
    try:
        raw = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read {p} as CSV: {exc}") from None
    layout = _layout(list(raw.columns), p)
    drug, outcome, control, dates = LAYOUTS[layout]
    out = pd.DataFrame({"drug": raw[drug].str.strip(), "outcome": raw[outcome].str.strip().str.replace(r"\s+", " ", regex=True)})
    flag = raw[control].str.strip()
    bad = sorted(set(flag) - {"0", "1"})
    if bad:
        raise InputFileError(f"{p}: column {control} must hold 1 (positive) or 0 (negative control); found {bad[:5]}")
    out["control"] = flag.astype(int)
    date_col = next((c for c in dates if c in raw.columns), None)
    out["label_date"] = pd.NaT
    if date_col is not None:
        text = raw[date_col].str.strip().replace("", None)
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
        if (parsed.isna() & text.notna()).any():
            first = text[parsed.isna() & text.notna()].iloc[0]
            raise InputFileError(f"{p}: {date_col} must be an ISO date such as 2013-06-30; found {first!r}")
        out["label_date"] = parsed
    empty = (out["drug"] == "") | (out["outcome"] == "")
    if empty.any():
        raise InputFileError(f"{p}: row {int(empty.to_numpy().argmax()) + 2} has an empty {drug if out['drug'].eq('').any() else outcome}")
    out["source"] = layout
    out = out.drop_duplicates(["drug", "outcome", "control", "label_date"])
    key = out["drug"].str.upper() + "\x00" + out["outcome"].str.upper()
    both = key[key.duplicated(keep=False)]
    if len(both):
        d, o = both.iloc[0].split("\x00")
        raise InputFileError(f"{p}: {d} – {o} is listed more than once with different control values or dates")
    return out.reset_index(drop=True)[list(COLUMNS)]
