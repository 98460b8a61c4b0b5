"""Time to onset compared between two drugs (same event) or two events (same drug).

The onsets of each group are those of :func:`~pvsignal.analysis.onset.time_to_onset`
(same day counting, date precision and exclusions; see :mod:`pvsignal.analysis.onset`),
under one case definition. As DiAna does (Fusaroli et al., Clin Pharmacol Ther
2024;115:1255–1265), the two distributions are compared by

* the two-sample **Kolmogorov–Smirnov** test: D = sup_t |F̂₁(t) − F̂₂(t)| over the
  empirical CDFs, two-sided, exact p for small samples (:func:`scipy.stats.ks_2samp`);
* the **log-rank** test, every onset an observed event (no censoring): Z = Σ(O₁ − E₁)/√V
  over the distinct onset days, two-sided p (:func:`scipy.stats.logrank`; Mantel,
  Cancer Chemother Rep 1966;50:163–170). Z > 0: group 1 has its events earlier.

Each group also gets n, median and quartiles (days; numpy type-7 quantiles). A pair
with fewer than 2 onsets in a group has no test (NaN with a note). Onsets of spontaneous
reports are right-truncated (Leroy et al. 2014); both tests compare the reported
distributions, not the true ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from pvsignal.analysis.onset import OnsetResult, time_to_onset
from pvsignal.analysis.population import CaseDefinition
from pvsignal.errors import ConfigError


@dataclass
class OnsetComparison:
    """Two groups' onset summaries (``groups``), the KS and log-rank tests and the inputs."""

    groups: pd.DataFrame
    ks_statistic: float
    ks_p: float
    logrank_z: float
    logrank_p: float
    results: tuple[OnsetResult, OnsetResult] = field(repr=False)
    note: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return self.groups["group"].tolist()

    def to_dict(self) -> dict[str, Any]:
        nz = lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else v  # noqa: E731
        return {"groups": [{k: nz(v) for k, v in r.items()} for r in self.groups.to_dict(orient="records")],
                "kolmogorov_smirnov": {"D": nz(self.ks_statistic), "p": nz(self.ks_p)},
                "logrank": {"z": nz(self.logrank_z), "chi2": nz(self.logrank_z ** 2), "p": nz(self.logrank_p)},
                "note": self.note, "parameters": self.parameters}


def onset_tests(days_1: Sequence[float], days_2: Sequence[float]) -> tuple[float, float, float, float, str | None]:
    """``(D, p_KS, Z, p_logrank, note)`` for two samples of onset days (all observed)."""
    a, b = np.asarray(days_1, dtype=float), np.asarray(days_2, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return math.nan, math.nan, math.nan, math.nan, "a group has fewer than 2 onsets: no test"
    ks = stats.ks_2samp(a, b)
    lr = stats.logrank(stats.CensoredData(uncensored=a), stats.CensoredData(uncensored=b))
    return float(ks.statistic), float(ks.pvalue), float(lr.statistic), float(lr.pvalue), None


def group_row(label: str, r: OnsetResult) -> dict[str, Any]:
    return {"group": label, "drug": r.drug, "event": r.event, "n": r.n, "n_excluded": sum(r.excluded.values()),
            "median_days": r.median_days, "q1_days": r.q1_days, "q3_days": r.q3_days,
            "within_30_days": r.within_30_days}


def compare_results(r1: OnsetResult, r2: OnsetResult, labels: Sequence[str] | None = None,
                    parameters: dict[str, Any] | None = None) -> OnsetComparison:
    """The comparison of two :class:`OnsetResult` s (their ``days``)."""
    labels = list(labels or [_label(r) for r in (r1, r2)])
    d, p_ks, z, p_lr, note = onset_tests(r1.days, r2.days)
    groups = pd.DataFrame([group_row(labels[0], r1), group_row(labels[1], r2)])
    return OnsetComparison(groups, d, p_ks, z, p_lr, (r1, r2), note, parameters or {})


def _label(r: OnsetResult) -> str:
    return f"{r.drug} – {r.event.upper()}" if r.event else r.drug


def compare_onset(con: Any, drug: str, event: str | None = None, *, drug_2: str | None = None,
                  event_2: str | None = None, definition: CaseDefinition | None = None, **kwargs: Any) -> OnsetComparison:
    """Onset of ``drug`` (with ``event``) against ``drug_2`` (same event) or ``event_2`` (same
    drug). Exactly one of ``drug_2``/``event_2``; ``kwargs`` go to
    :func:`~pvsignal.analysis.onset.time_to_onset` (level, allow_month, max_days …)."""
    if (drug_2 is None) == (event_2 is None):
        raise ConfigError("compare with a second drug (drug_2 / --vs-drug) or a second event (event_2 / "
                          "--vs-event), not both and not neither")
    if event_2 is not None and event is None:
        raise ConfigError("comparing two events needs the first one too (--event)")
    r1 = time_to_onset(con, drug, event, definition=definition, **kwargs)
    r2 = time_to_onset(con, drug_2 or drug, event_2 if event_2 is not None else event, definition=definition, **kwargs)
    params = {"compared": "drugs" if drug_2 else "events", "tests": "two-sided KS (scipy ks_2samp); log-rank "
              "without censoring (scipy logrank)", "onset": r1.parameters}
    return compare_results(r1, r2, parameters=params)
