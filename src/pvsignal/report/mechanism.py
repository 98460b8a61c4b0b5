"""The mechanism pathway diagram of a compound, drawn from its knowledge file (no network).

The ``mechanism.pathway`` steps of a compound file (:class:`pvsignal.knowledge.compounds.Compound`)
become a left-to-right chain of boxes joined by arrows, ``mechanism.effects`` become boxes
below the chain joined to the step they hang from (the calcineurin step when present,
else the last step), drawn with dashed arrows ("class effect"). A step whose status is
``M`` (not re-verified) gets a dashed border and an "unverified" tag. matplotlib Agg,
deterministic output (the settings of :mod:`pvsignal.report.figures.canvas`); mathtext off, so
text from the file is drawn as written.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg", force=False)
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from pvsignal.report.figures.canvas import RC, save  # noqa: E402

if TYPE_CHECKING:
    from pvsignal.knowledge.compounds import Compound

STEP_FILL = "#E8EEF7"
STEP_EDGE = "#4C72B0"
EFFECT_FILL = "#F8E9E9"
EFFECT_EDGE = "#C44E52"


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) if text else ""


def _box(ax, x: float, y: float, w: float, h: float, title: str, detail: str, fill: str, edge: str,
         unverified: bool) -> None:
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                fc=fill, ec=edge, lw=1.4, ls="--" if unverified else "-"))
    ax.text(x, y + h * 0.25, _wrap(title, 16), ha="center", va="center", fontsize=9, fontweight="bold")
    ax.text(x, y - h * 0.08, _wrap(detail, 22), ha="center", va="center", fontsize=7, color="#333333")
    if unverified:
        ax.text(x, y - h / 2 + 0.06, "unverified", ha="center", va="bottom", fontsize=6, style="italic",
                color="#777777")


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], colour: str, dashed: bool = False) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color=colour, lw=1.3,
                                 ls="--" if dashed else "-", shrinkA=0, shrinkB=0))


def mechanism_diagram(compound: "Compound", path: str | Path, *, dpi: int = 150) -> Path:
    """Draw the compound's pathway (and effects) to ``path`` (.svg or .png); return the path."""
    m = compound.mechanism
    steps, effects = m.pathway, m.effects
    n = len(steps)
    w, h, gap = 1.7, 1.2, 0.55
    width = n * w + (n - 1) * gap
    rows = 2 if effects else 1
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(max(6.4, 0.95 * width + 0.6), 2.2 + (1.7 if effects else 0)))
        ax = fig.add_subplot()
        top = 0.0
        xs = [w / 2 + i * (w + gap) for i in range(n)]
        for i, s in enumerate(steps):
            _box(ax, xs[i], top, w, h, s.label, s.detail, STEP_FILL, STEP_EDGE, s.status == "M")
            if i:
                _arrow(ax, (xs[i - 1] + w / 2, top), (xs[i] - w / 2, top), STEP_EDGE)
        if effects:
            labels = [s.label.lower() for s in steps]
            hub = next((i for i, lab in enumerate(labels) if "calcineurin" in lab), n - 1)
            y = top - 2.1
            ew = 2.3
            span = len(effects) * ew + (len(effects) - 1) * gap
            x0 = xs[hub] - span / 2 + ew / 2
            x0 = min(max(x0, ew / 2), width - span + ew / 2) if span < width else width / 2 - span / 2 + ew / 2
            for j, e in enumerate(effects):
                ex = x0 + j * (ew + gap)
                _box(ax, ex, y, ew, h, e.label, e.detail, EFFECT_FILL, EFFECT_EDGE, e.status == "M")
                _arrow(ax, (xs[hub], top - h / 2), (ex, y + h / 2), EFFECT_EDGE, dashed=True)
            ax.text(width, y - h / 2 - 0.25, "dashed border: unverified step; dashed arrow: class effect, pathway not established",
                    ha="right", va="top", fontsize=6.5, color="#555555")
        ax.set_xlim(-0.15, width + 0.15)
        ax.set_ylim(top - (2.1 * (rows - 1)) - h / 2 - 0.5, top + h / 2 + 0.45)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(f"Mechanism: {compound.drug.title()} ({m.class_.text})", fontsize=10)
        fig.tight_layout()
        return save(fig, path, dpi)
