"""Ingest FAERS/AERS quarterly files into the Parquet lake.

For each quarter: every table file is byte-checked (:mod:`~pvsignal.sources.faers_bytes`),
parsed and typed by DuckDB (:mod:`~pvsignal.sources.faers_parse`) and written as one
Parquet file per table; every line that did not land as written goes to the quarter's
rejects table with its reason; the ``Deleted/DELETEyyQq.txt`` case lists go to the
``deleted`` table. All quarters of one run are committed together by one atomic
manifest replace (see :mod:`pvsignal.store.lake`).
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pvsignal.sources.faers_bytes import check_bytes
from pvsignal.sources.faers_files import Member, QuarterInput, discover
from pvsignal.sources.faers_parse import install_macros, parse_table_file
from pvsignal.store.engine import default_memory_limit
from pvsignal.store.lake import Lake, new_id
from pvsignal.store.schema import COLUMNS, REJECT_COLUMNS, TABLES

#: progress(step_done, steps_total, label)
Progress = Callable[[int, int, str], None]


@dataclass
class QuarterReport:
    quarter: str
    era: str
    source: str
    lines: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    issues: dict[str, dict[str, int]] = field(default_factory=dict)  # table → action → count
    deleted: int = 0

    @property
    def rejected(self) -> dict[str, int]:
        return {t: a.get("rejected", 0) for t, a in self.issues.items()}


@dataclass
class IngestReport:
    lake: Path
    ingest_id: str
    quarters: list[QuarterReport]


def _write_parquet(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str], out: Path, quarter: str, era: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    cols = ", ".join(columns)
    con.execute(
        f"COPY (SELECT {cols}, '{quarter}' AS quarter, '{era}' AS era FROM {relation}) "
        f"TO '{_q(out)}' (FORMAT parquet, COMPRESSION zstd)"
    )


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def _deleted_caseids(member: Member, data: bytes) -> tuple[list[int], list[dict]]:
    """Parse a headerless one-column list of caseids; bad lines become rejects."""
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


def _parse_one(con, lake: Lake, qi: QuarterInput, run_id: str, scratch: Path, table: str, member: Member,
               checked, path: Path, files: dict, rep: QuarterReport, rejects: list) -> None:
    """Parse one checked table file and write its Parquet part; record counts and issues."""
    issues = [
        {"line": r.line, "reason": r.reason, "action": "repaired", "raw": r.raw} for r in checked.repairs
    ]
    parsed = parse_table_file(
        con, path, table, era=qi.era, where=member.label, data=checked.data,
        demo_relation="typed_demo" if table != "demo" else None,
    )
    if path.parent == scratch:
        path.unlink()
    issues.extend(parsed.issues)
    out = lake.part_path(table, qi.quarter, run_id)
    _write_parquet(con, parsed.relation, [c for c, _ in COLUMNS[table]], out, qi.quarter, qi.era)
    files[table] = str(out.relative_to(lake.root))
    if table != "demo":
        con.execute(f"DROP TABLE {parsed.relation}")
    rep.lines[table] = parsed.lines
    rep.rows[table] = parsed.rows
    rep.issues[table] = dict(Counter(i["action"] for i in issues))
    rejects.extend({"table": table, "file": member.label, **i} for i in issues)


def _ingest_quarter(lake: Lake, qi: QuarterInput, run_id: str, scratch: Path, tick: Callable[[str], None]) -> tuple[QuarterReport, dict]:
    rep = QuarterReport(qi.quarter, qi.era, qi.source)
    files: dict[str, str] = {}
    inputs: dict[str, dict] = {}
    rejects: list[dict] = []
    con = duckdb.connect(config={"memory_limit": default_memory_limit()})
    try:
        con.execute(f"SET temp_directory = '{_q(scratch)}'")
        install_macros(con)
        # byte work for the next table runs in a thread while the engine parses this one
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(_load, qi, TABLES[0], scratch)
            for i, table in enumerate(TABLES):
                member, checked, path, inputs[table] = pending.result()
                if i + 1 < len(TABLES):
                    pending = pool.submit(_load, qi, TABLES[i + 1], scratch)
                _parse_one(con, lake, qi, run_id, scratch, table, member, checked, path, files, rep, rejects)
                del checked
                tick(f"{qi.quarter} {table.upper()}")
        # deleted-case lists (FAERS 2019Q1+)
        del_ids: list[int] = []
        del_issues: list[dict] = []
        for member in qi.deleted:
            ids, bad = _deleted_caseids(member, member.read_bytes())
            del_ids.extend(ids)
            del_issues.extend({"table": "deleted", "file": member.label, **b} for b in bad)
        rejects.extend(del_issues)
        rep.deleted = len(set(del_ids))
        if del_issues:
            rep.issues["deleted"] = dict(Counter(i["action"] for i in del_issues))
        out = lake.part_path("deleted", qi.quarter, run_id)
        out.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            pa.table({"caseid": pa.array(sorted(set(del_ids)), pa.int64()),
                      "quarter": pa.array([qi.quarter] * rep.deleted, pa.string())}),
            out,
        )
        files["deleted"] = str(out.relative_to(lake.root))
        out = lake.part_path("rejects", qi.quarter, run_id)
        out.parent.mkdir(parents=True, exist_ok=True)
        schema = pa.schema([*REJECT_COLUMNS, ("quarter", pa.string())])
        cols = {name: [r.get(name) for r in rejects] for name, _ in REJECT_COLUMNS}
        cols["quarter"] = [qi.quarter] * len(rejects)
        pq.write_table(pa.table(cols, schema=schema), out, compression="zstd")
        files["rejects"] = str(out.relative_to(lake.root))
    finally:
        con.close()
    entry = {
        "ingest_id": run_id,
        "ingested_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": qi.source,
        "era": qi.era,
        "synthetic": qi.synthetic,
        "inputs": inputs,
        "files": files,
        "lines": rep.lines,
        "rows": rep.rows,
        "issues": rep.issues,
        "deleted": rep.deleted,
    }
    return rep, entry


def ingest(paths: list[str | Path], lake_dir: str | Path, *, progress: Progress | None = None) -> IngestReport:
    """Ingest the quarters found in ``paths`` into the lake at ``lake_dir``.

    Inputs are all checked first (missing paths, incomplete quarters → error, nothing
    written). Quarters already in the lake are replaced; others are kept. The run is
    committed at the end in one step; an interrupted run leaves the lake as it was.
    """
    quarters = discover(list(paths))
    lake = Lake(Path(lake_dir))
    lake.root.mkdir(parents=True, exist_ok=True)
    manifest = lake.manifest()
    lake.sweep()
    run_id = new_id()
    scratch = lake.scratch(run_id)
    total = len(quarters) * len(TABLES)
    done = 0

    def tick(label: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, label)

    reports = []
    try:
        for qi in quarters:
            rep, entry = _ingest_quarter(lake, qi, run_id, scratch, tick)
            reports.append(rep)
            manifest["quarters"][qi.quarter] = entry
        manifest["prepared"] = None  # the deduplicated tables must be rebuilt
        lake.write_manifest(manifest)
    finally:
        lake.sweep()
    return IngestReport(lake.root, run_id, reports)
