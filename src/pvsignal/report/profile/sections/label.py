"""Label safety information from the compound file: indication, approval, boxed warning,
warnings, monitoring and the label's adverse-reaction table."""

from __future__ import annotations

from pvsignal.report.profile.context import ProfileContext, SectionSpec
from pvsignal.report.profile.model import Section, Table


def build(ctx: ProfileContext) -> Section:
    c = ctx.need_compound()
    sec = SECTION.empty()
    lab = c.label
    sec.items.extend(x for x in (c.indication, c.approval, lab.boxed_warning) if x is not None)
    sec.items.extend(lab.warnings)
    sec.items.extend(lab.monitoring)
    ar = lab.adverse_reactions
    if ar is not None:
        rows = [[r["event"], *r.get("pct", [])] for r in ar.rows]
        status = "unverified (FACTS.md [M])" if ar.status == "M" else "verified"
        sec.tables.append(Table(caption="Label adverse reactions (% of patients)", columns=["event", *ar.arms], rows=rows,
                                note=f"Source: {', '.join(ar.ref)}; {status}."))
    return sec


SECTION = SectionSpec("label", "Label safety information", "knowledge", build)
