"""``download``: fetch FDA's FAERS/AERS quarterly ASCII zips or the openFDA drug/event bulk files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from pvsignal.api._common import Progress

#: default folders (FAERS zips; openFDA bulk files) — separate, so each ingests as one kind
DEFAULT_FAERS_DEST = Path("faers-downloads")
DEFAULT_OPENFDA_DEST = Path("openfda-downloads")


@dataclass
class FileResult:
    """One file: ``status`` is ``fetched``, ``skipped`` (complete already) or ``failed``; ``reason`` one line."""

    name: str  # path under DEST, '/'-separated
    url: str
    status: str
    reason: str = ""
    bytes: int = 0  # moved over the network this run
    path: Path | None = None  # the complete file (fetched or skipped)
    quarter: str | None = None  # FAERS quarter; openFDA: the quarter its folder names (None: all_other …)


@dataclass
class DownloadResult:
    """What :func:`download` did, file by file; ``notes`` are run-wide remarks."""

    dest: Path
    files: list[FileResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def _with(self, status: str) -> list[FileResult]:
        return [f for f in self.files if f.status == status]

    @property
    def fetched(self) -> list[FileResult]:
        return self._with("fetched")

    @property
    def skipped(self) -> list[FileResult]:
        return self._with("skipped")

    @property
    def failed(self) -> list[FileResult]:
        return self._with("failed")

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    @property
    def paths(self) -> list[Path]:
        """The complete files (fetched or already there), ready for ``ingest``."""
        return [f.path for f in self.files if f.path is not None]


@dataclass
class _Target:
    name: str
    url: str
    path: Path
    quarter: str | None = None


def _faers_targets(dest: Path, quarters: str | None, latest: int | None, base_url: str | None,
                   http: Any, today: date | None, notes: list[str]) -> list[_Target]:
    from pvsignal.quarters import index_quarter, quarter_index
    from pvsignal.sources.download import addresses, transfer

    wanted = addresses.requested(quarters, latest, today)
    if latest is not None:  # the newest ended quarter may not be out yet: then end one earlier
        newest = wanted[-1]
        try:
            transfer.probe(http, addresses.faers_url(newest, base_url))
        except transfer.NotFound:
            first = max(quarter_index(wanted[0]) - 1, quarter_index(addresses.FIRST_QUARTER))
            wanted = [index_quarter(i) for i in range(first, quarter_index(newest))]
            notes.append(f"{newest} not published yet: the latest {latest} quarter(s) end at {wanted[-1]}")
        except transfer.TransferFailed:
            pass  # said again, file by file
    return [_Target(addresses.faers_name(q), addresses.faers_url(q, base_url), dest / addresses.faers_name(q), q)
            for q in wanted]


def _openfda_targets(dest: Path, quarters: str | None, latest: int | None, base_url: str | None, http: Any,
                     retries: int, backoff: float, refused: list[FileResult]) -> list[_Target]:
    import json
    import time

    import httpx

    from pvsignal.errors import ConfigError, InputFileError
    from pvsignal.quarters import quarter_range
    from pvsignal.sources.download import addresses, openfda_index

    if quarters is not None and latest is not None:
        raise ConfigError("give --quarters or --latest, not both")
    if latest is not None and latest < 1:
        raise ConfigError(f"--latest takes a number of quarters ≥ 1, not {latest}")
    wanted = quarter_range(quarters) if quarters is not None else None
    url = addresses.openfda_index_url(base_url)
    for attempt in range(retries + 1):
        try:
            r = http.get(url)
            if r.status_code < 500:
                break
            why = f"HTTP {r.status_code}"
        except httpx.TransportError as exc:
            why = f"{type(exc).__name__}"
        if attempt == retries:
            raise InputFileError(f"could not fetch the openFDA index {url} ({why}, {retries + 1} tries)")
        time.sleep(min(backoff * 2 ** attempt, 30.0))
    if r.status_code != 200:
        raise InputFileError(f"could not fetch the openFDA index {url} (HTTP {r.status_code})")
    try:
        index = json.loads(r.content)
    except ValueError as exc:
        raise InputFileError(f"the openFDA index {url} is not JSON ({exc})") from None
    parts, bad = openfda_index.partitions(index)
    parts = openfda_index.select(parts, wanted, latest)
    refused.extend(FileResult("download.json", url, "failed", why) for why in bad)
    root = dest.resolve()
    targets = []
    for p in parts:
        path = dest.joinpath(*p.path.parts)
        if not path.resolve().is_relative_to(root):  # e.g. a folder of DEST that is a link elsewhere
            refused.append(FileResult(str(p.path), p.url, "failed", f"{p.path} would land outside {dest}; refused"))
            continue
        targets.append(_Target(str(p.path), p.url, path, p.quarter))
    return targets


def _one(http: Any, t: _Target, state: Any, *, retries: int, backoff: float, progress: Progress | None,
         today: date | None) -> FileResult:
    from pvsignal.sources.download import addresses, transfer
    from pvsignal.sources.download.state import Remote

    fresh, why = False, ""
    if t.path.exists():
        try:
            now = transfer.probe(http, t.url)
        except transfer.NotFound:
            return FileResult(t.name, t.url, "skipped", "complete; no longer on the server (HTTP 404)", 0, t.path, t.quarter)
        except transfer.TransferFailed as exc:
            return FileResult(t.name, t.url, "skipped", f"complete; not checked for a re-publication ({exc})", 0,
                              t.path, t.quarter)
        size = t.path.stat().st_size
        known = state.complete(t.name)
        changed = (known or Remote(size)).differs(now)
        damaged = known is not None and known.size not in (None, size)
        broken = transfer.check_zip(t.path) if known is None and not changed else None
        if not changed and not damaged and not broken:
            if known is None:  # a file put there by hand, whole and of FDA's size: adopt it
                state.set_complete(t.name, t.url, Remote(size, now.etag, now.last_modified),
                                   datetime.now(timezone.utc).isoformat(timespec="seconds"))
            return FileResult(t.name, t.url, "skipped", "complete", 0, t.path, t.quarter)
        started = state.partial(t.name)
        fresh = started is None or bool(started.differs(now))
        if broken:
            why = f"the local copy fails its check ({broken}): downloaded again"
        elif known is None:  # not fetched by pvsignal: nothing says it was ever FDA's
            why = f"the local copy differs from the server's ({', '.join(changed)}): downloaded again"
        elif changed:
            why = f"re-published on the server ({', '.join(changed)}): downloaded again"
        else:
            why = f"the local copy has {size:,} bytes, {known.size:,} were downloaded: downloaded again"
    t.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        got = transfer.fetch(http, t.url, t.path, t.name, state, retries=retries, backoff=backoff,
                             progress=progress, fresh=fresh)
    except transfer.NotFound as exc:
        if t.quarter is not None and addresses.unpublished(t.quarter, today):
            reason = f"{t.quarter} not published yet ({exc})"
        elif t.quarter is not None:
            fda = t.url.startswith(addresses.FAERS_BASE + "/")
            reason = (f"{t.quarter}: no file ({exc}); " + (
                f"FDA may have moved its files: set {addresses.FAERS_ENV} or --base-url" if fda else
                f"the mirror set by --base-url or {addresses.FAERS_ENV} does not have it"))
        else:
            reason = f"no file ({exc}); the openFDA index may have changed since it was read: run again"
        return FileResult(t.name, t.url, "failed", reason, 0, t.path if t.path.exists() else None, t.quarter)
    except transfer.TransferFailed as exc:
        kept = "; the earlier copy is kept" if t.path.exists() else ""
        return FileResult(t.name, t.url, "failed", f"{why + '; ' if why else ''}{exc}{kept}", 0,
                          t.path if t.path.exists() else None, t.quarter)
    return FileResult(t.name, t.url, "fetched", "; ".join([why] * bool(why) + got.notes), got.bytes, t.path, t.quarter)


def download(quarters: str | None = None, *, latest: int | None = None, openfda: bool = False,
             dest: str | Path | None = None, base_url: str | None = None, timeout: float = 60.0,
             retries: int = 4, backoff: float = 1.0, progress: Progress | None = None,
             today: date | None = None) -> DownloadResult:
    """Fetch FAERS/AERS quarterly ASCII zips (``quarters`` range or the ``latest`` N) or, with
    ``openfda``, the drug/event bulk files the openFDA index lists (all; or those of the
    ``quarters`` / ``latest`` N quarters its folders name), into ``dest``.

    Each file is resumed from its ``.part``, verified (size, zip CRCs) and renamed when
    complete; a complete file is skipped unless the server now describes it differently
    (size, ETag, Last-Modified recorded in ``DEST/.pvsignal-downloads``): FDA re-published
    it, and it is fetched again. ``timeout``: seconds to connect and between bytes;
    ``retries``: tries after the first for a cut, slow or failing transfer, waiting
    ``backoff`` × 2ⁿ s. ``base_url`` overrides FDA's address (env ``PVSIGNAL_FAERS_URL`` /
    ``PVSIGNAL_OPENFDA_URL``). Nothing is written outside ``dest``. A file that fails is
    reported in the result, not raised; a mistake in the request raises a ``PvsignalError``.
    ``progress(bytes done, bytes in the file, name)`` is called as bytes arrive.
    """
    from pvsignal.sources.download import transfer
    from pvsignal.sources.download.state import State

    dest = Path(dest) if dest is not None else (DEFAULT_OPENFDA_DEST if openfda else DEFAULT_FAERS_DEST)
    result = DownloadResult(dest)
    with transfer.client(timeout) as http:
        if openfda:
            targets = _openfda_targets(dest, quarters, latest, base_url, http, retries, backoff, result.files)
        else:
            targets = _faers_targets(dest, quarters, latest, base_url, http, today, result.notes)
        dest.mkdir(parents=True, exist_ok=True)
        state = State(dest)
        for t in targets:
            result.files.append(_one(http, t, state, retries=retries, backoff=backoff, progress=progress, today=today))
    return result
