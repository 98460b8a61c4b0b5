"""Figures of a drug's signal table: a forest plot of its top events and volcano plots.

Input: the table of :func:`pvsignal.analysis.signals.signals` (a ``SignalResult`` or its
``table``), one row per drug–event pair. Nothing is recomputed except the χ² p-value,
which the table holds as its statistic: p = P(χ²₁ > chi2), the plain (uncorrected)
Pearson χ² with 1 df, taken as ``−log10 p = −logsf(chi2)/ln 10`` so very small p stay exact.
Each ``*_figure`` function returns the matplotlib figure (its plotted data are the table's
values); :func:`forest`/:func:`volcano` write it, :func:`forest_svg`/:func:`volcano_svg`
return SVG text.
"""

from __future__ import annotations

import textwrap
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pvsignal.errors import ConfigError
from pvsignal.report.profile.model import SYNTHETIC_LABEL
from pvsignal.report.figures.canvas import BAR_COLOUR, CURVE_COLOUR, MUTED, draw, draw_svg, plain_log_axis

#: measure → (panel title, estimate, lower, upper, flag column, log scale, null value)
MEASURES: dict[str, tuple[str, str, str, str, str, bool, float]] = {
    "ror": ("ROR (95 % CI)", "ror", "ror_lower", "ror_upper", "flag_ror", True, 1.0),
    "ic": ("IC (IC025–IC975)", "ic", "ic025", "ic975", "flag_ic", False, 0.0),
    "ebgm": ("EBGM (EB05–EB95)", "ebgm", "eb05", "eb95", "flag_ebgm", True, 1.0),
}
SORT_KEYS = ("ic025", "eb05", "ror_lower", "ror", "ebgm", "ic", "n", "chi2")


def drug_rows(table: Any, drug: str | None = None) -> pd.DataFrame:
    """The rows of one drug from a signal table (or a result with ``.table``); ``drug`` may be
    left out when the table holds one drug only."""
    t = getattr(table, "table", table)
    if not isinstance(t, pd.DataFrame):
        raise ConfigError("a figure needs a signal table (a DataFrame) or a signals() result")
    if drug is not None:
        key = drug.strip().upper()
        t = t[t["drug"].astype(str).str.upper() == key]
        if t.empty:
            raise ConfigError(f"no row of {key} in the signal table: score it first (signals --drug {key})")
    elif t["drug"].nunique() > 1:
        raise ConfigError(f"the signal table holds {t['drug'].nunique()} drugs: name the one to plot")
    if t.empty:
        raise ConfigError("the signal table is empty: nothing to plot (lower --min-count?)")
    return t.reset_index(drop=True)


def forest_rows(table: Any, drug: str | None = None, *, top: int = 15, sort_by: str = "ic025") -> pd.DataFrame:
    """The ``top`` events of a drug ordered by ``sort_by`` (descending; ties by n, then name):
    the rows a forest plot shows, first row at the top."""
    if sort_by not in SORT_KEYS:
        raise ConfigError(f"sort the forest plot by one of {', '.join(SORT_KEYS)}; got {sort_by!r}")
    t = drug_rows(table, drug)
    t = t.assign(_k=t[sort_by].fillna(-np.inf)).sort_values(["_k", "n", "event"], ascending=[False, False, True],
                                                             kind="mergesort")
    return t.drop(columns="_k").head(max(1, int(top))).reset_index(drop=True)


def _title(table: Any, rows: pd.DataFrame, what: str, title: str | None) -> str:
    """``title``, or ``what: DRUG``; prefixed with the synthetic label when ``table`` is a result
    whose source was synthetic."""
    source = (getattr(table, "metadata", None) or {}).get("source") or {}
    label = f"{SYNTHETIC_LABEL} – " if isinstance(source, dict) and source.get("synthetic") else ""
    return label + (title or f"{what}: {rows['drug'].iloc[0]}")


#: a bar length below zero by at most this share of the values' size is floating-point noise (drawn as 0)
NOISE = 1e-9
#: why a row of a forest panel has no error bar (or no point: the first)
GAPS = ("estimate undefined", "interval undefined", "interval unbounded", "lower limit ≤ 0 on a log axis",
        "estimate outside its interval")


def interval_bars(e: np.ndarray, l: np.ndarray, u: np.ndarray, *, log: bool = False):
    """Error-bar lengths ``(below, above)`` of estimates ``e`` with limits ``l``, ``u``, and each
    row's ``reason`` for having no bar ("" when it has one; else one of :data:`GAPS`).

    ``e − l`` and ``u − e`` are drawn as they are; a length negative by floating-point noise only
    (≥ −(NOISE·max(|e|, |l|, |u|) + 1e-12)) is drawn as 0. Anything else is not an interval the
    plot can show honestly, so the row gets no bar (lengths NaN) and a reason: a NaN limit, an
    infinite one, a lower limit ≤ 0 on a log axis, an estimate outside its interval beyond
    noise (e.g. EBGM rounded outside [EB05, EB95], or limits swapped). A NaN or infinite
    estimate is not drawn at all ("estimate undefined", e.g. ROR with a zero cell)."""
    with np.errstate(invalid="ignore", over="ignore"):
        below, above = e - l, u - e
        tol = NOISE * np.fmax(np.abs(e), np.fmax(np.abs(l), np.abs(u))) + 1e-12
        reason = np.select([~np.isfinite(e), np.isnan(l) | np.isnan(u), np.isinf(l) | np.isinf(u),
                            np.full(len(e), log) & (l <= 0), (below < -tol) | (above < -tol)], GAPS, default="")
    bar = reason == ""
    return np.where(bar, np.clip(below, 0, None), np.nan), np.where(bar, np.clip(above, 0, None), np.nan), reason


def _gap_note(name: str, rows: pd.DataFrame, est: np.ndarray, lo: np.ndarray, hi: np.ndarray,
              reason: np.ndarray) -> list[str]:
    """One line per kind of gap in a panel: which events, and for an estimate outside its
    interval the three values."""
    lines = []
    for why in GAPS:
        idx = np.flatnonzero(reason == why)
        if not len(idx):
            continue
        events = [str(rows["event"].iat[i]) + (f" ({est[i]:.6g} outside {lo[i]:.6g}–{hi[i]:.6g})"
                                               if why == GAPS[-1] else "") for i in idx]
        what = "not shown" if why == GAPS[0] else "drawn without its interval"
        lines.append(f"{name} {what} ({why}): {', '.join(events)}")
    return lines


def forest_figure(table: Any, drug: str | None = None, *, top: int = 15, sort_by: str = "ic025",
                  measures: tuple[str, ...] = ("ror", "ic", "ebgm"), title: str | None = None) -> Figure:
    """Forest plot: one panel per measure (ROR and EBGM on a log axis, line at 1; IC on a
    linear axis, line at 0), one row per event (the :func:`forest_rows`, best at the top,
    labelled with its report count n). Filled markers: the measure's signal flag is set;
    open: not. A row whose interval cannot be drawn (:func:`interval_bars`: NaN, infinite or
    inconsistent limits) is drawn as a point without a bar, an undefined estimate not at all;
    either is listed in a note under the panels, never left out silently."""
    unknown = [m for m in measures if m not in MEASURES]
    if unknown or not measures:
        raise ConfigError(f"forest measures are {', '.join(MEASURES)}; got {', '.join(unknown) or 'none'}")
    rows = forest_rows(table, drug, top=top, sort_by=sort_by)
    k = len(rows)
    pos = np.arange(k)[::-1].astype(float)  # first row at the top
    width = 3.0 + 2.6 * len(measures)
    fig = Figure(figsize=(width, 1.3 + 0.27 * k))
    axes = fig.subplots(1, len(measures), sharey=True, squeeze=False)[0]
    notes: list[str] = []
    for ax, m in zip(axes, measures):
        label, est, lo, hi, flag, log, null = MEASURES[m]
        e, l, u = (rows[c].to_numpy(dtype=float) for c in (est, lo, hi))
        below, above, reason = interval_bars(e, l, u, log=log)
        notes += _gap_note(label.split(" (")[0], rows, e, l, u, reason)
        hit = rows[flag].to_numpy(dtype=bool) if flag in rows else np.zeros(k, dtype=bool)
        ax.axvline(null, color=MUTED, lw=0.8, ls="--", zorder=0)
        for is_hit, face, edge, name in ((True, CURVE_COLOUR, CURVE_COLOUR, "signal"), (False, "white", BAR_COLOUR, "no signal")):
            sel, bare = (hit == is_hit) & (reason == ""), (hit == is_hit) & np.isin(reason, GAPS[1:])
            if sel.any():
                ax.errorbar(e[sel], pos[sel], xerr=[below[sel], above[sel]], fmt="o", ms=4.5, lw=1.1, capsize=2,
                            color=edge, mfc=face, label=name)
            if bare.any():  # a point whose interval is not drawn (see the note)
                ax.plot(e[bare], pos[bare], "o", ms=4.5, color=edge, mfc=face, label=f"{name}, no interval")
        if log:
            ax.set_xscale("log")
            lo_x, hi_x = ax.get_xlim()
            plain_log_axis(ax.xaxis, span=hi_x / lo_x)
        ax.set_title(label, fontsize=9)
        ax.grid(axis="x", color="#E5E5E5", lw=0.6)
        ax.tick_params(axis="y", length=0)
    axes[0].set_yticks(pos, [f"{ev} (n = {n})" for ev, n in zip(rows["event"], rows["n"])])
    axes[0].set_ylim(-0.7, k - 0.3)
    fig.suptitle(_title(table, rows, f"Top {k} events by {sort_by}", title), fontsize=10)
    _add_note(fig, notes, width)
    return fig


def _add_note(fig: Figure, notes: list[str], width: float) -> None:
    """Lay the figure out, with ``notes`` (wrapped to the figure's width) under the panels."""
    if not notes:
        fig.tight_layout()
        return
    text = "\n".join(textwrap.fill(f"Note: {n}", width=int(width * 17), subsequent_indent="  ") for n in notes)
    inches = 0.12 * (text.count("\n") + 1) + 0.06
    w, h = fig.get_size_inches()
    fig.set_size_inches(w, h + inches)
    fig.text(0.01, 0.01, text, ha="left", va="bottom", fontsize=7, color="#444444")
    fig.tight_layout(rect=(0, inches / (h + inches), 1, 1))


def neg_log10_p(rows: pd.DataFrame, p: Literal["auto", "chi2", "fisher"] = "auto") -> tuple[np.ndarray, str]:
    """(−log10 p, which p) for each row. ``chi2``: the plain Pearson χ² p with 1 df from the
    table's ``chi2`` (two-sided test of independence); ``fisher``: the table's one-sided
    Fisher ``fisher_p`` (signals --fisher); ``auto``: Fisher when the table has it."""
    from scipy.stats import chi2 as chi2_dist

    if p not in ("auto", "chi2", "fisher"):
        raise ConfigError(f"the volcano p is chi2, fisher or auto; got {p!r}")
    has_fisher = "fisher_p" in rows and rows["fisher_p"].notna().any()
    if p == "fisher" and not has_fisher:
        raise ConfigError("the signal table has no Fisher p-values: score with --fisher (signals(fisher=True))")
    if p == "fisher" or (p == "auto" and has_fisher):
        fp = rows["fisher_p"].to_numpy(dtype=float)
        return -np.log10(np.clip(fp, np.finfo(float).tiny, 1.0)), "one-sided Fisher exact p"
    x = rows["chi2"].to_numpy(dtype=float)
    return -chi2_dist.logsf(x, 1) / np.log(10), "χ² p (Pearson, 1 df)"


def volcano_figure(table: Any, drug: str | None = None, *, variant: Literal["p", "eb05"] = "p",
                   p: Literal["auto", "chi2", "fisher"] = "auto", label: int = 10, alpha: float = 0.05,
                   eb05_threshold: float = 2.0, title: str | None = None) -> Figure:
    """Volcano plot of every event of a drug. ``variant='p'``: log2 ROR (x) against −log10 p
    (y, :func:`neg_log10_p`), lines at ROR = 1 and p = ``alpha``; ``variant='eb05'``: report
    count n (x, log) against EB05 (y, log), line at ``eb05_threshold`` (the EBGM criterion).
    Red: the row's ROR flag (``p``) or EBGM flag (``eb05``) is set. The ``label`` events
    highest on y are named. Rows with an undefined x or y are left out."""
    if variant not in ("p", "eb05"):
        raise ConfigError(f"the volcano variant is p or eb05; got {variant!r}")
    rows = drug_rows(table, drug)
    if variant == "p":
        y, which = neg_log10_p(rows, p)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.log2(rows["ror"].to_numpy(dtype=float))
        flag, xlabel, ylabel = "flag_ror", "log2 ROR", f"−log10 {which}"
    else:
        x, y = rows["n"].to_numpy(dtype=float), rows["eb05"].to_numpy(dtype=float)
        flag, xlabel, ylabel = "flag_ebgm", "reports with the event (n), log scale", "EB05, log scale"
    ok = np.isfinite(x) & np.isfinite(y) & ((x > 0) & (y > 0) if variant == "eb05" else True)
    hit = rows[flag].to_numpy(dtype=bool) if flag in rows else np.zeros(len(rows), dtype=bool)
    fig = Figure(figsize=(6.4, 4.6))
    ax = fig.add_subplot()
    for sel, colour, name in ((ok & ~hit, BAR_COLOUR, "no signal"), (ok & hit, CURVE_COLOUR, "signal")):
        if sel.any():
            ax.scatter(x[sel], y[sel], s=14, color=colour, alpha=0.8, lw=0, label=f"{name} ({int(sel.sum())})")
    if variant == "p":
        ax.axvline(0.0, color=MUTED, lw=0.8, ls="--")
        ax.axhline(-np.log10(alpha), color=MUTED, lw=0.8, ls=":")
    else:
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain_log_axis(ax.xaxis)
        plain_log_axis(ax.yaxis)
        ax.axhline(eb05_threshold, color=MUTED, lw=0.8, ls=":")
    named = np.flatnonzero(ok)[np.lexsort((rows["event"].to_numpy()[ok], -x[ok], -y[ok]))][: max(0, label)]
    x0, x1 = ax.get_xlim()
    span = (np.log(x1) - np.log(x0)) if variant == "eb05" else (x1 - x0)
    for i in named:  # a label in the right third of the plot goes to the left of its point
        right = ((np.log(x[i]) - np.log(x0)) if variant == "eb05" else (x[i] - x0)) > 0.67 * span
        ax.annotate(str(rows["event"].iat[i]), (x[i], y[i]), xytext=(-3 if right else 3, 3), textcoords="offset points",
                    fontsize=7, ha="right" if right else "left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    what = "Volcano" if variant == "p" else "EB05 against report count"
    ax.set_title(_title(table, rows, f"{what} ({int(ok.sum())} events)", title))
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def forest(table: Any, path: str | Path, drug: str | None = None, *, dpi: int = 150, **kwargs) -> Path:
    """Write :func:`forest_figure` to ``path`` (.png/.svg); returns the path."""
    return draw(partial(forest_figure, table, drug, **kwargs), path, dpi=dpi)


def forest_svg(table: Any, drug: str | None = None, **kwargs) -> str:
    """:func:`forest_figure` as SVG text (labels as escaped text; deterministic)."""
    return draw_svg(partial(forest_figure, table, drug, **kwargs))


def volcano(table: Any, path: str | Path, drug: str | None = None, *, dpi: int = 150, **kwargs) -> Path:
    """Write :func:`volcano_figure` to ``path`` (.png/.svg); returns the path."""
    return draw(partial(volcano_figure, table, drug, **kwargs), path, dpi=dpi)


def volcano_svg(table: Any, drug: str | None = None, **kwargs) -> str:
    """:func:`volcano_figure` as SVG text (labels as escaped text; deterministic)."""
    return draw_svg(partial(volcano_figure, table, drug, **kwargs))
