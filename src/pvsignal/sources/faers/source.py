"""The FAERS/AERS quarterly files as a source of the lake (:class:`pvsignal.sources.base.Source`).

For each quarter every table file is byte-checked (:mod:`~pvsignal.sources.faers.bytes`),
parsed and typed by DuckDB (:mod:`~pvsignal.sources.faers.parse`) and handed to the
store as one Parquet write (a DuckDB ``COPY``, as fast as a plain CSV-to-Parquet
conversion); the ``Deleted/DELETEyyQq.txt`` case lists become the ``deleted`` table.
While the engine parses one table, a thread reads, hashes and byte-checks the next.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa

from pvsignal.sources.base import TableOut
from pvsignal.sources.faers.bytes import check_bytes
from pvsignal.sources.faers.files import Member, QuarterInput, discover
from pvsignal.sources.faers.parse import install_macros, parse_table_file
from pvsignal.sources.faers.schema import COLUMNS, TABLES, arrow_schema


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def _deleted_caseids(member: Member, data: bytes) -> tuple[list[int], list[dict]]:
    """Parse a headerless one-column list of caseids; bad lines become issues."""
    ids: list[int] = []
    issues: list[dict] = []
    text = data.decode("utf-8", errors="replace")
    for no, line in enumerate(text.splitlines(), start=1):
        s = line.strip().rstrip("$").strip()
        if not s:
            continue
        if s.isdigit():
            ids.append(int(s))
        else:
            issues.append({"line": no, "reason": "not a case id", "action": "rejected", "raw": line})
    return ids, issues


def _load(qi: QuarterInput, table: str, scratch: Path):
    """Read, hash and byte-check one table file; write it to scratch when needed."""
    member = qi.tables[table]
    data = member.read_bytes()
    meta = {"name": member.label, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    checked = check_bytes(data)
    del data
    if member.member is not None or checked.changed:
        path = scratch / f"{qi.quarter}-{table}.txt"
        path.write_bytes(checked.data)
    else:
        path = member.path
    return member, checked, path, meta


def write_parquet(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str], out: Path,
                  quarter: str, era: str) -> None:
    """``COPY`` a parsed relation to ``out`` with the ``quarter`` and ``era`` columns."""
    cols = ", ".join(columns)
    con.execute(
        f"COPY (SELECT {cols}, '{quarter}' AS quarter, '{era}' AS era FROM {relation}) "
        f"TO '{_q(out)}' (FORMAT parquet, COMPRESSION zstd)"
    )


def _parsed(con, qi: QuarterInput, scratch: Path, table: str, member: Member, checked, path: Path,
            inputs: dict) -> TableOut:
    """Parse one checked table file; the result writes its Parquet part."""
    issues = [{"line": r.line, "reason": r.reason, "action": "repaired", "raw": r.raw} for r in checked.repairs]
    parsed = parse_table_file(
        con, path, table, era=qi.era, where=member.label, data=checked.data,
        demo_relation="typed_demo" if table != "demo" else None,
    )
    if path.parent == scratch:
        path.unlink()
    issues.extend(parsed.issues)

    def write(out: Path) -> None:
        write_parquet(con, parsed.relation, [c for c, _ in COLUMNS[table]], out, qi.quarter, qi.era)
        if table != "demo":  # DEMO stays: later tables of the quarter take legacy caseids from it
            con.execute(f"DROP TABLE {parsed.relation}")

    return TableOut(table, write, member.label, parsed.lines, parsed.rows, issues, inputs)


def _deleted(qi: QuarterInput) -> TableOut:
    ids: list[int] = []
    issues: list[dict] = []
    for member in qi.deleted:
        got, bad = _deleted_caseids(member, member.read_bytes())
        ids.extend(got)
        issues.extend({"file": member.label, **b} for b in bad)
    unique = sorted(set(ids))
    data = pa.table({"caseid": pa.array(unique, pa.int64()), "quarter": pa.array([qi.quarter] * len(unique), pa.string())})
    return TableOut.from_arrow("deleted", data, issues=issues, meta={"deleted": len(unique)})


def _absent(table: str) -> TableOut:
    """A table a partial quarter lacks: landed empty (readers find every table), 0 lines."""
    return TableOut.from_arrow(table, arrow_schema(table).empty_table(), lines=0, rows=0)


class FaersSource:
    """FAERS (2012Q4+) and legacy AERS (2004Q1–2012Q3) quarterly ASCII files.

    ``allow_partial``: a quarter lacking tables lands what it has (the missing ones empty,
    listed in the manifest's ``missing_tables``); ``trust_contents``: a zip may hold
    another quarter than its name says (:func:`~pvsignal.sources.faers.files.discover`).
    """

    name = "faers"
    tables: tuple[str, ...] = (*TABLES, "deleted")

    def __init__(self, *, allow_partial: bool = False, trust_contents: bool = False) -> None:
        self.allow_partial = allow_partial
        self.trust_contents = trust_contents

    def schema(self, table: str) -> pa.Schema:
        return arrow_schema(table)

    def discover(self, paths: Sequence[str | Path]) -> list[QuarterInput]:
        return discover(list(paths), allow_partial=self.allow_partial, trust_contents=self.trust_contents)

    def read(self, unit: QuarterInput, scratch: Path, *, memory_limit: str) -> Iterator[TableOut]:
        con = duckdb.connect(config={"memory_limit": memory_limit})
        try:
            con.execute(f"SET temp_directory = '{_q(scratch)}'")
            install_macros(con)
            present = [t for t in TABLES if t in unit.tables]
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(_load, unit, present[0], scratch)
                for i, table in enumerate(present):
                    member, checked, path, inputs = pending.result()
                    if i + 1 < len(present):
                        pending = pool.submit(_load, unit, present[i + 1], scratch)
                    yield _parsed(con, unit, scratch, table, member, checked, path, inputs)
                    del checked
            for table in TABLES:
                if table not in unit.tables:
                    yield _absent(table)
            yield _deleted(unit)
        finally:
            con.close()


#: The FAERS source (stateless; one instance serves every ingest).
FAERS = FaersSource()
