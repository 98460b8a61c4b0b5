"""Figures for onset, case series and signals over time: PNG or SVG (by suffix), matplotlib Agg, deterministic.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas (no pyplot
state, no display needed). Output is reproducible byte for byte: the SVG hash salt is
fixed and creation dates are left out. Labels from reports are untrusted text: mathtext
parsing is off, so a ``$`` in a label is shown as is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg", force=False)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from pvsignal.errors import InputFileError  # noqa: E402

if TYPE_CHECKING:
    from pvsignal.analysis.cases import CaseSeries
    from pvsignal.analysis.onset import OnsetResult
    from pvsignal.analysis.trends import OverTime

SUFFIXES = (".png", ".svg")
_RC = {"svg.hashsalt": "pvsignal", "text.parse_math": False, "font.size": 9, "svg.fonttype": "path"}
BAR_COLOUR = "#4C72B0"
CURVE_COLOUR = "#C44E52"


def _save(fig: Figure, path: str | Path, dpi: int) -> Path:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputFileError(f"cannot write figure {path}: the suffix must be .png or .svg")
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    meta = {"Date": None} if suffix == ".svg" else {"Software": None}
    fig.savefig(path, dpi=dpi, format=suffix[1:], metadata=meta)
    return path


def onset_histogram(result: "OnsetResult", path: str | Path, *, bin_days: int = 30, dpi: int = 150,
                    title: str | None = None) -> Path:
    """Histogram of onset days (density, bins of ``bin_days``) with the fitted Weibull density.

    The x axis runs from day 0 to the largest onset (rounded up to a whole bin). The
    legend gives the shape with its CI and the reading; no curve when no fit was possible.
    """
    days = np.asarray(result.days, dtype=float)
    with matplotlib.rc_context(_RC):
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
        return _save(fig, path, dpi)


def bar_chart(table: pd.DataFrame, path: str | Path, *, title: str, xlabel: str = "cases",
              dpi: int = 150, horizontal: bool = True) -> Path:
    """Bars of a ``category``/``n``/``share`` table (as from :mod:`pvsignal.analysis.cases`),
    each bar labelled with its count and share; categories in table order."""
    cats = [str(c) for c in table["category"]]
    n = table["n"].to_numpy(dtype=float)
    share = table["share"].to_numpy(dtype=float) if "share" in table else np.full(len(n), np.nan)
    with matplotlib.rc_context(_RC):
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
        return _save(fig, path, dpi)


def outcome_bars(cases: "CaseSeries", path: str | Path, **kwargs) -> Path:
    """Each serious outcome (cases with it; a case may have several)."""
    what = cases.parameters.get("drug", "") + (f" – {cases.parameters['event']}" if cases.parameters.get("event") else "")
    return bar_chart(cases.outcomes, path, title=f"Outcomes: {what} (n = {cases.n_cases})", **kwargs)


def age_bars(cases: "CaseSeries", path: str | Path, **kwargs) -> Path:
    """Cases by age group (unknown and implausible ages shown as their own bars)."""
    what = cases.parameters.get("drug", "") + (f" – {cases.parameters['event']}" if cases.parameters.get("event") else "")
    kwargs.setdefault("horizontal", False)
    return bar_chart(cases.age_group, path, title=f"Age group: {what} (n = {cases.n_cases})", **kwargs)


def over_time(result: "OverTime", path: str | Path, *, event: str | None = None, top: int = 4, dpi: int = 150) -> Path:
    """Cumulative ROR with its CI by quarter (log scale, line at 1) for ``event``, or for the
    ``top`` events with the most reports; the first quarter the ROR criterion flags is ringed."""
    cum = result.series("cumulative")
    if event is not None:
        events = [event.strip().upper()]
        if events[0] not in set(cum["event"]):
            raise InputFileError(f"no event {event!r} in this result; it has {cum['event'].nunique()} events")
    else:
        events = result.first_signal.sort_values(["n", "event"], ascending=[False, True])["event"].head(top).tolist()
    quarters = sorted(cum["period"].unique())
    pos = {q: i for i, q in enumerate(quarters)}
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(7.2, 4.2))
        ax = fig.add_subplot()
        for k, ev in enumerate(events):
            t = cum[(cum["event"] == ev) & cum["ror"].notna()].sort_values("period")
            x = t["period"].map(pos).to_numpy() + (k - (len(events) - 1) / 2) * 0.08
            err = [t["ror"] - t["ror_lower"], t["ror_upper"] - t["ror"]]
            line = ax.errorbar(x, t["ror"], yerr=err, marker="o", ms=3, lw=1.2, capsize=2, label=ev)
            hit = t["flag_ror"].to_numpy(dtype=bool)
            if hit.any():
                i = int(np.argmax(hit))
                ax.plot(x[i], t["ror"].iloc[i], "o", ms=9, mfc="none", color=line[0].get_color())
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
        ax.set_yscale("log")  # plain tick labels: mathtext is off for untrusted labels
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else ""))
        ax.set_xticks(range(len(quarters)), quarters, rotation=45 if len(quarters) > 8 else 0, ha="right" if len(quarters) > 8 else "center")
        ax.set_xlabel("cumulative to quarter")
        ax.set_ylabel("ROR (95 % CI), log scale")
        ax.set_title(f"Cumulative ROR by quarter: {result.parameters['drug']} (ring: first ROR signal)")
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return _save(fig, path, dpi)
