"""Query engines over the lake: DuckDB (embedded default) or Apache Spark (PySpark).

Every set query of pvsignal is an Ibis expression; an :class:`Engine` holds the Ibis
backend that runs it and knows how to read the lake's Parquet files into named tables
and write results back as Parquet. The same expression gives the same rows on either
engine (``tests/spark`` checks this on a generated lake).

* ``duckdb`` — an in-process DuckDB database (``:memory:`` unless told otherwise).
* ``spark`` — a ``SparkSession`` on ``spark_master`` (default ``local[*]``: all local
  cores). A local session gets settings sized for a small machine (see
  :data:`LOCAL_SPARK_CONF`); a cluster master (``spark://…``, ``yarn``, ``k8s://…``)
  gets only the settings pvsignal needs for identical answers (UTC session time
  zone, Arrow transfer) and otherwise the cluster's own ``spark-defaults.conf``. The
  lake path must then be readable and writable by every executor (a shared file
  system). Needs ``pip install 'pvsignal[spark]'`` and Java 17 or 21.

An engine that this module started is stopped by :meth:`Engine.close` (or on leaving
a ``with`` block); a Spark session passed in by the caller, or already running in
this process (``getOrCreate`` reuses it, with its master), is left running.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from pvsignal.errors import ConfigError, LakeError
from pvsignal.store.lake import Lake, sql_list

ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
DEFAULT_SPARK_MASTER = "local[*]"

#: Settings every Spark session gets (results must not depend on the machine's clock).
SPARK_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.parquet.compression.codec": "zstd",
}

#: Extra settings of a local session (``local``/``local[n]``/``local[*]``): no web UI,
#: loopback only, few shuffle partitions (adaptive execution merges small ones), and a
#: driver heap large enough for a 20 M-report lake. Driver memory only takes effect
#: when this process starts the JVM (the first session).
LOCAL_SPARK_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.shuffle.partitions": "16",
    "spark.default.parallelism": "4",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.driver.memory": "4g",
}


def check_engine(engine: str) -> str:
    """``engine`` lower-cased, or a :class:`ConfigError` naming the choices."""
    name = str(engine).lower()
    if name not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    return name


def java_available() -> bool:
    """True when a ``java`` executable is on ``JAVA_HOME`` or ``PATH``."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


def _spark_session(master: str, conf: Mapping[str, str] | None, app_name: str) -> tuple[Any, bool]:
    """A session on ``master`` and whether it is new (a running one is reused, not owned)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ConfigError(
            "the spark engine needs PySpark: pip install 'pvsignal[spark]' (ibis-framework[pyspark])"
        ) from exc
    if not java_available():
        raise ConfigError("the spark engine needs Java 17 or 21 on PATH (or JAVA_HOME); none was found")
    settings = dict(SPARK_CONF)
    if master.startswith("local"):
        settings.update(LOCAL_SPARK_CONF)
    settings.update(conf or {})
    running = SparkSession.getActiveSession()
    builder = SparkSession.builder.master(master).appName(app_name)
    for k, v in settings.items():
        builder = builder.config(k, v)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    for k, v in settings.items():  # a session reused by getOrCreate keeps its old SQL settings
        if k.startswith("spark.sql."):
            session.conf.set(k, v)
    return session, running is None or session is not running


def _spark_literal_split() -> None:
    """Make Ibis' ``StringValue.split`` split on the literal delimiter on Spark too.

    Ibis 12 compiles ``split`` to Spark's ``split(str, regex)``, whose second argument
    is a Java regular expression (Spark SQL reference, ``split``): a delimiter such as
    the ``\\`` between FAERS ``prod_ai`` ingredients is then an invalid pattern and
    ``.`` or ``|`` would split everywhere. DuckDB's ``string_split`` is literal. Quoting
    the delimiter as ``\\Q…\\E`` gives Spark the literal meaning (applied once).
    """
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    if getattr(PySparkCompiler, "_pvsignal_literal_split", False):
        return

    def visit_StringSplit(self, op, *, arg, delimiter):
        return self.f.split(arg, self.f.concat(_sql_string("\\Q"), delimiter, _sql_string("\\E")))

    PySparkCompiler.visit_StringSplit = visit_StringSplit
    PySparkCompiler._pvsignal_literal_split = True


def _sql_string(value: str):
    """A SQL string literal node (SQLGlot) for compiler rules."""
    import sqlglot.expressions as sge

    return sge.convert(value)


@dataclass
class Engine:
    """An Ibis backend on DuckDB or Spark, with lake-aware read and write helpers.

    Use :func:`open_engine` to make one. ``backend`` runs Ibis expressions;
    ``session`` is the ``SparkSession`` (``None`` for DuckDB).
    """

    name: str
    backend: ibis.BaseBackend
    session: Any = None
    owns: bool = True
    _closed: bool = field(default=False, repr=False)

    # -- life cycle -------------------------------------------------------------
    def close(self) -> None:
        """Stop what this engine started (a caller's Spark session is left running)."""
        if self._closed:
            return
        self._closed = True
        if self.name == "spark":
            if self.owns:
                self.session.stop()
        else:
            self.backend.disconnect()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading ----------------------------------------------------------------
    def read_parquet(self, name: str, files: Sequence[str | Path]) -> ir.Table:
        """Register the listed Parquet files as table (view) ``name`` and return it."""
        paths = [str(p) for p in files]
        if not paths:
            raise LakeError(f"no Parquet files to read for {name}")
        if self.name == "spark":
            self.session.read.parquet(*paths).createOrReplaceTempView(name)
            return self.backend.table(name)
        self.backend.raw_sql(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({sql_list(paths)})")
        return self.backend.table(name)

    def view(self, name: str, expr: ir.Table) -> ir.Table:
        """Register ``expr`` as a (temporary) view ``name`` and return it."""
        return self.backend.create_view(name, expr, overwrite=True)

    def dataframe(self, expr: ir.Table):
        """The Spark DataFrame of an Ibis expression (Spark only)."""
        self.backend._run_pre_execute_hooks(expr)  # registers memtables the query uses
        return self.session.sql(self.backend.compile(expr))

    # -- writing ----------------------------------------------------------------
    def write_parquet(self, expr: ir.Table, path: str | Path, *, scratch: Path) -> None:
        """Write ``expr`` to the single Parquet file ``path`` (zstd).

        DuckDB writes the file directly. Spark's executors write part files under
        ``scratch``; the driver then streams them, batch by batch, into ``path`` (the
        lake lists one file per prepared table), so memory stays bounded.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.name != "spark":
            self.backend.to_parquet(expr, str(path), compression="zstd")
            return
        import pyarrow.parquet as pq

        tmp = scratch / f"{path.stem}-{uuid.uuid4().hex[:8]}"
        self.dataframe(expr).write.mode("overwrite").parquet(str(tmp))
        parts = sorted(tmp.glob("part-*.parquet"))
        schema = None
        for p in parts:
            schema = pq.read_schema(p)
            break
        if schema is None:  # no part written: the expression's schema, no rows
            pq.write_table(expr.schema().to_pyarrow().empty_table(), path, compression="zstd")
        else:
            with pq.ParquetWriter(path, schema, compression="zstd") as writer:
                for p in parts:
                    f = pq.ParquetFile(p)
                    for i in range(f.num_row_groups):
                        writer.write_table(f.read_row_group(i).cast(schema))
        shutil.rmtree(tmp, ignore_errors=True)

    def stage(self, name: str, expr: ir.Table, *, scratch: Path) -> ir.Table:
        """Materialise ``expr`` once for reuse: a DuckDB temporary table, or for Spark
        a Parquet copy under ``scratch`` read back (cuts the query plan; no recomputation).
        """
        if self.name != "spark":
            return self.backend.create_table(name, expr, temp=True)
        tmp = scratch / f"stage-{name}-{uuid.uuid4().hex[:8]}"
        self.dataframe(expr).write.mode("overwrite").parquet(str(tmp))
        self.session.read.parquet(str(tmp)).createOrReplaceTempView(name)
        return self.backend.table(name)


def default_memory_limit() -> str:
    """DuckDB memory cap: ``PVSIGNAL_DUCKDB_MEMORY`` if set, else 30 % of RAM, at most 6 GB.

    DuckDB's own default (80 % of RAM) lets a large deduplication take most of a laptop;
    past the cap it spills to disk instead (measured: no slower at 5 M reports).
    """
    env = os.environ.get("PVSIGNAL_DUCKDB_MEMORY")
    if env:
        return env
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not on POSIX
        return "6GB"
    return f"{max(1, min(6, int(ram * 0.3 / 2**30)))}GB"


def open_engine(
    engine: str = DEFAULT_ENGINE,
    *,
    spark_master: str = DEFAULT_SPARK_MASTER,
    spark_conf: Mapping[str, str] | None = None,
    spark_session: Any = None,
    database: str = ":memory:",
    duckdb_config: Mapping[str, str] | None = None,
    app_name: str = "pvsignal",
) -> Engine:
    """Start an engine: ``duckdb`` (``database`` file or memory) or ``spark``.

    ``duckdb_config`` sets DuckDB options, e.g. ``{"memory_limit": "6GB",
    "temp_directory": "/fast/disk/tmp"}`` to cap memory (DuckDB spills what does not
    fit; pvsignal's default cap is :func:`default_memory_limit`).

    For Spark, pass ``spark_session`` to reuse a running session (it is not stopped on
    close), or ``spark_master`` (``local[*]``, ``local[2]``, ``spark://host:7077``,
    ``yarn`` …) and optional ``spark_conf`` overrides to start one.
    """
    name = check_engine(engine)
    if name == "duckdb":
        config = {"memory_limit": default_memory_limit(), **dict(duckdb_config or {})}
        return Engine("duckdb", ibis.duckdb.connect(database, **config))
    if spark_session is not None:
        session, owns = spark_session, False
    else:
        session, owns = _spark_session(spark_master, spark_conf, app_name)
    try:
        _spark_literal_split()
        backend = ibis.pyspark.connect(session)
    except Exception:
        if owns:
            session.stop()
        raise
    return Engine("spark", backend, session=session, owns=owns)


@contextmanager
def engine_session(engine: str = DEFAULT_ENGINE, **kwargs: Any) -> Iterator[Engine]:
    """``with engine_session('spark') as eng: ...`` — :func:`open_engine`, closed on exit."""
    eng = open_engine(engine, **kwargs)
    try:
        yield eng
    finally:
        eng.close()


# --------------------------------------------------------------------------- lake tables

def register_raw(eng: Engine, lake: Lake | str | Path, tables: Sequence[str] | None = None) -> dict[str, ir.Table]:
    """Tables ``raw_<table>`` over the lake's live files (all quarters), by table name.

    ``tables``: the primary source's tables to register (default: all but ``rejects``).
    """
    lake = lake if isinstance(lake, Lake) else Lake(Path(lake))
    lake.require()
    if tables is None:
        tables = [t for t in lake.tables() if t != "rejects"]
    out = {}
    for t in tables:
        files = lake.files(t)
        if files:
            out[t] = eng.read_parquet(f"raw_{t}", files)
    return out
