"""Disproportionality of the drug against the event group (or all its events), ranked by IC025,
with its forest plot and the cumulative ROR by quarter.

The numbers are the drug's rows of :func:`pvsignal.analysis.signals.signals` under the
profile's case definition — the one scoring pipeline — shown unchanged; the forest plot
draws the rows of the table. The over-time figure is
:func:`pvsignal.analysis.trends.signals_over_time` under the same definition, for the
events of interest (or the table's top four), with the first quarter each method flags.
"""

from __future__ import annotations

from pvsignal.report.profile.context import NotAvailable, ProfileContext, SectionSpec
from pvsignal.errors import PvsignalError
from pvsignal.report.profile.model import Section
from pvsignal.report.profile.tables import fig_title, figure, table

COLUMNS = ["event", "n", "expected", "ror", "ror_lower", "ror_upper", "prr", "chi2_yates", "ic", "ic025",
           "ebgm", "eb05", "flag_ror", "flag_prr", "flag_ic", "flag_ebgm"]
HEADINGS = {"event": "event (PT)", "n": "reports", "expected": "expected", "ror": "ROR",
            "ror_lower": "ROR lower 95%", "ror_upper": "ROR upper 95%", "prr": "PRR", "chi2_yates": "χ² (Yates)",
            "ic": "IC", "ic025": "IC025", "ebgm": "EBGM", "eb05": "EB05", "flag_ror": "ROR signal",
            "flag_prr": "PRR signal", "flag_ic": "IC signal", "flag_ebgm": "EBGM signal"}

FIRST_HEADINGS = {"event": "event (PT)", "n": "reports", "first_ror": "ROR", "first_prr": "PRR", "first_ic": "IC",
                  "first_ebgm": "EBGM"}


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
    if ctx.figures and len(part):
        _forest(ctx, sec, part)
        named = [e.upper() for e in ctx.events if e.upper() in set(s["event"])]
        _over_time(ctx, sec, (named or part["event"].tolist())[:4])
    return sec


def _forest(ctx: ProfileContext, sec: Section, part) -> None:
    from pvsignal.report.figures import forest

    synth = ctx.synthetic_for("faers")
    title = fig_title(f"{ctx.key}: ROR, IC and EBGM of the {len(part)} events above", synth)
    sec.figures.append(figure(lambda p: forest(part, p, top=len(part), sort_by="ic025", title=title), title,
                              f"forest plot of the {len(part)} events of the table, ranked by IC025", synth))


def _over_time(ctx: ProfileContext, sec: Section, events: list[str]) -> None:
    """The cumulative ROR by quarter of ``events`` and the first quarter each method flags them."""
    from pvsignal.analysis.trends import signals_over_time
    from pvsignal.report.figures import over_time

    synth = ctx.synthetic_for("faers")
    try:
        res = signals_over_time(ctx.con, ctx.key, events, definition=ctx.definition, prior="final",
                                thresholds=ctx.thresholds)
    except PvsignalError as exc:
        sec.paragraphs.append(f"Signals over time not available: {exc}")
        return
    title = fig_title(f"{ctx.key}: cumulative ROR by quarter ({res.parameters['quarters']})", synth)
    sec.figures.append(figure(lambda p: over_time(res, p, top=len(events), title=title), title,
                              f"cumulative ROR with 95 % CI by quarter for {', '.join(events)}", synth))
    first = res.first_signal.sort_values(["n", "event"], ascending=[False, True])
    sec.tables.append(table(first, f"First cumulative quarter each method flags ({res.parameters['quarters']})",
                            ["event", "n", "first_ror", "first_prr", "first_ic", "first_ebgm"],
                            rename=FIRST_HEADINGS, synthetic=synth))


SECTION = SectionSpec("signals", "Disproportionality", "faers", build)
