"""``pvsignal ingest``, ``prepare``, ``status`` and ``drugs …``: the FAERS store commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from pvsignal import api
import pvsignal.cli.options as opt
from pvsignal.cli.app import HELP_STYLE, app
from pvsignal.cli.render import console, fitted_table, print_dataframe, print_line, print_parts, progress

drugs_app = typer.Typer(**HELP_STYLE, help="Drug names → active ingredients.", no_args_is_help=True)
app.add_typer(drugs_app, name="drugs")


@app.command(short_help='Read FAERS/AERS quarters or openFDA JSON into a lake.')
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Quarterly zips (faers_ascii_2024q1.zip …) or folders holding them or their extracted files; or openFDA drug/event JSON (.json, .json.zip).")],
    lake: opt.Lake = opt.DEFAULT_LAKE,
    synonyms: opt.Synonyms = None,
    wait: Annotated[bool, typer.Option("--wait", help="When another writer holds the lake, wait for it instead of stopping.")] = False,
    allow_partial: Annotated[bool, typer.Option("--allow-partial", help="Ingest a quarter that lacks tables (not DEMO); the missing ones are recorded.")] = False,
    trust_contents: Annotated[bool, typer.Option("--trust-contents", help="Take a zip's tables for the quarter their names give, even if the zip's name says another.")] = False,
) -> None:
    """Read FAERS/AERS quarters or openFDA drug/event JSON into the lake, then deduplicate and normalise drug names."""
    with progress("ingesting") as bar:
        result = api.ingest(paths, lake=lake, synonyms=synonyms, progress=bar, wait=wait,
                            allow_partial=allow_partial, trust_contents=trust_contents)
    tables = list(result.quarters[0].rows) if result.quarters else []  # the store's tables, in its order
    rows = []
    for q in result.quarters:
        rej = sum(a.get("rejected", 0) for a in q.issues.values())
        noted = sum(n for a in q.issues.values() for k, n in a.items() if k != "rejected")
        rows.append([q.quarter, *(f"{q.rows.get(n, 0):,}" for n in tables), f"{rej:,}", f"{noted:,}"])
    headers = ["quarter", *(n.upper() for n in tables), "rejected", "repaired / noted"]
    console.print(fitted_table(headers, rows, title=f"Ingested into {lake}"))
    for q in result.quarters:
        if q.meta.get("missing_tables"):
            print_line(f"{q.quarter} is partial: no {', '.join(t.upper() for t in q.meta['missing_tables'])} table (--allow-partial)")
    _print_tally(result.tally, lake)


def _print_tally(tally: dict, lake: Path) -> None:
    """The deduplication tally and where to read the rejects, in lines that fit the console."""
    import shlex

    print_parts([f"{tally['reports']:,} reports → {tally['cases']:,} cases",
                 f"(removed: {tally['removed_old_versions']:,} older versions, {tally['removed_deleted']:,} deleted;",
                 f"flagged {tally['probable_duplicates']:,} probable duplicates).",
                 "Rejected and repaired lines:", f"`pvsignal status --lake {shlex.quote(str(lake))} --rejects`."], sep=" ", indent="")


@app.command(short_help="Rebuild a lake's deduplicated, normalised tables.")
def prepare(
    lake: opt.Lake = opt.DEFAULT_LAKE,
    synonyms: opt.Synonyms = None,
    keep_salts: opt.KeepSalts = False,
    engine: opt.Engine = "duckdb",
    spark_master: opt.SparkMaster = "local[*]",
    wait: Annotated[bool, typer.Option("--wait", help="When another writer holds the lake, wait for it instead of stopping.")] = False,
) -> None:
    """Rebuild the deduplicated, normalised tables of a lake (e.g. after adding synonyms)."""
    with progress(f"deduplicating and normalising drug names on {engine}") as bar:
        tally = api.prepare(lake, synonyms=synonyms, strip_salts=not keep_salts, engine=engine,
                            spark_master=spark_master, progress=bar, wait=wait)
    _print_tally(tally, lake)


@app.command(short_help="Add new quarters; update only the cases they touch.")
def update(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="The new quarters' zips (faers_ascii_2025q1.zip …) or folders holding them; none: download the quarters after the lake's last one.")] = None,
    lake: opt.Lake = opt.DEFAULT_LAKE,
    dest: Annotated[Optional[Path], typer.Option("--dest", help="Where downloaded zips go (default faers-downloads).")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="When another writer holds the lake, wait for it instead of stopping.")] = False,
    allow_partial: Annotated[bool, typer.Option("--allow-partial", help="Ingest a quarter that lacks tables (not DEMO); the missing ones are recorded.")] = False,
) -> None:
    """Add new quarters (given, or downloaded from FDA), then update the prepared tables and the scored pair table, recomputing only the cases the new quarters touch (same result as a full rebuild)."""
    with progress("updating") as bar:
        result = api.update(paths, lake=lake, progress=bar, wait=wait, allow_partial=allow_partial, dest=dest)
    for note in result.notes:
        print_line(f"note: {note}")
    if result.mode == "none":
        print_line(f"Nothing to add to {lake}: {result.reason}.")
        return
    how = (f"incremental: {result.touched_cases:,} cases touched" if result.mode == "incremental"
           else f"full rebuild: {result.reason}")
    print_line(f"Added {', '.join(q.quarter for q in result.quarters)} to {lake} ({how}); "
               f"{result.pairs or 0:,} drug–event pairs scored.")
    _print_tally(result.tally, lake)


@app.command(short_help='Quarters, rows, rejects and deduplication tally.')
def status(
    lake: opt.Lake = opt.DEFAULT_LAKE,
    as_json: opt.Json = False,
    rejects: Annotated[bool, typer.Option("--rejects", help="List the rejected and repaired lines.")] = False,
) -> None:
    """Quarters, rows per table, rejects, and the deduplication tally of a lake."""
    st = api.status(lake)
    if as_json:
        typer.echo(json.dumps(st, indent=2))
        return
    rows = []
    for name in st["rows"]:  # the store's tables, in its order
        noted = sum(n for a, n in st["issues"].get(name, {}).items() if a != "rejected")
        rows.append([name.upper(), f"{st['rows'].get(name, 0):,}", f"{st['rejects'].get(name, 0):,}", f"{noted:,}"])
    title = f"Lake {st['lake']}: {len(st['quarters'])} quarter(s) {st['quarters'][0]}–{st['quarters'][-1]}"
    console.print(fitted_table(["table", "rows", "rejected", "repaired/noted"], rows, title=title))
    print_parts([f"reports {st['reports']:,}", f"removed deleted {st['removed_deleted']:,}",
                 f"removed older versions {st['removed_old_versions']:,}", f"cases {st['cases']:,}",
                 f"probable duplicates (flagged) {st['probable_duplicates']:,}",
                 f"cases in both eras {st['cases_in_both_eras']:,}"])
    src = st["drugs"]["rows_by_ingredient_source"]
    print_line("drug rows by ingredient source: " + ", ".join(f"{k} {v:,}" for k, v in sorted(src.items())))
    for q, missing in st.get("missing_tables", {}).items():
        print_line(f"{q} is partial: no {', '.join(t.upper() for t in missing)} table (ingested with --allow-partial)")
    if rejects:
        print_dataframe(api.rejects(lake), title="Lines that did not land as written", max_rows=200)


@drugs_app.command("build-map", short_help="Brand → ingredient synonyms from Drugs@FDA.")
def build_map(
    drugsatfda: Annotated[Path, typer.Option("--drugsatfda", help="Drugs@FDA Products.txt (or a CSV copy).")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the map here (CSV).")] = None,
    lake: Annotated[Optional[Path], typer.Option("--lake", help="Store the map in this lake (used by every later preparation).")] = None,
) -> None:
    """Build brand → ingredient synonyms from the public Drugs@FDA download."""
    df, written = api.drugs_build_map(drugsatfda, out=out, lake=lake)
    print_line(f"{len(df):,} brand → ingredient rows written to {written}")


@drugs_app.command("normalize", short_help="Map a column of drug names to ingredients.")
def normalize(
    file: Annotated[Path, typer.Argument(help="CSV with a column of drug names.")],
    column: Annotated[str, typer.Option("--column", help="The column holding the names.")] = "drugname",
    out: Annotated[Path, typer.Option("--out", help="Output file (.csv, .parquet or .xlsx).")] = Path("normalized.csv"),
    synonyms: opt.Synonyms = None,
    keep_salts: opt.KeepSalts = False,
) -> None:
    """Map a column of free-text drug names to active ingredients (one row out per row in)."""
    df = api.drugs_normalize(file, column=column, out=out, synonyms=synonyms, strip_salts=not keep_salts)
    n_un = int((~df["mapped"]).sum())
    print_dataframe(df[[column, "ingredient", "ingredient_source"]], title=f"{file.name}: {len(df):,} names, {n_un:,} unmapped (kept)", max_rows=15)
    print_line(f"written to {out}")
