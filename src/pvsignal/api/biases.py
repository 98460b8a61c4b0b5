"""Guards against the biases of spontaneous reports: masking, duplicates, onset compared.

Restricted backgrounds (indication, active comparator, unmasking named drugs) are fields
of the case definition (:func:`pvsignal.api.case_definition`), so every analysis takes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pvsignal.api._common import DEFAULT_LAKE, Progress, _opened, _steps


def unmask_top(result, k: int = 1, *, lake: Any = None, engine: str = "duckdb", spark_master: str = "local[*]"):
    """The top ``k`` masking drugs of each pair of a signals ``result`` (by masking ratio)
    removed, the pairs scored again: measures before → after; see
    :func:`pvsignal.analysis.masking.unmask_top`. ``lake``: the result's lake by default
    (or an open source)."""
    from pvsignal.analysis.masking import unmask_top as _unmask

    lake = lake if lake is not None else result.config.lake
    drop = bool(result.config.case_definition.get("drop_probable_duplicates"))
    with _opened(lake, drop, engine, spark_master) as con:
        return _unmask(con, result, k)


def duplicates_sensitivity(result, *, engine: str = "duckdb", spark_master: str = "local[*]",
                           progress: Progress | None = None):
    """A signals ``result`` run again with the probable-duplicate switch flipped and the two
    compared pair by pair; see :func:`pvsignal.analysis.sensitivity.duplicates_sensitivity`."""
    from pvsignal.analysis.sensitivity import duplicates_sensitivity as _sens

    return _sens(result, engine=engine, spark_master=spark_master, progress=progress)


def onset_compare(drug: str, event: str | None = None, *, drug_2: str | None = None, event_2: str | None = None,
                  lake: Any = DEFAULT_LAKE, definition=None, engine: str = "duckdb", spark_master: str = "local[*]",
                  progress: Progress | None = None, **kwargs):
    """Time to onset of two drugs (same event) or two events (same drug): KS and log-rank tests,
    medians and IQR; see :func:`pvsignal.analysis.onset_compare.compare_onset` (``meddra``/``groups``
    register event groups for ``level``, as :func:`pvsignal.api.onset` does)."""
    from pvsignal.analysis.onset_compare import compare_onset
    from pvsignal.prepare.meddra import register_event_groups

    _steps(progress, 1)(0, f"time to onset: {drug} against {drug_2 or event_2}")
    drop = bool(definition is not None and definition.drop_probable_duplicates)
    meddra, groups = kwargs.pop("meddra", None), kwargs.pop("groups", None)
    with _opened(lake, drop, engine, spark_master) as con:
        register_event_groups(con, kwargs.get("level", "pt"), meddra=meddra, groups=groups)
        return compare_onset(con, drug, event, drug_2=drug_2, event_2=event_2, definition=definition, **kwargs)


def plot_onset_compare(result, path: str | Path, **kwargs) -> Path:
    """Overlaid ECDFs and histograms of a comparison (``path`` .png/.svg); see
    :func:`pvsignal.report.onset_plots.onset_comparison`."""
    from pvsignal.report.onset_plots import onset_comparison

    return onset_comparison(result, path, **kwargs)
