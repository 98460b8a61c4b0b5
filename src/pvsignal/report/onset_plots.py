"""Figure of a time-to-onset comparison: the two empirical CDFs overlaid, above the two
histograms (same bins), PNG or SVG by suffix — drawn as :mod:`pvsignal.report.plots`
draws (:mod:`pvsignal.report.figures.canvas`: Agg, deterministic output, mathtext off)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import numpy as np

from pvsignal.report.figures.canvas import RC, save

if TYPE_CHECKING:
    from pvsignal.analysis.onset_compare import OnsetComparison

COLOURS = ("#4C72B0", "#C44E52")


def onset_comparison(result: "OnsetComparison", path: str | Path, *, bin_days: int | None = None,
                     dpi: int = 150) -> Path:
    """ECDF of each group's onset days (steps, top) and their histograms (bars of
    ``bin_days``, side by side, bottom; default the first of 1, 7, 30, 90, 365 days
    giving at most 20 bins); the title gives KS D and the log-rank p."""
    from matplotlib.figure import Figure

    days = [np.sort(np.asarray(r.days, dtype=float)) for r in result.results]
    last = max([float(d.max()) for d in days if len(d)] + [1.0])
    bin_days = bin_days or next((b for b in (1, 7, 30, 90) if last / b <= 20), 365)
    top = max([bin_days] + [int(np.ceil((d.max() + 1) / bin_days)) * bin_days for d in days if len(d)])
    edges = np.arange(0, top + bin_days, bin_days)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6.4, 6.0))
        ax1, ax2 = fig.subplots(2, 1, sharex=True)
        width = bin_days * 0.42
        for k, (d, label, colour) in enumerate(zip(days, result.labels, COLOURS)):
            med = result.groups["median_days"].iloc[k]
            if len(d):
                y = np.arange(1, len(d) + 1) / len(d)
                ax1.step(np.r_[0, d], np.r_[0, y], where="post", color=colour, lw=1.6,
                         label=f"{label}: n = {len(d)}, median {med:g} d")
            counts, _ = np.histogram(d, bins=edges)
            ax2.bar(edges[:-1] + (k + 0.5) * width + bin_days * 0.08, counts, width=width, color=colour, alpha=0.85,
                    label=label)
        ax1.set_ylabel("cumulative share of cases")
        ax1.set_ylim(0, 1.02)
        ax1.legend(frameon=False, fontsize=8, loc="lower right")
        p = result.logrank_p
        ax1.set_title("Time to onset: KS D = "
                      + (f"{result.ks_statistic:.2f} (p = {result.ks_p:.3g}), log-rank p = {p:.3g}"
                         if np.isfinite(result.ks_statistic) else "not tested (fewer than 2 onsets)"))
        ax2.set_xlim(0, top)
        ax2.set_xlabel("days from therapy start to event")
        ax2.set_ylabel(f"cases per {bin_days} days")
        ax2.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return save(fig, path, dpi)
