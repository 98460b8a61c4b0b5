"""Clinical-trial safety: subjects with treatment-emergent events of interest by arm, and the
most frequent TEAEs of the treatment arm, from :func:`pvsignal.trial.incidence`."""

from __future__ import annotations

import pandas as pd

from pvsignal.report.profile.context import ProfileContext, SectionSpec
from pvsignal.report.profile.model import Section
from pvsignal.report.profile.tables import table

HEADINGS = {"AEBODSYS": "SOC", "AEDECOD": "PT", "pct": "%", "p_fisher": "Fisher p",
            "rr": "RR", "rr_lower": "RR lower", "rr_upper": "RR upper"}


def build(ctx: ProfileContext) -> Section:
    res = ctx.trial_result()
    sec = SECTION.empty()
    synth = ctx.synthetic_for("trial")
    t, pop = res.table, res.population
    sec.paragraphs.append(
        "Subjects with at least one treatment-emergent adverse event (ADAE TRTEMFL = 'Y') in the safety population "
        f"(ADSL SAFFL = 'Y'), by arm ({ctx.arm_var}): "
        + "; ".join(f"{a} N = {n}" for a, n in zip(pop["arm"], pop["N"]))
        + f". Treatment arm: {ctx.treatment_arm or 'not identified'}; control: {ctx.control_arm or 'none'}. "
          "Frequency categories follow CIOMS III.")
    wanted = [e.upper() for e in ctx.events]
    sel = t[(t["level"] == "any") | ((t["level"] == "pt") & t["AEDECOD"].astype(str).str.upper().isin(wanted))]
    if ctx.event_group:
        soc = t["AEBODSYS"].astype(str).str.upper() == ctx.event_group.upper()
        sel = pd.concat([sel, t[(t["level"] == "soc") & soc]])
    cols = ["AEBODSYS", "AEDECOD", "arm", "n", "N", "pct", "frequency"]
    extra = [c for c in ("rr", "rr_lower", "rr_upper", "p_fisher") if c in t.columns]
    sec.tables.append(table(sel, "Events of interest: incidence by arm", cols + extra, rename=HEADINGS,
                            synthetic=synth))
    if ctx.treatment_arm:
        pts = t[(t["level"] == "pt") & (t["arm"] == ctx.treatment_arm)].sort_values(["n", "AEDECOD"],
                                                                                    ascending=[False, True])
        top = pts.head(ctx.top_n)[["AEDECOD"]]
        wide = t[(t["level"] == "pt")].merge(top, on="AEDECOD")
        piv = wide.pivot_table(index="AEDECOD", columns="arm", values="pct", aggfunc="first").reindex(top["AEDECOD"])
        piv = piv[[a for a in pop["arm"] if a in piv.columns]]  # the trial's arm order, not alphabetical
        sec.tables.append(table(piv.reset_index(), f"Most frequent TEAEs in the {ctx.treatment_arm} arm (% of subjects)",
                                rename={"AEDECOD": "PT"}, synthetic=synth))
    sec.data["population"] = {a: int(n) for a, n in zip(pop["arm"], pop["N"])}
    return sec


SECTION = SectionSpec("trial", "Clinical-trial safety", "trial", build)
