"""One writer at a time: the lake's lock file ``LAKE/.lock``.

Every write of a lake (ingest, prepare, a map stored in it) runs inside
:func:`lake_lock`. The lock is an advisory ``flock`` on ``LAKE/.lock``, which holds the
writer's pid, host, action and start time (JSON) while it runs and is emptied when it
ends. The kernel drops a ``flock`` when its process dies, even by ``kill -9``, so a lock
is never left held by a dead writer; a lock file still naming a writer when the next
one takes it is a *stale* lock, left by a crash: the next writer says so and takes over.
Without ``flock`` (a platform without :mod:`fcntl`) the file itself is the lock
(created exclusively; stale when its pid is dead on this host).

A second writer stops at once with :class:`LakeBusy` ("lake busy: ingest of … running
since … (pid …)"), or with ``wait=True`` waits, saying so once, until the lock is free.
The lock is re-entrant within one process (``api.ingest`` holds it across the ingest
and the preparation that follows). The outermost hold is one
:func:`~pvsignal.store.lake.transaction`: the manifests written under it are swapped in
once, when it is released, so one command is one commit.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from pvsignal.errors import LakeError
from pvsignal.store.lake import transaction
from pvsignal.store.readers import pid_alive

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

LOCK = ".lock"
log = logging.getLogger("pvsignal.store")

_held: dict[Path, tuple[int, int]] = {}  # resolved lake root → (fd, depth) held by this process


class LakeBusy(LakeError):
    """Another writer holds the lake's lock."""


def _read(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 4096).decode("utf-8", errors="replace").strip()
    try:
        return json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {"raw": text}


def describe(holder: dict) -> str:
    """``ingest of /data/q.zip running since 2026-11-29 23:40:01 UTC (pid 123 on host)``."""
    what = holder.get("action", "a write")
    return f"{what} running since {holder.get('started', '?')} (pid {holder.get('pid', '?')} on {holder.get('host', '?')})"


def _own_lock(path: Path) -> None:
    """Give the lake a lock file of its own: a new empty file renamed over ``path``."""
    tmp = path.with_name(f"{LOCK}.{os.getpid()}.tmp")
    tmp.write_bytes(b"")
    os.replace(tmp, path)


def _try_take(path: Path) -> tuple[int | None, dict]:
    """(fd, previous content) when the lock was taken, else (None, the holder).

    A hard-linked copy of a lake (``cp -al``, as the benchmarks make) shares the inode of
    ``.lock`` with the original, so a writer of one would block writers of the other. A
    lock file with more than one link is therefore replaced by one of this lake's own —
    while its shared lock is held (no writer of either lake runs), or when its holder
    named another lake folder — and the file actually locked must be the one ``path``
    names now (a writer that opened the replaced file tries again)."""
    if fcntl is not None:
        root = str(path.parent.resolve())
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read(fd)
                shared = os.fstat(fd).st_nlink > 1
                os.close(fd)
                if shared and holder.get("root") not in (None, root):  # another copy's writer
                    _own_lock(path)
                    continue
                return None, holder
            st = os.fstat(fd)
            try:
                now = os.stat(path)
            except FileNotFoundError:
                now = None
            if now is None or (now.st_ino, now.st_dev) != (st.st_ino, st.st_dev):
                os.close(fd)  # replaced since it was opened: lock the file there now
                continue
            if st.st_nlink > 1:
                _own_lock(path)  # while holding the shared lock
                os.close(fd)
                continue
            return fd, _read(fd)
    try:  # pragma: no cover - no flock: the file's existence is the lock
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        return fd, {}
    except FileExistsError:  # pragma: no cover
        holder = json.loads(path.read_text(encoding="utf-8") or "{}")
        if holder.get("host") == socket.gethostname() and not pid_alive(int(holder.get("pid", 0))):
            path.unlink(missing_ok=True)
            fd, _ = _try_take(path)
            return fd, holder
        return None, holder


def _acquire(root: Path, action: str, wait: bool, poll: float) -> int:
    path = root / LOCK
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, holder = _try_take(path)
    except OSError as exc:
        raise LakeError(f"cannot write to the lake at {root}: {exc.strerror or exc}") from exc
    told = False
    while fd is None:
        if not wait:
            raise LakeBusy(f"lake busy: {describe(holder)}; wait for it, or pass --wait to queue behind it")
        if not told:
            log.warning("waiting: lake busy: %s", describe(holder))
            told = True
        time.sleep(poll)
        fd, holder = _try_take(path)
    if holder:
        log.warning("a stale lock of an interrupted writer was taken over: %s", describe(holder))
    me = {"pid": os.getpid(), "host": socket.gethostname(), "action": action, "root": str(root.resolve()),
          "started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")}
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps(me).encode())
    os.fsync(fd)
    return fd


def _release(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)  # empty: the writer ended cleanly (the file stays: flock needs one inode)
    finally:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextmanager
def lake_lock(root: str | Path, action: str, *, wait: bool = False, poll: float = 0.2) -> Iterator[None]:
    """Hold the lock of the lake at ``root`` for one write (``action`` names it in messages)."""
    key = Path(root).resolve()
    if key in _held:
        fd, depth = _held[key]
        _held[key] = (fd, depth + 1)
        try:
            yield
        finally:
            fd, depth = _held[key]
            _held[key] = (fd, depth - 1)
        return
    fd = _acquire(Path(root), action, wait, poll)
    _held[key] = (fd, 1)
    try:
        with transaction(root):
            yield
    finally:
        del _held[key]
        _release(fd)

