"""The drug–event count table of a lake on a chosen engine (DuckDB or Spark).

:func:`pair_table` runs the case definition (:func:`~pvsignal.analysis.population.population`)
and the pair-count query (:func:`~pvsignal.analysis.counts.pair_counts_from_sets`) — the
same Ibis expressions on either engine — inside the engine, and brings back only the
count table (one row per reported pair: ``drug, event, n, n_drug, n_event, n_total, a,
b, c, d, expected`` [+ ``expected_crude`` with strata]) for the numpy statistics on the
driver. With Spark the report-level sets never leave the executors.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pvsignal.analysis.comparator import definition_counts
from pvsignal.analysis.counts import execute
from pvsignal.analysis.population import CaseDefinition
from pvsignal.prepare.build import open_prepared
from pvsignal.store.engine import DEFAULT_ENGINE, DEFAULT_SPARK_MASTER, Engine


def pair_counts_on(eng: Engine, definition: CaseDefinition, min_count: int = 1) -> pd.DataFrame:
    """The count table over the prepared views already registered in ``eng``.

    The population (:func:`~pvsignal.analysis.population.population`) and the count
    query are built on the engine's own Ibis backend and run there; only the count
    table comes back. Rows are sorted by drug, event (byte order of the UTF-8 names on
    both engines).
    """
    return execute(definition_counts(eng, definition, min_count)).reset_index(drop=True)


def pair_table(
    lake: str | Path,
    definition: CaseDefinition | None = None,
    engine: str | Engine = DEFAULT_ENGINE,
    spark_master: str = DEFAULT_SPARK_MASTER,
    min_count: int = 1,
) -> pd.DataFrame:
    """Pair counts, margins, 2×2 cells and expected counts of ``lake`` under ``definition``.

    ``engine``: ``duckdb`` (default), ``spark`` (a session on ``spark_master`` is
    started for the call and stopped after it; ``local[*]`` uses every local core,
    ``spark://host:7077`` a standalone cluster) or an open
    :class:`~pvsignal.store.engine.Engine` (kept open). The prepared tables are built
    first, on the same engine, when missing or stale. Margins cover every pair;
    ``min_count`` only drops rows with ``n < min_count``. Columns as
    :func:`~pvsignal.analysis.counts.pair_counts`.
    """
    definition = definition or CaseDefinition()
    owned = not isinstance(engine, Engine)
    eng = open_prepared(
        lake, engine=engine, spark_master=spark_master,
        drop_probable_duplicates=definition.drop_probable_duplicates,
    )
    try:
        return pair_counts_on(eng, definition, min_count)
    finally:
        if owned:
            eng.close()
