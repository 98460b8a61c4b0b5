"""``pvsignal onset-compare`` and the bias checks of ``pvsignal signals`` (``--unmask-top``,
``--duplicates-sensitivity``): parse, call the API, render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from pvsignal import api
import pvsignal.cli.options as opt
from pvsignal.cli.app import app
from pvsignal.cli.render import console, dataframe_table, note_synthetic, print_dataframe, print_line, progress

UnmaskTop = Annotated[Optional[int], typer.Option(
    "--unmask-top", help="Masking check: remove each shown pair's top K masking drugs (masking ratio) and "
                         "show ROR/PRR/IC/EBGM before → after (needs --drug or --event).")]
DuplicatesSensitivity = Annotated[bool, typer.Option(
    "--duplicates-sensitivity", help="Run again with probable duplicates dropped (kept, if the main run drops them) "
                                     "and show which signals appear or disappear.")]


def _beside(out: Path | None, what: str) -> Path | None:
    """``signals.xlsx`` → ``signals-masking.xlsx``: a second table written beside --out."""
    return None if out is None else out.with_name(f"{out.stem}-{what}{out.suffix}")


def _arrow(before, after, digits: int = 2) -> list[str]:
    return [f"{b:.{digits}f} → {a:.{digits}f}" for b, a in zip(before, after)]


def show_masking(res, k: int, *, engine: str, spark_master: str, top: int, out: Path | None) -> None:
    """Run the masking check on a signals result and print (and write) it."""
    import pandas as pd

    with progress("finding masking drugs and recounting the pairs"):
        m = api.unmask_top(res, k, engine=engine, spark_master=spark_master)
    t = m.table
    view = pd.DataFrame({"drug": t["drug"], "event": t["event"], "maskers removed": t["maskers"],
                         "MR": t["top_masking_ratio"], "n": [f"{b} → {a}" for b, a in zip(t["n_before"], t["n_after"])]})
    for col, name in (("ror", "ROR"), ("prr", "PRR"), ("ic025", "IC025"), ("eb05", "EB05")):
        view[name] = _arrow(t[f"{col}_before"], t[f"{col}_after"])
    view["signal"] = t["signal_change"]
    if view["drug"].nunique() == 1:
        view = view.drop(columns="drug")
    console.print(dataframe_table(view, title=f"Masking check: top {k} masking drug(s) of each pair removed",
                                  max_rows=top, keep=3))
    print_line("MR: masking ratio (Maignen et al. 2014), the factor by which removing the top masker raises the "
               "background rate of the event; EBGM after uses the prior fitted before.")
    if out:
        api.write_table(t, out, metadata={"parameters": m.parameters, "config": res.sidecar()["config"]},
                        sheets={"maskers": m.maskers})
        print_line(f"written: {out}")


def show_sensitivity(res, *, engine: str, spark_master: str, top: int, out: Path | None) -> None:
    """Run the duplicates sensitivity analysis on a signals result and print (and write) it."""
    with progress("scoring again with the duplicate switch flipped") as bar:
        s = api.duplicates_sensitivity(res, engine=engine, spark_master=spark_master, progress=bar)
    la, lb = s.labels
    t = s.table
    cols = ["drug", "event", f"n_{la}", f"n_{lb}", f"ror_{la}", f"ror_{lb}", f"ic025_{la}", f"ic025_{lb}", "change"]
    view = t[cols].rename(columns=lambda c: c.replace("_", " ")).drop(columns=["drug"] if t["drug"].nunique() == 1 else [])
    counts = s.summary()
    title = (f"Sensitivity: probable duplicates {la} → {lb}: {counts['appears']} signal(s) appear, "
             f"{counts['disappears']} disappear, {counts['kept']} kept")
    console.print(dataframe_table(view, title=title, max_rows=top, keep=3))
    if out:
        api.write_table(t, out, metadata={"parameters": s.parameters, "summary": counts})
        print_line(f"written: {out}")


def _onset_files(res, plot: Path | None, out: Path | None) -> None:
    """The figure (``--plot``) and the group table with the tests as its sidecar (``--out``)."""
    if plot:
        api.plot_onset_compare(res, plot)
    if out:
        api.write_table(res.groups, out, metadata=res.to_dict())


@app.command("onset-compare", short_help="Compare time to onset: two drugs or events.")
@opt.case_definition_options
def onset_compare(
    drug: opt.Drug,
    event: opt.Event = None,
    vs_drug: Annotated[Optional[str], typer.Option("--vs-drug", help="Second drug (same --event).")] = None,
    vs_event: Annotated[Optional[str], typer.Option("--vs-event", help="Second event (same --drug).")] = None,
    level: opt.Level = "pt",
    lake: opt.Lake = opt.DEFAULT_LAKE,
    meddra: opt.Meddra = None,
    groups: opt.Groups = None,
    filters: dict = None,  # the case-definition options (opt.CASE_OPTIONS)
    allow_month: Annotated[bool, typer.Option("--allow-month", help="Also use month-precise dates (imputed to the 15th).")] = False,
    engine: opt.Engine = "duckdb",
    spark_master: opt.SparkMaster = "local[*]",
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Overlaid ECDFs and histograms (.png/.svg).")] = None,
    as_json: opt.Json = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the group summaries (.csv/.parquet/.xlsx).")] = None,
) -> None:
    """Time to onset of two drugs (same event) or two events (same drug): medians and IQR,
    Kolmogorov–Smirnov and log-rank tests (as DiAna), and an ECDF plot."""
    from pvsignal.cli.case_commands import _synthetic

    definition = api.case_definition(**filters)
    with progress(f"time to onset: {drug} against {vs_drug or vs_event}") as bar:
        res = api.onset_compare(drug, event, drug_2=vs_drug, event_2=vs_event, lake=lake, definition=definition,
                                level=level, meddra=meddra, groups=groups, allow_month=allow_month, engine=engine,
                                spark_master=spark_master, progress=bar)
    _onset_files(res, plot, out)
    if as_json:
        typer.echo(json.dumps(res.to_dict(), default=str))
        return
    g = res.groups.assign(within_30_days=res.groups["within_30_days"] * 100).drop(columns=["drug", "event"])
    g.columns = ["group", "n", "excluded", "median", "Q1", "Q3", "≤ 30 days (%)"]
    print_dataframe(g, title="Time to onset by group (days)", digits=1)
    if res.note:
        print_line(res.note)
    else:
        print_line(f"Kolmogorov–Smirnov D = {res.ks_statistic:.3f}, p = {res.ks_p:.4g}; log-rank Z = "
                   f"{res.logrank_z:.3f} (χ² = {res.logrank_z ** 2:.3f}), p = {res.logrank_p:.4g}"
                   + (" (Z > 0: the first group's onsets come earlier)" if res.logrank_z > 0 else ""))
    note_synthetic(_synthetic(lake))
