"""``pvsignal ingest``, ``prepare``, ``status`` and ``drugs …``: the FAERS store commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pvsignal import api
from pvsignal.cli import app
from pvsignal.cli.render import console, print_dataframe
from pvsignal.store.lake import DEFAULT_LAKE
from pvsignal.sources.faers.schema import TABLES

LakeOpt = Annotated[Path, typer.Option("--lake", help="Parquet lake folder.")]

drugs_app = typer.Typer(help="Drug names → active ingredients.", no_args_is_help=True)
app.add_typer(drugs_app, name="drugs")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Quarterly zips (faers_ascii_2024q1.zip …) or folders holding them or their extracted files.")],
    lake: LakeOpt = DEFAULT_LAKE,
    synonyms: Annotated[Optional[list[Path]], typer.Option("--synonyms", help="Extra brand → ingredient CSV (name, ingredient).")] = None,
) -> None:
    """Read FAERS/AERS quarters into the lake, then deduplicate and normalise drug names."""
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("ingesting", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=f"ingested {label}")

        result = api.ingest(paths, lake=lake, synonyms=synonyms, progress=progress)
        bar.update(task, description="ingested")
    t = Table(title=f"Ingested into {lake}")
    t.add_column("quarter")
    for name in TABLES:
        t.add_column(name.upper(), justify="right")
    t.add_column("rejected", justify="right")
    t.add_column("repaired / noted", justify="right")
    for q in result.quarters:
        rej = sum(a.get("rejected", 0) for a in q.issues.values())
        noted = sum(n for a in q.issues.values() for k, n in a.items() if k != "rejected")
        t.add_row(q.quarter, *(f"{q.rows[n]:,}" for n in TABLES), f"{rej:,}", f"{noted:,}")
    console.print(t)
    _print_tally(result.tally)


def _print_tally(tally: dict) -> None:
    console.print(
        f"{tally['reports']:,} reports → {tally['cases']:,} cases "
        f"(removed: {tally['removed_old_versions']:,} older versions, {tally['removed_deleted']:,} deleted; "
        f"flagged {tally['probable_duplicates']:,} probable duplicates). "
        "Rejected and repaired lines: `pvsignal status --rejects`."
    )


@app.command()
def prepare(
    lake: LakeOpt = DEFAULT_LAKE,
    synonyms: Annotated[Optional[list[Path]], typer.Option("--synonyms", help="Extra brand → ingredient CSV (name, ingredient).")] = None,
    keep_salts: Annotated[bool, typer.Option("--keep-salts", help="Keep salt words (HYDROCHLORIDE …) in ingredient names.")] = False,
    engine: Annotated[str, typer.Option("--engine", help="duckdb (default) or spark.")] = "duckdb",
    spark_master: Annotated[str, typer.Option("--spark-master", help="Spark master URL.")] = "local[*]",
) -> None:
    """Rebuild the deduplicated, normalised tables of a lake (e.g. after adding synonyms)."""
    with console.status(f"deduplicating and normalising drug names on {engine}"):
        tally = api.prepare(lake, synonyms=synonyms, strip_salts=not keep_salts, engine=engine, spark_master=spark_master)
    _print_tally(tally)


@app.command()
def status(
    lake: LakeOpt = DEFAULT_LAKE,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    rejects: Annotated[bool, typer.Option("--rejects", help="List the rejected and repaired lines.")] = False,
) -> None:
    """Quarters, rows per table, rejects, and the deduplication tally of a lake."""
    st = api.status(lake)
    if as_json:
        typer.echo(json.dumps(st, indent=2))
        return
    t = Table(title=f"Lake {st['lake']}: {len(st['quarters'])} quarter(s) {st['quarters'][0]}–{st['quarters'][-1]}")
    t.add_column("table")
    t.add_column("rows", justify="right")
    t.add_column("rejected", justify="right")
    t.add_column("repaired/noted", justify="right")
    for name in TABLES:
        noted = sum(n for a, n in st["issues"].get(name, {}).items() if a != "rejected")
        t.add_row(name.upper(), f"{st['rows'].get(name, 0):,}", f"{st['rejects'].get(name, 0):,}", f"{noted:,}")
    console.print(t)
    console.print(
        f"reports {st['reports']:,} · removed deleted {st['removed_deleted']:,} · removed older versions "
        f"{st['removed_old_versions']:,} · cases {st['cases']:,} · probable duplicates (flagged) "
        f"{st['probable_duplicates']:,} · cases in both eras {st['cases_in_both_eras']:,}"
    )
    src = st["drugs"]["rows_by_ingredient_source"]
    console.print("drug rows by ingredient source: " + ", ".join(f"{k} {v:,}" for k, v in sorted(src.items())))
    if rejects:
        print_dataframe(api.rejects(lake), title="Lines that did not land as written", max_rows=200)


@drugs_app.command("build-map")
def build_map(
    drugsatfda: Annotated[Path, typer.Option("--drugsatfda", help="Drugs@FDA Products.txt (or a CSV copy).")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the map here (CSV).")] = None,
    lake: Annotated[Optional[Path], typer.Option("--lake", help="Store the map in this lake (used by every later preparation).")] = None,
) -> None:
    """Build brand → ingredient synonyms from the public Drugs@FDA download."""
    df, written = api.drugs_build_map(drugsatfda, out=out, lake=lake)
    console.print(f"{len(df):,} brand → ingredient rows written to {written}")


@drugs_app.command("normalize")
def normalize(
    file: Annotated[Path, typer.Argument(help="CSV with a column of drug names.")],
    column: Annotated[str, typer.Option("--column", help="The column holding the names.")] = "drugname",
    out: Annotated[Path, typer.Option("--out", help="Output file (.csv, .parquet or .xlsx).")] = Path("normalized.csv"),
    synonyms: Annotated[Optional[list[Path]], typer.Option("--synonyms", help="Extra brand → ingredient CSV.")] = None,
    keep_salts: Annotated[bool, typer.Option("--keep-salts", help="Keep salt words (HYDROCHLORIDE …).")] = False,
) -> None:
    """Map a column of free-text drug names to active ingredients (one row out per row in)."""
    df = api.drugs_normalize(file, column=column, out=out, synonyms=synonyms, strip_salts=not keep_salts)
    n_un = int((~df["mapped"]).sum())
    print_dataframe(df[[column, "ingredient", "ingredient_source"]], title=f"{file.name}: {len(df):,} names, {n_un:,} unmapped (kept)", max_rows=15)
    console.print(f"written to {out}")

