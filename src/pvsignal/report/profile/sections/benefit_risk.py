"""Benefit–risk findings and key literature from the compound file, each with its references."""

from __future__ import annotations

from pvsignal.report.profile.context import NotAvailable, ProfileContext, SectionSpec
from pvsignal.report.profile.model import Section


def build(ctx: ProfileContext) -> Section:
    c = ctx.need_compound()
    if not c.benefit_risk and not c.literature:
        raise NotAvailable(f"not available: the compound file {c.path} lists no benefit–risk or literature findings")
    sec = SECTION.empty()
    sec.data["benefit_risk"] = [x.model_dump() for x in c.benefit_risk]
    sec.data["literature"] = [x.model_dump() for x in c.literature]
    sec.items.extend([*c.benefit_risk, *c.literature])
    return sec


SECTION = SectionSpec("benefit_risk", "Benefit–risk and key literature", "knowledge", build)
