"""A second source lands beside FAERS: the store takes any source object and knows none.

The toy source below (an openFDA stand-in: one ``events`` table read from
``toy_<quarter>.csv`` files) is defined here only; nothing in ``pvsignal.store`` was
written for it.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from pvsignal import api
from pvsignal.errors import InputFileError
from pvsignal.sources.base import TableOut
from pvsignal.store.ingest import ingest
from pvsignal.store.lake import Lake, raw_views

from faers_text import demo_b, drug_b

STORE = Path(__file__).resolve().parents[2] / "src" / "pvsignal" / "store"


class ToyUnit:
    def __init__(self, quarter: str, path: Path):
        self.quarter, self.path, self.source, self.synthetic = quarter, path, str(path.parent), False

    @property
    def meta(self) -> dict:
        return {"format": "toy-csv"}


class ToySource:
    """Lines ``id,term``; a line whose id is not a number is rejected."""

    name = "toy"
    tables = ("events",)
    SCHEMA = pa.schema([("id", pa.int64()), ("term", pa.string()), ("quarter", pa.string())])

    def schema(self, table):
        return self.SCHEMA

    def discover(self, paths):
        units = [ToyUnit(Path(p).stem.split("_")[1], Path(p)) for p in paths]
        if not units:
            raise InputFileError("no toy files")
        return sorted(units, key=lambda u: u.quarter)

    def read(self, unit, scratch, *, memory_limit):
        ids, terms, issues = [], [], []
        lines = unit.path.read_text().splitlines()
        for no, line in enumerate(lines, start=1):
            key, _, term = line.partition(",")
            if key.isdigit():
                ids.append(int(key))
                terms.append(term)
            else:
                issues.append({"line": no, "reason": "id is not a number", "action": "rejected", "raw": line})
        data = pa.table({"id": ids, "term": terms, "quarter": [unit.quarter] * len(ids)}, schema=self.SCHEMA)
        yield TableOut.from_arrow("events", data, file=unit.path.name, lines=len(lines), rows=len(ids),
                                  issues=issues, inputs={"name": unit.path.name})


class WrongSchema(ToySource):
    def schema(self, table):
        return pa.schema([("id", pa.string()), ("term", pa.string()), ("quarter", pa.string())])


def _toy(tmp_path: Path, quarter: str, text: str) -> Path:
    p = tmp_path / f"toy_{quarter}.csv"
    p.write_text(text)
    return p


def test_store_imports_no_source_in_particular():
    for path in STORE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("pvsignal.sources.faers"), f"{path.name}: {node.module}"


def test_a_second_source_ingests_beside_faers(write_quarter, tmp_path):
    lake = tmp_path / "lake"
    faers = write_quarter("2024Q1", {"DEMO": [demo_b(1, 1, 1, "20240110")],
                                     "DRUG": [drug_b(1, 1, 1, "PS", "ASPIRIN", "ASPIRIN")]})
    api.ingest([faers], lake=lake)
    prepared = Lake(lake).manifest()["prepared"]
    assert prepared is not None

    rep = ingest([_toy(tmp_path, "2024Q1", "1,HEADACHE\nx,NAUSEA\n2,RASH\n")], lake, source=ToySource())
    q = rep.quarters[0]
    assert (q.lines, q.rows, q.issues, q.meta) == (
        {"events": 3}, {"events": 2}, {"events": {"rejected": 1}}, {"format": "toy-csv"})

    m = Lake(lake).manifest()
    assert sorted(m["quarters"]) == ["2024Q1"]  # FAERS' own entry, untouched
    assert m["prepared"] == prepared  # the FAERS prepared tables stay current
    toy = m["sources"]["toy"]["quarters"]["2024Q1"]
    assert toy["files"] == {"events": f"toy/events/quarter=2024Q1/part-{rep.ingest_id}.parquet",
                            "rejects": f"toy/rejects/quarter=2024Q1/part-{rep.ingest_id}.parquet"}
    assert toy["format"] == "toy-csv" and toy["inputs"] == {"events": {"name": "toy_2024Q1.csv"}}

    con = duckdb.connect()
    raw_views(con, Lake(lake), "toy")
    raw_views(con, Lake(lake))
    assert con.execute("SELECT id, term, quarter FROM raw_toy_events ORDER BY id").fetchall() == [
        (1, "HEADACHE", "2024Q1"), (2, "RASH", "2024Q1")]
    assert con.execute("SELECT \"table\", line, raw, action FROM raw_toy_rejects").fetchall() == [
        ("events", 2, "x,NAUSEA", "rejected")]
    assert con.execute("SELECT count(*) FROM raw_demo").fetchall() == [(1,)]
    assert api.status(lake)["cases"] == 1


def test_reingesting_either_source_keeps_the_other(write_quarter, tmp_path):
    lake = tmp_path / "lake"
    ingest([_toy(tmp_path, "2024Q1", "1,HEADACHE\n")], lake, source=ToySource())
    faers = write_quarter("2024Q1", {"DEMO": [demo_b(1, 1, 1, "20240110")]})
    api.ingest([faers], lake=lake)  # sweeps stray files: the toy files are live, they stay
    api.ingest([faers], lake=lake)
    ingest([_toy(tmp_path, "2024Q1", "7,FEVER\n8,COUGH\n")], lake, source=ToySource())
    live = Lake(lake).live_files()
    assert set(lake.rglob("*.parquet")) == live
    assert {p.relative_to(lake).parts[0] for p in live} == {"faers", "toy", "prepared"}
    assert Lake(lake).quarters("toy") == ["2024Q1"] and Lake(lake).tables("toy") == ["events", "rejects"]
    con = duckdb.connect()
    raw_views(con, Lake(lake), "toy")
    assert con.execute("SELECT list_sort(list(id)) FROM raw_toy_events").fetchall() == [([7, 8],)]


def test_a_source_that_breaks_its_schema_is_stopped_before_commit(tmp_path):
    lake = tmp_path / "lake"
    with pytest.raises(TypeError, match="declared schema"):
        ingest([_toy(tmp_path, "2024Q1", "1,HEADACHE\n")], lake, source=WrongSchema())
    assert not Lake(lake).exists() and not list(lake.rglob("*.parquet"))
    assert json.loads(json.dumps(Lake(lake).manifest()))["quarters"] == {}
