"""Disproportionality of the drug against the event group (or all its events), ranked by IC025.

The numbers are the drug's rows of :func:`pvsignal.analysis.signals.signals` under the
profile's case definition — the one scoring pipeline — shown unchanged.
"""

from __future__ import annotations

from pvsignal.report.profile.context import NotAvailable, ProfileContext, SectionSpec
from pvsignal.report.profile.model import Section
from pvsignal.report.profile.tables import table

COLUMNS = ["event", "n", "expected", "ror", "ror_lower", "ror_upper", "prr", "chi2_yates", "ic", "ic025",
           "ebgm", "eb05", "flag_ror", "flag_prr", "flag_ic", "flag_ebgm"]
HEADINGS = {"event": "event (PT)", "n": "reports", "expected": "expected", "ror": "ROR",
            "ror_lower": "ROR lower 95%", "ror_upper": "ROR upper 95%", "prr": "PRR", "chi2_yates": "χ² (Yates)",
            "ic": "IC", "ic025": "IC025", "ebgm": "EBGM", "eb05": "EB05", "flag_ror": "ROR signal",
            "flag_prr": "PRR signal", "flag_ic": "IC signal", "flag_ebgm": "EBGM signal"}


def build(ctx: ProfileContext) -> Section:
    sec = SECTION.empty()
    if ctx.event_group:
        sec.title = f"{SECTION.title}: {ctx.event_group}"
    s = ctx.need_scores()
    if ctx.event_group:
        if ctx.group_pts is None:
            why = ctx.problems.get("group") or (
                f"the event group '{ctx.event_group}' could not be resolved to PTs: give --meddra DIR (your "
                "MedDRA release) or --groups FILE.yaml, or ADaM data coding it in AEBODSYS")
            raise NotAvailable(f"not available: {why}")
        part = s[s["event"].isin(ctx.group_pts)]
        what = ctx.group_source
        absent = len(set(ctx.group_pts) - set(part["event"]))
    else:
        part = s
        what = "all PTs reported with the drug (no --event-group given)"
        absent = 0
    part = part.sort_values(["ic025", "n"], ascending=[False, False], kind="mergesort").head(ctx.top_n)
    sec.paragraphs.append(
        f"{ctx.key} against {what}, ranked by IC025 (the lower 95 % limit of the shrinkage information "
        f"component); top {ctx.top_n} shown." + (f" {absent} PT(s) of the group have no report with the drug." if absent else ""))
    sec.tables.append(table(part, f"Signals of {ctx.key}: {ctx.event_group or 'all events'}", COLUMNS,
                            rename=HEADINGS, synthetic=ctx.synthetic_for("faers")))
    sec.data["n_signals_ror"] = int(s["flag_ror"].sum())
    sec.data["n_pts"] = int(len(s))
    return sec


SECTION = SectionSpec("signals", "Disproportionality", "faers", build)
