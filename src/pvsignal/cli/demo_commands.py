"""``pvsignal demo``: the whole pipeline on synthetic data, in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pvsignal import api
from pvsignal.cli import app
from pvsignal.cli.render import console, dataframe_table
from pvsignal.cli.signal_commands import signal_view


@app.command()
def demo(
    folder: Annotated[Path, typer.Option("--folder", help="Where the demo writes its files.")] = Path("pvsignal-demo"),
    drug: Annotated[str, typer.Option("--drug")] = "voclosporin",
    reports_per_quarter: Annotated[int, typer.Option("--reports-per-quarter")] = 5000,
    seed: Annotated[int, typer.Option("--seed")] = 2026,
) -> None:
    """Synthesise FAERS quarters (SYNTHETIC data), ingest, deduplicate, and score a drug's events."""
    with console.status("synthesising, ingesting and scoring (synthetic data)…"):
        res = api.demo(folder, drug=drug, reports_per_quarter=reports_per_quarter, seed=seed)
    st = api.status(res.lake)
    console.print(
        f"[bold yellow]SYNTHETIC DATA[/] — {st['reports']:,} reports in {len(st['quarters'])} quarters → "
        f"{st['cases']:,} cases after deduplication (lake: {res.lake})"
    )
    view = signal_view(res.signals, 15)
    console.print(dataframe_table(view, title=f"{drug.upper()}: top drug–event pairs by ROR (synthetic)", max_rows=15, caption_total=len(res.signals)))
    if res.profile:
        console.print(f"profile written: {res.profile}")
