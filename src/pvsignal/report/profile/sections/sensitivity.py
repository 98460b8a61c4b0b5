"""Sensitivity analyses of the drug's signals: probable duplicates dropped (or kept), and a
masking check of the events of interest — :mod:`pvsignal.analysis.sensitivity` and
:mod:`pvsignal.analysis.masking` on the profile's own signal result, numbers unchanged."""

from __future__ import annotations

from dataclasses import replace

from pvsignal.errors import PvsignalError
from pvsignal.report.profile.context import ProfileContext, SectionSpec
from pvsignal.report.profile.model import Section
from pvsignal.report.profile.tables import table

DUP_NOTE = ("A pair's signal appears or disappears when any of ROR, PRR, IC and EBGM flags it in one run only. "
            "Pairs shown: the events of interest and every pair whose signal status changes.")
MASK_NOTE = ("Masking ratio (Maignen et al., Pharmacoepidemiol Drug Saf 2014;23:195–207): the factor by which "
             "removing a drug's reports raises the background rate of the event. The strongest masker of each event "
             "is removed (with every report naming it) and the pair counted again; EBGM after uses the prior "
             "fitted before.")


def _duplicates(ctx: ProfileContext, sec: Section) -> None:
    from pvsignal.analysis.sensitivity import duplicates_sensitivity

    s = duplicates_sensitivity(ctx.signal_result)
    la, lb = s.labels
    t = s.table
    shown = t[t["event"].isin([e.upper() for e in ctx.events]) | (t["change"] != "none")].head(ctx.top_n)
    counts = s.summary()
    sec.paragraphs.append(f"Probable duplicates {la} (main analysis) against {lb}: {counts['appears']} signal(s) of "
                          f"{ctx.key} appear, {counts['disappears']} disappear and {counts['kept']} are kept. {DUP_NOTE}")
    cols = ["event", f"n_{la}", f"n_{lb}", f"ror_{la}", f"ror_{lb}", f"ic025_{la}", f"ic025_{lb}",
            f"eb05_{la}", f"eb05_{lb}", "change"]
    sec.tables.append(table(shown, f"{ctx.key}: duplicates {la} → {lb}", cols,
                            rename={c: c.replace("_", " ").replace("ror", "ROR").replace("ic025", "IC025")
                                    .replace("eb05", "EB05") for c in cols}, synthetic=ctx.synthetic_for("faers")))
    sec.data["duplicates"] = counts


def _masking(ctx: ProfileContext, sec: Section) -> None:
    from pvsignal.analysis.masking import unmask_top

    res = ctx.signal_result
    events = [e.upper() for e in ctx.events]
    sub = replace(res, table=res.table[res.table["event"].isin(events)].reset_index(drop=True))
    if sub.table.empty:
        sec.paragraphs.append("Masking check: no event of interest is reported with the drug.")
        return
    m = unmask_top(ctx.con, sub, 1)
    t = m.table
    cols = ["event", "maskers", "top_masking_ratio", "n_before", "n_after", "ror_before", "ror_after",
            "ic025_before", "ic025_after", "eb05_before", "eb05_after", "signal_change"]
    names = {"maskers": "masker removed", "top_masking_ratio": "masking ratio", "signal_change": "signal"}
    sec.paragraphs.append(MASK_NOTE)
    sec.tables.append(table(t, f"{ctx.key}: masking check of the events of interest", cols,
                            rename={c: names.get(c, c.replace("_", " ").replace("ror", "ROR")
                                                 .replace("ic025", "IC025").replace("eb05", "EB05")) for c in cols},
                            synthetic=ctx.synthetic_for("faers")))
    sec.data["masking"] = t["signal_change"].value_counts().to_dict()


def build(ctx: ProfileContext) -> Section:
    ctx.need_scores()
    sec = SECTION.empty()
    if ctx.signal_result is None:  # pragma: no cover - scores always come with their result
        sec.paragraphs.append("not available: the signal result was not kept")
        return sec
    for name, part in (("duplicates", _duplicates), ("masking check", _masking)):
        try:
            part(ctx, sec)
        except PvsignalError as exc:
            sec.paragraphs.append(f"{name.capitalize()}: not available: {exc}")
    return sec


SECTION = SectionSpec("sensitivity", "Sensitivity analyses", "faers", build)
