"""``pvsignal cases``, ``pvsignal onset`` and ``pvsignal meddra …``: case series, time to
onset and MedDRA event groups. Thin: parse, call the API, render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from pvsignal import api
import pvsignal.cli.options as opt
from pvsignal.cli.app import HELP_STYLE, app
from pvsignal.cli.render import note_synthetic, print_dataframe, print_line, progress
from pvsignal.errors import PvsignalError

meddra_app = typer.Typer(**HELP_STYLE, help="Your licensed MedDRA release: check it, map terms to PTs and SOCs.",
                         no_args_is_help=True)
app.add_typer(meddra_app, name="meddra", short_help='Your MedDRA release: check it, map terms.')


#: cases of a listing shown on screen by default (``--rows``)
LISTING_ROWS = 10
#: the listing's text columns read badly narrower than this: dropped instead (events, drugs first)
LISTING_WIDTHS = {"events": 14, "drugs": 20, "indications": 20}


def _connect(lake: Path, drop_probable_duplicates: bool):
    """The lake's prepared views (one connection for the command; tests replace it)."""
    return api.connect(lake, drop_probable_duplicates=drop_probable_duplicates)


def _synthetic(lake: Path) -> bool:
    """The lake's manifest says it holds ``pvsignal synth`` output (False when there is no manifest to read)."""
    try:
        return bool(api.status(lake)["synthetic"])
    except PvsignalError:
        return False


def _percent(df):
    out = df.copy()
    if "share" in out:
        out["%"] = out.pop("share") * 100
    return out


def _kv_frame(rows: list[tuple[str, object]], header: str = "value"):
    import pandas as pd

    return pd.DataFrame(rows, columns=["", header]).astype(str)


@app.command(short_help="Describe a drug's cases (or list them one per row).")
@opt.case_definition_options
def cases(
    drug: opt.Drug,
    event: opt.Event = None,
    level: opt.Level = "pt",
    lake: opt.Lake = opt.DEFAULT_LAKE,
    meddra: opt.Meddra = None,
    groups: opt.Groups = None,
    filters: dict = None,  # the case-definition options (opt.CASE_OPTIONS)
    top: Annotated[int, typer.Option("--top", help="Indications and co-reported drugs to list.")] = 10,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the tables (.xlsx: one sheet each; .csv/.parquet: stacked).")] = None,
    plots: Annotated[Optional[Path], typer.Option("--plots", help="Folder for outcome and age bar charts (PNG).")] = None,
    listing: Annotated[bool, typer.Option("--listing", help="One row per case instead (ids, dates, age, sex, weight, "
                                          "country, reporter, drugs, indications, PTs, outcomes); --out .xlsx has filters.")] = False,
    rows: Annotated[Optional[int], typer.Option("--rows", help="With --listing: cases shown on screen [10]; 0: all "
                                                "(--out and --json always hold every case).", min=0)] = None,
    as_json: opt.Json = False,
) -> None:
    """Describe the deduplicated cases of a drug (or drug–event pair): sex, age, weight,
    reporter, report type, countries, year, seriousness, outcomes, indications, co-drugs;
    or list them one row per case (--listing)."""
    definition = api.case_definition(**filters)  # a bad value fails before the lake is opened
    con = _connect(lake, definition.drop_probable_duplicates)
    if listing:
        _listing(drug, event, con, lake, level=level, meddra=meddra, groups=groups, definition=definition,
                 rows=LISTING_ROWS if rows is None else rows, out=out, as_json=as_json)
        return
    if rows is not None:
        raise typer.BadParameter("is for --listing (the cases shown); the summary tables take --top",
                                 param_hint="--rows")
    with progress(f"describing the cases of {drug}") as bar:
        cs = api.cases(drug, event, lake=con, level=level, meddra=meddra, groups=groups, top_n=top,
                       definition=definition, progress=bar)
    if out:
        api.write_table(cs.long(), out, metadata=cs.metadata(), sheets=cs.tables())
    if plots:
        api.plot(cs, plots)
    if as_json:
        payload = {"parameters": cs.parameters, "n_cases": cs.n_cases,
                   "tables": {k: v.to_dict(orient="records") for k, v in cs.tables().items()}}
        typer.echo(json.dumps(payload, default=str))
        return
    what = cs.parameters["drug"] + (f" + {event}" if event else "")
    print_line(f"{what}: {cs.n_cases:,} cases")
    for name, table in cs.tables().items():
        print_dataframe(_percent(table), title=name.replace("_", " "), digits=1)
    note_synthetic(_synthetic(lake))


def listing_view(table):
    """The listing on screen, its columns in the order a reviewer reads them (the rightmost are
    dropped first at narrow widths): the case, age, sex, events, drugs, outcomes, indications,
    then where and who, weight, the dates and the report's ids."""
    first = ["caseid", "age_years", "sex", "events", "drugs", "outcomes", "indications", "country", "reporter_type",
             "weight_kg", "event_dt", "fda_dt", "init_fda_dt", "primaryid", "caseversion"]
    cols = [c for c in first if c in table] + [c for c in table if c not in first]
    view = table[cols].rename(columns={"age_years": "age", "reporter_type": "reporter"})
    for col in ("drugs", "indications"):  # one drug a line
        view[col] = view[col].str.replace(" | ", "\n", regex=False)
    return view


def _listing(drug, event, con, lake: Path, *, rows: int, out: Optional[Path], as_json: bool, definition, **kwargs) -> None:
    """``cases --listing``: the line listing on screen (first ``rows``; 0: all), as JSON, or written to ``out``."""
    with progress(f"listing the cases of {drug}") as bar:
        table = api.case_listing(drug, event, lake=con, definition=definition, progress=bar, **kwargs)
    if out:
        meta = {"drug": drug.upper(), "event": event, "n_cases": len(table), "case_definition": definition.to_dict()}
        api.write_table(table, out, metadata=meta, filters=True)
    if as_json:
        typer.echo(table.to_json(orient="records", double_precision=6))
        return
    what = drug.upper() + (f" + {event}" if event else "")
    shown = len(table) if rows == 0 else min(rows, len(table))
    more = f"first {shown} shown" + ("; --rows N for more" if shown < len(table) else "")
    print_dataframe(listing_view(table), title=f"{what}: {len(table):,} cases ({more})", max_rows=shown, digits=1,
                    min_widths=LISTING_WIDTHS)
    note_synthetic(_synthetic(lake))


@app.command(short_help='Time to onset: median, IQR, Weibull shape.')
@opt.case_definition_options
def onset(
    drug: opt.Drug,
    event: opt.Event = None,
    by_event: Annotated[bool, typer.Option("--by-event", help="Instead of --event: one row per PT (or group at --level).")] = False,
    level: opt.Level = "pt",
    lake: opt.Lake = opt.DEFAULT_LAKE,
    meddra: opt.Meddra = None,
    groups: opt.Groups = None,
    filters: dict = None,  # the case-definition options (opt.CASE_OPTIONS)
    min_cases: Annotated[int, typer.Option("--min-cases", help="With --by-event: events with at least this many onsets.")] = 3,
    allow_month: Annotated[bool, typer.Option("--allow-month", help="Also use month-precise dates (imputed to the 15th).")] = False,
    zero_days: Annotated[str, typer.Option("--zero-days", help="Day 0 in the Weibull fit: half (as 0.5 day) or exclude.")] = "half",
    ci: Annotated[str, typer.Option("--ci", help="Shape CI: wald-log or profile.")] = "wald-log",
    as_json: opt.Json = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the per-event table (.csv/.parquet/.xlsx).")] = None,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Onset histogram with Weibull density (.png/.svg).")] = None,
) -> None:
    """Time to onset (event date − therapy start, days; same day = 0): median, IQR, share
    within 30 days, bins, Weibull shape/scale with 95 % CI and its reading."""
    definition = api.case_definition(**filters)  # a bad value fails before the lake is opened
    con = _connect(lake, definition.drop_probable_duplicates)
    opts = dict(lake=con, level=level, meddra=meddra, groups=groups, definition=definition,
                allow_month=allow_month, zero_days=zero_days, ci=ci)
    if by_event:
        with progress(f"time to onset for each event of {drug}") as bar:
            table = api.onset_by_event(drug, min_cases=min_cases, progress=bar, **opts)
        if out:
            api.write_table(table, out, metadata={"drug": drug.upper(), "level": level, "min_cases": min_cases})
        if as_json:
            typer.echo(table.to_json(orient="records", double_precision=6))
        else:
            print_dataframe(table, title=f"Time to onset by {level}: {drug.upper()}", digits=2)
        return
    with progress(f"time to onset for {drug}") as bar:
        result = api.onset(drug, event, progress=bar, **opts)
    if plot:
        api.plot(result, plot)
    d = result.to_dict()
    if out:
        api.write_table(result.bins, out, metadata=d)
    if as_json:
        typer.echo(json.dumps(d, default=str))
        return
    w = result.weibull
    rows = [("cases", result.n_cases), ("onsets used (n)", result.n)]
    if result.n:
        rows += [("median days", f"{result.median_days:g}"), ("IQR days", f"{result.q1_days:g}–{result.q3_days:g}"),
                 ("within 30 days", f"{result.within_30_days:.1%}")]
    if w:
        rows += [("Weibull shape β (95 % CI)", f"{w.shape:.3f} ({w.shape_lower:.3f}–{w.shape_upper:.3f})"),
                 ("Weibull scale α, days (95 % CI)", f"{w.scale:.1f} ({w.scale_lower:.1f}–{w.scale_upper:.1f})"),
                 ("reading", w.reading)]
    else:
        rows.append(("Weibull", result.weibull_note or "not fitted"))
    what = result.drug + (f" + {event}" if event else " (any event)")
    print_dataframe(_kv_frame(rows), title=f"Time to onset: {what}")
    print_dataframe(_percent(result.bins), title="onset bins (days)", digits=1)
    print_dataframe(_kv_frame(list(result.excluded.items()), "cases").rename(columns={"": "excluded because"}),
                    title="exclusions")
    note_synthetic(_synthetic(lake))


@meddra_app.command("check")
def meddra_check(folder: Annotated[Path, typer.Argument(help="MedAscii folder of your MedDRA release.")]) -> None:
    """Load a MedDRA release and show what it holds."""
    m = api.meddra(folder)
    h = m.hierarchy()
    rows = [("folder", str(m.folder)), ("PTs", len(m.pt)), ("LLTs", len(m.llt)),
            ("current LLTs", int((m.llt["llt_currency"].str.upper() == "Y").sum())),
            ("SOCs (primary)", h["soc"].nunique()), ("HLTs (primary)", h["hlt"].nunique()),
            ("multiaxial PTs", int(m.mdhier.groupby("pt_code")["soc_code"].nunique().gt(1).sum())),
            ("SMQs", len(m.smq_list) if m.smq_list is not None else "no SMQ files")]
    print_dataframe(_kv_frame(rows), title="MedDRA release")


@meddra_app.command("map")
def meddra_map(
    folder: Annotated[Path, typer.Argument(help="MedAscii folder of your MedDRA release.")],
    terms: Annotated[list[str], typer.Argument(help="LLT, PT or verbatim terms.")],
    as_json: opt.Json = False,
) -> None:
    """Map terms to their PT and its primary HLT, HLGT and SOC."""
    mapped = api.meddra_map(folder, terms)
    if as_json:
        typer.echo(mapped.to_json(orient="records"))
        return
    print_dataframe(mapped, title="term → PT → primary SOC")
