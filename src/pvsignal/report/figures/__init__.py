"""Figures: signal forest and volcano plots, the over-time plot; each written as PNG/SVG
(``forest``, ``volcano``, ``over_time``: returns the path) or returned as SVG text for a web
page (``forest_svg``, ``volcano_svg``, ``over_time_svg``). Onset and case-series figures:
:mod:`pvsignal.report.plots`."""

from pvsignal.report.figures.signals import (  # noqa: F401
    forest,
    forest_figure,
    forest_rows,
    forest_svg,
    volcano,
    volcano_figure,
    volcano_svg,
)
from pvsignal.report.figures.trend import over_time, over_time_figure, over_time_svg  # noqa: F401
