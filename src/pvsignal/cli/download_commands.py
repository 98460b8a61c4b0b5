"""``pvsignal download``: FDA's FAERS/AERS quarterly zips, or the openFDA drug/event bulk files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from pvsignal import api
from pvsignal.cli.app import app
from pvsignal.cli.render import print_line, print_note, progress


def _mb(n: int) -> str:
    """Bytes in kB, MB or GB (powers of 1000), one decimal."""
    for unit, size in (("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n / 1e3:,.1f} kB"


@app.command(short_help="Fetch FAERS quarterly zips or openFDA bulk files.")
def download(
    quarters: Annotated[Optional[str], typer.Option("--quarters", help="Quarter or range, e.g. 2004Q1:2026Q2 (2004Q1–2012Q3: legacy AERS); with --openfda, the folders of those quarters.")] = None,
    latest: Annotated[Optional[int], typer.Option("--latest", help="The latest N published quarters (with --openfda: the latest N in its index).")] = None,
    openfda: Annotated[bool, typer.Option("--openfda", help="Fetch the openFDA drug/event bulk files its index lists (all, or --quarters/--latest).")] = False,
    dest: Annotated[Optional[Path], typer.Option("--dest", help="Folder for the files (default: faers-downloads, or openfda-downloads).")] = None,
    base_url: Annotated[Optional[str], typer.Option("--base-url", help="Another address for FDA's files (a mirror): the folder of the zips, or where download.json is.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait to connect and between bytes.")] = 60.0,
    retries: Annotated[int, typer.Option("--retries", help="Tries after the first for a cut or slow transfer (resumed).")] = 4,
) -> None:
    """Download FAERS/AERS quarterly ASCII zips or the openFDA drug/event bulk files: resumed,
    verified (size, zip CRCs), complete files skipped unless FDA re-published them."""
    with progress("downloading", unit="bytes") as bar:
        result = api.download(quarters, latest=latest, openfda=openfda, dest=dest, base_url=base_url,
                              timeout=timeout, retries=retries, progress=bar)
    for note in result.notes:
        print_note(note)
    for f in result.files:
        size = f" {_mb(f.bytes)}" if f.bytes else ""
        print_line(f"{f.status:<8} {f.name}{size}{': ' + f.reason if f.reason else ''}")
    print_line(f"{len(result.fetched)} fetched ({_mb(result.bytes)}), {len(result.skipped)} complete already, "
               f"{len(result.failed)} failed, in {result.dest}")
    if result.paths and not result.failed:
        print_line(f"next: pvsignal ingest {result.dest} --lake LAKE")
    if result.failed:
        raise typer.Exit(1)
