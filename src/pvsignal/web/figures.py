"""Figures as SVG: the drug page's volcano and forest plots, served at ``/figure`` (an ``<img>``,
so nothing in them can run, fetched after the page so drawing never slows the table); the
onset histogram with its Weibull density inside the onset panel (a ``data:`` image).

The volcano and forest plots are the report layer's (``api.figure_svg``); a lake served by a
pvsignal without them gets a placeholder image saying so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from pvsignal import api
import pvsignal.web.params as params
from pvsignal.web.tables import svg_of

log = logging.getLogger("pvsignal.web")
#: events in the forest plot
FOREST_TOP = 20
KINDS = ("volcano", "forest")
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"


@dataclass
class Figure:
    """An SVG figure (text, or a URL that serves it), or why there is none."""

    title: str
    svg: str | None = None
    url: str | None = None
    note: str | None = None


def drug_figures(drug: str, query: params.TableQuery) -> list[Figure]:
    """The drug page's figures, as URLs of ``/figure`` with the page's own query."""
    q = urlencode({"drug": drug}) + "&" + query.url()
    return [Figure(f"{drug}: volcano plot", url=f"/figure?kind=volcano&{q}"),
            Figure(f"{drug}: top {FOREST_TOP} events, ROR, IC and EBGM with intervals", url=f"/figure?kind=forest&{q}")]


def placeholder(text: str) -> str:
    """A small SVG that says ``text`` (escaped)."""
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="480" height="80" viewBox="0 0 480 80">'
            '<rect width="480" height="80" fill="#f6f7f9" stroke="#99a" stroke-dasharray="4"/>'
            f'<text x="240" y="45" font-family="sans-serif" font-size="14" text-anchor="middle">{escape(text)}</text></svg>')


#: page sort keys the forest plot ranks by too (others: its default, IC025)
FOREST_SORTS = ("ror", "prr", "ic025", "eb05", "ebgm", "n", "chi2")


def draw(kind: str, t, drug: str, sort: str = "ic025") -> str:
    """``kind`` of the drug's rows ``t`` (filtered as on the page) as SVG text; the forest plot
    shows the top events by the page's sort key when it is a score."""
    fn = getattr(api, "figure_svg", None)
    if fn is None:
        return placeholder(f"the {kind} plot appears here once the report layer draws it")
    if t.empty:
        return placeholder("no pair to plot")
    try:
        if kind == "forest":
            return fn("forest", t, drug, top=FOREST_TOP, **({"sort_by": sort} if sort in FOREST_SORTS else {}))
        return fn("volcano", t, drug)
    except Exception as exc:  # a figure that cannot be drawn must not fail its page's image
        log.error("the %s plot of %s failed", kind, drug, exc_info=exc)
        return placeholder(f"the {kind} plot could not be drawn ({type(exc).__name__}; see the server log)")


def onset(result) -> Figure:
    """The time-to-onset histogram with the fitted Weibull density."""
    title = "time to onset"
    if result is None or not result.n:
        return Figure(title, note="no case with both a start date and an event date")
    return Figure(title, svg=svg_of(api.plot, result))
