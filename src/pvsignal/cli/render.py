"""Rich rendering helpers shared by the commands (tables from DataFrames, consoles)."""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
console_err = Console(stderr=True)


def _fmt(v: object, digits: int) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:.{digits}f}"
    if v is pd.NA or v is pd.NaT:
        return ""
    return escape(str(v))  # report text is untrusted: never Rich markup


def dataframe_table(
    df: pd.DataFrame,
    *,
    title: str | None = None,
    columns: list[str] | None = None,
    max_rows: int = 25,
    digits: int = 2,
    caption_total: int | None = None,
) -> Table:
    """A Rich table of the first ``max_rows`` rows of ``df`` (numbers right-aligned)."""
    cols = columns or list(df.columns)
    table = Table(title=escape(title) if title else None, show_lines=False)
    for c in cols:
        numeric = pd.api.types.is_numeric_dtype(df[c]) if c in df else False
        table.add_column(escape(str(c)), justify="right" if numeric else "left")
    for row in df[cols].head(max_rows).itertuples(index=False):
        table.add_row(*(_fmt(v, digits) for v in row))
    total = len(df) if caption_total is None else caption_total
    if total > max_rows:
        table.caption = f"{max_rows} of {total:,} rows shown"
    return table


def print_dataframe(df: pd.DataFrame, **kwargs) -> None:
    console.print(dataframe_table(df, **kwargs))
