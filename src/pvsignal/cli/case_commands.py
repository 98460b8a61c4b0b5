"""``pvsignal cases``, ``pvsignal onset`` and ``pvsignal meddra …``: case series, time to
onset and MedDRA event groups. Thin: parse, call the API, render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer

from pvsignal.cli import app
from pvsignal.errors import ConfigError, LakeError

meddra_app = typer.Typer(help="Your licensed MedDRA release: check it, map terms to PTs and SOCs.",
                         no_args_is_help=True)
app.add_typer(meddra_app, name="meddra")

LEVELS_HELP = "Event level: pt, hlt, hlgt, soc, smq_narrow, smq_broad (need --meddra) or group (needs --groups)."
LakeOpt = Annotated[Path, typer.Option("--lake", help="Parquet lake folder.")]
DrugOpt = Annotated[str, typer.Option("--drug", help="Active ingredient (as in the prepared case_drugs view).")]
EventOpt = Annotated[Optional[str], typer.Option("--event", help="PT, or a group name at --level.")]
LevelOpt = Annotated[str, typer.Option("--level", help=LEVELS_HELP)]
MeddraOpt = Annotated[Optional[Path], typer.Option("--meddra", help="MedAscii folder of your MedDRA release.")]
GroupsOpt = Annotated[Optional[Path], typer.Option("--groups", help="YAML file 'groups: {name: [PT, ...]}'.")]
AllRolesOpt = Annotated[bool, typer.Option("--all-roles", help="Count the drug in any role, not only suspect (PS, SS).")]
DropDupOpt = Annotated[bool, typer.Option("--drop-probable-duplicates", help="Leave out cases flagged as probable duplicates.")]


def _default_lake() -> Path:
    try:
        from pvsignal.store.lake import DEFAULT_LAKE
    except ImportError:  # pragma: no cover
        return Path("pvsignal-lake")
    return DEFAULT_LAKE


def _connect(lake: Path, drop_probable_duplicates: bool):
    """The lake → DuckDB connection with the prepared views (pvsignal.api.connect)."""
    try:
        from pvsignal import api
    except ImportError:  # pragma: no cover - store not built
        api = None
    connect = getattr(api, "connect", None)
    if connect is None:  # pragma: no cover
        raise LakeError("this build cannot open a lake yet; use the Python API with a DuckDB connection")
    return connect(lake, drop_probable_duplicates=drop_probable_duplicates)


def _event_groups(con, level: str, meddra: Path | None, groups: Path | None) -> None:
    """Register ``pt_groups`` from --meddra and/or --groups (when the level needs them)."""
    from pvsignal.prepare.meddra import load_groups_yaml, load_meddra, register_pt_groups

    frames = []
    release = load_meddra(meddra) if meddra else None
    if release is not None:
        levels = ["hlt", "hlgt", "soc"]
        if release.smq_list is not None and release.smq_content is not None:
            levels += ["smq_narrow", "smq_broad"]
        frames.append(release.pt_groups(levels))
    if groups:
        frames.append(load_groups_yaml(groups, release))
    if frames:
        register_pt_groups(con, frames)
    elif level not in ("pt",):
        raise ConfigError(f"--level {level} needs --meddra (MedDRA levels and SMQs) or --groups (YAML groups)")


def _percent(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    if "share" in out:
        out["%"] = out.pop("share") * 100
    return out


@app.command()
def cases(
    drug: DrugOpt,
    event: EventOpt = None,
    level: LevelOpt = "pt",
    lake: LakeOpt = _default_lake(),
    meddra: MeddraOpt = None,
    groups: GroupsOpt = None,
    all_roles: AllRolesOpt = False,
    top: Annotated[int, typer.Option("--top", help="Indications and co-reported drugs to list.")] = 10,
    drop_probable_duplicates: DropDupOpt = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the tables (.xlsx: one sheet each; .csv/.parquet: stacked).")] = None,
    plots: Annotated[Optional[Path], typer.Option("--plots", help="Folder for outcome and age bar charts (PNG).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the tables as JSON.")] = False,
) -> None:
    """Describe the deduplicated cases of a drug (or drug–event pair): sex, age, weight,
    reporter, report type, countries, year, seriousness, outcomes, indications, co-drugs."""
    from pvsignal.analysis.cases import SUSPECT_ROLES, case_series
    from pvsignal.cli import render

    con = _connect(lake, drop_probable_duplicates)
    _event_groups(con, level, meddra, groups)
    cs = case_series(con, drug, event, level=level, roles=None if all_roles else SUSPECT_ROLES, top_n=top)
    if out:
        from pvsignal.report.export import write_table

        write_table(cs.long(), out, metadata=cs.metadata(), sheets=cs.tables())
    if plots:
        from pvsignal.report.plots import age_bars, outcome_bars

        outcome_bars(cs, Path(plots) / "outcomes.png")
        age_bars(cs, Path(plots) / "age.png")
    if as_json:
        payload = {"parameters": cs.parameters, "n_cases": cs.n_cases,
                   "tables": {k: v.to_dict(orient="records") for k, v in cs.tables().items()}}
        typer.echo(json.dumps(payload, default=str))
        return
    what = cs.parameters["drug"] + (f" + {event}" if event else "")
    render.console.print(f"{render.escape(what)}: {cs.n_cases:,} cases", highlight=False)
    for name, table in cs.tables().items():
        render.print_dataframe(_percent(table), title=name.replace("_", " "), digits=1)


@app.command()
def onset(
    drug: DrugOpt,
    event: EventOpt = None,
    level: LevelOpt = "pt",
    lake: LakeOpt = _default_lake(),
    meddra: MeddraOpt = None,
    groups: GroupsOpt = None,
    all_roles: AllRolesOpt = False,
    by_event: Annotated[bool, typer.Option("--by-event", help="One row per PT (or group at --level).")] = False,
    min_cases: Annotated[int, typer.Option("--min-cases", help="With --by-event: events with at least this many onsets.")] = 3,
    allow_month: Annotated[bool, typer.Option("--allow-month", help="Also use month-precise dates (imputed to the 15th).")] = False,
    zero_days: Annotated[str, typer.Option("--zero-days", help="Day 0 in the Weibull fit: half (as 0.5 day) or exclude.")] = "half",
    ci: Annotated[str, typer.Option("--ci", help="Shape CI: wald-log or profile.")] = "wald-log",
    drop_probable_duplicates: DropDupOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the per-event table (.csv/.parquet/.xlsx).")] = None,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Onset histogram with Weibull density (.png/.svg).")] = None,
) -> None:
    """Time to onset (event date − therapy start, days; same day = 0): median, IQR, share
    within 30 days, bins, Weibull shape/scale with 95 % CI and its reading."""
    from pvsignal.analysis.cases import SUSPECT_ROLES
    from pvsignal.analysis.onset import onset_by_event, time_to_onset
    from pvsignal.cli import render

    con = _connect(lake, drop_probable_duplicates)
    _event_groups(con, level, meddra, groups)
    roles = None if all_roles else SUSPECT_ROLES
    opts = dict(level=level, roles=roles, allow_month=allow_month, zero_days=zero_days, ci=ci)
    if by_event:
        table = onset_by_event(con, drug, min_cases=min_cases, **opts)
        if out:
            from pvsignal.report.export import write_table

            write_table(table, out, metadata={"drug": drug.upper(), "level": level, "min_cases": min_cases})
        if as_json:
            typer.echo(table.to_json(orient="records", double_precision=6))
        else:
            render.print_dataframe(table, title=f"Time to onset by {level}: {drug.upper()}", digits=2)
        return
    result = time_to_onset(con, drug, event, **opts)
    if plot:
        from pvsignal.report.plots import onset_histogram

        onset_histogram(result, plot)
    d = result.to_dict()
    if out:
        from pvsignal.report.export import write_table

        write_table(result.bins, out, metadata=d)
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
    render.print_dataframe(pd.DataFrame(rows, columns=["", "value"]).astype(str), title=f"Time to onset: {what}")
    render.print_dataframe(_percent(result.bins), title="onset bins (days)", digits=1)
    render.print_dataframe(pd.DataFrame(list(result.excluded.items()), columns=["excluded because", "cases"]),
                           title="exclusions")


@meddra_app.command("check")
def meddra_check(folder: Annotated[Path, typer.Argument(help="MedAscii folder of your MedDRA release.")]) -> None:
    """Load a MedDRA release and show what it holds."""
    from pvsignal.cli import render
    from pvsignal.prepare.meddra import load_meddra

    m = load_meddra(folder)
    h = m.hierarchy()
    rows = [("folder", str(m.folder)), ("PTs", len(m.pt)), ("LLTs", len(m.llt)),
            ("current LLTs", int((m.llt["llt_currency"].str.upper() == "Y").sum())),
            ("SOCs (primary)", h["soc"].nunique()), ("HLTs (primary)", h["hlt"].nunique()),
            ("multiaxial PTs", int(m.mdhier.groupby("pt_code")["soc_code"].nunique().gt(1).sum())),
            ("SMQs", len(m.smq_list) if m.smq_list is not None else "no SMQ files")]
    render.print_dataframe(pd.DataFrame(rows, columns=["", "value"]).astype(str), title="MedDRA release")


@meddra_app.command("map")
def meddra_map(
    folder: Annotated[Path, typer.Argument(help="MedAscii folder of your MedDRA release.")],
    terms: Annotated[list[str], typer.Argument(help="LLT, PT or verbatim terms.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON records.")] = False,
) -> None:
    """Map terms to their PT and its primary HLT, HLGT and SOC."""
    from pvsignal.cli import render
    from pvsignal.prepare.meddra import load_meddra

    m = load_meddra(folder)
    mapped = m.to_pt(terms).merge(m.hierarchy()[["pt", "hlt", "hlgt", "soc"]], on="pt", how="left")
    if as_json:
        typer.echo(mapped.to_json(orient="records"))
        return
    render.print_dataframe(mapped, title="term → PT → primary SOC")
