"""Parse one FAERS/AERS table file into typed rows with DuckDB, keeping every line.

The engine reads the file as ``$``-separated columns (no quoting) straight into the
canonical schema of :mod:`pvsignal.sources.faers.schema` — the fast path, as fast as a plain
CSV-to-Parquet conversion. Lines it cannot read as a record of the header's width
(its *rejects*, with their line numbers) and blank lines are taken from the bytes and
handed to :func:`pvsignal.sources.faers.records.repair_lines`. Every line ends as
exactly one of:

* landed as is;
* landed with a note (``action``): ``repaired`` (field-count or byte repair),
  ``nulled`` (a value that is not a valid number/date became null), ``kept`` (an
  unknown code kept as written, or a row without a DEMO record);
* ``rejected`` (no usable report key, or a line that cannot be repaired), with its text;
* ``skipped`` (a blank line).

All notes go to the ``issues`` list with the file, line number, original text and reason.
Line numbers count the header as line 1; an accepted row's line number follows from its
rank among accepted rows and the sorted numbers of the lines that produced no row.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pvsignal.errors import InputFileError
from pvsignal.sources.faers.layouts import Header, layouts, parse_header
from pvsignal.sources.faers.records import repair_lines
from pvsignal.sources.faers.schema import CODES, COLUMNS, DATE, F64, I32, I64

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


def _column_exprs(table: str, header: Header, na: bool = False) -> tuple[list[str], list[tuple[str, str]]]:
    """SELECT expressions for the canonical columns, and ``(condition, note)`` issue checks.

    A note is ``'<action>|<reason>'``; conditions and notes read the raw columns ``c1…cN``.
    With ``na``, a literal ``NA`` in a number or date column is read as missing and
    flagged in a boolean column ``_na_<name>`` (counted once per file and column).
    """
    pos = {name: i + 1 for i, name in enumerate(header.names)}
    selects: list[str] = []
    issues: list[tuple[str, str]] = []
    for name, typ in COLUMNS[table]:
        if name.endswith("_dt_prec"):
            continue  # emitted with its date column
        if name not in pos:
            selects.append(f"NULL::{_duck_type(typ)} AS {name}")
            if typ == DATE:
                selects.append(f"NULL::VARCHAR AS {name}_prec")
            continue
        raw = f"nullif(trim(c{pos[name]}), '')"
        if na and typ in (I64, I32, F64, DATE):
            selects.append(f"coalesce(trim(c{pos[name]}) = 'NA', false) AS _na_{name}")
            raw = f"nullif(nullif(trim(c{pos[name]}), ''), 'NA')"
        if typ in (I64, I32):
            cast = "BIGINT" if typ == I64 else "INTEGER"
            selects.append(f"try_cast({raw} AS {cast}) AS {name}")
            issues.append((f"({raw} IS NOT NULL AND try_cast({raw} AS {cast}) IS NULL)",
                           f"'nulled|{name} is not a whole number: ' || {raw}"))
        elif typ == F64:
            selects.append(f"try_cast({raw} AS DOUBLE) AS {name}")
            issues.append((f"({raw} IS NOT NULL AND try_cast({raw} AS DOUBLE) IS NULL)",
                           f"'nulled|{name} is not a number: ' || {raw}"))
        elif typ == DATE:
            selects.append(f"CASE WHEN pv_date_ok({raw}) THEN pv_date({raw}) END AS {name}")
            selects.append(
                f"CASE WHEN pv_date_ok({raw}) THEN (CASE length({raw}) WHEN 8 THEN 'D' WHEN 6 THEN 'M' ELSE 'Y' END) END AS {name}_prec"
            )
            issues.append((f"({raw} IS NOT NULL AND NOT pv_date_ok({raw}))",
                           f"'nulled|{name} is not a valid date (YYYYMMDD, YYYYMM or YYYY): ' || {raw}"))
        elif (table, name) in CODES:
            code = f"upper({raw})"
            allowed = ", ".join(_sql_str(c) for c in sorted(CODES[(table, name)]))
            selects.append(f"{code} AS {name}")
            issues.append((f"({raw} IS NOT NULL AND {code} NOT IN ({allowed}))",
                           f"'kept|unknown code in {name}: ' || {raw}"))
        else:
            selects.append(f"nullif(c{pos[name]}, '') AS {name}")
    return selects, issues


def _duck_type(typ: pa.DataType) -> str:
    return {I64: "BIGINT", I32: "INTEGER", F64: "DOUBLE", DATE: "DATE"}.get(typ, "VARCHAR")


class _Lines:
    """Line access into the file's bytes: numbers (1-based) → text, and blank lines."""

    def __init__(self, data: bytes):
        self.data = data
        self._nl: np.ndarray | None = None

    @property
    def newlines(self) -> np.ndarray:
        if self._nl is None:
            self._nl = np.flatnonzero(np.frombuffer(self.data, dtype=np.uint8) == 10)
        return self._nl

    def text(self, line: int) -> str:
        nl = self.newlines
        start = 0 if line == 1 else int(nl[line - 2]) + 1
        end = int(nl[line - 1]) if line - 1 < len(nl) else len(self.data)
        return self.data[start:end].decode("utf-8", errors="replace").rstrip("\r")

    def first_lines(self, k: int) -> list[str]:
        out, pos = [], 0
        for _ in range(k):
            end = self.data.find(b"\n", pos)
            out.append(self.data[pos:(len(self.data) if end < 0 else end)].decode("utf-8", errors="replace").rstrip("\r"))
            if end < 0:
                break
            pos = end + 1
        return out

    def blank_lines(self) -> list[int]:
        """Numbers of empty lines (the engine skips them silently); whitespace-only lines it rejects."""
        nl = self.newlines
        if len(nl) < 2:
            return []
        gap = np.diff(nl)  # line i + 2 runs from nl[i] + 1 to nl[i + 1]
        empty = (gap == 1) | ((gap == 2) & (np.frombuffer(self.data, dtype=np.uint8)[np.minimum(nl[:-1] + 1, len(self.data) - 1)] == 13))
        return (np.flatnonzero(empty) + 2).tolist()


#: Line-level repairs must stay rare: a file with more lines than this share (and more than
#: :data:`MALFORMED_MIN` lines) whose field count disagrees with its header is refused whole.
MALFORMED_SHARE = 0.01
MALFORMED_MIN = 5


def _refuse_if_malformed(table: str, header: Header, era: str, where: str, odd: list[tuple[int, str]],
                         n_lines: int) -> None:
    """Raise when too many lines disagree with the header's width to be one-off quirks."""
    if len(odd) <= max(MALFORMED_MIN, MALFORMED_SHARE * n_lines):
        return
    width, n_width = Counter(t.count("$") + 1 for _, t in odd).most_common(1)[0]
    hint = ""
    for known in layouts(era, table):  # legacy lines end with one '$' more than their fields
        if len(known) in (width, width - (era == "aers")) and set(header.names) < set(known):
            hint = f"; the header lacks {', '.join(n for n in known if n not in header.names)} (layout {'$'.join(known)})"
    raise InputFileError(
        f"{where}: malformed — {len(odd):,} of {n_lines:,} lines do not have the header's {header.width} fields "
        f"({n_width:,} have {width}, e.g. line {odd[0][0]}){hint}; the file was refused whole, nothing of its "
        "quarter was ingested"
    )


def _na_summary(con: duckdb.DuckDBPyConnection, typed: str, table: str, selects: list[str]) -> list[dict]:
    """One ``nulled`` note per column holding literal ``NA`` values, with their ``count``."""
    cols = [s.rsplit(" AS ", 1)[1] for s in selects if s.endswith(tuple(f" AS _na_{n}" for n, _ in COLUMNS[table]))]
    if not cols:
        return []
    counts = con.execute(f"SELECT {', '.join(f'count(*) FILTER (WHERE {c})' for c in cols)} FROM {typed}").fetchone()
    return [{"line": None, "raw": "", "action": "nulled", "count": int(n),
             "reason": f"{table.upper()} {c[4:]}: {int(n):,} values 'NA' read as missing"}
            for c, n in zip(cols, counts) if n]


def parse_table_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    *,
    era: str,
    where: str,
    data: bytes,
    demo_relation: str | None = None,
) -> ParsedTable:
    """Parse ``path`` (clean UTF-8; ``data`` is its content) as ``table`` into ``typed_<table>``.

    ``where`` names the file in messages. ``demo_relation`` (a parsed DEMO temp table
    of the same quarter) fills ``caseid`` for legacy tables that lack it.
    """
    lines = _Lines(data)
    first = lines.first_lines(2)
    if not data.strip() or not first or not first[0].strip():
        raise InputFileError(f"{where} is empty: a FAERS table file starts with a header line")
    header = parse_header(table, first[0], where=where, era=era)
    w = header.width
    # legacy rows end with a '$' the header lacks: read it as one more (empty) column
    if era == "faers":  # the engine takes 'a$b$c$' for 3 fields: a header one column short passes unseen
        head = lines.first_lines(1001)[1:]
        if head and not head[-1]:  # the end of the file's last line
            head.pop()
        _refuse_if_malformed(table, header, era, where,
                             [(k + 2, t) for k, t in enumerate(head) if t.count("$") >= w], len(head))
    trailing = era == "aers" and len(first) > 1 and first[1].endswith("$") and first[1].count("$") == w
    ncols = w + 1 if trailing else w
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, ncols + 1)) + "}"
    na = any(tok in data for tok in (b"$NA$", b"$NA\n", b"$NA\r"))
    selects, checks = _column_exprs(table, header, na)
    notes = (
        f"CASE WHEN {' OR '.join(c for c, _ in checks)} THEN "
        f"list_filter([{', '.join(f'CASE WHEN {c} THEN {m} END' for c, m in checks)}]::VARCHAR[], lambda x: x IS NOT NULL) END"
        if checks else "NULL::VARCHAR[]"
    )
    filler = f", c{ncols} AS _filler" if trailing else ""
    typed = f"typed_{table}"
    rej = f"rej_{table}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {typed} AS "
        f"SELECT NULL::BIGINT AS k, {', '.join(selects)}, {notes} AS notes{filler} "
        f"FROM read_csv(?, delim='$', quote='', escape='', header=false, skip=1, columns={columns}, "
        f"auto_detect=false, ignore_errors=true, store_rejects=true, rejects_table='{rej}', "
        f"rejects_scan='{rej}_scan', max_line_size=10000000)",
        [str(path)],
    )
    rejected = sorted({r[0] for r in con.execute(f"SELECT DISTINCT line FROM {rej}").fetchall()})
    con.execute(f"DROP TABLE {rej}")
    con.execute(f"DROP TABLE {rej}_scan")
    blank = lines.blank_lines()
    skipped = sorted(set(rejected) | set(blank))
    thresholds = [s - 1 - j for j, s in enumerate(skipped)]

    def line_of(k: int) -> int:  # k: rank among accepted rows (rowid + 1); negative: -line of a repaired row
        return -k if k < 0 else k + 1 + bisect.bisect_right(thresholds, k)

    # rows keep the file's order (insertion order is preserved), so rowid + 1 is a row's rank
    rank = "coalesce(k, rowid + 1)"

    issues: list[dict] = [{"line": b, "reason": "blank line", "action": "skipped", "raw": ""} for b in blank]
    odd: list[tuple[int, str]] = []
    for ln in rejected:
        txt = lines.text(ln)
        if txt.strip():
            odd.append((ln, txt))
        else:
            issues.append({"line": ln, "reason": "blank line", "action": "skipped", "raw": txt})
    if trailing:  # a legacy-width row whose last field is not empty: one '$' too many somewhere
        extra = [r[0] for r in con.execute(f"SELECT {rank} FROM {typed} WHERE _filler <> ''").fetchall()]
        if extra:
            con.execute(f"DELETE FROM {typed} WHERE _filler <> ''")
            odd.extend((line_of(k), lines.text(line_of(k))) for k in extra)
            odd.sort()
    n_lines = max(0, len(lines.newlines) + (0 if data.endswith(b"\n") else 1) - 1)
    _refuse_if_malformed(table, header, era, where, odd, n_lines)
    fixed, bad = repair_lines(table, header.names, odd)
    for r in bad:
        issues.append({"line": r.line, "reason": r.reason, "action": "rejected", "raw": r.raw})
    odd_text = dict(odd)
    for fx in fixed:
        issues.append({"line": fx.lines[0], "reason": fx.note, "action": "repaired",
                       "raw": "\n".join(odd_text[n] for n in fx.lines)})
    if fixed:
        rep = pa.table({"k": pa.array([-fx.lines[0] for fx in fixed], pa.int64()),
                        **{f"c{i + 1}": pa.array([fx.fields[i] for fx in fixed], pa.string()) for i in range(w)}})
        con.register(f"repaired_{table}", rep)
        con.execute(f"INSERT INTO {typed} BY NAME SELECT k, {', '.join(selects)}, {notes} AS notes FROM repaired_{table}")
        con.unregister(f"repaired_{table}")

    if era == "aers" and table != "demo" and demo_relation is not None:
        # legacy tables carry no caseid: take it from the quarter's DEMO (UPDATE keeps rowids)
        con.execute(
            f"""UPDATE {typed} SET caseid = d.caseid
                FROM (SELECT primaryid, any_value(caseid) AS caseid FROM {demo_relation} GROUP BY primaryid) d
                WHERE {typed}.primaryid = d.primaryid"""
        )
        con.execute(
            f"""UPDATE {typed} SET notes = list_append(coalesce(notes, []::VARCHAR[]), 'kept|no DEMO record with this ISR in the quarter')
                WHERE caseid IS NULL AND primaryid IS NOT NULL"""
        )
    if era == "aers" and table == "demo":
        con.execute(f"UPDATE {typed} SET caseversion = 0")  # legacy ISRs carry no version
    key_ok = "primaryid IS NOT NULL" + (" AND caseid IS NOT NULL" if era == "faers" or table == "demo" else "")
    for k, key_good, no_pid, note_list in con.execute(
        f"SELECT {rank}, {key_ok}, primaryid IS NULL, notes FROM {typed} WHERE NOT ({key_ok}) OR len(notes) > 0"
    ).fetchall():
        ln = line_of(k)
        raw = odd_text.get(ln) or lines.text(ln)
        if not key_good:
            why = "no usable report id (primaryid/ISR)" if no_pid else "no usable case id (caseid/CASE)"
            issues.append({"line": ln, "reason": why, "action": "rejected", "raw": raw})
            continue
        for note in note_list:
            action, _, reason = note.partition("|")
            issues.append({"line": ln, "reason": reason, "action": action, "raw": raw})
    con.execute(f"DELETE FROM {typed} WHERE NOT ({key_ok})")
    rows_landed = con.execute(f"SELECT count(*) FROM {typed}").fetchall()[0][0]
    issues.sort(key=lambda i: i["line"])
    if na:
        issues[:0] = _na_summary(con, typed, table, selects)
    return ParsedTable(table, typed, header, n_lines, rows_landed, issues)

