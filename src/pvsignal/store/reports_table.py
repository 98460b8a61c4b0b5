"""A generic reports table (``signals --reports FILE``): read once into the engine, validated.

The file (CSV/TSV, optionally gzipped, or Parquet) has one row per report × drug × event —
a VigiBase extract, CAERS, a company database. DuckDB reads it once into a temporary
table of the connection (no pandas round trip); the null/blank accounting, the rejects
and the counts (:mod:`pvsignal.analysis.counts`) then run on that table, so the file is
parsed once however many queries follow. The SHA-256 of the file is computed in a
thread while DuckDB reads it (hashlib releases the GIL), so it costs no wall time on a
machine with a free core.

This reader lives in ``store`` rather than ``sources`` (DESIGN.md's sketch) because
analysis may not import sources (tests/test_architecture.py): like the lake, it turns a
file into an engine relation that analysis queries.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd

from pvsignal.errors import InputFileError

#: Canonical column names of a reports relation.
REPORT_COLUMNS = ("report_id", "drug", "event")

_CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_CHUNK = 1 << 22  # 4 MiB per hashlib update
_names = itertools.count()


@dataclass(frozen=True)
class ReportsInput:
    """A validated user table of reports, ready for :func:`~pvsignal.analysis.counts.pair_counts`.

    ``table`` holds the usable rows under the canonical names ``report_id, drug, event``
    plus the stratum columns (an engine table, read once); ``rejects`` the rows with a
    null or blank key, with a ``reason`` column; ``null_counts`` the number of null/blank
    values per key column; ``sha256`` the hex digest of the file's bytes.
    """

    table: ir.Table
    strata: list[str]
    n_rows: int
    n_rejected: int
    null_counts: dict[str, int]
    rejects: pd.DataFrame = field(repr=False)
    source: str = ""
    sha256: str = ""


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 4 MiB chunks (constant memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _reader_sql(path: Path) -> str:
    """The DuckDB table function reading ``path`` (every CSV column as text)."""
    name = path.name.lower()
    lit = "'" + str(path).replace("'", "''") + "'"
    if name.endswith(_PARQUET_SUFFIXES):
        return f"read_parquet({lit})"
    if name.endswith(_CSV_SUFFIXES):
        delim = ", delim = '\\t'" if ".tsv" in name else ""
        # a report id like 'A12' after a thousand numbers must not fail: all text
        return f"read_csv({lit}, all_varchar = true, header = true{delim})"
    raise InputFileError(f"reports file {path} has an unknown type; use .csv, .tsv (optionally .gz) or .parquet")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _blank(col: str, dtype: str) -> str:
    """SQL: the column is null, or (text) empty after trimming."""
    if dtype.upper().startswith(("VARCHAR", "STRING", "TEXT")):
        return f"({col} IS NULL OR trim({col}) = '')"
    return f"({col} IS NULL)"


def read_reports(
    path: str | Path,
    *,
    report_id: str = "report_id",
    drug: str = "drug",
    event: str = "event",
    strata: Sequence[str] | None = None,
    con: ibis.BaseBackend | None = None,
) -> ReportsInput:
    """Read and validate a table of reports (CSV/TSV or Parquet), one row per report × drug × event.

    ``report_id``, ``drug``, ``event`` name the file's columns holding those keys; they are
    renamed to the canonical names. ``strata`` are kept as they are. CSV files are read
    with every column as text. Raises :class:`~pvsignal.errors.InputFileError` when the
    file is missing, of an unknown type, empty, or lacks a named column (the message lists
    the columns found). Rows whose report id, drug or event is null or blank are not used;
    they are counted in ``null_counts`` and returned in ``rejects`` with a reason.
    ``con`` is a DuckDB Ibis backend (a new in-memory one by default); the rows are
    stored in a temporary table of it.
    """
    path = Path(path)
    strata = list(strata or [])
    if not path.is_file():
        raise InputFileError(f"reports file {path} does not exist (or is not a file)")
    if path.stat().st_size == 0:
        raise InputFileError(f"reports file {path} is empty; it needs a header and one row per report × drug × event")
    reader = _reader_sql(path)
    con = con or ibis.duckdb.connect()
    db = con.con  # the DuckDB connection under the Ibis backend
    with ThreadPoolExecutor(1) as pool:
        digest = pool.submit(file_sha256, path)
        try:
            found = {r[0]: r[1] for r in db.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()}
        except Exception as exc:  # the engine's own parse error, re-raised with the file named
            raise InputFileError(f"could not read reports file {path}: {exc}") from exc
        names = {"report_id": report_id, "drug": drug, "event": event}
        missing = [c for c in [*names.values(), *strata] if c not in found]
        if missing:
            raise InputFileError(
                f"reports file {path} lacks column(s) {', '.join(missing)}; "
                f"columns found: {', '.join(found)}. Name the right ones with the "
                "report-id/drug/event/strata options."
            )
        clash = [s for s in strata if s in REPORT_COLUMNS and names[s] != s]
        if clash:
            raise InputFileError(f"stratum column(s) {', '.join(clash)} clash with the canonical key names")
        flags = {k: _blank(_quote(v), found[v]) for k, v in names.items()}
        table = f"pv_reports_{next(_names)}"
        select = ", ".join(
            [f"{_quote(v)} AS {k}" for k, v in names.items()]
            + [_quote(s) for s in strata]
            + [f"{f} AS _null_{k}" for k, f in flags.items()]
        )
        try:
            db.execute(f"CREATE TEMP TABLE {table} AS SELECT {select} FROM {reader}").fetchall()
        except Exception as exc:
            raise InputFileError(f"could not read reports file {path}: {exc}") from exc
        sha = digest.result()
    sums = ", ".join(f"count_if(_null_{k})" for k in REPORT_COLUMNS)
    n_rows, *nulls = db.execute(f"SELECT count(*), {sums} FROM {table}").fetchall()[0]
    if n_rows == 0:
        raise InputFileError(f"reports file {path} has a header but no rows")
    null_counts = dict(zip(REPORT_COLUMNS, map(int, nulls)))
    keep = [*REPORT_COLUMNS, *strata]
    bad = " OR ".join(f"_null_{k}" for k in REPORT_COLUMNS)
    rejects = pd.DataFrame(columns=[*keep, "reason"])
    if any(nulls):
        cols = ", ".join(_quote(c) for c in keep)
        rejects = db.execute(
            f"SELECT {cols}, CASE WHEN _null_report_id THEN 'null or blank report_id' "
            "WHEN _null_drug THEN 'null or blank drug' ELSE 'null or blank event' END AS reason "
            f"FROM {table} WHERE {bad}"
        ).df()
    if n_rows - len(rejects) == 0:
        raise InputFileError(f"reports file {path}: every row has a null or blank report_id, drug or event")
    t = con.table(table)
    good = t.filter(~(t._null_report_id | t._null_drug | t._null_event)).select(*keep)
    return ReportsInput(
        table=good, strata=strata, n_rows=int(n_rows), n_rejected=len(rejects),
        null_counts=null_counts, rejects=rejects, source=str(path), sha256=sha,
    )


@contextmanager
def open_reports(path: str | Path, **kwargs) -> Iterator[ReportsInput]:
    """:func:`read_reports` on an in-memory DuckDB connection of its own, closed (and the
    table freed) on leaving the ``with`` block; keyword arguments as :func:`read_reports`."""
    con = ibis.duckdb.connect()
    try:
        yield read_reports(path, con=con, **kwargs)
    finally:
        con.disconnect()
