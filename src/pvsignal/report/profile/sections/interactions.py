"""Interactions: the label's interaction rules for the drug (knowledge files), co-reported
CYP3A/P-gp perpetrators and Ω interaction signals for the label's perpetrator classes
(:mod:`pvsignal.analysis.interactions`, under the profile's case definition).

Exposure: under the default ``suspect`` roles, the interaction analyses count the
``interacting`` role set (PS, SS and I), as UMC practice does for Ω (Hult S et al. Drug
Saf 2020;43:775–785): a drug reported as interacting is exposed. Any other roles the user
chose are used as given. The rest of the definition (quarters, sex …) is the profile's.
A perpetrator counts in any role (PS, SS, C, I), for Ω as for the co-reporting tables: the
question is which co-medication goes with more reports of the event, and co-medication is
mostly reported as concomitant (C)."""

from __future__ import annotations

import pandas as pd

from pvsignal.errors import PvsignalError
from pvsignal.report.profile.context import NO_LAKE, NotAvailable, ProfileContext, SectionSpec
from pvsignal.report.profile.model import Section, Table
from pvsignal.report.profile.tables import table

#: label actions whose perpetrator class gets an Ω signal
OMEGA_ACTIONS = ("contraindicated", "avoid", "adjust dose")
OMEGA_HEADINGS = {"n111": "cases with both + event", "n11_": "cases with both", "omega": "Ω", "omega_lower": "Ω025",
                  "signal": "Ω025 > 0"}
SHARE_HEADINGS = {"n_cases": "cases", "pct": "% of cases"}


def class_spec(rule) -> str | None:
    """A label rule's partner class as a perpetrator class name (``strong-cyp3a4-inhibitor``), if any."""
    w = rule.when
    target = {"CYP3A": "cyp3a4", "P-gp": "pgp"}.get(getattr(w, "target", None))
    role = getattr(w, "role", None)
    if not target or role not in ("inhibitor", "inducer"):
        return None
    strength = getattr(w, "strength", None)
    return f"{strength}-{target}-{role}" if strength else f"{target}-{role}"


def _label_table(lr) -> Table:
    rows = []
    for x in lr.rules:
        w = x.when
        when = " ".join(str(v) for v in (getattr(w, "strength", None), getattr(w, "target", None),
                                         getattr(w, "role", None)) if v)
        if getattr(w, "nti", None):
            when += " (narrow therapeutic index)"
        rows.append([when, x.action, x.dose or "", x.mechanism, x.source, "verified" if x.status == "V" else "unverified"])
    return Table(caption=f"Label interaction rules for {lr.drug} ({lr.version})",
                 columns=["partner class", "action", "dose", "mechanism", "source", "status"], rows=rows)


def interaction_definition(definition):
    """The case definition of the interaction analyses: ``suspect`` becomes ``interacting`` (PS, SS, I)."""
    return definition.replace(roles="interacting") if definition.roles == "suspect" else definition


def exposure_sentence(definition) -> str:
    """How the interaction analyses count exposure, for the section and the methods text."""
    codes = ", ".join(interaction_definition(definition).role_codes)
    if definition.roles == "suspect":
        return (f"Interaction analyses count exposure in the roles {codes} (the interacting role included, as in UMC "
                "practice: Hult et al. Drug Saf 2020); the other FAERS sections use the suspect roles PS, SS.")
    return f"Interaction analyses count exposure in the roles {codes}, as the case definition says."


def _omega(ctx: ProfileContext, sec: Section, lr) -> None:
    from pvsignal.analysis.interactions import ALL_ROLES, interaction_signals

    specs = list(dict.fromkeys(sp for x in (lr.rules if lr is not None else [])
                               if x.action in OMEGA_ACTIONS and (sp := class_spec(x))))
    parts = []
    for sp in specs:
        try:
            parts.append(interaction_signals(ctx.con, ctx.drug, sp, ctx.events, perpetrator_roles=ALL_ROLES,
                                             definition=interaction_definition(ctx.definition)))
        except PvsignalError as exc:
            sec.paragraphs.append(f"Ω for {sp}: not available: {exc}")
    if parts:
        om = pd.concat(parts, ignore_index=True)
        cols = [c for c in ("perpetrator", "event", "n111", "n11_", "omega", "omega_lower", "signal") if c in om.columns]
        extra = [c for c in ("ror_mh", "ror_mh_lower", "ror_mh_upper") if c in om.columns]
        codes = ", ".join(interaction_definition(ctx.definition).role_codes)
        sec.tables.append(table(om, f"Interaction signals (Ω shrinkage, Norén et al. 2008): events of interest; "
                                    f"{ctx.drug} in roles {codes}, perpetrator in any role",
                                cols + extra, rename=OMEGA_HEADINGS, synthetic=ctx.synthetic_for("faers")))


def build(ctx: ProfileContext) -> Section:
    lr = ctx.kn.rules.get(ctx.key) if ctx.kn is not None else None
    if lr is None and ctx.con is None:
        raise NotAvailable(f"not available: no label interaction rules for {ctx.key} and no FAERS lake")
    sec = SECTION.empty()
    if lr is not None:
        sec.tables.append(_label_table(lr))
    else:
        sec.paragraphs.append(f"No label interaction rule file for {ctx.key}.")
    if ctx.con is None:
        sec.paragraphs.append("Co-reporting: not available: " + ctx.problems.get("lake", NO_LAKE))
        return sec
    from pvsignal.analysis.interactions import co_reported_perpetrators

    synth = ctx.synthetic_for("faers")
    d = interaction_definition(ctx.definition)
    co = co_reported_perpetrators(ctx.con, ctx.drug, definition=d)
    sec.data["n_drug_cases"] = co.n_drug_cases
    sec.data["roles"] = list(d.role_codes)
    sec.paragraphs.append(exposure_sentence(ctx.definition))
    sec.paragraphs.append(f"Of {co.n_drug_cases} cases with {co.drug} (roles {', '.join(d.role_codes)}), co-reported "
                          "CYP3A/P-gp perpetrators (any role):")
    sec.tables.append(table(co.by_class, "Co-reported perpetrators by class", ["class", "n_cases", "pct"],
                            rename=SHARE_HEADINGS, synthetic=synth))
    sec.tables.append(table(co.by_drug.head(ctx.top_n), "Co-reported perpetrators by drug (top)",
                            ["ingredient", "classes", "n_cases", "pct"], rename=SHARE_HEADINGS, synthetic=synth))
    _omega(ctx, sec, lr)
    return sec


SECTION = SectionSpec("interactions", "Interactions", "faers", build)
