"""Ingest a source's input files into the Parquet lake, whatever the source.

The source (:class:`pvsignal.sources.base.Source`; FAERS: :data:`pvsignal.sources.faers.source.FAERS`)
finds its quarters and reads each into tables; the store writes one Parquet file per
table and quarter under ``LAKE/<source.name>/``, checks it against the source's schema,
writes every line that did not land as written to the quarter's rejects table
(:mod:`pvsignal.store.rejects`) and records inputs, counts and issues in the manifest.
All quarters of one run are committed together by one atomic manifest replace, when
the lake's lock is released (with the preparation that ``api.ingest`` runs under the
same lock: one commit; see :func:`pvsignal.store.lake.transaction`).
"""

from __future__ import annotations

import logging
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pyarrow.parquet as pq

from pvsignal.sources.base import Source, TableOut, Unit
from pvsignal.store.engine import default_memory_limit
from pvsignal.store.lake import PRIMARY, Lake, entries, new_id
from pvsignal.store.lock import lake_lock
from pvsignal.store.rejects import write_rejects

log = logging.getLogger("pvsignal.store")

#: progress(step_done, steps_total, label)
Progress = Callable[[int, int, str], None]


@dataclass
class QuarterReport:
    """What one quarter's ingest landed: input lines, rows and issues (table → action → count)."""

    quarter: str
    source: str  # where the inputs were found
    lines: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    issues: dict[str, dict[str, int]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)  # the source's extra fields (FAERS: era, deleted)

    @property
    def rejected(self) -> dict[str, int]:
        return {t: a.get("rejected", 0) for t, a in self.issues.items()}


@dataclass
class IngestReport:
    lake: Path
    ingest_id: str
    quarters: list[QuarterReport]


def _check_schema(source: Source, out: TableOut, path: Path) -> None:
    """A source bug, not a user's mistake: the file must have the columns the source declares."""
    got = pq.read_schema(path)
    want = source.schema(out.table)
    if [(f.name, f.type) for f in got] != [(f.name, f.type) for f in want]:
        raise TypeError(f"source {source.name!r} wrote {out.table} as {got}, not its declared schema {want}")


def land(lake: Lake, source: Source, out: TableOut, quarter: str, run_id: str) -> Path:
    """Write one table of one quarter to its place in the lake and check its schema."""
    path = lake.part_path(out.table, quarter, run_id, source.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.write(path)
    _check_schema(source, out, path)
    return path


def _ingest_quarter(lake: Lake, source: Source, unit: Unit, run_id: str, scratch: Path,
                    tick: Callable[[str], None]) -> tuple[QuarterReport, dict]:
    rep = QuarterReport(unit.quarter, unit.source, meta=dict(unit.meta))
    files: dict[str, str] = {}
    inputs: dict[str, dict] = {}
    rejects: list[dict] = []
    with closing(source.read(unit, scratch, memory_limit=default_memory_limit())) as reader:
        for out in reader:
            files[out.table] = str(land(lake, source, out, unit.quarter, run_id).relative_to(lake.root))
            if out.inputs is not None:
                inputs[out.table] = out.inputs
            if out.rows is not None:
                rep.lines[out.table] = out.lines or 0
                rep.rows[out.table] = out.rows
            if out.rows is not None or out.issues:
                counts: Counter[str] = Counter()
                for i in out.issues:  # a summary note stands for ``count`` values
                    counts[i["action"]] += i.get("count", 1)
                rep.issues[out.table] = dict(counts)
            rep.meta.update(out.meta)
            rejects.extend({"table": out.table, "file": out.file, **i} for i in out.issues)
            tick(f"{unit.quarter} {out.table.upper()}")
    out_path = lake.part_path("rejects", unit.quarter, run_id, source.name)
    write_rejects(rejects, unit.quarter, out_path)
    files["rejects"] = str(out_path.relative_to(lake.root))
    entry = {
        "ingest_id": run_id,
        "ingested_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": unit.source,
        "synthetic": unit.synthetic,
        "inputs": inputs,
        "files": files,
        "lines": rep.lines,
        "rows": rep.rows,
        "issues": rep.issues,
        **rep.meta,
    }
    return rep, entry


def sweep_leftovers(lake: Lake, also: tuple[str, ...] = ()) -> None:
    """Remove what an interrupted writer left (files no manifest lists), saying so."""
    removed = lake.sweep(also=also)
    if removed:
        log.warning("removed %d file(s) left in %s by an interrupted run or kept for readers that have ended",
                    removed, lake.root)


def ingest(paths: list[str | Path], lake_dir: str | Path, *, source: Source,
           progress: Progress | None = None, wait: bool = False) -> IngestReport:
    """Ingest the quarters of ``source`` found in ``paths`` into the lake at ``lake_dir``.

    Inputs are all checked first (missing paths, incomplete quarters → error, nothing
    written). Quarters already in the lake for this source are replaced; others are
    kept. The run holds the lake's lock (:mod:`pvsignal.store.lock`; busy → error, or
    ``wait``) and is committed when the lock is released, in one step; an interrupted
    run leaves the lake as it was.
    """
    units = source.discover(list(paths))
    lake = Lake(Path(lake_dir))
    names = ", ".join(str(p) for p in paths)
    with lake_lock(lake.root, f"ingest of {names[:200]}", wait=wait):
        return _ingest_locked(units, lake, source, progress)


def _ingest_locked(units: list, lake: Lake, source: Source, progress: Progress | None) -> IngestReport:
    manifest = lake.manifest()
    sweep_leftovers(lake, also=(source.name,))
    run_id = new_id()
    scratch = lake.scratch(run_id)
    total = len(units) * len(source.tables)
    done = 0

    def tick(label: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, label)

    reports = []
    for unit in units:  # an error: the lock's transaction removes this run's files
        rep, entry = _ingest_quarter(lake, source, unit, run_id, scratch, tick)
        reports.append(rep)
        entries(manifest, source.name)[unit.quarter] = entry
    if source.name == PRIMARY:
        manifest["prepared"] = None  # the deduplicated tables must be rebuilt
    lake.write_manifest(manifest)  # committed when the lock is released (with a preparation under it)
    return IngestReport(lake.root, run_id, reports)
