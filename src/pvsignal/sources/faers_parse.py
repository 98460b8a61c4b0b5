"""Parse one FAERS/AERS table file into typed rows with DuckDB, keeping every line.

Each line is read whole by the engine (``read_csv`` with one column, no quoting),
numbered, split on ``$`` and cast to the canonical schema of
:mod:`pvsignal.store.schema`. Lines whose field count does not match the header go to
:func:`pvsignal.sources.faers_records.repair_lines`. Every line ends as exactly one of:

* landed as is;
* landed with a note (``action``): ``repaired`` (field-count or byte repair),
  ``nulled`` (a value that is not a valid number/date became null), ``kept`` (an
  unknown code kept as written, or a row without a DEMO record);
* ``rejected`` (no usable report key, or a line that cannot be repaired), with its text;
* ``skipped`` (a blank line).

All notes go to the ``issues`` list with the file, line number, original text and reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from pvsignal.sources.faers_layouts import Header, parse_header
from pvsignal.sources.faers_records import repair_lines
from pvsignal.store.schema import CODES, COLUMNS, DATE, F64, I32, I64

ISSUE_SCHEMA = pa.schema([("line", pa.int64()), ("reason", pa.string()), ("action", pa.string()), ("raw", pa.string())])

_MACROS = r"""
CREATE OR REPLACE MACRO pv_date(s) AS (
  CASE length(s)
    WHEN 8 THEN try_strptime(s, '%Y%m%d')
    WHEN 6 THEN try_strptime(s || '01', '%Y%m%d')
    WHEN 4 THEN try_strptime(s || '0101', '%Y%m%d')
  END::DATE);
CREATE OR REPLACE MACRO pv_date_ok(s) AS (
  pv_date(s) IS NOT NULL AND year(pv_date(s)) BETWEEN 1900 AND 2100);
"""


@dataclass
class ParsedTable:
    """A parsed file: the DuckDB temp table ``relation`` plus counts and issues."""

    table: str
    relation: str
    header: Header
    lines: int  # data lines read (header excluded)
    rows: int  # rows landed
    issues: list[dict] = field(default_factory=list)


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_MACROS)


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _column_exprs(table: str, header: Header) -> tuple[list[str], list[str]]:
    """SELECT expressions for the canonical columns and the issue expressions."""
    pos = {name: i + 1 for i, name in enumerate(header.names)}
    selects: list[str] = []
    issues: list[str] = []
    for name, typ in COLUMNS[table]:
        if name.endswith("_dt_prec"):
            continue  # emitted with its date column
        if name not in pos:
            selects.append(f"NULL::{_duck_type(typ)} AS {name}")
            if typ == DATE:
                selects.append(f"NULL::VARCHAR AS {name}_prec")
            continue
        raw = f"nullif(trim(f[{pos[name]}]), '')"
        if typ in (I64, I32):
            cast = "BIGINT" if typ == I64 else "INTEGER"
            selects.append(f"try_cast({raw} AS {cast}) AS {name}")
            issues.append(
                f"CASE WHEN {raw} IS NOT NULL AND try_cast({raw} AS {cast}) IS NULL "
                f"THEN 'nulled|{name} is not a whole number: ' || {raw} END"
            )
        elif typ == F64:
            selects.append(f"try_cast({raw} AS DOUBLE) AS {name}")
            issues.append(
                f"CASE WHEN {raw} IS NOT NULL AND try_cast({raw} AS DOUBLE) IS NULL "
                f"THEN 'nulled|{name} is not a number: ' || {raw} END"
            )
        elif typ == DATE:
            selects.append(f"CASE WHEN pv_date_ok({raw}) THEN pv_date({raw}) END AS {name}")
            selects.append(
                f"CASE WHEN pv_date_ok({raw}) THEN (CASE length({raw}) WHEN 8 THEN 'D' WHEN 6 THEN 'M' ELSE 'Y' END) END AS {name}_prec"
            )
            issues.append(
                f"CASE WHEN {raw} IS NOT NULL AND NOT pv_date_ok({raw}) "
                f"THEN 'nulled|{name} is not a valid date (YYYYMMDD, YYYYMM or YYYY): ' || {raw} END"
            )
        elif (table, name) in CODES:
            code = f"upper({raw})"
            allowed = ", ".join(_sql_str(c) for c in sorted(CODES[(table, name)]))
            selects.append(f"{code} AS {name}")
            issues.append(
                f"CASE WHEN {raw} IS NOT NULL AND {code} NOT IN ({allowed}) "
                f"THEN 'kept|unknown code in {name}: ' || {raw} END"
            )
        else:
            selects.append(f"{raw} AS {name}")
    return selects, issues


def _duck_type(typ: pa.DataType) -> str:
    return {I64: "BIGINT", I32: "INTEGER", F64: "DOUBLE", DATE: "DATE"}.get(typ, "VARCHAR")


def parse_table_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    *,
    era: str,
    where: str,
    demo_relation: str | None = None,
) -> ParsedTable:
    """Parse ``path`` (a clean UTF-8 file) as ``table`` into a temp table ``typed_<table>``.

    ``where`` names the file in messages. ``demo_relation`` (a parsed DEMO temp table
    of the same quarter) fills ``caseid`` for legacy tables that lack it.
    """
    lines_rel = f"lines_{table}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {lines_rel} AS "
        "SELECT row_number() OVER () AS line_no, line FROM read_csv(?, delim=chr(1), quote='', escape='', "
        "header=false, columns={'line': 'VARCHAR'}, auto_detect=false, strict_mode=false, "
        "max_line_size=10000000)",
        [str(path)],
    )
    first = con.execute(f"SELECT line FROM {lines_rel} WHERE line_no = 1").fetchall()
    head = first[0] if first else None
    if head is None or head[0] is None:
        from pvsignal.errors import InputFileError

        raise InputFileError(f"{where} is empty: a FAERS table file starts with a header line")
    header = parse_header(table, head[0], where=where)
    w = header.width
    # '$' count + 1 = field count; legacy rows carry one trailing '$'
    nf = "(length(line) - length(replace(line, '$', '')) + 1)"
    good = f"({nf} = {w} OR ({nf} = {w + 1} AND ends_with(line, '$')))"
    blank = "(line IS NULL OR trim(line) = '')"
    n_lines = con.execute(f"SELECT count(*) - 1 FROM {lines_rel}").fetchall()[0][0]

    issues: list[dict] = []
    for (no,) in con.execute(f"SELECT line_no FROM {lines_rel} WHERE line_no > 1 AND {blank} ORDER BY line_no").fetchall():
        issues.append({"line": no, "reason": "blank line", "action": "skipped", "raw": ""})
    odd = con.execute(
        f"SELECT line_no, line FROM {lines_rel} WHERE line_no > 1 AND NOT {blank} AND NOT {good} ORDER BY line_no"
    ).fetchall()
    fixed, rejected = repair_lines(table, header.names, odd)
    for r in rejected:
        issues.append({"line": r.line, "reason": r.reason, "action": "rejected", "raw": r.raw})
    odd_text = dict(odd)
    for fx in fixed:
        issues.append(
            {"line": fx.lines[0], "reason": fx.note, "action": "repaired", "raw": "\n".join(odd_text[n] for n in fx.lines)}
        )
    repaired = pa.table(
        {
            "line_no": pa.array([fx.lines[0] for fx in fixed], pa.int64()),
            "f": pa.array([fx.fields for fx in fixed], pa.list_(pa.string())),
        }
    )
    con.register(f"repaired_{table}", repaired)

    selects, issue_exprs = _column_exprs(table, header)
    issue_list = f"list_filter([{', '.join(issue_exprs)}]::VARCHAR[], lambda x: x IS NOT NULL)" if issue_exprs else "[]::VARCHAR[]"
    typed = f"typed_{table}"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {typed}_pre AS
        SELECT line_no, {', '.join(selects)}, {issue_list} AS issues
        FROM (
          SELECT line_no, string_split(line, '$') AS f FROM {lines_rel}
          WHERE line_no > 1 AND NOT {blank} AND {good}
          UNION ALL SELECT line_no, f FROM repaired_{table}
        )"""
    )
    con.unregister(f"repaired_{table}")
    names = [n for n, _ in COLUMNS[table]]
    if era == "aers" and table != "demo" and demo_relation is not None:
        cols = ", ".join(f"t.{n}" if n != "caseid" else "d.caseid AS caseid" for n in names)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {typed} AS
            SELECT t.line_no, {cols},
              CASE WHEN d.caseid IS NULL AND t.primaryid IS NOT NULL
                   THEN list_append(t.issues, 'kept|no DEMO record with this ISR in the quarter')
                   ELSE t.issues END AS issues
            FROM {typed}_pre t LEFT JOIN (SELECT DISTINCT primaryid, caseid FROM {demo_relation}) d USING (primaryid)"""
        )
        con.execute(f"DROP TABLE {typed}_pre")
    else:
        con.execute(f"ALTER TABLE {typed}_pre RENAME TO {typed}")
    if era == "aers" and table == "demo":
        con.execute(f"UPDATE {typed} SET caseversion = 0")  # legacy ISRs carry no version
    key_ok = "primaryid IS NOT NULL" + (" AND caseid IS NOT NULL" if era == "faers" or table == "demo" else "")
    # rows without a usable key are rejected; the others land (with their notes)
    for no, raw, why in con.execute(
        f"""SELECT t.line_no, l.line,
              CASE WHEN t.primaryid IS NULL THEN 'no usable report id (primaryid/ISR)'
                   ELSE 'no usable case id (caseid/CASE)' END
            FROM {typed} t LEFT JOIN {lines_rel} l USING (line_no)
            WHERE NOT ({key_ok}) ORDER BY t.line_no"""
    ).fetchall():
        issues.append({"line": no, "reason": why, "action": "rejected", "raw": raw or ""})
    for no, note, raw in con.execute(
        f"""SELECT t.line_no, unnest(t.issues) AS note, l.line
            FROM {typed} t LEFT JOIN {lines_rel} l USING (line_no)
            WHERE len(t.issues) > 0 AND {key_ok.replace('primaryid', 't.primaryid').replace('caseid', 't.caseid')}
            ORDER BY t.line_no"""
    ).fetchall():
        action, _, reason = note.partition("|")
        issues.append({"line": no, "reason": reason, "action": action, "raw": raw or ""})
    con.execute(f"DELETE FROM {typed} WHERE NOT ({key_ok})")
    rows = con.execute(f"SELECT count(*) FROM {typed}").fetchall()[0][0]
    con.execute(f"DROP TABLE {lines_rel}")
    return ParsedTable(table, typed, header, n_lines, rows, issues)
