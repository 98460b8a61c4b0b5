"""The openFDA bulk download index (``download.json``) → the drug/event files to fetch.

The index (``results.drug.event``) lists ``partitions``, each with its ``file`` address
(``https://download.open.fda.gov/drug/event/2024q1/drug-event-0001-of-0030.json.zip``),
``size_mb``, ``records`` and ``display_name``. A file lands at ``DEST/<folder>/<name>``
(``2024q1/drug-event-0001-of-0030.json.zip``): the path after ``drug/event/`` in its
address; ``--quarters``/``--latest`` select by that folder's quarter. The index comes from a server, so it is untrusted: a path segment must be a
plain name (letters, digits, ``._-``, not starting with a dot; after %-decoding), at most
two of them, or the entry is refused — no entry can name a place outside ``DEST``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from pvsignal.errors import InputFileError

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_QUARTER = re.compile(r"((?:19|20)\d\d)q([1-4])", re.IGNORECASE)


@dataclass(frozen=True)
class Partition:
    """One bulk file of the index: its address, its local path under DEST, and what the index says of it."""

    url: str
    path: PurePosixPath
    records: int | None = None
    size_mb: float | None = None
    label: str = ""

    @property
    def quarter(self) -> str | None:
        """The quarter its folder names (``2024q1/…`` → ``2024Q1``); ``None`` for others (``all_other/…``)."""
        m = _QUARTER.fullmatch(self.path.parts[0]) if len(self.path.parts) > 1 else None
        return f"{m.group(1)}Q{m.group(2)}" if m else None


def select(parts: list[Partition], quarters: list[str] | None, latest: int | None) -> list[Partition]:
    """The partitions of the ``quarters`` asked for, or of the ``latest`` N quarters the index holds
    (by folder); all of them when neither is given."""
    if quarters is None and latest is None:
        return parts
    if latest is not None:
        held = sorted({p.quarter for p in parts if p.quarter})
        quarters = held[-latest:]
    wanted = set(quarters or ())
    return [p for p in parts if p.quarter in wanted]


def local_path(url: str) -> PurePosixPath:
    """``drug/event/2024q1/x.json.zip`` → ``2024q1/x.json.zip``; raise on any unsafe address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputFileError(f"openFDA index entry {url!r} is not an http(s) address")
    segments = [unquote(s) for s in parts.path.split("/") if s]
    for i in range(len(segments) - 1):
        if segments[i:i + 2] == ["drug", "event"]:
            segments = segments[i + 2:]
            break
    segments = segments[-2:]
    if not segments or not all(_SEGMENT.fullmatch(s) for s in segments) or not segments[-1].lower().endswith(".zip"):
        raise InputFileError(f"openFDA index entry {url!r} does not name a plain .zip file; refused")
    return PurePosixPath(*segments)


def _number(value: Any, kind: type) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError):
        return None


def partitions(index: Any) -> tuple[list[Partition], list[str]]:
    """The drug/event files of an index, and one message per entry refused."""
    try:
        listed = index["results"]["drug"]["event"]["partitions"]
    except (KeyError, TypeError):
        raise InputFileError("the openFDA index has no results.drug.event.partitions list") from None
    if not isinstance(listed, list):
        raise InputFileError("the openFDA index's results.drug.event.partitions is not a list")
    found: dict[PurePosixPath, Partition] = {}
    refused: list[str] = []
    for entry in listed:
        url = entry.get("file") if isinstance(entry, dict) else None
        if not isinstance(url, str):
            refused.append(f"index entry without a file address: {str(entry)[:120]}")
            continue
        try:
            path = local_path(url)
        except InputFileError as exc:
            refused.append(str(exc))
            continue
        if path in found:
            refused.append(f"openFDA index lists {path} twice; kept the first")
            continue
        found[path] = Partition(url, path, _number(entry.get("records"), int), _number(entry.get("size_mb"), float),
                                str(entry.get("display_name") or path))
    return list(found.values()), refused
