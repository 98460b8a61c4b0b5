"""FAERS / legacy AERS quarterly file layouts: names, eras, header unification.

Facts from FACTS.md §1.1–§1.2: seven ``$``-delimited tables per quarter named
``<TABLE>yyQq.txt`` (legacy ``.TXT``; 2012Q4 lower-case; 2018Q1 DEMO ``_new``), legacy
AERS up to 2012Q3 keyed by ISR, FAERS from 2012Q4 keyed by primaryid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pvsignal.errors import InputFileError
from pvsignal.quarters import quarter_index

#: zip member or file name → (table, yy, q); matches ``ascii/DEMO04Q1.TXT``, ``DEMO18Q1_new.txt``
MEMBER_RE = re.compile(
    r"(?i)(?:^|[/\\])(demo|drug|reac|outc|rpsr|ther|indi)(\d\d)q([1-4])(?:_new)?\.txt$"
)
DELETED_RE = re.compile(r"(?i)(?:^|[/\\])delete(\d\d)q([1-4])\.txt$")

#: per-era renames to the canonical names (FACTS.md §1.2 "unification")
RENAMES: dict[str, dict[str, str]] = {
    "demo": {"isr": "primaryid", "case": "caseid", "i_f_cod": "i_f_code", "gndr_cod": "sex"},
    "drug": {"isr": "primaryid", "lot_nbr": "lot_num"},
    "reac": {"isr": "primaryid"},
    "outc": {"isr": "primaryid", "outc_code": "outc_cod"},
    "rpsr": {"isr": "primaryid"},
    "ther": {"isr": "primaryid", "drug_seq": "dsg_drug_seq"},
    "indi": {"isr": "primaryid", "drug_seq": "indi_drug_seq"},
}

#: free-text columns where a stray ``$`` inside a value is plausible, most likely first
#: (FACTS.md §1.4: DEMO12Q1 mfr_num ``JP-CUBIST-$E2B0000000182``)
FREE_TEXT: dict[str, tuple[str, ...]] = {
    "demo": ("mfr_num", "mfr_sndr", "lit_ref", "auth_num", "image"),
    "drug": ("drugname", "prod_ai", "dose_vbm", "lot_num", "cum_dose_chr", "dose_freq", "dose_form"),
    "reac": ("pt",),
    "outc": (),
    "rpsr": (),
    "ther": (),
    "indi": ("indi_pt",),
}

_FILLER = re.compile(r"^(v\d+|)$")


def era_of(quarter: str) -> str:
    """``'aers'`` up to 2012Q3, ``'faers'`` from 2012Q4 (FACTS.md §1.1)."""
    return "aers" if quarter_index(quarter) <= quarter_index("2012Q3") else "faers"


@dataclass(frozen=True)
class Header:
    """A file's header: canonical column names in file order, and the field count."""

    names: tuple[str, ...]

    @property
    def width(self) -> int:
        return len(self.names)


def parse_header(table: str, line: str, *, where: str) -> Header:
    """Lower-case and rename a header line; drop trailing filler names (``v23``, empty).

    Raises :class:`InputFileError` when the header lacks the key column or repeats a name.
    """
    raw = [h.strip().lower() for h in line.rstrip("\r\n").split("$")]
    while raw and _FILLER.match(raw[-1]):
        raw.pop()
    renames = RENAMES[table]
    names = tuple(renames.get(h, h) for h in raw)
    if "primaryid" not in names:
        raise InputFileError(
            f"{where}: the header has no primaryid/isr column — is this a FAERS {table.upper()} file? "
            f"header: {line[:200]!r}"
        )
    if len(set(names)) != len(names):
        raise InputFileError(f"{where}: the header repeats a column name: {line[:200]!r}")
    return Header(names)
