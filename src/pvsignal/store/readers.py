"""Reader leases: the files a reader uses stay on disk until it is done with them.

A reader (every connection to a lake) pins the manifest it read and registers a
*lease*, ``LAKE/.readers/<host>-<pid>-<id>.json``, naming that manifest's generation
and listing the files it references. A writer removes a replaced file only when no
live lease lists it (:meth:`pvsignal.store.lake.Lake.sweep`), so a query that was
running when a writer committed finishes on the state it started with.

A lease is *live* while its process runs. On this host a lease whose pid is gone (or
whose pid now belongs to a newer process: the start time in ``/proc`` differs) is stale
and is removed by the next writer. A lease written on **another host** cannot be
checked: it is honoured until it is released, so a reader that crashed on another host
keeps its files until its lease file is deleted by hand.

Scratch folders (``LAKE/.tmp/<host>-<pid>-<id>``: a writer's work files, a reader's
DuckDB spill) carry the same owner prefix, so a writer removes only its own and those
of dead processes on this host.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

READERS = ".readers"
log = logging.getLogger("pvsignal.store")

#: ``<host>-<pid>-<id>`` (the id: :func:`pvsignal.store.lake.new_id`'s ``20261130T004000-1a2b3c4d``)
_OWNED = re.compile(r"^(?P<host>.+)-(?P<pid>\d+)-\d{8}T\d{6}-[0-9a-f]{8}$")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname()) or "host"


def owner_prefix() -> str:
    """``<host>-<pid>``: the prefix of this process's leases and scratch folders."""
    return f"{_host()}-{os.getpid()}"


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux ``/proc``), or ``None``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22 of ``man 5 proc``


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def owner_alive(name: str, ticks: str | None = None) -> bool | None:
    """Whether the owner of ``<host>-<pid>-<id>`` runs: True/False on this host, ``None``
    for another host or a name of another form."""
    m = _OWNED.match(name)
    if m is None or m["host"] != _host():
        return None
    pid = int(m["pid"])
    if pid == os.getpid():
        return True
    if not pid_alive(pid):
        return False
    return ticks is None or _start_ticks(pid) in (None, ticks)


@dataclass
class Lease:
    """One reader's registration; :meth:`release` removes it (idempotent)."""

    path: Path | None
    generation: int

    def release(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None


def register(root: Path, files: list[str], generation: int, run_id: str) -> Lease:
    """Publish a lease on ``files`` (paths relative to ``root``). A lake the reader may not
    write to gets no lease (the reader then reads unprotected; logged at debug level)."""
    d = root / READERS
    name = f"{owner_prefix()}-{run_id}.json"
    record = {"pid": os.getpid(), "host": socket.gethostname(), "ticks": _start_ticks(os.getpid()),
              "generation": generation, "opened": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "files": files}
    tmp = d / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        d.mkdir(exist_ok=True)
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, d / name)  # published whole: a writer never reads half a lease
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        log.debug("no reader lease in %s (%s): reading without one", root, exc)
        return Lease(None, generation)
    return Lease(d / name, generation)


def leased(root: Path) -> set[str]:
    """Files (relative to ``root``) that live leases list; stale leases of this host are removed."""
    d = root / READERS
    if not d.is_dir():
        return set()
    out: set[str] = set()
    for p in d.glob("*.json"):
        try:
            record = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:  # released meanwhile
            continue
        except (OSError, json.JSONDecodeError):
            record = {}
        if owner_alive(p.stem, record.get("ticks")) is False:
            p.unlink(missing_ok=True)
            log.info("removed the stale lease of a reader that ended: %s", p.name)
            continue
        out.update(record.get("files", ()))
    for half in d.glob(".*.tmp"):  # a lease its reader never published
        if owner_alive(half.name[1:].split(".json.")[0]) is False:
            half.unlink(missing_ok=True)
    return out


def scratch_removable(name: str) -> bool:
    """Whether a writer may remove another run's scratch folder ``name``: a dead process's
    on this host, or one of an older layout (no owner in its name)."""
    return _OWNED.match(name) is None or owner_alive(name) is False
