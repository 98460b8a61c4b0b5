"""Mechanism: class, target, pathway, effects and pharmacokinetics from the compound file,
each with its references, and the pathway diagram (:mod:`pvsignal.report.mechanism`)."""

from __future__ import annotations

from pvsignal.knowledge.compounds import Cited
from pvsignal.report.profile.context import ProfileContext, SectionSpec
from pvsignal.report.profile.model import Section
from pvsignal.report.profile.tables import figure


def build(ctx: ProfileContext) -> Section:
    c = ctx.need_compound()
    sec = SECTION.empty()
    m = c.mechanism
    sec.items.extend([Cited(text=f"Class: {m.class_.text}", ref=m.class_.ref, status=m.class_.status),
                      Cited(text=f"Target: {m.target.text}", ref=m.target.ref, status=m.target.status)])
    sec.items.extend(Cited(text=f"{s.label}: {s.detail}", ref=s.ref, status=s.status) for s in (*m.pathway, *m.effects))
    sec.items.extend(m.pharmacokinetics)
    if m.note:
        sec.items.append(m.note)
    if ctx.figures:
        from pvsignal.report.mechanism import mechanism_diagram

        sec.figures.append(figure(lambda p: mechanism_diagram(c, p), f"Mechanism of {c.drug.title()}",
                                  "pathway diagram: " + " → ".join(s.label for s in m.pathway), False))
    sec.paragraphs.append("Steps marked unverified are background knowledge not re-checked in a published source.")
    return sec


SECTION = SectionSpec("mechanism", "Mechanism", "knowledge", build)
