"""The summary table: per event of interest, trial incidence by arm, label percentages, the
signal statistics (the drug's rows of the signal table) and time to onset."""

from __future__ import annotations

import pandas as pd

from pvsignal.errors import PvsignalError
from pvsignal.report.profile.context import NotAvailable, ProfileContext
from pvsignal.report.profile.model import ArmIncidence, SummaryRow
from pvsignal.report.profile.tables import num

SCORE_FIELDS = ("expected", "ror", "ror_lower", "ror_upper", "prr", "prr_lower", "prr_upper", "chi2_yates",
                "ic", "ic025", "ebgm", "eb05")


def _trial_cells(ctx: ProfileContext, row: SummaryRow, trial: pd.DataFrame) -> None:
    t = trial[(trial["level"] == "pt") & (trial["AEDECOD"].astype(str).str.upper() == row.event)]
    t = t.sort_values("arm", key=lambda a: a != ctx.treatment_arm, kind="mergesort")  # treatment arm first
    row.trial = [ArmIncidence(arm=str(r.arm), n=int(r.n), N=int(r.N), pct=num(r.pct), frequency=str(r.frequency))
                 for r in t.itertuples()]
    if ctx.treatment_arm:
        tt = t[t["arm"] == ctx.treatment_arm]
        row.trial_frequency = (str(tt["frequency"].iloc[0]) or "not observed") if len(tt) else "not observed"


def _score_cells(row: SummaryRow, scores: pd.DataFrame) -> None:
    if row.event not in scores.index:
        row.reports = 0
        return
    s = scores.loc[row.event]
    for f in SCORE_FIELDS:
        setattr(row, f, num(s[f]))
    row.reports = int(s["n"])
    row.flags = {k[5:]: bool(s[k]) for k in s.index if k.startswith("flag_")}


def summary(ctx: ProfileContext) -> tuple[list[SummaryRow], list[str]]:
    """One :class:`SummaryRow` per event of interest, and notes on what was not available."""
    notes: list[str] = []
    scores = None
    try:
        scores = ctx.need_scores().set_index("event")
    except NotAvailable as exc:
        notes.append(f"Signal statistics {exc}")
    trial = None
    try:
        trial = ctx.trial_result().table
    except NotAvailable as exc:
        notes.append(f"Trial incidence {exc}")
    except PvsignalError as exc:
        notes.append(f"Trial incidence not available: {exc}")
    label = {}
    if ctx.compound and ctx.compound.label.adverse_reactions:
        label = {r["event"].upper(): r.get("pct") for r in ctx.compound.label.adverse_reactions.rows}
    rows = []
    for ev in ctx.events:
        row = SummaryRow(event=ev.upper(), label_pct=label.get(ev.upper()))
        if trial is not None:
            _trial_cells(ctx, row, trial)
        if scores is not None:
            _score_cells(row, scores)
        o = ctx.onset.get(row.event)
        if o is not None:
            row.onset_n, row.median_onset_days, row.within_30_days = o.n, num(o.median_days), num(o.within_30_days)
        rows.append(row)
    return rows, notes
