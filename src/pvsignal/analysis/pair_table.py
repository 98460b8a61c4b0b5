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

import duckdb
import pandas as pd

from pvsignal.analysis.counts import execute, pair_counts_from_sets
from pvsignal.analysis.population import CaseDefinition, population
from pvsignal.prepare.build import open_prepared
from pvsignal.store.engine import DEFAULT_ENGINE, DEFAULT_SPARK_MASTER, Engine
from pvsignal.prepare.views import PREPARED_VIEWS


def pair_counts_on(eng: Engine, definition: CaseDefinition, min_count: int = 1) -> pd.DataFrame:
    """The count table over the prepared views already registered in ``eng``.

    Rows are sorted by drug, event (byte order of the UTF-8 names on both engines).
    """
    if eng.name == "duckdb":
        drugs, events, strata = population(eng.backend.con, definition)
        expr = pair_counts_from_sets(drugs, events, strata, definition.strata, min_count=min_count)
        return execute(expr).reset_index(drop=True)
    return _on_spark(eng, definition, min_count)


def _on_spark(eng: Engine, definition: CaseDefinition, min_count: int) -> pd.DataFrame:
    """Build the population and count expressions, then run them on Spark.

    :func:`population` binds its expressions to a DuckDB connection; here that
    connection holds only *empty* tables with the schemas of the views registered in
    Spark, so nothing is read by DuckDB. The finished expression is unbound from DuckDB
    (``Table.unbind``: tables by name) and executed by Spark on its own views, so both
    engines run the very same definition. Event-group rows (``pt_groups``, small) are
    copied to Spark when the definition uses them.
    """
    mirror = duckdb.connect()
    try:
        for name in PREPARED_VIEWS:
            empty = eng.backend.table(name).schema().to_pyarrow().empty_table()
            mirror.register(f"_empty_{name}", empty)
            mirror.execute(f"CREATE VIEW {name} AS SELECT * FROM _empty_{name}")
        drugs, events, strata = population(mirror, definition)
        expr = pair_counts_from_sets(drugs, events, strata, definition.strata, min_count=min_count)
        keys = [c for c in ("drug", "event", "stratum_id") if c in expr.columns]
        expr = expr.order_by(keys).unbind()
        if "pt_groups" in mirror.execute("SELECT view_name FROM duckdb_views()").df()["view_name"].tolist():
            groups = mirror.execute("SELECT * FROM pt_groups").df()
            eng.session.createDataFrame(groups).createOrReplaceTempView("pt_groups")
        return eng.backend.execute(expr).reset_index(drop=True)
    finally:
        mirror.close()


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
