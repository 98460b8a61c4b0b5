"""``pvsignal demo``: the whole pipeline on synthetic data, in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from pvsignal import api
from pvsignal.cli.app import app
from pvsignal.cli.render import console, dataframe_table, packed_lines, print_command, print_line, progress
from pvsignal.cli.signal_commands import signal_view


@app.command(short_help='The whole pipeline on SYNTHETIC data, one command.')
def demo(
    folder: Annotated[Path, typer.Option("--folder", help="Where the demo writes its files.")] = Path("pvsignal-demo"),
    drug: Annotated[str, typer.Option("--drug", help="Drug whose pairs are scored and profiled.")] = "voclosporin",
    reports_per_quarter: Annotated[int, typer.Option("--reports-per-quarter", help="Synthetic reports per quarter.")] = 5000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed writes the same data.")] = 2026,
) -> None:
    """Synthesise FAERS quarters (SYNTHETIC data), ingest, deduplicate, and score a drug's events."""
    with progress("synthesising, ingesting and scoring (synthetic data)") as bar:
        res = api.demo(folder, drug=drug, reports_per_quarter=reports_per_quarter, seed=seed, progress=bar)
    st = api.status(res.lake)
    label = "SYNTHETIC DATA"
    parts = [f"{label} — {st['reports']:,} reports in {len(st['quarters'])} quarters",
             f"→ {st['cases']:,} cases after deduplication", f"(lake: {res.lake})"]
    for i, line in enumerate(packed_lines(parts, width=console.width)):
        head, rest = (label, line[len(label):]) if i == 0 else ("", line)
        console.print(Text.assemble((head, "bold yellow"), rest), highlight=False, soft_wrap=True)
    view = signal_view(res.signals, 15)
    console.print(dataframe_table(view, title=f"{drug.upper()}: top drug–event pairs by ROR (synthetic)", max_rows=15,
                                  caption_total=len(res.signals), keep=2))
    if res.profile:
        print_line(f"profile written: {res.profile}")
    if res.trial is not None:
        print_line(f"synthetic trial (ADSL, ADAE, ADLB): {res.trial.folder}")
    lake = str(res.lake)
    nexts = [["pvsignal", "cases", "--lake", lake, "--drug", drug, "--sex", "female"],
             ["pvsignal", "onset", "--lake", lake, "--drug", drug, "--event", "headache"],
             ["pvsignal", "interactions", drug, "--with", "ketoconazole"]]
    if res.trial is not None:
        t = res.trial
        nexts.append(["pvsignal", "trial", "incidence", "--adsl", str(t.adsl), "--adae", str(t.adae),
                      "--control", t.truth["control"]])
    print_line("next, for example:")
    for argv in nexts:
        print_command(argv)
