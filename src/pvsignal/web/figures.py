"""Figures of the pages as SVG text (shown as ``data:`` images, so nothing in them can run).

The onset histogram with its Weibull density is ``api.plot``'s; the volcano and forest
plots are the report layer's when ``api`` offers them (``api.volcano_svg``,
``api.forest_svg``), else a placeholder saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

from pvsignal import api
from pvsignal.web.tables import svg_of

#: events in the forest plot
FOREST_TOP = 20


@dataclass
class Figure:
    """An SVG figure, or why there is none."""

    title: str
    svg: str | None = None
    note: str | None = None


def volcano(t, drug: str) -> Figure:
    """log ROR against −log10 p (or EB05 against n) of the drug's pairs."""
    title = f"{drug}: volcano plot"
    fn = getattr(api, "volcano_svg", None)
    if fn is None:
        return Figure(title, note="the volcano plot appears here once the report layer draws it")
    if t.empty:
        return Figure(title, note="no pair to plot")
    return Figure(title, svg=fn(t, title=title))


def forest(t, drug: str) -> Figure:
    """ROR with its interval for the drug's top events (in the table's order)."""
    title = f"{drug}: ROR (95% CI) of the top {min(FOREST_TOP, len(t))} events"
    fn = getattr(api, "forest_svg", None)
    if fn is None:
        return Figure(title, note="the forest plot appears here once the report layer draws it")
    if t.empty:
        return Figure(title, note="no pair to plot")
    return Figure(title, svg=fn(t.head(FOREST_TOP), title=title))


def onset(result) -> Figure:
    """The time-to-onset histogram with the fitted Weibull density."""
    title = "time to onset"
    if result is None or not result.n:
        return Figure(title, note="no case with both a start date and an event date")
    return Figure(title, svg=svg_of(api.plot, result))
