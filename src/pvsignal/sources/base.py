"""What a source of reports hands the store: the contract every source implements.

A *source* (FAERS quarterly files today; openFDA JSON or E2B XML tomorrow) knows how to
find its inputs, which tables it produces with which Arrow schema, and how to read one
quarter of input into those tables. The store (:func:`pvsignal.store.ingest.ingest`)
knows nothing else about it: it lays the tables out as
``LAKE/<source.name>/<table>/quarter=<Q>/part-<id>.parquet``, records the inputs, counts
and issues in the manifest, and writes every issue to the quarter's rejects table.

An *issue* is one input line that did not land exactly as written: a dict with ``line``
(1-based), ``reason``, ``action`` (``rejected`` — not landed, ``repaired``, ``nulled``,
``kept`` or ``skipped``) and ``raw`` (the line's text).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq


class Unit(Protocol):
    """One quarter's inputs as a source's :meth:`Source.discover` found them."""

    quarter: str  # e.g. '2024Q1'
    source: str  # where the inputs were found (a path), for messages and the manifest
    synthetic: bool  # built by pvsignal synth (recorded, shown in every output)

    @property
    def meta(self) -> dict[str, Any]:
        """Extra manifest fields of the quarter (e.g. FAERS ``era``)."""
        ...


@dataclass
class TableOut:
    """One table of one quarter, ready to land.

    ``write(path)`` writes its rows as one Parquet file whose columns are
    ``Source.schema(table)`` (``quarter`` included); the store calls it once, before it
    asks the reader for the next table. ``lines``/``rows`` are input lines read and rows
    landed (``None``: not counted, e.g. a side list); ``inputs`` the manifest record of
    the input file (name, bytes, sha256); ``meta`` extra manifest fields of the quarter.
    """

    table: str
    write: Callable[[Path], None]
    file: str = ""
    lines: int | None = None
    rows: int | None = None
    issues: list[dict] = field(default_factory=list)
    inputs: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_arrow(cls, table: str, data: pa.Table, **kwargs: Any) -> TableOut:
        """A table held in memory as Arrow (written with zstd compression)."""
        return cls(table, lambda path: pq.write_table(data, path, compression="zstd"), **kwargs)


class Source(Protocol):
    """A kind of input the lake can hold, beside the others."""

    #: folder of the lake that holds this source's tables (lower-case, no separator)
    name: str
    #: tables each quarter holds, in the order :meth:`read` yields them
    tables: Sequence[str]

    def schema(self, table: str) -> pa.Schema:
        """Arrow schema of one lake table's files, ``quarter`` (string) included."""
        ...

    def discover(self, paths: Sequence[str | Path]) -> Sequence[Unit]:
        """The quarters in ``paths``, sorted; raise an ``InputFileError`` before anything is written."""
        ...

    def read(self, unit: Unit, scratch: Path, *, memory_limit: str) -> Iterator[TableOut]:
        """Read one quarter, one :class:`TableOut` per table of :attr:`tables`.

        ``scratch`` is a private folder for temporary files (removed by the store);
        ``memory_limit`` the memory the reader may use (DuckDB syntax, e.g. ``'4GB'``).
        """
        ...
