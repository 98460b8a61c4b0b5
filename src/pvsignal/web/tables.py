"""Frames → what a template shows (text cells, never markup) and → downloadable files.

Cells are plain strings: the templates escape them (Jinja autoescape), so a PT such as
``<script>`` reaches the browser as text. Downloads go through ``api.write_table`` (the
project's formula-safe CSV/Excel writer) into a temporary folder, then are read back.
"""

from __future__ import annotations

import math
from html import escape
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from markupsafe import Markup

from pvsignal import api

MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def cell(v: Any, plain: bool = False) -> str:
    """One value as text: numbers to 4 significant digits (integers whole, with thousands separators
    unless ``plain``: ids, years), missing → ``—``, flags → ``✓``."""
    if v is None:
        return "—"
    if isinstance(v, (bool, np.bool_)):
        return "✓" if v else ""
    if isinstance(v, (int, np.integer)):
        return str(int(v)) if plain else f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "—"
        if math.isinf(f):
            return "∞" if f > 0 else "−∞"
        return f"{f:,.0f}" if f.is_integer() and abs(f) >= 1e4 else f"{f:.4g}"
    text = str(v)
    return "—" if text in ("<NA>", "NaT", "nan") else text


@dataclass
class Table:
    """A table for a template: column names, rows of text cells, the total before cutting, and
    optional links (column → URL per row) and sort links (column → URL)."""

    columns: list[str]
    rows: list[list[str]]
    total: int
    links: dict[str, list[str]] = field(default_factory=dict)
    sort: dict[str, str] = field(default_factory=dict)
    sorted_by: str | None = None
    order: str = "desc"
    export: str | None = None  # the query string of this table's export URL
    numeric: list[bool] = field(default_factory=list)

    def html(self, table_id: str) -> Markup:
        """The ``<table>`` element; every name, cell and URL escaped (built here, not in a template
        loop: a 100 × 40 table renders in about a millisecond)."""
        num = [' class="num"' if n else "" for n in self.numeric]
        head = []
        for c, n in zip(self.columns, self.numeric):
            cls = ("num" if n else "") + (f" sorted {self.order}" if c == self.sorted_by else "")
            label = f'<a href="{escape(self.sort[c])}">{escape(c)}</a>' if c in self.sort else escape(c)
            head.append(f'<th class="{cls.strip()}" data-column="{escape(c)}">{label}</th>')
        linked = [self.links.get(c) for c in self.columns]
        body = []
        for i, row in enumerate(self.rows):
            tds = "".join(f'<td{k}><a href="{escape(u[i])}">{escape(v)}</a></td>' if u else f"<td{k}>{escape(v)}</td>"
                          for v, k, u in zip(row, num, linked))
            body.append(f"<tr>{tds}</tr>")
        return Markup(f'<table class="data" id="{escape(table_id)}"><thead><tr>{"".join(head)}</tr></thead>'
                      f'<tbody>{"".join(body)}</tbody></table>')


def _column(values, kind: str, plain: bool) -> list[str]:
    """One column's cells, formatted as :func:`cell` would, one dtype branch per column (fast)."""
    if kind == "b":
        return ["✓" if v else "" for v in values]
    if kind in "iu":
        return [str(v) for v in values] if plain else [f"{v:,}" for v in values]
    if kind == "f":
        return [cell(v) if (v != v or abs(v) >= 1e4 or abs(v) == np.inf) else f"{v:.4g}" for v in values.tolist()]
    return [cell(v, plain) for v in values]


def table(df, *, max_rows: int = 200, **extra: Any) -> Table:
    """``df`` as a :class:`Table` of its first ``max_rows`` rows (every column)."""
    head = df.head(max_rows)
    cols = [str(c) for c in head.columns]
    plain = [c.endswith("id") or "year" in c or c in ("caseversion", "category") for c in cols]
    kinds = [dt.kind for dt in head.dtypes]
    arrays = [head.iloc[:, j].to_numpy() for j in range(len(cols))]
    columns = [_column(a, k, p) for a, k, p in zip(arrays, kinds, plain)]
    rows = [list(r) for r in zip(*columns)] if columns else []
    return Table(cols, rows, int(len(df)), numeric=[k in "iuf" for k in kinds], **extra)


def key_values(d: dict[str, Any]) -> Table:
    """A two-column table of a flat mapping."""
    rows = [[str(k), cell(v)] for k, v in d.items()]
    return Table(["statistic", "value"], rows, len(rows), numeric=[False, True])


def safe_filename(*parts: str) -> str:
    """A download name from free text: letters, digits, ``-`` and ``_`` only."""
    stem = "-".join(re.sub(r"[^A-Za-z0-9]+", "_", p).strip("_") for p in parts if p)
    return stem[:120] or "table"


def export_bytes(df, fmt: str, *, metadata: dict | None = None) -> bytes:
    """``df`` as a .csv or .xlsx file (formula-safe, ``api.write_table``), as bytes."""
    with tempfile.TemporaryDirectory(prefix="pvsignal-web-") as tmp:
        path = Path(tmp) / f"table.{fmt}"
        api.write_table(df, path, metadata=metadata)
        return path.read_bytes()


def svg_of(draw, result) -> str:
    """An SVG figure drawn by ``draw(result, path)`` (an ``api`` plot function), as text."""
    with tempfile.TemporaryDirectory(prefix="pvsignal-web-") as tmp:
        path = Path(tmp) / "figure.svg"
        out = draw(result, path)
        return Path(out or path).read_text(encoding="utf-8")
