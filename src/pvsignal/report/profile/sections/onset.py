"""Time to onset of all the drug's events and of each event of interest, with the Weibull
shape, from :func:`pvsignal.analysis.onset.time_to_onset` under the profile's case definition."""

from __future__ import annotations

from pvsignal.errors import PvsignalError
from pvsignal.report.profile.context import ProfileContext, SectionSpec
from pvsignal.report.profile.model import Section, Table
from pvsignal.report.profile.tables import fig_title, figure, num

COLUMNS = ["event", "n", "excluded", "median (days)", "Q1", "Q3", "share ≤ 30 days", "Weibull β", "β 95% CI", "reading"]
NOTE = ("Onset = event date − therapy start date of the suspect drug, in days, for cases with both dates precise to "
        "the day. Weibull shape β: CI below 1 → early failure (hazard decreasing), CI above 1 → wear-out, "
        "otherwise random failure. Spontaneous-report onset data are right-truncated; the fit does not correct that.")


def build(ctx: ProfileContext) -> Section:
    ctx.need_lake()
    from pvsignal.analysis.onset import time_to_onset
    from pvsignal.report import plots

    sec = SECTION.empty()
    synth = ctx.synthetic_for("faers")
    rows = []
    for ev in [None, *ctx.events]:
        label = "all events" if ev is None else ev.upper()
        try:
            r = time_to_onset(ctx.con, ctx.drug, ev, **ctx.analysis_options())
        except PvsignalError as exc:
            rows.append([label, 0, None, None, None, None, None, None, None, f"not available: {exc}"])
            continue
        ctx.onset[label] = r
        w = r.weibull
        rows.append([label, r.n, sum(r.excluded.values()), num(r.median_days), num(r.q1_days), num(r.q3_days),
                     num(r.within_30_days), num(w.shape) if w else None,
                     f"{w.shape_lower:.2f}–{w.shape_upper:.2f}" if w else None,
                     (w.reading if w else (r.weibull_note or ""))])
        if ctx.figures and r.n > 0:
            title = fig_title(f"Onset of {label} (median {r.median_days:g} d)", synth)
            sec.figures.append(figure(lambda p, r=r, title=title: plots.onset_histogram(r, p, title=title),
                                      title, f"histogram of onset days, {label}", synth))
    sec.tables.append(Table(caption=f"Time to onset of {ctx.key} (days from therapy start to event)",
                            columns=COLUMNS, rows=rows, synthetic=synth))
    sec.paragraphs.append(NOTE)
    return sec


SECTION = SectionSpec("onset", "Time to onset", "faers", build)
