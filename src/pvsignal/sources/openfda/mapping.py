"""One openFDA drug/event report → rows of the FAERS canonical tables.

Identity (FDA's openFDA pipeline, ``openfda/faers/xml_to_json.py``; FACTS.md §1.1, §1.6):

* a FAERS-era report (``safetyreportid`` all digits) is a FAERS case: ``caseid`` =
  ``safetyreportid``, ``caseversion`` = ``safetyreportversion`` and ``primaryid`` = caseid
  and version written one after the other, as FDA builds PRIMARYID (case 3078140
  version 1 → 30781401); ``era = 'faers'``;
* a legacy AERS report (``safetyreportid`` ``ISR-checkdigit``, e.g. ``4562564-7``) is an
  ISR: ``primaryid`` = the ISR, ``caseversion = 0`` as for legacy ASCII rows, ``caseid``
  = openFDA's ``@case_number`` annotation when the record carries it, else the ISR (what
  openFDA itself falls back to); ``era = 'aers'``.

The report's quarter is the calendar quarter of the later of ``receivedate`` and
``receiptdate`` (for a FAERS-era report: ``receiptdate`` = FAERS ``fda_dt``, the quarter
whose ASCII extract carries that version). Dates keep their precision by format
(YYYYMMDD → ``'D'``, YYYYMM → ``'M'``, YYYY → ``'Y'``), as the ASCII schema does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pvsignal.sources.openfda import codes

_ID = re.compile(r"^(\d{1,15})(?:-(\d+))?$")
_INT = re.compile(r"^\d{1,6}$")


class Rejected(Exception):
    """A report that cannot land: no usable id, quarter or patient section."""


def parse_date(value: Any) -> tuple[date | None, str | None, bool]:
    """``(date, precision, ok)`` of an openFDA date string; empty → ``(None, None, True)``."""
    if value is None or value == "":
        return None, None, True
    s = str(value).strip()
    prec = {8: "D", 6: "M", 4: "Y"}.get(len(s))
    if prec is None or not s.isdigit():
        return None, None, False
    try:
        return date(int(s[:4]), int(s[4:6] or 1), int(s[6:8] or 1)), prec, True
    except ValueError:
        return None, None, False


def quarter_of(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


@dataclass
class Report:
    """The canonical rows of one report (tables → list of row dicts) and its notes."""

    quarter: str
    era: str
    primaryid: int
    rows: dict[str, list[dict]] = field(default_factory=dict)
    issues: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # table → (action, reason, raw)
    prod_ai_from_openfda: int = 0  # drugs whose prod_ai came from the harmonised ``openfda`` names


class _Mapper:
    def __init__(self, rec: dict):
        self.rec = rec
        self.issues: dict[str, list[tuple[str, str, str]]] = {}

    def note(self, table: str, action: str, reason: str, raw: Any) -> None:
        self.issues.setdefault(table, []).append((action, reason, str(raw)))

    def date(self, table: str, row: dict, col: str, value: Any, name: str) -> None:
        d, prec, ok = parse_date(value)
        if not ok:
            self.note(table, "nulled", f"{name} is not a valid date (YYYYMMDD, YYYYMM or YYYY)", value)
        row[col], row[f"{col}_prec"] = d, prec

    def number(self, table: str, value: Any, name: str) -> float | None:
        s = _text(value)
        if s is None:
            return None
        try:
            return float(s)
        except ValueError:
            self.note(table, "nulled", f"{name} is not a number", s)
            return None

    def code(self, table: str, value: Any, mapping: dict[str, str], name: str, *, keep: bool = False) -> str | None:
        s = _text(value)
        if s is None:
            return None
        if s in mapping:
            return mapping[s]
        if keep:
            return s
        self.note(table, "nulled", f"unknown {name} code", s)
        return None


def identity(rec: dict) -> tuple[int, int, int, str]:
    """``(primaryid, caseid, caseversion, era)`` of a report (see the module docstring)."""
    m = _ID.match(str(rec.get("safetyreportid") or "").strip())
    if not m:
        raise Rejected("safetyreportid is missing or not a report number")
    if m.group(2) is not None:  # legacy AERS: ISR-checkdigit
        isr = int(m.group(1))
        case = str(rec.get("@case_number") or "").strip()
        return isr, int(case) if case.isdigit() else isr, 0, "aers"
    version = str(rec.get("safetyreportversion") or "").strip()
    if not _INT.match(version):
        raise Rejected("FAERS report without a whole-number safetyreportversion: no primaryid")
    caseid = int(m.group(1))
    return int(f"{caseid}{int(version)}"), caseid, int(version), "faers"


def place(rec: dict) -> str:
    """The report's quarter: that of the later of ``receivedate`` and ``receiptdate``."""
    dates = [parse_date(rec.get(k)) for k in ("receivedate", "receiptdate")]
    good = [d for d, prec, ok in dates if ok and d is not None and prec in ("D", "M")]
    if not good:
        raise Rejected("no valid receivedate or receiptdate (YYYYMMDD or YYYYMM): the report has no quarter")
    return quarter_of(max(good))


def _listed(value: Any, what: str) -> list:
    if value is None:
        return []
    if isinstance(value, dict):  # one element serialised without its list
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Rejected(f"patient.{what} is not a list of objects")
    return value


def prod_ai(drug: dict) -> tuple[str | None, bool]:
    """Ingredient evidence of one drug: ``(prod_ai, from_openfda)``.

    ``activesubstance.activesubstancename`` (the field FAERS ASCII prints as ``prod_ai``)
    when given; else openFDA's harmonised ``openfda.substance_name`` (all of them, sorted,
    joined by ``\\`` as FAERS joins a combination's ingredients); else its
    ``openfda.generic_name`` when there is exactly one.
    """
    active = _text((drug.get("activesubstance") or {}).get("activesubstancename")) if isinstance(drug.get("activesubstance"), dict) else None
    if active:
        return active, False
    harmonised = drug.get("openfda") if isinstance(drug.get("openfda"), dict) else {}
    subs = sorted({s.strip().upper() for s in harmonised.get("substance_name") or [] if isinstance(s, str) and s.strip()})
    if subs:
        return "\\".join(subs), True
    generic = [g.strip().upper() for g in harmonised.get("generic_name") or [] if isinstance(g, str) and g.strip()]
    if len(set(generic)) == 1:
        return generic[0], True
    return None, False


def map_report(rec: Any) -> Report:
    """Map one openFDA report; raise :class:`Rejected` (with the reason) when it cannot land."""
    if not isinstance(rec, dict):
        raise Rejected("not a report object")
    primaryid, caseid, version, era = identity(rec)
    quarter = place(rec)
    patient = rec.get("patient")
    if not isinstance(patient, dict):
        raise Rejected("no patient section")
    drugs, reactions = _listed(patient.get("drug"), "drug"), _listed(patient.get("reaction"), "reaction")
    m = _Mapper(rec)
    key = {"primaryid": primaryid, "caseid": caseid}
    source = rec.get("primarysource") if isinstance(rec.get("primarysource"), dict) else {}
    demo: dict[str, Any] = {**key, "caseversion": version}
    m.date("demo", demo, "init_fda_dt", rec.get("receivedate"), "receivedate")
    m.date("demo", demo, "fda_dt", rec.get("receiptdate"), "receiptdate")
    demo.update(
        auth_num=_text(rec.get("authoritynumb")), mfr_num=_text(rec.get("companynumb")),
        lit_ref=_text(source.get("literaturereference")),
        age=m.number("demo", patient.get("patientonsetage"), "patientonsetage"),
        age_cod=m.code("demo", patient.get("patientonsetageunit"), codes.AGE_UNIT, "patientonsetageunit"),
        age_grp=m.code("demo", patient.get("patientagegroup"), codes.AGE_GROUP, "patientagegroup"),
        sex=m.code("demo", patient.get("patientsex"), codes.SEX, "patientsex"),
        wt=m.number("demo", patient.get("patientweight"), "patientweight"),
        occp_cod=m.code("demo", source.get("qualification"), codes.QUALIFICATION, "qualification"),
        reporter_country=_text(source.get("reportercountry")) or _text(rec.get("primarysourcecountry")),
        occr_country=_text(rec.get("occurcountry")),
    )
    demo["wt_cod"] = "KG" if demo["wt"] is not None else None
    death = patient.get("patientdeath") if isinstance(patient.get("patientdeath"), dict) else {}
    m.date("demo", demo, "death_dt", death.get("patientdeathdate"), "patientdeathdate")

    outc = []
    for flag, cod in codes.SERIOUSNESS.items():
        v = _text(rec.get(flag))
        if v == "1":
            outc.append({**key, "outc_cod": cod})
        elif v is not None:
            m.note("outc", "nulled", f"{flag} is not 1", v)

    drug_rows, ther, indi = [], [], []
    roles = codes.roles([_text(d.get("drugcharacterization")) for d in drugs])
    evidence = 0
    for seq, (d, role) in enumerate(zip(drugs, roles), start=1):
        if role is None and _text(d.get("drugcharacterization")) is not None:
            m.note("drug", "nulled", "unknown drugcharacterization code", d.get("drugcharacterization"))
        ai, from_openfda = prod_ai(d)
        evidence += from_openfda
        drug_rows.append({
            **key, "drug_seq": seq, "role_cod": role, "drugname": _text(d.get("medicinalproduct")), "prod_ai": ai,
            "route": m.code("drug", d.get("drugadministrationroute"), codes.ROUTE, "route", keep=True),
            "dose_vbm": _text(d.get("drugdosagetext")),
            "cum_dose_chr": _text(d.get("drugcumulativedosagenumb")),
            "cum_dose_unit": m.code("drug", d.get("drugcumulativedosageunit"), codes.DOSE_UNIT, "unit", keep=True),
            "dechal": m.code("drug", d.get("drugadditional"), codes.DECHALLENGE, "drugadditional"),
            "rechal": m.code("drug", d.get("drugrecurreadministration"), codes.RECHALLENGE, "drugrecurreadministration"),
            "lot_num": _text(d.get("drugbatchnumb")), "nda_num": _text(d.get("drugauthorizationnumb")),
            "dose_amt": _text(d.get("drugstructuredosagenumb")),
            "dose_unit": m.code("drug", d.get("drugstructuredosageunit"), codes.DOSE_UNIT, "unit", keep=True),
            "dose_form": _text(d.get("drugdosageform")),
        })
        t: dict[str, Any] = {**key, "dsg_drug_seq": seq}
        m.date("ther", t, "start_dt", d.get("drugstartdate"), "drugstartdate")
        m.date("ther", t, "end_dt", d.get("drugenddate"), "drugenddate")
        t["dur"] = m.number("ther", d.get("drugtreatmentduration"), "drugtreatmentduration")
        t["dur_cod"] = m.code("ther", d.get("drugtreatmentdurationunit"), codes.DURATION_UNIT, "drugtreatmentdurationunit")
        if any(t[c] is not None for c in ("start_dt", "end_dt", "dur")):
            ther.append(t)
        if (ind := _text(d.get("drugindication"))) is not None:
            indi.append({**key, "indi_drug_seq": seq, "indi_pt": ind})

    reac = []
    for r in reactions:
        pt = _text(r.get("reactionmeddrapt"))
        if pt is None:
            m.note("reac", "skipped", "reaction without reactionmeddrapt", r)
        else:
            reac.append({**key, "pt": pt})
    return Report(quarter, era, primaryid, issues=m.issues, prod_ai_from_openfda=evidence,
                  rows={"demo": [demo], "drug": drug_rows, "reac": reac, "outc": outc, "ther": ther, "indi": indi})
