"""Find FAERS/AERS quarters in the paths a user names: zips, extracted folders, files.

A quarter is recognised by its member names (``DEMO24Q1.txt`` …, case-insensitive,
``.TXT`` or ``.txt``, optional ``_new``), wherever they sit inside a zip or folder.
Zip members are read in memory by name; nothing is ever extracted to a path taken
from an archive. Every quarter must have all seven tables; a problem with any input
is reported before anything is written.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pvsignal.errors import InputFileError
from pvsignal.quarters import parse_quarter
from pvsignal.sources.faers.layouts import DELETED_RE, MEMBER_RE, era_of
from pvsignal.sources.faers.schema import TABLES


@dataclass(frozen=True)
class Member:
    """One input text file: a plain file, or a member of a zip archive."""

    path: Path  # the file, or the zip archive
    member: str | None = None  # name inside the zip

    @property
    def label(self) -> str:
        return f"{self.path.name}:{self.member}" if self.member else str(self.path)

    def read_bytes(self) -> bytes:
        try:
            if self.member is None:
                return self.path.read_bytes()
            with zipfile.ZipFile(self.path) as zf:
                return zf.read(self.member)
        except (OSError, zipfile.BadZipFile, KeyError) as exc:
            raise InputFileError(f"cannot read {self.label}: {exc}") from exc

    @property
    def size(self) -> int:
        if self.member is None:
            return self.path.stat().st_size
        with zipfile.ZipFile(self.path) as zf:
            return zf.getinfo(self.member).file_size


@dataclass
class QuarterInput:
    quarter: str
    era: str
    source: str
    tables: dict[str, Member] = field(default_factory=dict)
    deleted: list[Member] = field(default_factory=list)
    synthetic: bool = False  # a SYNTHETIC.txt marker sits beside the tables (pvsignal synth)

    @property
    def meta(self) -> dict[str, str]:
        """Manifest fields of the quarter besides the store's own: the ``era``."""
        return {"era": self.era}


def _yyq(yy: str, q: str) -> str:
    return parse_quarter(f"{yy}Q{q}")


def _add(found: dict[str, QuarterInput], name: str, member: Member, source: str, marks: set[str]) -> None:
    if Path(name).name.upper() == "SYNTHETIC.TXT":
        marks.add(source)
        return
    m = MEMBER_RE.search(name)
    if m:
        table, quarter = m.group(1).lower(), _yyq(m.group(2), m.group(3))
        qi = found.setdefault(quarter, QuarterInput(quarter, era_of(quarter), source))
        if qi.source != source:
            raise InputFileError(f"quarter {quarter} is given twice: in {qi.source} and in {source}; name it once")
        if table in qi.tables:
            raise InputFileError(
                f"{source} holds two {table.upper()} files for {quarter}: {qi.tables[table].label} and {member.label}"
            )
        qi.tables[table] = member
        return
    d = DELETED_RE.search(name)
    if d:
        quarter = _yyq(d.group(1), d.group(2))
        qi = found.setdefault(quarter, QuarterInput(quarter, era_of(quarter), source))
        qi.deleted.append(member)


def _scan_zip(path: Path, found: dict[str, QuarterInput], marks: set[str]) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir()]
    except zipfile.BadZipFile as exc:
        raise InputFileError(f"{path} is not a readable zip archive: {exc}") from exc
    before = set(found)
    for name in names:
        _add(found, name, Member(path, name), str(path), marks)
    if set(found) == before:
        raise InputFileError(
            f"{path} holds no FAERS table files (expected members such as ASCII/DEMO24Q1.txt); members: "
            + ", ".join(names[:10])
        )


def discover(paths: list[str | Path]) -> list[QuarterInput]:
    """The quarters found in ``paths``, sorted; raises on any missing or incomplete input."""
    if not paths:
        raise InputFileError("name at least one FAERS quarterly zip or folder to ingest")
    found: dict[str, QuarterInput] = {}
    marks: set[str] = set()
    for p in map(Path, paths):
        if not p.exists():
            raise InputFileError(f"{p} does not exist")
        if p.is_file():
            if zipfile.is_zipfile(p):
                _scan_zip(p, found, marks)
            elif MEMBER_RE.search(p.name) or DELETED_RE.search(p.name):
                _add(found, p.name, Member(p), str(p.parent), marks)
            else:
                raise InputFileError(f"{p} is neither a FAERS quarterly zip nor a FAERS table file such as DEMO24Q1.txt")
            continue
        before = set(found)
        for root, dirs, files in os.walk(p):  # does not follow symbolic links
            dirs.sort()
            for f in sorted(files):
                fp = Path(root) / f
                if f.lower().endswith(".zip") and zipfile.is_zipfile(fp):
                    _scan_zip(fp, found, marks)
                elif MEMBER_RE.search(f) or DELETED_RE.search(f) or f.upper() == "SYNTHETIC.TXT":
                    _add(found, f, Member(fp), str(Path(root)), marks)
        if set(found) == before:
            raise InputFileError(f"no FAERS quarterly zips or table files found under {p}")
    for qi in found.values():
        missing = [t.upper() for t in TABLES if t not in qi.tables]
        if missing:
            have = ", ".join(t.upper() for t in qi.tables) or "none"
            raise InputFileError(
                f"quarter {qi.quarter} in {qi.source} lacks the {', '.join(missing)} table(s) (found: {have}); "
                "every quarter needs all seven tables — nothing was ingested"
            )
    for qi in found.values():
        qi.synthetic = any(qi.source == m or qi.source.startswith(m + os.sep) for m in marks)
    return [found[q] for q in sorted(found)]
