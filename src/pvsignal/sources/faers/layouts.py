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

_LEGACY_DEMO = ("isr case i_f_cod foll_seq image event_dt mfr_dt fda_dt rept_cod mfr_num mfr_sndr age age_cod "
                "gndr_cod e_sub wt wt_cod rept_dt occp_cod death_dt to_mfr confid")
_DEMO_B = ("primaryid caseid caseversion i_f_code event_dt mfr_dt init_fda_dt fda_dt rept_cod auth_num mfr_num "
           "mfr_sndr lit_ref age age_cod age_grp sex e_sub wt wt_cod rept_dt to_mfr occp_cod reporter_country occr_country")
_DRUG_B = ("primaryid caseid drug_seq role_cod drugname prod_ai val_vbm route dose_vbm cum_dose_chr cum_dose_unit "
           "dechal rechal lot_num exp_dt nda_num dose_amt dose_unit dose_form dose_freq")

#: The known header layouts of each era, in file order (FACTS.md §1.2): legacy AERS DEMO
#: 2004Q1–2005Q2 and 2005Q3+ (+ reporter_country); FAERS "A" (2012Q4–2014Q2) and "B" (2014Q3+).
LAYOUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "aers": {
        "demo": (_LEGACY_DEMO, _LEGACY_DEMO + " reporter_country"),
        "drug": ("isr drug_seq role_cod drugname val_vbm route dose_vbm dechal rechal lot_num exp_dt nda_num",),
        "reac": ("isr pt",), "outc": ("isr outc_cod",), "rpsr": ("isr rpsr_cod",),
        "ther": ("isr drug_seq start_dt end_dt dur dur_cod",), "indi": ("isr drug_seq indi_pt",),
    },
    "faers": {
        "demo": (_DEMO_B.replace(" auth_num", "").replace(" lit_ref", "").replace(" age_grp", "").replace(" sex", " gndr_cod"),
                 _DEMO_B),
        "drug": (_DRUG_B.replace(" prod_ai", "").replace("lot_num", "lot_nbr"), _DRUG_B),
        "reac": ("primaryid caseid pt", "primaryid caseid pt drug_rec_act"),
        "outc": ("primaryid caseid outc_cod",), "rpsr": ("primaryid caseid rpsr_cod",),
        "ther": ("primaryid caseid dsg_drug_seq start_dt end_dt dur dur_cod",),
        "indi": ("primaryid caseid indi_drug_seq indi_pt",),
    },
}


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


def layouts(era: str, table: str) -> list[tuple[str, ...]]:
    """The known layouts of ``table`` in ``era`` as canonical column names, narrowest first."""
    renames = RENAMES[table]
    return [tuple(renames.get(h, h) for h in layout.split()) for layout in LAYOUTS[era][table]]


def _check_layout(table: str, names: tuple[str, ...], era: str, where: str) -> None:
    """The header's names must be those of one known layout of the era (any order).

    Messages use the layout's own names (``gndr_cod``, ``isr``), as the file would.
    """
    known = [(layout.split(), layout_names) for layout, layout_names in zip(LAYOUTS[era][table], layouts(era, table))]
    if any(set(names) == set(k) for _, k in known):
        return
    raw, best = min(known, key=lambda rk: (len(set(rk[1]) ^ set(names)), -len(rk[1])))
    lacks = [r for r, n in zip(raw, best) if n not in names]
    extra = [n for n in names if n not in best]
    diff = "; ".join(filter(None, [f"lacks {', '.join(lacks)}" if lacks else "",
                                   f"has unknown column(s) {', '.join(extra)}" if extra else ""]))
    raise InputFileError(
        f"{where}: header {diff}; expected the {era.upper()} {table.upper()} layout {'$'.join(raw)} "
        "(any order) — the file was refused whole, nothing of its quarter was ingested"
    )


def parse_header(table: str, line: str, *, where: str, era: str | None = None) -> Header:
    """Lower-case and rename a header line; drop trailing filler names (``v23``, empty).

    Raises :class:`InputFileError` when the header lacks the key column, repeats a name,
    or (``era`` given) is not one of the era's known :data:`LAYOUTS` by its names.
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
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputFileError(f"{where}: the header repeats the column(s) {', '.join(twice)}: {line[:200]!r}")
    if era is not None:
        _check_layout(table, names, era, where)
    return Header(names)
