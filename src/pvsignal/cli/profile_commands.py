"""``pvsignal profile DRUG``: the compound safety profile as HTML, Markdown, PDF or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from pvsignal.cli import app
from pvsignal.cli.render import console


@app.command()
def profile(
    drug: str = typer.Argument(..., help="drug (active ingredient), e.g. voclosporin"),
    events: Optional[str] = typer.Option(
        None, help="events of interest (MedDRA PTs), comma-separated: headache,tremor "
                   "(default: the drug's events flagged by at least two methods, top 5 by EB05)"),
    event_group: Optional[str] = typer.Option(None, help="event group to rank, e.g. 'Nervous system disorders'"),
    lake: Optional[Path] = typer.Option(None, help="FAERS lake folder (pvsignal ingest)"),
    adsl: Optional[Path] = typer.Option(None, help="ADSL (.xpt, .csv or .parquet)"),
    adae: Optional[Path] = typer.Option(None, help="ADAE (.xpt, .csv or .parquet)"),
    adlb: Optional[Path] = typer.Option(None, help="ADLB, for how often each dose rule fired"),
    meddra: Optional[Path] = typer.Option(None, help="your MedDRA MedAscii folder (resolves --event-group)"),
    groups: Optional[Path] = typer.Option(None, help="YAML event groups: groups: {name: [PT, ...]}"),
    compound: Optional[Path] = typer.Option(None, help="compound knowledge YAML (default: the shipped one)"),
    rules: Optional[str] = typer.Option(None, help="dose rules: shipped name or YAML file (default: the drug's)"),
    roles: str = typer.Option("suspect", help="FAERS role codes counted: suspect (PS+SS), primary (PS) or all"),
    quarters: Optional[str] = typer.Option(None, help="quarter range, e.g. 2021Q1:2024Q4 (every FAERS section)"),
    treatment_arm: Optional[str] = typer.Option(None, help="trial arm of the drug (default: the arm naming it)"),
    control_arm: Optional[str] = typer.Option(None, help="control arm (default: the arm naming placebo)"),
    out: Path = typer.Option(Path("profile.html"), help="output: .html, .md, .pdf or .json"),
) -> None:
    """Write the compound safety profile: signals, cases, onset, trial safety, interactions, mechanism."""
    from pvsignal import api

    prof = api.profile(
        drug, events, lake=lake, out=out, event_group=event_group, adsl=adsl, adae=adae, adlb=adlb, groups=groups,
        meddra=meddra, compound=compound, roles=roles, quarters=quarters, treatment_arm=treatment_arm,
        control_arm=control_arm, rules=rules,
    )
    if prof.events_chosen and prof.events_chosen != "named by the user":
        console.print(f"events of interest: {escape(', '.join(prof.events))} ({escape(prof.events_chosen)})",
                      highlight=False)
    for s in prof.sections:
        if not s.available:
            console.print(f"[yellow]{escape(s.title)}:[/] {escape(s.reason or 'not available')}", highlight=False)
    if prof.synthetic:
        console.print(f"[bold red]SYNTHETIC DATA[/]: {escape(prof.synthetic_note or '')}; the report says so throughout.")
    console.print(f"profile written to {escape(str(out))}", highlight=False)
