"""Shared fixtures: paths to ../shared, and a writer of small hand-made FAERS quarters."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from faers_text import FAERS_B_HEADERS, LEGACY_HEADERS  # noqa: F401

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

@pytest.fixture
def write_quarter(tmp_path):
    """Write a quarter zip: ``write_quarter('2024Q1', {'DEMO': [lines], ...}, deleted=[ids])``.

    Tables not given get a header only. Legacy quarters (≤ 2012Q3) use the AERS
    headers; lines are joined with CRLF as FDA publishes them.
    """

    def _write(quarter: str, tables: dict[str, list[str]], *, deleted=None, folder: Path | None = None, raw: dict[str, bytes] | None = None, omit=()):
        year, q = quarter[:4], quarter[-1]
        legacy = int(year) * 4 + int(q) <= 2012 * 4 + 3
        yy = year[2:]
        name = f"{'aers' if legacy else 'faers'}_ascii_{year}q{q}.zip"
        out = (folder or tmp_path) / name
        out.parent.mkdir(parents=True, exist_ok=True)
        headers = LEGACY_HEADERS if legacy else FAERS_B_HEADERS
        ext = "TXT" if legacy else "txt"
        with zipfile.ZipFile(out, "w") as zf:
            for t, header in headers.items():
                if t in omit:
                    continue
                member = f"ASCII/{t}{yy}Q{q}.{ext}"
                if raw and t in raw:
                    zf.writestr(member, raw[t])
                    continue
                lines = [header, *tables.get(t, [])]
                zf.writestr(member, "\r\n".join(lines) + "\r\n")
            if deleted is not None:
                zf.writestr(f"Deleted/DELETE{yy}Q{q}.txt", "\r\n".join(map(str, deleted)) + "\r\n")
        return out

    return _write


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED}); these tests need the shared samples")
    return SHARED
