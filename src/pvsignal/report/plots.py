"""Figures for onset and case series: PNG or SVG (by suffix), matplotlib Agg, deterministic
(settings and writing: :mod:`pvsignal.report.figures.canvas`). The over-time plot lives in
:mod:`pvsignal.report.figures.trend` and the signal figures (forest, volcano) in
:mod:`pvsignal.report.figures.signals`; ``over_time`` is re-exported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg", force=False)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from pvsignal.report.figures.canvas import BAR_COLOUR, CURVE_COLOUR, RC, save  # noqa: E402
from pvsignal.report.figures.trend import over_time, over_time_figure, over_time_svg  # noqa: E402, F401

if TYPE_CHECKING:
    from pvsignal.analysis.cases import CaseSeries
    from pvsignal.analysis.onset import OnsetResult


def onset_histogram(result: "OnsetResult", path: str | Path, *, bin_days: int = 30, dpi: int = 150,
                    title: str | None = None) -> Path:
    """Histogram of onset days (density, bins of ``bin_days``) with the fitted Weibull density.

    The x axis runs from day 0 to the largest onset (rounded up to a whole bin). The
    legend gives the shape with its CI and the reading; no curve when no fit was possible.
    """
    days = np.asarray(result.days, dtype=float)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6.4, 4.0))
        ax = fig.add_subplot()
        top = max(bin_days, int(np.ceil((days.max() + 1) / bin_days)) * bin_days) if len(days) else bin_days
        edges = np.arange(0, top + bin_days, bin_days)
        if len(days):
            ax.hist(days, bins=edges, density=True, color=BAR_COLOUR, alpha=0.75, edgecolor="white",
                    label=f"onset, n = {result.n}")
        w = result.weibull
        if w is not None:
            x = np.linspace(0.5, top, 400)
            ax.plot(x, w.pdf(x), color=CURVE_COLOUR, lw=1.8,
                    label=f"Weibull β = {w.shape:.2f} ({w.shape_lower:.2f}–{w.shape_upper:.2f}), "
                          f"α = {w.scale:.1f} d: {w.reading}")
        ax.set_xlim(0, top)
        ax.set_xlabel("days from therapy start to event")
        ax.set_ylabel("density")
        what = result.drug + (f" – {result.event}" if result.event else "")
        ax.set_title(title or f"Time to onset: {what} (median {result.median_days:g} d)")
        if len(days) or w is not None:
            ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return save(fig, path, dpi)


def bar_chart(table: pd.DataFrame, path: str | Path, *, title: str, xlabel: str = "cases",
              dpi: int = 150, horizontal: bool = True) -> Path:
    """Bars of a ``category``/``n``/``share`` table (as from :mod:`pvsignal.analysis.cases`),
    each bar labelled with its count and share; categories in table order."""
    cats = [str(c) for c in table["category"]]
    n = table["n"].to_numpy(dtype=float)
    share = table["share"].to_numpy(dtype=float) if "share" in table else np.full(len(n), np.nan)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6.4, max(2.0, 0.35 * len(cats) + 1.2)) if horizontal else (6.4, 4.0))
        ax = fig.add_subplot()
        pos = np.arange(len(cats))
        labels = [f"{int(k)} ({s:.0%})" if np.isfinite(s) else f"{int(k)}" for k, s in zip(n, share)]
        if horizontal:
            bars = ax.barh(pos, n, color=BAR_COLOUR)
            ax.set_yticks(pos, cats)
            ax.invert_yaxis()
            ax.set_xlabel(xlabel)
            ax.set_xlim(0, max(n.max() * 1.25, 1) if len(n) else 1)
        else:
            bars = ax.bar(pos, n, color=BAR_COLOUR)
            ax.set_xticks(pos, cats, rotation=30, ha="right")
            ax.set_ylabel(xlabel)
            ax.set_ylim(0, max(n.max() * 1.2, 1) if len(n) else 1)
        ax.bar_label(bars, labels=labels, padding=2, fontsize=8)
        ax.set_title(title)
        fig.tight_layout()
        return save(fig, path, dpi)


def outcome_bars(cases: "CaseSeries", path: str | Path, **kwargs) -> Path:
    """Each serious outcome (cases with it; a case may have several)."""
    what = cases.parameters.get("drug", "") + (f" – {cases.parameters['event']}" if cases.parameters.get("event") else "")
    return bar_chart(cases.outcomes, path, title=f"Outcomes: {what} (n = {cases.n_cases})", **kwargs)


def age_bars(cases: "CaseSeries", path: str | Path, **kwargs) -> Path:
    """Cases by age group (unknown and implausible ages shown as their own bars)."""
    what = cases.parameters.get("drug", "") + (f" – {cases.parameters['event']}" if cases.parameters.get("event") else "")
    kwargs.setdefault("horizontal", False)
    return bar_chart(cases.age_group, path, title=f"Age group: {what} (n = {cases.n_cases})", **kwargs)
