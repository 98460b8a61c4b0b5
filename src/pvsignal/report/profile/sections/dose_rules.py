"""Dose-modification rules of the label (a rule file) and how often each fired on the trial's
lab series, from :func:`pvsignal.trial.dose_modifications`."""

from __future__ import annotations

import numpy as np

from pvsignal.report.profile.context import NotAvailable, ProfileContext, SectionSpec
from pvsignal.report.profile.model import Section, Table
from pvsignal.report.profile.tables import table


def _rule_rows(r) -> list[list[str]]:
    rows = [[b.id, "baseline", "; ".join(str(c) for c in b.when), "flag", b.note or b.flag] for b in r.baseline]
    for x in r.rules:
        action = x.action + (f" by {x.by:g}" if x.by else "") + (f" at {x.dose:g}" if x.dose else "")
        rows.append([x.id, ", ".join(x.applies_in), "; ".join(str(c) for c in x.when) or "(always)", action,
                     x.note or ""])
    return rows


def lab_values_sentence(parameters: dict) -> str:
    """Where the replayed lab values came from (``DosingResult.parameters``): measured, or computed from
    creatinine — with the creatinine unit used and where that unit was read (e.g. ADLB AVALU)."""
    sources = parameters["lab_value_sources"]
    parts = [f"{src} ({n} record{'s' if n != 1 else ''})" for src, n in sources.items()]
    creat = any(src.startswith("CKD-EPI") for src in sources)
    tail = (f" The creatinine ({parameters['creatinine_paramcd']}) unit of each source is named above with where it "
            f"was read (AVALU, PARAM, LBSTRESU; where ADLB states none, {parameters['creatinine_unit_default']} is "
            f"assumed); eGFR by {parameters['egfr_equation']}." if creat else " No value was computed from creatinine.")
    return f"Lab values replayed ({parameters['lab_parameter']}): " + "; ".join(parts) + "." + tail


def build(ctx: ProfileContext) -> Section:
    if ctx.rules is None:
        why = ctx.problems.get("rules") or f"no dose-modification rule file for {ctx.key} (--rules FILE.yaml)"
        raise NotAvailable(f"not available: {why}")
    sec = SECTION.empty()
    r = ctx.rules
    sec.paragraphs.append(f"{r.title or r.id}. Start dose {r.dose.start:g} {r.dose.unit}; lab parameter "
                          f"{r.lab.parameter} ({r.lab.unit}). Rules are evaluated in order; the first that applies fires.")
    sec.tables.append(Table(caption="Label dose-modification rules", columns=["rule", "applies in", "when", "action", "note"],
                            rows=_rule_rows(r), note="Sources: " + "; ".join(s.citation for s in r.sources)))
    if ctx.adlb is None:
        sec.paragraphs.append("Lab data (--adlb) not given: how often each rule fired is not available.")
        return sec
    from pvsignal.trial import dose_modifications

    res = dose_modifications(r, ctx.adlb, ctx.adsl)
    sec.paragraphs.append(lab_values_sentence(res.parameters))
    sec.data["lab_value_sources"] = dict(res.parameters["lab_value_sources"])
    a = res.actions
    fired = a.groupby("rule_id").agg(measurements=("USUBJID", "size"), subjects=("USUBJID", "nunique")).reset_index()
    order = {rid: i for i, rid in enumerate(["baseline", *[b.id for b in r.baseline], *[x.id for x in r.rules]])}
    fired = fired.sort_values("rule_id", key=lambda s: s.map(order).fillna(999)).reset_index(drop=True)
    nsub = a["USUBJID"].nunique()
    fired["share of subjects"] = fired["subjects"] / nsub if nsub else np.nan
    flagged = a[a["flag"].astype(str) != ""]
    sec.tables.append(table(fired, f"How often each rule fired ({nsub} subjects with a usable lab series)",
                            ["rule_id", "measurements", "subjects", "share of subjects"], rename={"rule_id": "rule"},
                            note=f"{len(res.skipped)} lab records skipped (with reasons); {len(flagged)} baseline flag(s).",
                            synthetic=ctx.synthetic_for("trial")))
    sec.data["fired"] = {str(k): int(v) for k, v in zip(fired["rule_id"], fired["subjects"])}
    return sec


SECTION = SectionSpec("dose_rules", "Dose-modification rules", "trial", build)
