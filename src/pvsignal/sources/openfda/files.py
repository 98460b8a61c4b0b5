"""Finding and reading openFDA drug/event JSON: saved API responses and bulk download files.

Accepted inputs: ``*.json`` files and ``*.json.zip`` / ``*.zip`` archives of them (the
bulk download ``drug-event-0001-of-0029.json.zip``), or folders holding them. A JSON
document may be an API response or bulk file (``{"meta": …, "results": [reports]}``), a
saved ``results`` array (``[reports]``) or one report (an object with ``safetyreportid``).

Documents are streamed (ijson, yajl2 C backend): one report at a time is built in memory,
so a bulk file of any size is read in a few MB (measured in README "openFDA"). The
document's shape and its ``meta`` are taken from its first MiB; a document that is
neither a ``results`` object nor an array (one saved report) is read whole.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ContextManager

import ijson

from pvsignal.errors import InputFileError

_HEAD = 1 << 20  # bytes read to learn a document's shape and meta
_CHUNK = 1 << 16


@dataclass
class InputFile:
    """One JSON document: its label (path, or ``zip/member``), its reports and its manifest record.

    ``records`` is an iterator, read once; ``meta`` (name, bytes, sha256, records and the
    document's ``last_updated``/``results`` counts) is complete once it is exhausted.
    """

    label: str
    records: Iterator[Any]
    meta: dict[str, Any] = field(default_factory=dict)


def _is_json_name(name: str) -> bool:
    low = name.lower()
    return low.endswith(".json") or low.endswith(".json.zip")


def is_openfda_input(path: str | Path) -> bool:
    """True for a ``.json`` / ``.json.zip`` file, or a folder holding such files and no FAERS
    file (another ``.zip``, a ``.txt``): a FAERS folder may hold JSON side files (e.g. the
    manifest of a synthetic quarter), which FAERS discovery ignores."""
    p = Path(path)
    if not p.is_dir():
        return _is_json_name(p.name)
    names = [x.name for x in p.rglob("*") if x.is_file()]
    faers = any(n.lower().endswith((".zip", ".txt")) and not _is_json_name(n) for n in names)
    return not faers and any(_is_json_name(n) for n in names)


def _records(doc: Any, label: str) -> tuple[list[Any], dict[str, Any]]:
    if isinstance(doc, dict) and isinstance(doc.get("results"), list):
        return doc["results"], _meta(doc.get("meta"))
    if isinstance(doc, list):
        return doc, {}
    if isinstance(doc, dict) and "safetyreportid" in doc:
        return [doc], {}
    raise InputFileError(
        f"{label} is not openFDA drug/event JSON: expected {{\"meta\", \"results\": [...]}}, a list of reports "
        "or one report with a safetyreportid"
    )


def _meta(meta: Any) -> dict[str, Any]:
    return {k: meta[k] for k in ("last_updated", "results") if k in meta} if isinstance(meta, dict) else {}


class _Hashed:
    """A binary reader that hashes and counts every byte read through it; ``head`` is read first."""

    def __init__(self, raw: IO[bytes]):
        self.raw, self.sha, self.size, self.head = raw, hashlib.sha256(), 0, b""

    def read(self, n: int = -1) -> bytes:
        if self.head:
            out, self.head = (self.head, b"") if n < 0 or n >= len(self.head) else (self.head[:n], self.head[n:])
            return out
        data = self.raw.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data


def _shape(head: bytes) -> tuple[str, dict[str, Any]]:
    """``('results' | 'array' | 'whole', meta)`` from a document's first bytes."""
    start = head.lstrip()[:1]
    if start == b"[":
        return "array", {}
    kind, meta = "whole", {}
    if start != b"{":
        return kind, meta
    events = ijson.parse(io.BytesIO(head), use_float=True)
    try:
        for prefix, event, value in events:
            if prefix == "" and event == "map_key" and value == "safetyreportid":
                break
            if prefix == "results" and event in ("start_array", "start_map", "string", "number", "null", "boolean"):
                kind = "results" if event == "start_array" else "whole"
                break
            if prefix == "meta" and event == "start_map":
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
                for prefix, event, value in events:
                    if prefix == "meta" and event == "end_map":
                        break
                    builder.event(event, value)
                meta = _meta(builder.value)
    except ijson.JSONError:
        pass
    return kind, meta


def _stream(opener: Callable[[], ContextManager[IO[bytes]]], label: str, meta: dict[str, Any]) -> Iterator[Any]:
    """The reports of one document, one at a time (opened when the first is asked for); fills ``meta`` at the end."""
    count = 0
    try:
        with opener() as raw:
            src = _Hashed(raw)
            head = src.read(_HEAD)
            kind, found = _shape(head)
            if kind == "whole":
                data = head + src.read()
                try:
                    records, found = _records(json.loads(data), label)
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise InputFileError(f"{label} is not valid JSON ({exc})") from exc
            else:
                src.head = head
                records = ijson.items(src, "results.item" if kind == "results" else "item", use_float=True)
            for rec in records:
                count += 1
                yield rec
            while src.read(_CHUNK):  # hash what follows the last report
                pass
    except ijson.JSONError as exc:
        raise InputFileError(f"{label} is not valid JSON after {count:,} reports ({str(exc).splitlines()[0]})") from exc
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise InputFileError(f"{label} cannot be read from its zip ({exc}); re-download it") from exc
    meta.update(bytes=src.size, sha256=src.sha.hexdigest(), records=count, **found)


@contextmanager
def _member(path: Path, member: str) -> Iterator[IO[bytes]]:
    with zipfile.ZipFile(path) as zf, zf.open(member) as fh:
        yield fh


def _documents(path: Path) -> list[InputFile]:
    """The documents of one file: itself, or each ``.json`` member of a zip (sorted)."""
    if path.suffix.lower() != ".zip":
        meta: dict[str, Any] = {"name": str(path)}
        return [InputFile(str(path), _stream(partial(path.open, "rb"), str(path), meta), meta)]
    try:
        with zipfile.ZipFile(path) as zf:
            members = sorted(m for m in zf.namelist() if m.lower().endswith(".json"))
    except zipfile.BadZipFile as exc:
        raise InputFileError(f"{path} is not a readable zip ({exc})") from exc
    if not members:
        raise InputFileError(f"{path} holds no .json file")
    docs = []
    for m in members:
        label = f"{path.name}/{m}"
        meta = {"name": label}
        docs.append(InputFile(label, _stream(partial(_member, path, m), label, meta), meta))
    return docs


def read_inputs(paths: list[str | Path]) -> Iterator[InputFile]:
    """Every JSON document under ``paths`` (sorted by path), streamed one at a time.

    The paths are all checked before the first is read; nothing found → ``InputFileError``.
    A document is opened when its first report is asked for and closed when its
    ``records`` are exhausted.
    """
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise InputFileError(f"{p} does not exist")
        if p.is_dir():
            files.extend(sorted(x for x in p.rglob("*") if x.is_file() and _is_json_name(x.name)))
        elif p.suffix.lower() in (".json", ".zip"):
            files.append(p)
        else:
            raise InputFileError(f"{p} is neither a .json file nor a .json.zip archive")
    if not files:
        raise InputFileError("no openFDA .json or .json.zip file in " + ", ".join(map(str, paths)))
    for f in dict.fromkeys(files):
        yield from _documents(f)
