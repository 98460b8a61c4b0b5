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
``os.replace`` of the manifest: a write interrupted before it leaves the lake as it
was (its stray files are removed by the next writer). Re-ingesting a quarter replaces
exactly that quarter's files. Every write runs in a :func:`transaction` (opened by the
lake's lock, :mod:`pvsignal.store.lock`): the manifests it writes are staged in this
process and the outermost one is swapped in once, when the lock is released, so a
command (``ingest`` with its preparation) is one commit. Each commit increments the
manifest's ``generation``.

A reader pins one manifest (:meth:`Lake.snapshot`) and holds a lease on its files
(:mod:`pvsignal.store.readers`): the writer's :meth:`Lake.sweep` keeps every file a
live lease lists, so a reader started mid-write, or still querying after a commit,
reads the previous complete state.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from pvsignal.errors import LakeError
from pvsignal.store import readers

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
DEFAULT_LAKE = Path("pvsignal-lake")
#: the source whose quarters the manifest keeps at its top level (format 1)
PRIMARY = "faers"
#: manifests this process has swapped in, in order (the CLI says so when interrupted after one)
COMMITS: list[str] = []
#: resolved lake root → the manifest staged by this process's open transaction (None: nothing yet)
_staged: dict[Path, dict[str, Any] | None] = {}
#: scratch folders this process made (its writer's sweep removes them)
_own_scratch: set[Path] = set()


def new_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


@dataclass
class Lake:
    """A lake folder and its manifest (``pinned``: a reader's snapshot of one manifest)."""

    root: Path
    pinned: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    lease: readers.Lease | None = field(default=None, repr=False, compare=False)
    version: tuple | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)

    # -- manifest ---------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def exists(self) -> bool:
        return self.pinned is not None or self.manifest_path.is_file()

    def manifest(self) -> dict[str, Any]:
        """The pinned manifest, else the one this process's open write staged, else the file's."""
        if self.pinned is not None:
            return self.pinned
        if _staged and _staged.get(self.root.resolve()) is not None:
            return copy.deepcopy(_staged[self.root.resolve()])
        return self._read()

    def _read(self) -> dict[str, Any]:
        if not self.manifest_path.is_file():
            return {"format": FORMAT_VERSION, "quarters": {}, "prepared": None}
        try:
            m = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise LakeError(f"{self.manifest_path} is unreadable ({exc}); re-ingest into a new lake folder") from exc
        if m.get("format") != FORMAT_VERSION:
            raise LakeError(f"{self.manifest_path} has format {m.get('format')}, this pvsignal reads {FORMAT_VERSION}")
        return m

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Commit ``manifest``: staged when a :func:`transaction` is open on this lake (the
        transaction swaps it in at its end), else swapped in now."""
        key = self.root.resolve()
        if key in _staged:
            _staged[key] = copy.deepcopy(manifest)
            return
        self._swap(manifest)

    def _swap(self, manifest: dict[str, Any]) -> None:
        """Replace the manifest atomically (write a temporary file, then rename)."""
        self.root.mkdir(parents=True, exist_ok=True)
        manifest = {**manifest, "generation": int(self._read().get("generation", 0)) + 1}
        tmp = self.root / f".{MANIFEST}.{uuid.uuid4().hex}.tmp"
        try:
            with tmp.open("w", encoding="utf-8") as fh:
                fh.write(json.dumps(manifest, indent=1, sort_keys=True, default=str))
                fh.flush()
                os.fsync(fh.fileno())  # the new manifest is on disk before it replaces the old one
        except OSError as exc:  # e.g. the disk is full: the old manifest stays
            tmp.unlink(missing_ok=True)
            raise OSError(exc.errno, exc.strerror, exc.filename or str(tmp)) from exc
        os.replace(tmp, self.manifest_path)
        COMMITS.append(str(self.manifest_path))

    def _version(self) -> tuple | None:
        """What identifies the manifest file on disk (a commit replaces it: new inode)."""
        try:
            st = os.stat(self.manifest_path)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def snapshot(self) -> Lake:
        """This lake pinned at its current manifest, with a reader lease on its files.

        The lease is published before the manifest is checked again, so a writer that
        commits meanwhile either sees the lease or is seen (then the pin is retried).
        Release it with :meth:`release`, or tie it to a connection (:func:`hold`).
        """
        for _ in range(20):
            version = self._version()
            m = self._read()
            if version is None:  # no lake (yet): nothing to hold
                return Lake(self.root, pinned=m, version=version)
            lease = readers.register(self.root, sorted(manifest_files(m)), int(m.get("generation", 0)), new_id())
            if self._version() == version:
                return Lake(self.root, pinned=m, lease=lease, version=version)
            lease.release()
        raise LakeError(f"the lake at {self.root} changed 20 times while it was opened; try again")

    def release(self) -> None:
        """End this snapshot's reader lease (a no-op without one)."""
        if self.lease is not None:
            self.lease.release()

    def changed(self) -> bool:
        """For a pinned lake: whether a writer has committed since it was pinned."""
        return self.pinned is not None and self._version() != self.version

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
        return {self.root / rel for rel in manifest_files(self.manifest())}

    def sweep(self, also: tuple[str, ...] = ()) -> int:
        """Remove Parquet files that neither the manifest (committed or staged) nor a live
        reader lease lists (left by interrupted runs, or replaced by a commit).

        Looks in the folders of the manifest's sources, ``prepared``, ``also`` and the top
        folder of every file the manifests list (e.g. the pair table's). Removes this
        process's scratch folders and those of dead processes (others are in use).
        """
        listed = manifest_files(self.manifest()) | manifest_files(self._read())
        live = {(self.root / rel).resolve() for rel in (*listed, *readers.leased(self.root))}
        tops = sorted({Path(rel).parts[0] for rel in listed if len(Path(rel).parts) > 1})
        removed = 0
        for sub in dict.fromkeys((*self.sources(), *also, "prepared", *tops)):
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
        for d in tmp.iterdir() if tmp.is_dir() else ():
            if d.resolve() in _own_scratch or readers.scratch_removable(d.name):
                shutil.rmtree(d, ignore_errors=True)
                _own_scratch.discard(d.resolve())
        for half in self.root.glob(f".{MANIFEST}.*.tmp"):  # a manifest never swapped in
            half.unlink()
            removed += 1
        return removed

    def scratch(self, run_id: str) -> Path:
        """A scratch folder of this process inside the lake for one run (removed by :meth:`sweep`)."""
        d = self.root / ".tmp" / f"{readers.owner_prefix()}-{run_id}"
        d.mkdir(parents=True, exist_ok=True)
        _own_scratch.add(d.resolve())
        return d

    def spill_dir(self) -> str | None:
        """A reader's DuckDB spill folder, ``.tmp/<host>-<pid>-<id>`` (made by DuckDB when it
        spills; removed when its process is gone), or ``None`` for a lake it cannot write to."""
        try:
            (self.root / ".tmp").mkdir(exist_ok=True)  # DuckDB makes the last folder only
        except OSError:
            return None
        return str(self.root / ".tmp" / f"{readers.owner_prefix()}-{new_id()}")


@contextmanager
def transaction(root: str | Path) -> Iterator[None]:
    """One commit for every manifest written inside (by this process; nested: the outer one).

    At the end the last staged manifest is swapped in and replaced files are swept; on an
    error nothing is swapped in and the run's new files are removed. Opened by the lake's
    lock (:func:`pvsignal.store.lock.lake_lock`), so each write command is one commit.
    """
    key = Path(root).resolve()
    if key in _staged:
        yield
        return
    _staged[key] = None
    lake = Lake(Path(root))
    try:
        yield
        staged = _staged[key]
        if staged is not None:
            lake._swap(staged)
    except BaseException as exc:
        _staged.pop(key, None)
        with suppress(OSError):  # keep the first error (e.g. a full or read-only disk)
            lake.sweep(also=_sources_on_disk(lake))
        if isinstance(exc, duckdb.IOException):  # DuckDB's write errors are no OSError
            raise os_error(exc) from exc
        raise
    del _staged[key]
    if staged is not None:
        with suppress(OSError):  # committed: what cannot be removed now, the next writer removes
            lake.sweep(also=_sources_on_disk(lake))


def os_error(exc: duckdb.IOException) -> OSError:
    """DuckDB's ``Could not write file "P": File too large`` (errno 27) as an :class:`OSError`
    naming the path, as Python's own writes raise it."""
    text = str(exc).replace('\\"', '"')
    path = re.search(r'(?:file|directory) "([^"]+)"', text)
    code = re.search(r'"errno":\s*"(\d+)"', text)
    if path is None or code is None:
        return OSError(text)
    return OSError(int(code[1]), os.strerror(int(code[1])), path[1])


def _sources_on_disk(lake: Lake) -> tuple[str, ...]:
    """Every source folder of the lake (a failed run may have written into a new one)."""
    skip = {"prepared", "synonyms"}
    return tuple(d.name for d in lake.root.iterdir() if d.is_dir() and not d.name.startswith(".")
                 and d.name not in skip) if lake.root.is_dir() else ()


def manifest_files(manifest: dict[str, Any]) -> set[str]:
    """Every file (relative to the lake) ``manifest`` lists: all sources' quarters, the prepared tables, the pair table."""
    sources = [manifest.get("quarters", {}), *(s.get("quarters", {}) for s in manifest.get("sources", {}).values())]
    out = {rel for qs in sources for e in qs.values() for rel in e.get("files", {}).values()}
    pairs = (manifest.get("pair_table") or {}).get("file")  # the scored pair table (analysis.pair_store)
    out |= set(((manifest.get("pair_table") or {}).get("files") or {}).values())  # its counts by quarter (trend_store)
    return out | set(((manifest.get("prepared") or {}).get("files") or {}).values()) | ({pairs} if pairs else set())


def hold(owner: object, lake: Lake) -> None:
    """Keep ``lake``'s reader lease while ``owner`` (a connection, an engine) lives."""
    if lake.lease is not None:
        weakref.finalize(owner, lake.lease.release)


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
    lake = Lake(Path(lake_dir)).snapshot()
    con = duckdb.connect(database)
    hold(con, lake)
    raw_views(con, lake)
    return con
