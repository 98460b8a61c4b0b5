"""Cells, tables and figures of profile sections: raw values made JSON-safe, figures inlined."""

from __future__ import annotations

import base64
import math
import tempfile
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from pvsignal.report.profile.model import SYNTHETIC_LABEL, Figure, Table


def num(v: Any) -> float | None:
    """A JSON-safe float (None for missing/NaN/inf)."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def cell(v: Any) -> Any:
    """A table cell as a JSON value: bool, int, finite float, joined list or text."""
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return num(v)
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    if v is pd.NA or v is pd.NaT:
        return None
    return str(v)


def table(df: pd.DataFrame, caption: str, columns: Sequence[str] | None = None, *, note: str | None = None,
          synthetic: bool = False, rename: dict[str, str] | None = None) -> Table:
    """``df[columns]`` as a :class:`Table`; ``rename`` maps column names to their headings."""
    cols = list(columns) if columns is not None else list(df.columns)
    rows = [[cell(v) for v in rec] for rec in df[cols].itertuples(index=False, name=None)]
    names = [(rename or {}).get(c, c) for c in cols]
    return Table(caption=caption, columns=names, rows=rows, note=note, synthetic=synthetic)


def fig_title(text: str, synthetic: bool) -> str:
    """A figure title, prefixed with the synthetic label when the data were synthetic."""
    return f"{SYNTHETIC_LABEL} – {text}" if synthetic else text


def figure(draw: Callable[[Path], Any], title: str, alt: str, synthetic: bool) -> Figure:
    """Run a plotting function that writes an SVG file and inline its bytes (base64)."""
    with tempfile.TemporaryDirectory(prefix="pvsignal-fig-") as tmp:
        out = Path(tmp) / "figure.svg"
        draw(out)
        data = base64.b64encode(out.read_bytes()).decode("ascii")
    return Figure(title=title, alt=alt, mime="image/svg+xml", data=data, synthetic=synthetic)
