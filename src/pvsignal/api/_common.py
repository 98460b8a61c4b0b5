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


def resolve_drug(value: str, *, many: bool = False) -> tuple[str, list[str]]:
    """A drug named by the user (brand, synonym, salt form, any case; ``many``: comma-separated)
    → ``(ingredient name(s), notes)``, e.g. ``("voclosporin", ["LUPKYNIS → voclosporin"])``.

    Resolution uses the shipped drug dictionary (:func:`pvsignal.drugnames.names.resolve_one`,
    no fuzzy step). A name that is already an ingredient, or that the dictionary does not
    know, is passed on unchanged (the analysis then says whether the lake has it). A
    combination product expands to its ingredients with ``many``; otherwise it raises
    :class:`~pvsignal.errors.UnknownNameError` asking for one ingredient.
    """
    from pvsignal.drugnames.names import resolve_one
    from pvsignal.errors import UnknownNameError

    out, notes = [], []
    for name in ([x.strip() for x in value.split(",") if x.strip()] if many else [value]):
        r = resolve_one(name)
        if r.note is None:
            out.append(name)
            continue
        if len(r.ingredients) > 1 and not many:
            raise UnknownNameError(f"{name!r} is a combination product ({' + '.join(i.lower() for i in r.ingredients)}): "
                                   "name one of its ingredients")
        out += [i.lower() for i in r.ingredients]
        notes.append(r.note)
    return ",".join(dict.fromkeys(out)), notes
