"""One file over HTTP(S): resumable, verified, never left half-written under its final name.

:func:`fetch` downloads into ``NAME.part`` and renames it to ``NAME`` only when complete
and verified: the size the server announced (``Content-Length``, or the total of
``Content-Range``), then the CRC-32 of every zip member (:meth:`zipfile.ZipFile.testzip`).
A ``.part`` left by an earlier run is resumed with ``Range: bytes=N-`` and ``If-Range``
(the ETag or Last-Modified it was started with, :mod:`.state`): ``206`` appends; ``200``
means the server ignored the range or the file changed — restart from 0, said in a
note. A cut connection, a timeout (no byte for ``timeout`` s), ``408``/``429``/``5xx``
are retried, resuming, with exponential backoff (``backoff`` × 2ⁿ s, at most 30 s), at
most ``retries`` times; a zip that fails its check is fetched once more from 0, then
refused. ``404`` raises :class:`NotFound`; other failures :class:`TransferFailed`, with
a one-line reason. The CRC check catches what sizes cannot: a resume spliced onto a file
that changed without a validator.
"""

from __future__ import annotations

import os
import re
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import httpx

from pvsignal import __version__
from pvsignal.sources.download.state import Remote, State

#: progress(bytes done, bytes in the file (0: not known), label)
Progress = Callable[[int, int, str], None]
_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_UNSATISFIED = re.compile(r"bytes \*/(\d+)")


class TransferFailed(Exception):
    """A file could not be fetched; the message is one line."""


class NotFound(TransferFailed):
    """The server has no such file (HTTP 404 or 410)."""


class _Retry(Exception):
    def __init__(self, reason: str, written: int = 0):
        super().__init__(reason)
        self.written = written


@dataclass
class Fetched:
    """A completed transfer: bytes moved this run, what the server said of the file, notes."""

    bytes: int
    remote: Remote
    notes: list[str] = field(default_factory=list)


def client(timeout: float) -> httpx.Client:
    """An httpx client: ``timeout`` s to connect and between bytes, redirects followed, no compression."""
    return httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=True,
                        headers={"User-Agent": f"pvsignal/{__version__}", "Accept-Encoding": "identity"})


def _remote(r: httpx.Response) -> Remote:
    size = r.headers.get("content-length")
    return Remote(int(size) if size and size.isdigit() else None, r.headers.get("etag"), r.headers.get("last-modified"))


def _validator(started: Remote | None) -> str | None:
    """The ``If-Range`` value: a strong ETag, else Last-Modified (RFC 9110 §13.1.5)."""
    if started is None:
        return None
    if started.etag and not started.etag.startswith("W/"):
        return started.etag
    return started.last_modified


def probe(http: httpx.Client, url: str) -> Remote:
    """What the server says of ``url`` now (``HEAD``; a ``GET`` whose body is not read if HEAD is refused)."""
    try:
        r = http.head(url)
        if r.status_code in (405, 501):
            with http.stream("GET", url) as r:
                pass
    except httpx.TimeoutException:
        raise TransferFailed(f"timed out asking {url}") from None
    except httpx.TransportError as exc:
        raise TransferFailed(f"could not reach {url} ({type(exc).__name__}: {exc})") from None
    if r.status_code in (404, 410):
        raise NotFound(f"HTTP {r.status_code} at {url}")
    if r.status_code >= 400:
        raise TransferFailed(f"HTTP {r.status_code} {r.reason_phrase} at {url}")
    return _remote(r)


def check_zip(path: Path) -> str | None:
    """``None`` when every member of the zip passes its CRC-32 check, else what is wrong."""
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        return f"not a readable zip ({exc})"
    return f"member {bad} fails its CRC check" if bad else None


def _at(done: int, remote: Remote) -> str:
    return f"{done:,} of {remote.size:,} bytes" if remote.size is not None else f"{done:,} bytes"


def _attempt(http: httpx.Client, url: str, part: Path, key: str, state: State, notes: list[str],
             progress: Progress | None) -> tuple[Remote, int]:
    """One GET into ``part``, resuming what it holds: ``(what the server said, bytes written)``."""
    have = part.stat().st_size if part.exists() else 0
    started = state.partial(key) if have else None
    headers = {}
    if have:
        headers["Range"] = f"bytes={have}-"
        if (validator := _validator(started)) is not None:
            headers["If-Range"] = validator
    written, remote = 0, Remote()
    try:
        with http.stream("GET", url, headers=headers) as r:
            code = r.status_code
            if code in (404, 410):
                raise NotFound(f"HTTP {code} at {url}")
            if code == 416 and have:
                m = _UNSATISFIED.fullmatch(r.headers.get("content-range", ""))
                if m and int(m.group(1)) == have:  # the .part was complete already
                    return Remote(have, started and started.etag, started and started.last_modified), 0
                part.unlink()
                raise _Retry("the server refused to resume (HTTP 416): restarting from 0")
            if code in (408, 425, 429) or code >= 500:
                raise _Retry(f"HTTP {code} {r.reason_phrase}")
            if code not in (200, 206):
                raise TransferFailed(f"HTTP {code} {r.reason_phrase} at {url}")
            remote = _remote(r)
            if code == 206:
                m = _RANGE.fullmatch(r.headers.get("content-range", ""))
                if not m or int(m.group(1)) != have or (m.group(3) != "*" and started and started.size
                                                        and int(m.group(3)) != started.size):
                    part.unlink()
                    raise _Retry(f"the server resumed with another range ({r.headers.get('content-range')}): restarting from 0")
                remote.size = int(m.group(3)) if m.group(3) != "*" else None
                mode = "ab"
            else:
                if have:
                    changed = started.differs(remote) if started else []
                    notes.append(f"the file changed on the server ({', '.join(changed)}): restarted from 0" if changed
                                 else "the server ignored the resume request (Range): restarted from 0")
                have, mode = 0, "wb"
            state.set_partial(key, remote)
            with part.open(mode) as fh:
                for chunk in r.iter_raw():  # as received: a chunk size would hold bytes back from a cut transfer
                    fh.write(chunk)
                    written += len(chunk)
                    if progress:
                        progress(have + written, remote.size or 0, key)
                fh.flush()
                os.fsync(fh.fileno())
    except httpx.TimeoutException:
        raise _Retry(f"timed out at {_at(have + written, remote)}", written) from None
    except httpx.TransportError as exc:
        raise _Retry(f"connection cut at {_at(have + written, remote)} ({type(exc).__name__})", written) from None
    if remote.size is not None and have + written < remote.size:
        raise _Retry(f"connection closed at {_at(have + written, remote)}", written)
    return remote, written


def fetch(http: httpx.Client, url: str, final: Path, key: str, state: State, *, retries: int = 4,
          backoff: float = 1.0, progress: Progress | None = None, fresh: bool = False,
          verify: Callable[[Path], str | None] = check_zip) -> Fetched:
    """Download ``url`` to ``final`` through ``final.part`` (see the module docstring).

    ``key`` names the file in ``state``; ``fresh`` discards a ``.part`` left by an earlier
    run (the file was re-published); ``verify`` checks the complete ``.part`` (``None``: good).
    """
    part = final.with_name(final.name + ".part")
    if fresh:
        part.unlink(missing_ok=True)
        state.set_partial(key, None)
    notes: list[str] = []
    moved = tries = corrupt = 0
    while True:
        try:
            remote, n = _attempt(http, url, part, key, state, notes, progress)
            moved += n
        except _Retry as exc:
            moved += exc.written
            tries += 1
            if tries > retries:
                have = part.stat().st_size if part.exists() else 0
                keep = f"; {have:,} bytes kept in {part.name}: run again to resume" if have else ""
                raise TransferFailed(f"{exc}; gave up after {tries} tries{keep}") from None
            notes.append(f"{exc}: retried")
            time.sleep(min(backoff * 2 ** (tries - 1), 30.0))
            continue
        size = part.stat().st_size
        problem = (f"size mismatch: {size:,} bytes received, the server announced {remote.size:,}"
                   if remote.size is not None and size != remote.size else verify(part))
        if problem:
            part.unlink()
            state.set_partial(key, None)
            corrupt += 1
            if corrupt > 1:
                raise TransferFailed(f"{problem} (downloaded twice); not saved")
            notes.append(f"{problem}: downloaded again from 0")
            continue
        remote.size = size
        os.replace(part, final)
        state.set_complete(key, url, remote, datetime.now(timezone.utc).isoformat(timespec="seconds"))
        return Fetched(moved, remote, notes)
