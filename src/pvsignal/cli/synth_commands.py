"""``pvsignal synth``: write synthetic FAERS/AERS quarters with planted signals."""

from __future__ import annotations

from pathlib import Path

import typer

from pvsignal import api
from pvsignal.cli.app import app
from pvsignal.cli.render import console, dataframe_table, print_line, progress


@app.command(short_help='Write SYNTHETIC FAERS quarters with planted signals.')
def synth(
    outdir: Path = typer.Argument(..., help="Folder to write the quarterly zips and truth.json into."),
    quarters: str = typer.Option("2023Q1:2024Q4", help="Quarter or range, e.g. 2012Q3:2013Q2 (2004Q1 on)."),
    reports_per_quarter: int = typer.Option(10_000, help="DEMO rows (reports) per quarter."),
    seed: int = typer.Option(0, help="Random seed; the same seed writes the same bytes."),
    zip_: bool = typer.Option(True, "--zip/--no-zip", help="Write zips as FDA publishes them, or extracted folders."),
    quirks: bool = typer.Option(True, "--quirks/--no-quirks", help="Include the parser-breaking quirks of real files."),
) -> None:
    """Write SYNTHETIC FAERS quarters (both eras, follow-ups, deleted cases, planted signals)."""
    import pandas as pd

    with progress("synthesising quarters") as bar:
        result = api.synth(outdir, quarters, reports_per_quarter, seed, zip_, quirks=quirks, progress=bar)
    t = result.truth
    rows = [{"quarter": f["quarter"], "layout": f["layout"], "file": f["path"], **f["rows"]} for f in t.files]
    console.print(dataframe_table(pd.DataFrame(rows), title="SYNTHETIC quarters written", digits=0))
    sig = pd.DataFrame(
        [{"drug": s["drug"], "event": s["event"], "target ROR": s["target_ror"], "planted ROR": s["expected"]["ror"],
          "a": s["expected"]["a"]} for s in t.signals]
    )
    console.print(dataframe_table(sig, title="Planted signals (cases after dedup)", digits=2))
    print_line(
        f"{t.cases['demo_rows']:,} reports, {t.cases['superseded_share']:.1%} superseded versions, "
        f"{sum(len(d['listed']) for d in t.deleted.values()):,} deleted ids listed, {len(t.quirks)} quirk lines; "
        f"truth: {result.truth_path}"
    )
