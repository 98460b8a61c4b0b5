"""Figures of results: forest and volcano plots of a signal table, the over-time plot; written
to a file (returns the path) or returned as SVG text for a web page."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

FIGURES = ("forest", "volcano", "trend")


def plot_forest(result: Any, path: str | Path, drug: str | None = None, **kwargs) -> Path:
    """Forest plot of a drug's top events (ROR, IC, EBGM with intervals) from a
    :func:`~pvsignal.api.signals` result or its table, written to ``path`` (.png/.svg);
    options (``top``, ``sort_by``, ``measures``, ``title``, ``dpi``): see
    :func:`pvsignal.report.figures.signals.forest_figure`."""
    from pvsignal.report.figures import forest

    return forest(result, path, drug, **kwargs)


def plot_volcano(result: Any, path: str | Path, drug: str | None = None, **kwargs) -> Path:
    """Volcano plot (log2 ROR against −log10 p, or ``variant='eb05'``: EB05 against n) of a drug's
    events, written to ``path`` (.png/.svg); see :func:`pvsignal.report.figures.signals.volcano_figure`."""
    from pvsignal.report.figures import volcano

    return volcano(result, path, drug, **kwargs)


def figure_svg(kind: Literal["forest", "volcano", "trend"], result: Any, drug: str | None = None, **kwargs) -> str:
    """A figure as SVG text, to embed in a web page: ``forest`` or ``volcano`` of a signals result
    (or table), ``trend`` of a :func:`~pvsignal.api.signals_over_time` result (``event``, ``top``).
    Text stays text (PT and drug names escaped); identical input gives identical SVG."""
    from pvsignal.errors import ConfigError
    from pvsignal.report import figures

    if kind == "forest":
        return figures.forest_svg(result, drug, **kwargs)
    if kind == "volcano":
        return figures.volcano_svg(result, drug, **kwargs)
    if kind == "trend":
        return figures.over_time_svg(result, **kwargs)
    raise ConfigError(f"figure kind is one of {', '.join(FIGURES)}; got {kind!r}")
