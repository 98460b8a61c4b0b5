"""The Parquet lake: layout, manifest, atomic commits, and engine connections.

Layout (one folder per source, :mod:`pvsignal.sources.base`)::

    LAKE/manifest.json                               which files are live, per source and quarter
    LAKE/<source>/<table>/quarter=<Q>/part-<id>.parquet   e.g. faers/drug, faers/rejects
    LAKE/prepared/<name>-<id>.parquet                kept-case keys, ingredient map and case
                                                     tables but cases (pvsignal.prepare.views)

The manifest keeps the quarters of the :data:`PRIMARY` source (the one the prepared
views read) under ``quarters``, as every lake has since format 1; any other source's
under ``sources.<name>.quarters``. The store knows no source's tables: it lists what
the manifest records.

Readers use only the files the manifest lists, so a commit is one atomic
``os.replace`` of the manifest: an ingest interrupted before it leaves the lake as
it was (its stray files are removed by the next ingest). Re-ingesting a quarter
replaces exactly that quarter's files.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from pvsignal.errors import LakeError

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
DEFAULT_LAKE = Path("pvsignal-lake")
#: the source whose quarters the manifest keeps at its top level (format 1)
PRIMARY = "faers"
#: manifests this process has swapped in, in order (the CLI says so when interrupted after one)
COMMITS: list[str] = []


def new_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


@dataclass
class Lake:
    """A lake folder and its manifest."""

    root: Path

    def __post_init__(self) -> None:
        self.root = Path(self.root)

    # -- manifest ---------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> dict[str, Any]:
        if not self.exists():
            return {"format": FORMAT_VERSION, "quarters": {}, "prepared": None}
        try:
            m = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise LakeError(f"{self.manifest_path} is unreadable ({exc}); re-ingest into a new lake folder") from exc
        if m.get("format") != FORMAT_VERSION:
            raise LakeError(f"{self.manifest_path} has format {m.get('format')}, this pvsignal reads {FORMAT_VERSION}")
        return m

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Replace the manifest atomically (write a temporary file, then rename)."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{MANIFEST}.{uuid.uuid4().hex}.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(json.dumps(manifest, indent=1, sort_keys=True, default=str))
            fh.flush()
            os.fsync(fh.fileno())  # the new manifest is on disk before it replaces the old one
        os.replace(tmp, self.manifest_path)
        COMMITS.append(str(self.manifest_path))

    def quarters(self, source: str = PRIMARY) -> list[str]:
        return sorted(entries(self.manifest(), source))

    def tables(self, source: str = PRIMARY) -> list[str]:
        """The tables the manifest lists files of, for ``source`` (sorted)."""
        return sorted({t for e in entries(self.manifest(), source).values() for t in e.get("files", {})})

    # -- files ------------------------------------------------------------------
    def part_path(self, table: str, quarter: str, ingest_id: str, source: str = PRIMARY) -> Path:
        return self.root / source / table / f"quarter={quarter}" / f"part-{ingest_id}.parquet"

    def files(self, table: str, quarters: list[str] | None = None, *, source: str = PRIMARY) -> list[Path]:
        m = entries(self.manifest(), source)
        qs = sorted(m) if quarters is None else quarters
        out = []
        for q in qs:
            rel = m.get(q, {}).get("files", {}).get(table)
            if rel:
                out.append(self.root / rel)
        return out

    def require(self) -> dict[str, Any]:
        """The manifest of a lake that holds at least one quarter, else a clear error."""
        if not self.root.exists():
            raise LakeError(f"no lake at {self.root}: run `pvsignal ingest PATH --lake {self.root}` first")
        m = self.manifest()
        if not m["quarters"]:
            raise LakeError(f"the lake at {self.root} holds no quarters: run `pvsignal ingest PATH --lake {self.root}`")
        return m

    def sources(self) -> list[str]:
        """Sources the manifest holds quarters of (the primary one first)."""
        m = self.manifest()
        return [PRIMARY, *sorted(m.get("sources", {}))]

    def live_files(self) -> set[Path]:
        m = self.manifest()
        live = {self.root / rel for src in self.sources() for q in entries(m, src).values()
                for rel in q.get("files", {}).values()}
        prepared = m.get("prepared") or {}
        live |= {self.root / rel for rel in prepared.get("files", {}).values()}
        return live

    def sweep(self, also: tuple[str, ...] = ()) -> int:
        """Remove Parquet files no manifest entry lists (left by interrupted runs).

        Looks in the folders of the manifest's sources, ``prepared`` and ``also``.
        """
        live = {p.resolve() for p in self.live_files()}
        removed = 0
        for sub in dict.fromkeys((*self.sources(), *also, "prepared")):
            base = self.root / sub
            if not base.is_dir():
                continue
            for p in base.rglob("*.parquet"):
                if p.resolve() not in live:
                    p.unlink()
                    removed += 1
            for d in sorted((x for x in base.rglob("*") if x.is_dir()), reverse=True):
                if not any(d.iterdir()):
                    d.rmdir()
        tmp = self.root / ".tmp"
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        for half in self.root.glob(f".{MANIFEST}.*.tmp"):  # a manifest never swapped in
            half.unlink()
            removed += 1
        return removed

    def scratch(self, run_id: str) -> Path:
        """A scratch folder inside the lake for one run (removed by :meth:`sweep`)."""
        d = self.root / ".tmp" / run_id
        d.mkdir(parents=True, exist_ok=True)
        return d


def entries(manifest: dict[str, Any], source: str = PRIMARY) -> dict[str, Any]:
    """The manifest's quarter entries of ``source`` (a live dict: edits change ``manifest``)."""
    if source == PRIMARY:
        return manifest["quarters"]
    return manifest.setdefault("sources", {}).setdefault(source, {}).setdefault("quarters", {})


def sql_list(paths: list[str]) -> str:
    """A SQL list literal of file paths (quotes doubled; paths are the lake's own)."""
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def raw_views(con: duckdb.DuckDBPyConnection, lake: Lake, source: str = PRIMARY) -> None:
    """Create views over the lake's live Parquet files (all quarters), one per table:
    ``raw_<table>`` for the primary source, ``raw_<source>_<table>`` for another."""
    if source == PRIMARY:
        lake.require()
    prefix = "raw_" if source == PRIMARY else f"raw_{source}_"
    for table in lake.tables(source):
        files = [str(p) for p in lake.files(table, source=source)]
        con.execute(f"CREATE OR REPLACE VIEW {prefix}{table} AS SELECT * FROM read_parquet({sql_list(files)})")


def connect_raw(lake_dir: str | Path, *, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with ``raw_<table>`` views over the lake (no deduplication)."""
    lake = Lake(Path(lake_dir))
    con = duckdb.connect(database)
    raw_views(con, lake)
    return con
