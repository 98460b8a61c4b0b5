"""The over-time plot: a drug's cumulative ROR with its CI by quarter (from
:func:`pvsignal.analysis.trends.signals_over_time`)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from pvsignal.errors import InputFileError
from pvsignal.report.figures.canvas import MUTED, draw, draw_svg, plain_log_axis

if TYPE_CHECKING:
    from pvsignal.analysis.trends import OverTime


def trend_events(result: "OverTime", event: str | None = None, top: int = 4) -> list[str]:
    """``[event]`` (checked against the result), or the ``top`` events with the most reports
    (ties by name)."""
    cum = result.series("cumulative")
    if event is not None:
        key = event.strip().upper()
        if key not in set(cum["event"]):
            raise InputFileError(f"no event {event!r} in this result; it has {cum['event'].nunique()} events")
        return [key]
    return result.first_signal.sort_values(["n", "event"], ascending=[False, True])["event"].head(top).tolist()


def over_time_figure(result: "OverTime", *, event: str | None = None, top: int = 4, title: str | None = None) -> Figure:
    """Cumulative ROR with its CI by quarter (log scale, line at 1) for ``event``, or for the
    ``top`` events with the most reports (:func:`trend_events`); the first quarter the ROR
    criterion flags is ringed. Series of several events are nudged apart on x by 0.08."""
    cum = result.series("cumulative")
    events = trend_events(result, event, top)
    quarters = sorted(cum["period"].unique())
    pos = {q: i for i, q in enumerate(quarters)}
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
    ax.axhline(1.0, color=MUTED, lw=0.8, ls="--")
    ax.set_yscale("log")
    plain_log_axis(ax.yaxis)
    many = len(quarters) > 8
    ax.set_xticks(range(len(quarters)), quarters, rotation=45 if many else 0, ha="right" if many else "center")
    ax.set_xlabel("cumulative to quarter")
    ax.set_ylabel("ROR (95 % CI), log scale")
    ax.set_title(title or f"Cumulative ROR by quarter: {result.parameters['drug']} (ring: first ROR signal)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def over_time(result: "OverTime", path: str | Path, *, event: str | None = None, top: int = 4, dpi: int = 150,
              title: str | None = None) -> Path:
    """Write :func:`over_time_figure` to ``path`` (.png/.svg); returns the path."""
    return draw(partial(over_time_figure, result, event=event, top=top, title=title), path, dpi=dpi)


def over_time_svg(result: "OverTime", *, event: str | None = None, top: int = 4, title: str | None = None) -> str:
    """:func:`over_time_figure` as SVG text (labels as escaped text; deterministic)."""
    return draw_svg(partial(over_time_figure, result, event=event, top=top, title=title))
