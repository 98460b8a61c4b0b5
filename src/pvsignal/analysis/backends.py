"""Ibis helpers shared by the analyses: the backend behind a connection or an engine,
small existence and distinct-value queries, and staging a table for reuse.

Every analysis takes its data source as a DuckDB connection holding the prepared views,
an :class:`~pvsignal.store.engine.Engine` (DuckDB or Spark) or an Ibis backend, and runs
the same Ibis expressions on any of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ibis
import ibis.expr.types as ir


def backend_of(source: Any) -> ibis.BaseBackend:
    """The Ibis backend of a DuckDB connection, an :class:`~pvsignal.store.engine.Engine`
    or an Ibis backend (given as it is)."""
    import duckdb

    if isinstance(source, duckdb.DuckDBPyConnection):
        return ibis.duckdb.from_connection(source)
    backend = getattr(source, "backend", None)
    if isinstance(backend, ibis.BaseBackend):
        return backend
    if isinstance(source, ibis.BaseBackend):
        return source
    raise TypeError(f"expected a DuckDB connection, an Engine or an Ibis backend; got {type(source).__name__}")


def exists(t: ir.Table) -> bool:
    """Whether ``t`` has a row (one small query)."""
    return bool(t.limit(1).count().execute())


def distinct_values(t: ir.Table, col: str) -> list[str]:
    """The distinct non-null values of ``t[col]`` (candidates for "did you mean")."""
    return t.filter(t[col].notnull()).select(col).distinct()[col].execute().tolist()


#: the table that marks a drug slice (:mod:`~pvsignal.analysis.slices`) and names its drug
SLICE_MARKER = "_pvsignal_slice"


def slice_drug(ib: ibis.BaseBackend) -> str | None:
    """The drug whose cases ``ib`` holds when it is a drug slice, else None (a lake)."""
    if ib.name != "duckdb":  # slices are DuckDB databases
        return None
    if not ib.con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = ?", [SLICE_MARKER]).fetchall():
        return None
    return ib.con.execute(f"SELECT drug FROM {SLICE_MARKER}").fetchall()[0][0]


@contextmanager
def staged(backend: ibis.BaseBackend, expr: ir.Table) -> Iterator[ir.Table]:
    """``expr`` computed once for several queries: a DuckDB temporary table, or a cached
    Spark DataFrame; dropped on leaving the block."""
    name = f"_pvsignal_stage_{uuid.uuid4().hex[:12]}"
    if backend.name == "duckdb":
        backend.create_table(name, expr, temp=True)
        try:
            yield backend.table(name)
        finally:
            backend.con.execute(f"DROP TABLE IF EXISTS {name}")
        return
    backend._run_pre_execute_hooks(expr)  # registers memtables the query uses
    df = backend._session.sql(backend.compile(expr)).cache()
    df.createOrReplaceTempView(name)
    try:
        yield backend.table(name)
    finally:
        backend._session.catalog.dropTempView(name)
        df.unpersist()




@contextmanager
def lake_source(lake: Any, *, engine: Any = "duckdb", spark_master: str = "local[*]",
                drop_probable_duplicates: bool = False) -> Iterator[Any]:
    """The prepared views of ``lake`` for an analysis: a DuckDB connection
    (:func:`~pvsignal.prepare.build.connect`) for ``engine='duckdb'``, else an
    :class:`~pvsignal.store.engine.Engine` (``'spark'`` starts a session on
    ``spark_master``; an open Engine is used as it is). Closed on leaving the block
    (an Engine passed in stays open)."""
    from pvsignal.prepare.build import connect, open_prepared

    if engine == "duckdb":
        con = connect(lake, drop_probable_duplicates=drop_probable_duplicates)
        try:
            yield con
        finally:
            con.close()
        return
    owned = isinstance(engine, str)
    eng = open_prepared(lake, engine=engine, spark_master=spark_master,
                        drop_probable_duplicates=drop_probable_duplicates)
    try:
        yield eng
    finally:
        if owned:
            eng.close()
