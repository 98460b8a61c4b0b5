"""openFDA drug/event JSON as a source of the lake (:class:`pvsignal.sources.base.Source`).

openFDA serves FAERS itself, so its reports land in the FAERS canonical tables
(:mod:`pvsignal.sources.faers.schema`) under the lake's ``faers`` folder, where
``prepare`` and every analysis read them; the manifest marks each such quarter
``format: openfda``. Each report goes to the quarter of its latest receipt
(:func:`~pvsignal.sources.openfda.mapping.place`), so one input file may fill several
quarters and one quarter may draw on several files. A report that cannot land is a
``rejected`` issue of DEMO with its reason and JSON text; a second copy of the same
report version (same ``primaryid``) is ``skipped``. openFDA publishes no deletion list:
the ``deleted`` table of an openFDA quarter is empty. An issue's ``line`` is the record's
number (1-based) in its JSON document, ``file`` the document.

Memory: :meth:`OpenFdaSource.discover` streams the documents (:mod:`.files`), maps each
report and keeps its rows only until :data:`SPILL_REPORTS` reports are buffered, then
spills them, by quarter and table, as Arrow IPC files into a private temporary folder
(``TMPDIR``; removed when the source is closed or collected); :meth:`~OpenFdaSource.read`
streams a quarter's spilled batches into its Parquet files. What stays in memory is a
primary id per report (to skip second copies) and the issue notes.
"""

from __future__ import annotations

import gc
import json
import shutil
import tempfile
import weakref
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pvsignal.errors import InputFileError
from pvsignal.sources.base import TableOut
from pvsignal.sources.faers.schema import COLUMNS, TABLES, arrow_schema
from pvsignal.sources.openfda.files import InputFile, read_inputs
from pvsignal.sources.openfda.mapping import Rejected, map_report

#: manifest ``format`` of a quarter read from openFDA JSON
FORMAT = "openfda"
#: reports whose rows are held in memory before they are spilled to disk
SPILL_REPORTS = 5_000


@dataclass
class OpenFdaQuarter:
    """One quarter found in the inputs: its spilled rows, and the notes on records that did not land as written."""

    quarter: str
    parts: dict[str, list[Path]] = field(default_factory=lambda: defaultdict(list))  # table → spilled Arrow files
    rows: Counter[str] = field(default_factory=Counter)  # table → rows spilled
    issues: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))  # table → issues
    inputs: dict[str, dict] = field(default_factory=dict)  # file label → manifest record
    prod_ai_from_openfda: int = 0  # drugs whose prod_ai came from the harmonised ``openfda`` names
    synthetic: bool = False

    @property
    def source(self) -> str:
        return ", ".join(self.inputs)

    @property
    def meta(self) -> dict[str, Any]:
        era = "aers" if (int(self.quarter[:4]), int(self.quarter[-1])) <= (2012, 3) else "faers"
        return {"era": era, "format": FORMAT}


def _raw(rec: Any) -> str:
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"), default=str)


def _table(table: str, rows: list[dict], quarter: str) -> pa.Table:
    schema = arrow_schema(table)
    cols = {name: [r.get(name) for r in rows] for name, _ in COLUMNS[table]}
    cols["quarter"] = [quarter] * len(rows)
    cols["era"] = [r["era"] for r in rows]
    return pa.table(cols, schema=schema)


class _Spill:
    """Mapped rows buffered by quarter and table, written out as Arrow IPC files every ``limit`` reports."""

    def __init__(self, folder: Path, units: dict[str, OpenFdaQuarter], limit: int):
        self.folder, self.units, self.limit = folder, units, limit
        self.buffer: dict[tuple[str, str], list[dict]] = defaultdict(list)
        self.held = 0
        self.written = 0

    def add(self, quarter: str, era: str, rows: dict[str, list[dict]]) -> None:
        for table, got in rows.items():
            self.buffer[quarter, table].extend({**r, "era": era} for r in got)
        self.held += 1
        if self.held >= self.limit:
            self.flush()

    def flush(self) -> None:
        for (quarter, table), rows in self.buffer.items():
            if not rows:
                continue
            data = _table(table, rows, quarter)
            path = self.folder / f"{quarter}-{table}-{self.written:06d}.arrow"
            self.written += 1
            with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, data.schema) as writer:
                writer.write_table(data)
            self.units[quarter].parts[table].append(path)
            self.units[quarter].rows[table] += data.num_rows
        self.buffer.clear()
        self.held = 0


def _assign(inputs: Iterable[InputFile], spill: _Spill) -> dict[str, OpenFdaQuarter]:
    """Map every report, note it in its quarter and spill its rows; documents are streamed."""
    units = spill.units
    seen: dict[int, int] = {}  # primaryid → (document index << 32) | record number
    homeless: list[tuple[InputFile, dict]] = []
    labels: list[str] = []
    for f in inputs:
        labels.append(f.label)
        bad: list[dict] = []
        home: Counter[str] = Counter()
        for no, rec in enumerate(f.records, start=1):
            try:
                rep = map_report(rec)
            except Rejected as exc:
                bad.append({"file": f.label, "line": no, "reason": str(exc), "action": "rejected", "raw": _raw(rec)})
                continue
            unit = units.setdefault(rep.quarter, OpenFdaQuarter(rep.quarter))
            unit.inputs[f.label] = f.meta
            home[rep.quarter] += 1
            if rep.primaryid in seen:
                where = seen[rep.primaryid]
                unit.issues["demo"].append({
                    "file": f.label, "line": no, "action": "skipped", "raw": str(rec.get("safetyreportid")),
                    "reason": f"the same report version (primaryid {rep.primaryid}) was read from "
                              f"{labels[where >> 32]} record {where & 0xFFFFFFFF}"})
                continue
            seen[rep.primaryid] = (len(labels) - 1) << 32 | no
            unit.prod_ai_from_openfda += rep.prod_ai_from_openfda
            for table, found in rep.issues.items():
                unit.issues[table].extend({"file": f.label, "line": no, "action": a, "reason": f"{rep.primaryid}: {why}",
                                           "raw": raw} for a, why, raw in found)
            spill.add(rep.quarter, rep.era, rep.rows)
        if home:  # a record with no quarter stays with its file's most common quarter
            units[home.most_common(1)[0][0]].issues["demo"].extend(bad)
        else:
            homeless.extend((f, b) for b in bad)
    spill.flush()
    if not units:
        first = homeless[0][1]["reason"] if homeless else "no reports"
        raise InputFileError(f"no report in {', '.join(labels)} could be read ({first})")
    fallback = units[max(units, key=lambda q: units[q].rows["demo"])]
    for f, b in homeless:
        fallback.inputs[f.label] = f.meta
        fallback.issues["demo"].append(b)
    for unit in units.values():  # rejected and skipped records first, then the notes of landed ones, by position
        unit.issues["demo"].sort(key=lambda i: i["action"] not in ("rejected", "skipped"))
    return units


def _write_parts(parts: list[Path], schema: pa.Schema, path: Path) -> None:
    """Stream spilled Arrow files into one Parquet file (zstd), a batch at a time."""
    with pq.ParquetWriter(path, schema, compression="zstd") as out:
        if not parts:
            out.write_table(schema.empty_table())
        for part in parts:
            with pa.memory_map(str(part)) as src:
                reader = pa.ipc.open_file(src)
                for i in range(reader.num_record_batches):
                    out.write_batch(reader.get_batch(i))


class OpenFdaSource:
    """openFDA drug/event JSON (API responses, bulk files) into the FAERS canonical tables."""

    name = "faers"  # the canonical FAERS tables: prepare and every analysis read them
    tables: tuple[str, ...] = (*TABLES, "deleted")

    def schema(self, table: str) -> pa.Schema:
        return arrow_schema(table)

    def __init__(self, *, spill_reports: int = SPILL_REPORTS) -> None:
        self._found: tuple[tuple[str, ...], list[OpenFdaQuarter]] | None = None
        self._spill_reports = spill_reports
        self._folder: Path | None = None
        self._cleanup: weakref.finalize | None = None

    def close(self) -> None:
        """Remove the spilled rows (also done when the source is collected, or at exit)."""
        if self._cleanup is not None:
            self._cleanup()
        self._found = None

    def discover(self, paths: Sequence[str | Path]) -> list[OpenFdaQuarter]:
        """The quarters of the reports in ``paths`` (read once: ``api.ingest`` checks them, then the store asks again)."""
        key = tuple(str(Path(p).resolve()) for p in paths)
        if self._found is None or self._found[0] != key:
            self.close()
            self._folder = Path(tempfile.mkdtemp(prefix="pvsignal-openfda-"))
            self._cleanup = weakref.finalize(self, shutil.rmtree, self._folder, True)
            units: dict[str, OpenFdaQuarter] = {}
            was = gc.isenabled()
            gc.disable()  # millions of small objects: collection after collection otherwise (measured 2.5×)
            try:
                _assign(read_inputs(list(paths)), _Spill(self._folder, units, self._spill_reports))
            except BaseException:
                self.close()
                raise
            finally:
                if was:
                    gc.enable()
            self._found = (key, sorted(units.values(), key=lambda u: u.quarter))
        return self._found[1]

    def read(self, unit: OpenFdaQuarter, scratch: Path, *, memory_limit: str) -> Iterator[TableOut]:
        files = {"files": list(unit.inputs.values())}
        for table in TABLES:
            notes = unit.issues.get(table, [])
            skipped = sum(i["action"] in ("skipped", "rejected") for i in notes)
            rows = unit.rows[table]

            def write(path: Path, parts: list[Path] = unit.parts.get(table, []), schema: pa.Schema = self.schema(table)) -> None:
                _write_parts(parts, schema, path)

            yield TableOut(
                table, write, file=", ".join(unit.inputs), lines=rows + skipped, rows=rows,
                issues=notes, inputs=files if table == "demo" else None,
                meta={"prod_ai_from_openfda": unit.prod_ai_from_openfda} if table == "drug" else {},
            )
        empty = pa.table({"caseid": pa.array([], pa.int64()), "quarter": pa.array([], pa.string())})
        yield TableOut.from_arrow("deleted", empty, meta={"deleted": 0})
