"""What every api module shares: the default lake, progress steps, opening a lake, writing tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


#: the default lake folder (:data:`pvsignal.store.lake.DEFAULT_LAKE`; not imported here: it loads DuckDB)
DEFAULT_LAKE = Path("pvsignal-lake")

Progress = Callable[[int, int, str], None]


def _steps(progress: Progress | None, total: int) -> Callable[[int, str], None]:
    """``step(i, label)`` → ``progress(i, total, label)`` (a no-op without ``progress``)."""
    return (lambda i, label: progress(i, total, label)) if progress else (lambda i, label: None)


@contextmanager
def _opened(lake: Any, drop_probable_duplicates: bool = False, engine: Any = "duckdb",
            spark_master: str = "local[*]") -> Iterator[Any]:
    """The prepared views: ``lake`` if already open (connection, Engine, Ibis backend), else opened
    (and closed) on the folder: a DuckDB connection, or an Engine for ``engine='spark'``."""
    if hasattr(lake, "execute") or hasattr(lake, "backend"):
        yield lake
        return
    from pvsignal.analysis.backends import lake_source

    with lake_source(lake, engine=engine, spark_master=spark_master,
                     drop_probable_duplicates=drop_probable_duplicates) as src:
        yield src


def write_table(df: "pd.DataFrame", path: str | Path, *, metadata: dict | None = None, sheets: dict | None = None,
                filters: bool = False) -> Path:
    """Write a result table (.csv, .parquet or .xlsx; + .json sidecar); see :func:`pvsignal.report.export.write_table`."""
    from pvsignal.report.export import write_table as _write

    return _write(df, path, metadata=metadata, sheets=sheets, filters=filters)
