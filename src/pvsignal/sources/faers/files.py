"""Find FAERS/AERS quarters in the paths a user names: zips, extracted folders, files.

A quarter is recognised by its member names (``DEMO24Q1.txt`` …, case-insensitive,
``.TXT`` or ``.txt``, optional ``_new``), wherever they sit inside a zip or folder.
Zip members are read in memory by name; nothing is ever extracted to a path taken
from an archive. Every quarter must have all seven tables (``allow_partial``: what is
there, the missing ones recorded); a zip whose name gives a quarter must hold that
quarter's tables (``trust_contents``: take them as they are named inside); a problem
with any input is reported before anything is written. A damaged zip or member is
reported as such, with the advice to download it again.

"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
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
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:  # a CRC or a truncated stream
            raise InputFileError(f"corrupt zip: {self.path}, member {self.member} ({exc}) (re-download it)") from exc
        except (OSError, KeyError) as exc:
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
    missing: list[str] = field(default_factory=list)  # tables absent (ingested with allow_partial)

    @property
    def meta(self) -> dict:
        """Manifest fields of the quarter besides the store's own: the ``era`` and, for a
        partial quarter, ``missing_tables``."""
        return {"era": self.era, **({"missing_tables": self.missing} if self.missing else {})}


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


#: a quarter in a zip's name: faers_ascii_2017q2.zip, aers_ascii_2004Q1.zip
_ZIP_QUARTER = re.compile(r"(?i)(?<!\d)((?:19|20)\d\d)[_-]?q([1-4])(?!\d)")


def _looks_like_zip(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _scan_zip(path: Path, found: dict[str, QuarterInput], marks: set[str], trust_contents: bool) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir()]
    except zipfile.BadZipFile as exc:
        raise InputFileError(f"corrupt zip: {path} is truncated or damaged ({exc}) (re-download it)") from exc
    before = set(found)
    for name in names:
        _add(found, name, Member(path, name), str(path), marks)
    if set(found) == before:
        raise InputFileError(
            f"{path} holds no FAERS table files (expected members such as ASCII/DEMO24Q1.txt); members: "
            + ", ".join(names[:10])
        )
    named = _ZIP_QUARTER.search(path.name)
    inside = sorted(set(found) - before)
    if named and not trust_contents and inside != [f"{named.group(1)}Q{named.group(2)}"]:
        raise InputFileError(
            f"{path} is named for {named.group(1)}Q{named.group(2)} but holds the tables of {', '.join(inside)}; "
            "rename it, or pass --trust-contents to ingest the quarter(s) its tables name"
        )


def discover(paths: list[str | Path], *, allow_partial: bool = False, trust_contents: bool = False) -> list[QuarterInput]:
    """The quarters found in ``paths``, sorted; raises on any missing or incomplete input.

    ``allow_partial``: a quarter lacking tables is kept (its ``missing`` lists them; it
    needs DEMO, which every other table is keyed to). ``trust_contents``: a zip may hold
    another quarter than its name says.
    """
    if not paths:
        raise InputFileError("name at least one FAERS quarterly zip or folder to ingest")
    found: dict[str, QuarterInput] = {}
    marks: set[str] = set()
    for p in map(Path, paths):
        if not p.exists():
            raise InputFileError(f"{p} does not exist")
        if p.is_file():
            if zipfile.is_zipfile(p) or _looks_like_zip(p):
                _scan_zip(p, found, marks, trust_contents)
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
                if f.lower().endswith(".zip") and (zipfile.is_zipfile(fp) or _looks_like_zip(fp)):
                    _scan_zip(fp, found, marks, trust_contents)
                elif MEMBER_RE.search(f) or DELETED_RE.search(f) or f.upper() == "SYNTHETIC.TXT":
                    _add(found, f, Member(fp), str(Path(root)), marks)
        if set(found) == before:
            raise InputFileError(f"no FAERS quarterly zips or table files found under {p}")
    for qi in found.values():
        missing = [t.upper() for t in TABLES if t not in qi.tables]
        have = ", ".join(t.upper() for t in qi.tables) or "none"
        if missing and (not allow_partial or "demo" not in qi.tables):
            raise InputFileError(
                f"quarter {qi.quarter} in {qi.source} lacks the {', '.join(missing)} table(s) (found: {have}); "
                + ("every quarter needs all seven tables — pass --allow-partial to ingest what is there"
                   if not allow_partial else "a partial quarter needs at least its DEMO table")
                + "; nothing was ingested"
            )
        qi.missing = [t.lower() for t in missing]
    for qi in found.values():
        qi.synthetic = any(qi.source == m or qi.source.startswith(m + os.sep) for m in marks)
    return [found[q] for q in sorted(found)]
