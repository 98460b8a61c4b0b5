"""Calendar quarters as FAERS names them: ``2024Q1``; ranges ``2023Q1:2024Q4``.

Shared by every layer (sources name their files by quarter; a case definition filters on
it), so it lives at the base of the package and imports nothing of ours but errors.
"""

from __future__ import annotations

import re

from pvsignal.errors import InputFileError


def parse_quarter(text: str) -> str:
    """Normalise ``2024q1`` / ``24Q1`` / ``2024Q1`` to ``2024Q1``; raise on anything else."""
    t = text.strip().upper()
    m = re.fullmatch(r"(\d{2}|\d{4})Q([1-4])", t)
    if not m:
        raise InputFileError(f"not a quarter: {text!r} (expected e.g. 2024Q1)")
    year = int(m.group(1))
    if year < 100:
        year += 2000 if year < 50 else 1900
    return f"{year}Q{m.group(2)}"


def quarter_range(spec: str) -> list[str]:
    """``2023Q1:2024Q4`` → every quarter in between, inclusive; a single quarter is allowed."""
    parts = spec.split(":")
    if len(parts) == 1:
        return [parse_quarter(parts[0])]
    if len(parts) != 2:
        raise InputFileError(f"not a quarter range: {spec!r} (expected e.g. 2023Q1:2024Q4)")
    a, b = (parse_quarter(p) for p in parts)
    ia, ib = quarter_index(a), quarter_index(b)
    if ib < ia:
        raise InputFileError(f"quarter range {spec!r} ends before it starts")
    return [index_quarter(i) for i in range(ia, ib + 1)]


def quarter_index(q: str) -> int:
    return int(q[:4]) * 4 + int(q[5]) - 1


def index_quarter(i: int) -> str:
    return f"{i // 4}Q{i % 4 + 1}"
