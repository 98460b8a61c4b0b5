"""The FAERS source's canonical tables: one schema for every era and layout.

Raw quarterly files come in four layouts (legacy AERS 2004Q1–2005Q2 and
2005Q3–2012Q3, FAERS 2012Q4–2014Q2 "A" and 2014Q3+ "B"; FACTS.md §1.2). Ingest
renames them to these lower-case names and types (FACTS.md §1.2 "unification"):
``isr → primaryid``, ``case → caseid``, ``i_f_cod → i_f_code``, ``gndr_cod → sex``,
``lot_nbr → lot_num``, ``outc_code → outc_cod``, THER ``drug_seq → dsg_drug_seq``,
INDI ``drug_seq → indi_drug_seq``. Legacy reports get ``caseversion = 0`` and
``era = 'aers'``; FAERS reports ``era = 'faers'``. Columns a layout lacks are null.

Dates (``*_dt``) are stored as a DATE at the start of the period they name, with a
companion ``*_dt_prec`` column: ``'D'`` (YYYYMMDD), ``'M'`` (YYYYMM → day 1),
``'Y'`` (YYYY → 1 January), null when absent. Analyses decide how to use partial
dates (onset uses day precision by default).

Lake layout (Hive partitioning, one folder per quarter; :mod:`pvsignal.store.lake`)::

    LAKE/faers/<table>/quarter=2024Q1/part-<id>.parquet   table ∈ TABLES
    LAKE/faers/deleted/quarter=2024Q1/part-<id>.parquet   caseids on Deleted/DELETE24Q1.txt
    LAKE/faers/rejects/quarter=2024Q1/part-<id>.parquet   lines that did not land (the store's)
    LAKE/manifest.json                                     input files, hashes, counts

Every table also carries ``quarter`` (VARCHAR, e.g. ``'2024Q1'``, the partition key)
and ``era``. ``(quarter, primaryid)`` identifies a report row; ``caseid`` is joined in
from DEMO for legacy tables that lack it.
"""

from __future__ import annotations

import pyarrow as pa

S, I64, I32, F64, DATE = pa.string(), pa.int64(), pa.int32(), pa.float64(), pa.date32()

#: FAERS tables and their canonical columns (before ``quarter`` and ``era``).
COLUMNS: dict[str, list[tuple[str, pa.DataType]]] = {
    "demo": [
        ("primaryid", I64), ("caseid", I64), ("caseversion", I32), ("i_f_code", S),
        ("event_dt", DATE), ("event_dt_prec", S), ("mfr_dt", DATE), ("mfr_dt_prec", S),
        ("init_fda_dt", DATE), ("init_fda_dt_prec", S), ("fda_dt", DATE), ("fda_dt_prec", S),
        ("rept_cod", S), ("auth_num", S), ("mfr_num", S), ("mfr_sndr", S), ("lit_ref", S),
        ("age", F64), ("age_cod", S), ("age_grp", S), ("sex", S), ("e_sub", S),
        ("wt", F64), ("wt_cod", S), ("rept_dt", DATE), ("rept_dt_prec", S), ("to_mfr", S),
        ("occp_cod", S), ("reporter_country", S), ("occr_country", S),
        # legacy AERS only
        ("foll_seq", S), ("image", S), ("death_dt", DATE), ("death_dt_prec", S), ("confid", S),
    ],
    "drug": [
        ("primaryid", I64), ("caseid", I64), ("drug_seq", I64), ("role_cod", S),
        ("drugname", S), ("prod_ai", S), ("val_vbm", S), ("route", S), ("dose_vbm", S),
        ("cum_dose_chr", S), ("cum_dose_unit", S), ("dechal", S), ("rechal", S),
        ("lot_num", S), ("exp_dt", S), ("nda_num", S), ("dose_amt", S), ("dose_unit", S),
        ("dose_form", S), ("dose_freq", S),
    ],
    "reac": [("primaryid", I64), ("caseid", I64), ("pt", S), ("drug_rec_act", S)],
    "outc": [("primaryid", I64), ("caseid", I64), ("outc_cod", S)],
    "rpsr": [("primaryid", I64), ("caseid", I64), ("rpsr_cod", S)],
    "ther": [
        ("primaryid", I64), ("caseid", I64), ("dsg_drug_seq", I64),
        ("start_dt", DATE), ("start_dt_prec", S), ("end_dt", DATE), ("end_dt_prec", S),
        ("dur", F64), ("dur_cod", S),
    ],
    "indi": [("primaryid", I64), ("caseid", I64), ("indi_drug_seq", I64), ("indi_pt", S)],
}

TABLES: tuple[str, ...] = tuple(COLUMNS)

#: Validated code lists (FACTS.md §1.3). A value outside its list is kept as is in the
#: row *and* recorded in the rejects table with reason ``unknown code``; an empty value
#: is null. ``sex`` also accepts legacy ``NS``; ``rept_cod`` the 2014+ ``30DAY``/``5DAY``.
CODES: dict[tuple[str, str], frozenset[str]] = {
    ("drug", "role_cod"): frozenset({"PS", "SS", "C", "I"}),
    ("outc", "outc_cod"): frozenset({"DE", "LT", "HO", "DS", "CA", "RI", "OT"}),
    ("rpsr", "rpsr_cod"): frozenset({"FGN", "SDY", "LIT", "CSM", "HP", "UF", "CR", "DT", "OTH"}),
    ("demo", "occp_cod"): frozenset({"MD", "PH", "OT", "LW", "CN", "HP"}),
    ("demo", "age_cod"): frozenset({"DEC", "YR", "MON", "WK", "DY", "HR", "YEAR", "WEEK", "DAY", "HOUR"}),
    ("demo", "age_grp"): frozenset({"N", "I", "C", "T", "A", "E"}),
    ("demo", "sex"): frozenset({"M", "F", "UNK", "NS"}),
    ("demo", "wt_cod"): frozenset({"KG", "LBS", "GMS"}),
    ("demo", "i_f_code"): frozenset({"I", "F"}),
    ("demo", "rept_cod"): frozenset({"EXP", "PER", "DIR", "30DAY", "5DAY"}),
    ("ther", "dur_cod"): frozenset({"YR", "MON", "WK", "DAY", "HR", "MIN", "SEC"}),
    ("drug", "dechal"): frozenset({"Y", "N", "U", "D"}),
    ("drug", "rechal"): frozenset({"Y", "N", "U", "D"}),
}

#: Human-readable labels of FAERS codes, for tables and reports (FACTS.md §1.3).
CODE_LABELS: dict[str, dict[str, str]] = {
    "role_cod": {"PS": "Primary suspect", "SS": "Secondary suspect", "C": "Concomitant", "I": "Interacting"},
    "outc_cod": {
        "DE": "Death", "LT": "Life-threatening", "HO": "Hospitalisation", "DS": "Disability",
        "CA": "Congenital anomaly", "RI": "Required intervention", "OT": "Other serious",
    },
    "rpsr_cod": {
        "FGN": "Foreign", "SDY": "Study", "LIT": "Literature", "CSM": "Consumer",
        "HP": "Health professional", "UF": "User facility", "CR": "Company representative",
        "DT": "Distributor", "OTH": "Other",
    },
    "occp_cod": {
        "MD": "Physician", "PH": "Pharmacist", "OT": "Other health professional",
        "LW": "Lawyer", "CN": "Consumer", "HP": "Health professional",
    },
    "sex": {"M": "Male", "F": "Female", "UNK": "Unknown", "NS": "Not specified"},
    "age_grp": {"N": "Neonate", "I": "Infant", "C": "Child", "T": "Adolescent", "A": "Adult", "E": "Elderly"},
}


#: The case ids listed on a quarter's ``Deleted/DELETEyyQq.txt`` files (FAERS 2019Q1+).
DELETED_COLUMNS: list[tuple[str, pa.DataType]] = [("caseid", I64)]

#: Age units → years and weight units → kilograms (FACTS.md §1.3; ``DEC`` is a decade).
AGE_FACTORS: dict[str, float] = {"DEC": 10.0, "YR": 1.0, "YEAR": 1.0, "MON": 1 / 12, "WK": 1 / 52,
                                 "WEEK": 1 / 52, "DY": 1 / 365, "DAY": 1 / 365, "HR": 1 / 8760,
                                 "HOUR": 1 / 8760}
WT_FACTORS: dict[str, float] = {"KG": 1.0, "LBS": 0.45359237, "GMS": 0.001}


def arrow_schema(table: str) -> pa.Schema:
    """Arrow schema of a lake file: the canonical columns, ``quarter`` and ``era``
    (``deleted``: ``caseid`` and ``quarter``)."""
    if table == "deleted":
        return pa.schema([*DELETED_COLUMNS, ("quarter", S)])
    return pa.schema([*COLUMNS[table], ("quarter", S), ("era", S)])
