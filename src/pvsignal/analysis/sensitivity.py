"""Sensitivity analyses: the same signal analysis under a changed case definition, side by side.

:func:`duplicates_sensitivity` runs the analysis again with the probable duplicates
left out (or kept, when the main run left them out) — FAERS holds the same case sent by
several reporters, which inflates n (Hauben et al., Drug Saf 2007;30:911–924;
READUS-PV item "sensitivity analyses") — and :func:`compare_runs` lines the two
results up pair by pair: n, ROR, IC025, EB05 and the signal status in each run, and
whether the pair's signal ``appears``, ``disappears``, is ``kept`` or is ``none`` in the
second run. A pair is a signal when any method flags it (ROR, PRR, IC or EBGM, with the
thresholds of the run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from pvsignal.analysis.signals import SignalResult, signals

FLAGS = ("flag_ror", "flag_prr", "flag_ic", "flag_ebgm")
SHOWN = ("n", "ror", "ror_lower", "ic025", "eb05")
CHANGES = ("appears", "disappears", "kept", "none")


def signal_change(before: pd.DataFrame, after: pd.DataFrame) -> np.ndarray:
    """Per row: ``appears`` (no flag before, a flag after), ``disappears``, ``kept`` or
    ``none``; ``before``/``after`` hold boolean flag columns (missing = not flagged)."""
    b = before.fillna(False).astype(bool).any(axis=1).to_numpy()
    a = after.fillna(False).astype(bool).any(axis=1).to_numpy()
    return np.select([~b & a, b & ~a, b & a], list(CHANGES[:3]), default="none")


def compare_runs(main: pd.DataFrame, other: pd.DataFrame, labels: Sequence[str] = ("main", "sensitivity")) -> pd.DataFrame:
    """Pair-by-pair comparison of two signal tables (outer join on drug, event).

    Columns: ``drug, event``, then for each run ``n_<label>``, ``ror_<label>`` …,
    ``signal_<label>`` (any flag), and ``change`` (:func:`signal_change`, main → other).
    Sorted: changes first (appears, disappears), then by n in the main run.
    """
    la, lb = labels
    cols = [c for c in (*SHOWN, *FLAGS) if c in main.columns]
    t = main[["drug", "event", *cols]].merge(other[["drug", "event", *cols]], on=["drug", "event"], how="outer",
                                           suffixes=(f"_{la}", f"_{lb}"))
    fa, fb = t[[f"{f}_{la}" for f in FLAGS]], t[[f"{f}_{lb}" for f in FLAGS]]
    t["change"] = signal_change(fa, fb)
    t[f"signal_{la}"] = fa.fillna(False).astype(bool).any(axis=1)
    t[f"signal_{lb}"] = fb.fillna(False).astype(bool).any(axis=1)
    t = t.drop(columns=[*fa.columns, *fb.columns])
    order = pd.Categorical(t["change"], categories=CHANGES, ordered=True)
    t = t.assign(_o=order.codes).sort_values(["_o", f"n_{la}", "drug", "event"], ascending=[True, False, True, True],
                                             na_position="last")
    return t.drop(columns="_o").reset_index(drop=True)


@dataclass
class SensitivityResult:
    """Two runs and their comparison (``table``); ``labels`` name the runs."""

    table: pd.DataFrame
    main: SignalResult
    other: SignalResult
    labels: tuple[str, str]
    parameters: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        """How many pairs' signals appear, disappear, are kept, in the second run."""
        counts = self.table["change"].value_counts()
        return {c: int(counts.get(c, 0)) for c in CHANGES[:3]}


def duplicates_sensitivity(main: SignalResult, *, engine: str = "duckdb", spark_master: str = "local[*]",
                           **kwargs: Any) -> SensitivityResult:
    """``main`` (a lake result) again with the probable-duplicate switch flipped, compared.

    ``kwargs`` go to :func:`~pvsignal.analysis.signals.signals` (e.g. ``progress``).
    The second run uses the same configuration (drug/event selection, min count,
    thresholds; its own MGPS fit).
    """
    cfg = main.config
    definition = cfg.definition()
    flipped = definition.replace(drop_probable_duplicates=not definition.drop_probable_duplicates)
    other = signals(config=cfg, definition=flipped, engine=engine, spark_master=spark_master, **kwargs)
    labels = ("dropped", "kept") if definition.drop_probable_duplicates else ("kept", "dropped")
    table = compare_runs(main.table, other.table, labels=labels)
    params = {"main": f"probable duplicates {labels[0]}", "sensitivity": f"probable duplicates {labels[1]}",
              "lake": str(Path(cfg.lake)) if cfg.lake else None}
    return SensitivityResult(table, main, other, labels, params)
