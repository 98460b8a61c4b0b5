"""The rejects table: every input line that did not land exactly as written.

One file per source and quarter, ``LAKE/<source>/rejects/quarter=<Q>/part-<id>.parquet``,
whatever the source. ``action`` is ``rejected`` (not landed), ``repaired`` (landed after
a repair), ``nulled`` (landed, an invalid value set to null), ``kept`` (landed as
written, e.g. an unknown code) or ``skipped`` (a blank line). ``count`` is the number of values a row stands for: 1 for
a line, more for a per-column summary (e.g. ``THER dur: 9,991 values 'NA' read as
missing``, ``line`` null), so every value stays countable without one row per value.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

S = pa.string()

#: Columns of the rejects table (before ``quarter``).
REJECT_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("table", S), ("file", S), ("line", pa.int64()), ("raw", S), ("reason", S), ("action", S),
    ("count", pa.int64()),
]


def write_rejects(rows: list[dict], quarter: str, out: Path) -> None:
    """Write issue dicts (``table, file, line, raw, reason, action``) as one Parquet file."""
    schema = pa.schema([*REJECT_COLUMNS, ("quarter", S)])
    cols = {name: [r.get(name) for r in rows] for name, _ in REJECT_COLUMNS}
    cols["count"] = [r.get("count", 1) for r in rows]
    cols["quarter"] = [quarter] * len(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(cols, schema=schema), out, compression="zstd")
