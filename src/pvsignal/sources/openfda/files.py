"""Finding and reading openFDA drug/event JSON: saved API responses and bulk download files.

Accepted inputs: ``*.json`` files and ``*.json.zip`` / ``*.zip`` archives of them (the
bulk download ``drug-event-0001-of-0029.json.zip``), or folders holding them. A JSON
document may be an API response or bulk file (``{"meta": …, "results": [reports]}``), a
saved ``results`` array (``[reports]``) or one report (an object with ``safetyreportid``).
"""

from __future__ import annotations

import gc
import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pvsignal.errors import InputFileError


@dataclass
class InputFile:
    """One JSON document: its label (path, or ``zip/member``), reports, and manifest record."""

    label: str
    records: list[Any]
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
        meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
        return doc["results"], {k: meta[k] for k in ("last_updated", "results") if k in meta}
    if isinstance(doc, list):
        return doc, {}
    if isinstance(doc, dict) and "safetyreportid" in doc:
        return [doc], {}
    raise InputFileError(
        f"{label} is not openFDA drug/event JSON: expected {{\"meta\", \"results\": [...]}}, a list of reports "
        "or one report with a safetyreportid"
    )


def _parse(data: bytes, label: str) -> InputFile:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{label} is not valid JSON ({exc})") from exc
    records, meta = _records(doc, label)
    return InputFile(label, records, {"name": label, "bytes": len(data),
                                      "sha256": hashlib.sha256(data).hexdigest(), "records": len(records), **meta})


def _read_zip(path: Path) -> list[InputFile]:
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.namelist() if m.lower().endswith(".json")]
            if not members:
                raise InputFileError(f"{path} holds no .json file")
            return [_parse(zf.read(m), f"{path.name}/{m}") for m in sorted(members)]
    except zipfile.BadZipFile as exc:
        raise InputFileError(f"{path} is not a readable zip ({exc})") from exc


def read_inputs(paths: list[str | Path]) -> Iterator[InputFile]:
    """Every JSON document under ``paths`` (sorted by path), parsed one at a time.

    The paths are all checked before the first is parsed; nothing found → ``InputFileError``.
    The cyclic garbage collector is paused while a document is parsed: its millions of
    small objects otherwise trigger collection after collection (measured: 50,000
    reports discovered in 48 s with it, 19 s without).
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
        was = gc.isenabled()
        gc.disable()
        try:
            docs = _read_zip(f) if f.suffix.lower() == ".zip" else [_parse(f.read_bytes(), str(f))]
        finally:
            if was:
                gc.enable()
        yield from docs
