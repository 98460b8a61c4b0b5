"""Repair of the few lines whose ``$`` field count does not match the header.

Only anomalous lines reach this module (the engine parses the rest). Known causes
(FACTS.md §1.4): a ``$`` inside a value (DEMO12Q1 mfr_num ``JP-CUBIST-$E2B…``), two
records collapsed onto one line (legacy DRUG 2010Q2–2011Q4), a record split over two
lines by an embedded newline, and missing trailing fields. Each repair is reported;
a line that cannot be repaired with confidence is rejected with the reason.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from pvsignal.sources.faers.layouts import FREE_TEXT

_INT = re.compile(r"^\s*\d+\s*$")
_DATE = re.compile(r"^\s*(\d{4}|\d{6}|\d{8})?\s*$")
_INT_COLS = {"primaryid", "caseid", "caseversion", "drug_seq", "dsg_drug_seq", "indi_drug_seq"}
_DATE_COLS = {"event_dt", "mfr_dt", "init_fda_dt", "fda_dt", "rept_dt", "start_dt", "end_dt", "death_dt"}
_CODE_COLS = {"role_cod": {"PS", "SS", "C", "I"}, "i_f_code": {"I", "F"}}


@dataclass
class Fixed:
    lines: tuple[int, ...]  # original line number(s)
    fields: list[str | None]
    note: str  # empty when the line needed no repair beyond splitting


@dataclass
class Rejected:
    line: int
    raw: str
    reason: str


def _plausible(names: tuple[str, ...], fields: list[str | None]) -> bool:
    for name, value in zip(names, fields):
        if value is None or value == "":
            if name == "primaryid":
                return False
            continue
        if name in _INT_COLS and not _INT.match(value):
            return False
        if name in _DATE_COLS and not _DATE.match(value):
            return False
        if name in _CODE_COLS and value.strip() not in _CODE_COLS[name]:
            return False
    return True


def _strip_trailing(fields: list[str], width: int) -> list[str]:
    # legacy rows end with a '$' that the header lacks: one extra empty field
    if len(fields) == width + 1 and fields[-1] == "":
        return fields[:-1]
    return fields


def _merge_extra(table: str, names: tuple[str, ...], fields: list[str]) -> tuple[list[str], str] | None:
    """Remove ``extra`` stray '$' from free-text values; the first plausible choice wins."""
    extra = len(fields) - len(names)
    if extra < 1 or extra > 2:
        return None
    candidates = [names.index(c) for c in FREE_TEXT[table] if c in names]
    # a stray '$' inside column i means fields[i] and fields[i+1] belong together
    for combo in itertools.combinations_with_replacement(candidates, extra):
        out = list(fields)
        for i in sorted(combo, reverse=True):
            # positions shift right by the number of merges before i
            j = i + sum(1 for k in combo if k < i)
            out[j : j + 2] = [out[j] + out[j + 1]]
        if len(out) == len(names) and _plausible(names, out):
            cols = ", ".join(sorted({names[i] for i in combo}))
            return out, f"stray '$' removed from {cols}"
    return None


def repair_lines(
    table: str, names: tuple[str, ...], lines: list[tuple[int, str]]
) -> tuple[list[Fixed], list[Rejected]]:
    """Repair anomalous lines (``(line_no, text)`` in file order) of one table file."""
    width = len(names)
    fixed: list[Fixed] = []
    rejected: list[Rejected] = []
    pending = sorted(lines)
    i = 0
    while i < len(pending):
        no, text = pending[i]
        fields = _strip_trailing(text.split("$"), width)
        n = len(fields)
        if n < width:
            # a record split by an embedded newline: join with the next anomalous line
            if i + 1 < len(pending) and pending[i + 1][0] == no + 1:
                nxt_no, nxt = pending[i + 1]
                joined = _strip_trailing((text + nxt).split("$"), width)
                if len(joined) == width and _plausible(names, joined):
                    fixed.append(Fixed((no, nxt_no), joined, f"record split over lines {no}-{nxt_no} joined"))
                    i += 2
                    continue
            padded: list[str | None] = [*fields, *([None] * (width - n))]
            if _plausible(names, padded):
                fixed.append(Fixed((no,), padded, f"{width - n} missing trailing field(s) set to null"))
            else:
                rejected.append(Rejected(no, text, f"{n} fields where the header has {width}, and the values do not fit the columns"))
            i += 1
            continue
        # two records on one line (legacy: each record keeps its own trailing '$')
        for cut in (width + 1, width):
            first, second = fields[:width], _strip_trailing(fields[cut:], width)
            if (
                len(second) == width
                and (cut == width or fields[width] == "")
                and _plausible(names, first)
                and _plausible(names, second)
            ):
                fixed.append(Fixed((no,), first, "two records on one line split"))
                fixed.append(Fixed((no,), second, "two records on one line split"))
                break
        else:
            merged = _merge_extra(table, names, fields)
            if merged is None and len(fields) > width + 1 and fields[-1] == "":
                # legacy row: its own trailing '$' plus a stray one inside a value
                merged = _merge_extra(table, names, fields[:-1])
            if merged is not None:
                fixed.append(Fixed((no,), merged[0], merged[1]))
            else:
                rejected.append(
                    Rejected(no, text, f"{n} fields where the header has {width}; cannot tell which value holds the extra '$'")
                )
        i += 1
    return fixed, rejected
