"""Where every figure is drawn and written: matplotlib Agg, deterministic PNG and SVG.

Figures are :class:`matplotlib.figure.Figure` objects on the Agg canvas (no pyplot state,
no display). Output is reproducible byte for byte: the SVG hash salt is fixed and the
creation date and software metadata are left out. Labels from reports (PT and drug names)
are untrusted text: mathtext parsing is off, so ``$`` is shown as is, and in SVG text
mode every label is an escaped ``<text>`` element (``<script>`` becomes ``&lt;script&gt;``).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg", force=False)
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from pvsignal.errors import InputFileError  # noqa: E402

SUFFIXES = (".png", ".svg")
#: files: glyphs drawn as paths (the same in every viewer and in the PDF profile)
RC = {"svg.hashsalt": "pvsignal", "text.parse_math": False, "font.size": 9, "svg.fonttype": "path"}
#: SVG for a web page: text kept as text (escaped, selectable, searchable), fixed font family
RC_TEXT = {**RC, "svg.fonttype": "none", "font.family": "DejaVu Sans"}
BAR_COLOUR = "#4C72B0"
CURVE_COLOUR = "#C44E52"
MUTED = "#8C8C8C"


def save(fig: Figure, path: str | Path, dpi: int) -> Path:
    """Write ``fig`` to ``path`` (.png or .svg, by suffix; folders made); returns the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputFileError(f"cannot write figure {path}: the suffix must be .png or .svg")
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    meta = {"Date": None} if suffix == ".svg" else {"Software": None}
    fig.savefig(path, dpi=dpi, format=suffix[1:], metadata=meta)
    return path


def draw(build: Callable[[], Figure], path: str | Path, *, dpi: int = 150) -> Path:
    """Build a figure under the file settings (:data:`RC`) and write it to ``path``."""
    with matplotlib.rc_context(RC):
        return save(build(), path, dpi)


def draw_svg(build: Callable[[], Figure]) -> str:
    """Build a figure under :data:`RC_TEXT` and return its SVG document as text (for a web page;
    identical input gives an identical string)."""
    with matplotlib.rc_context(RC_TEXT):
        fig = build()
        FigureCanvasAgg(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue().decode("utf-8")


def plain_log_axis(axis, *, span: float | None = None) -> None:
    """Log-scale tick labels as plain numbers (mathtext is off for untrusted labels, so
    matplotlib's 10^k labels are not used). Minor ticks labelled by the axis' ``span``
    (upper/lower limit): under 10 every one (0.8, 0.9, 2, 3 …), under 100 or unknown those
    at 2 and 5, else none."""
    digits = "23456789" if span is not None and span < 10 else ("25" if span is None or span < 100 else "")
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in digits else ""))
