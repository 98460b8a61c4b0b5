"""Byte-level checks and repairs of a FAERS text file before the engine parses it.

The engine's line reader needs valid UTF-8 without NUL/control bytes and without a
lone carriage return (it would split a record). Real quarters break each rule now and
then (FACTS.md §1.4: control-H in legacy DRUG, a DEL byte in DRUG11Q4). A clean file —
the common case — is checked with a few C-speed passes and left alone; otherwise only
the offending lines are repaired, and each repair is reported with its line number,
the original text and the reason. Nothing is dropped.
"""

from __future__ import annotations

import codecs
import re

import numpy as np
from dataclasses import dataclass, field

_CTRL_LUT = np.zeros(256, dtype=bool)
_CTRL_LUT[[*range(0, 9), 11, 12, *range(14, 32), 127]] = True  # control bytes but tab, LF, CR


@dataclass
class ByteRepair:
    line: int  # 1-based line number in the original file
    raw: str  # original line, decoded losslessly (Latin-1 where it was not UTF-8)
    reason: str


@dataclass
class ByteCheck:
    data: bytes  # the (possibly repaired) content
    repairs: list[ByteRepair] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.repairs)


def _decode(line: bytes) -> tuple[str, bool]:
    try:
        return line.decode("utf-8"), True
    except UnicodeDecodeError:
        return line.decode("latin-1"), False


def check_bytes(data: bytes) -> ByteCheck:
    """Return ``data`` unchanged when clean, else with the bad lines repaired.

    Repairs: bytes that are not UTF-8 are decoded as Latin-1 (every byte maps to one
    character, so nothing is lost); control characters other than tab/CR/LF are
    removed; a carriage return not followed by a line feed becomes a space.
    """
    bad_offsets: list[int] = []
    if not data.isascii():
        found: list[int] = []

        def _record(exc: UnicodeDecodeError) -> tuple[str, int]:
            found.append(exc.start)
            return "", exc.end

        codecs.register_error("pvsignal-record", _record)
        data.decode("utf-8", errors="pvsignal-record")
        bad_offsets.extend(found)
    arr = np.frombuffer(data, dtype=np.uint8)
    n_cr = data.count(b"\r")
    # control bytes other than tab/LF/CR: compare counts first (fast), find positions only if any
    n_low = int(np.count_nonzero(arr < 32))
    if n_low != n_cr + data.count(b"\n") + data.count(b"\t") or data.count(b"\x7f"):
        bad_offsets.extend(np.flatnonzero(_CTRL_LUT[arr]).tolist())
    if n_cr and n_cr != data.count(b"\r\n"):
        # a CR not followed by LF (one ending the file closes its last line: harmless)
        bad_offsets.extend(np.flatnonzero((arr[:-1] == 13) & (arr[1:] != 10)).tolist())
    if not bad_offsets:
        return ByteCheck(data)

    # the lines holding the offsets (a lone CR at a line's end belongs to that line)
    spans: dict[int, int] = {}
    for off in sorted(set(bad_offsets)):
        start = data.rfind(b"\n", 0, off) + 1
        if start in spans:
            continue
        end = data.find(b"\n", off)
        spans[start] = len(data) if end < 0 else end
    out: list[bytes] = []
    repairs: list[ByteRepair] = []
    prev = 0
    line_no = 1
    for start, end in sorted(spans.items()):
        line_no += data.count(b"\n", prev, start)
        out.append(data[prev:start])
        raw_bytes = data[start:end]
        crlf = raw_bytes.endswith(b"\r")
        body = raw_bytes[:-1] if crlf else raw_bytes
        text, utf8 = _decode(body)
        reasons = []
        if not utf8:
            reasons.append("bytes that are not UTF-8 read as Latin-1")
        cleaned = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
        if cleaned != text:
            reasons.append("control characters removed")
        if "\r" in cleaned:
            cleaned = cleaned.replace("\r", " ")
            reasons.append("carriage return inside the line replaced by a space")
        repairs.append(ByteRepair(line_no, text, "; ".join(reasons)))
        out.append(cleaned.encode("utf-8") + (b"\r" if crlf else b""))
        prev = end
    out.append(data[prev:])
    return ByteCheck(b"".join(out), repairs)
