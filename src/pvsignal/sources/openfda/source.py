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
"""

from __future__ import annotations

import gc
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from pvsignal.errors import InputFileError
from pvsignal.sources.base import TableOut
from pvsignal.sources.faers.schema import COLUMNS, TABLES, arrow_schema
from pvsignal.sources.openfda.files import InputFile, read_inputs
from pvsignal.sources.openfda.mapping import Rejected, Report, map_report

#: manifest ``format`` of a quarter read from openFDA JSON
FORMAT = "openfda"


@dataclass
class OpenFdaQuarter:
    """The reports of one quarter found in the inputs, and the records that could not land."""

    quarter: str
    reports: list[tuple[str, int, Report]] = field(default_factory=list)  # (file, record number, report)
    issues: list[dict] = field(default_factory=list)  # DEMO-level: rejected and skipped records
    inputs: dict[str, dict] = field(default_factory=dict)  # file label → manifest record
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


def _assign(inputs: Iterable[InputFile]) -> dict[str, OpenFdaQuarter]:
    """Map every report and sort it into its quarter; each document's records are let go once read."""
    units: dict[str, OpenFdaQuarter] = {}
    seen: dict[int, str] = {}
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
                unit.issues.append({"file": f.label, "line": no, "action": "skipped", "raw": str(rec.get("safetyreportid")),
                                    "reason": f"the same report version (primaryid {rep.primaryid}) was read from {seen[rep.primaryid]}"})
                continue
            seen[rep.primaryid] = f"{f.label} record {no}"
            unit.reports.append((f.label, no, rep))
        if home:  # a record with no quarter stays with its file's most common quarter
            units[home.most_common(1)[0][0]].issues.extend(bad)
        else:
            homeless.extend((f, b) for b in bad)
        f.records = []
    if not units:
        first = homeless[0][1]["reason"] if homeless else "no reports"
        raise InputFileError(f"no report in {', '.join(labels)} could be read ({first})")
    fallback = units[max(units, key=lambda q: len(units[q].reports))]
    for f, b in homeless:
        fallback.inputs[f.label] = f.meta
        fallback.issues.append(b)
    return units


def _table(table: str, rows: list[dict], quarter: str) -> pa.Table:
    schema = arrow_schema(table)
    cols = {name: [r.get(name) for r in rows] for name, _ in COLUMNS[table]}
    cols["quarter"] = [quarter] * len(rows)
    cols["era"] = [r["era"] for r in rows]
    return pa.table(cols, schema=schema)


class OpenFdaSource:
    """openFDA drug/event JSON (API responses, bulk files) into the FAERS canonical tables."""

    name = "faers"  # the canonical FAERS tables: prepare and every analysis read them
    tables: tuple[str, ...] = (*TABLES, "deleted")

    def schema(self, table: str) -> pa.Schema:
        return arrow_schema(table)

    def __init__(self) -> None:
        self._found: tuple[tuple[str, ...], list[OpenFdaQuarter]] | None = None

    def discover(self, paths: Sequence[str | Path]) -> list[OpenFdaQuarter]:
        """The quarters of the reports in ``paths`` (read once: ``api.ingest`` checks them, then the store asks again)."""
        key = tuple(str(Path(p).resolve()) for p in paths)
        if self._found is None or self._found[0] != key:
            was = gc.isenabled()
            gc.disable()  # mapping builds millions of small objects too (see files.read_inputs)
            try:
                units = _assign(read_inputs(list(paths)))
            finally:
                if was:
                    gc.enable()
            self._found = (key, sorted(units.values(), key=lambda u: u.quarter))
        return self._found[1]

    def read(self, unit: OpenFdaQuarter, scratch: Path, *, memory_limit: str) -> Iterator[TableOut]:
        rows: dict[str, list[dict]] = defaultdict(list)
        notes: dict[str, list[dict]] = defaultdict(list)
        evidence = 0
        for label, no, rep in unit.reports:
            evidence += rep.prod_ai_from_openfda
            for table, got in rep.rows.items():
                rows[table].extend({**r, "era": rep.era} for r in got)
            for table, found in rep.issues.items():
                notes[table].extend({"file": label, "line": no, "action": a, "reason": f"{rep.primaryid}: {why}", "raw": raw}
                                    for a, why, raw in found)
        notes["demo"] = unit.issues + notes["demo"]
        files = {"files": list(unit.inputs.values())}
        for table in TABLES:
            data = _table(table, rows[table], unit.quarter)
            skipped = sum(i["action"] in ("skipped", "rejected") for i in notes[table])
            yield TableOut.from_arrow(
                table, data, file=", ".join(unit.inputs), lines=data.num_rows + skipped, rows=data.num_rows,
                issues=notes[table], inputs=files if table == "demo" else None,
                meta={"prod_ai_from_openfda": evidence} if table == "drug" else {},
            )
        empty = pa.table({"caseid": pa.array([], pa.int64()), "quarter": pa.array([], pa.string())})
        yield TableOut.from_arrow("deleted", empty, meta={"deleted": 0})
