"""openFDA documents are streamed, and spilled rows land as if held in memory (issue 16, item 2).

A bulk file of 155 MB of JSON (9,000 reports) peaked at 1.0 GB RSS when parsed whole, and
50,000 reports at 4.9 GB; streamed and spilled they peak at 0.27 / 0.34 GB (README).
"""

from __future__ import annotations

import json
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

from openfda_bulk import write_bulk
from pvsignal import api
from pvsignal.errors import InputFileError
from pvsignal.sources.openfda.files import read_inputs
from pvsignal.sources.openfda.source import OpenFdaSource
from pvsignal.store.ingest import ingest as store_ingest
from pvsignal.store.lake import connect_raw

TABLES = ("demo", "drug", "reac", "outc", "ther", "indi", "rejects")


def _all(lake: Path, table: str) -> list[tuple]:
    with closing(connect_raw(lake)) as con:
        return con.execute(f"SELECT * FROM raw_{table} ORDER BY ALL").fetchall()


@pytest.fixture
def bulk(tmp_path, shared_dir) -> Path:
    return write_bulk(tmp_path / "drug-event-0001-of-0001.json.zip", 120, sample=shared_dir / "data" / "openfda-samples" / "api-response-100-records.json")


def test_a_generated_bulk_file_lands_whole(bulk, tmp_path):
    with zipfile.ZipFile(bulk) as zf:
        doc = json.loads(zf.read("drug-event-0001-of-0001.json"))
    rep = api.ingest([bulk], lake=tmp_path / "lake")
    assert [q.quarter for q in rep.quarters] == ["2024Q1"]
    assert rep.quarters[0].rows["demo"] == 120
    assert rep.quarters[0].rows["drug"] == sum(len(r["patient"]["drug"]) for r in doc["results"])
    assert rep.quarters[0].rows["reac"] == sum(len(r["patient"]["reaction"]) for r in doc["results"])
    assert api.status(tmp_path / "lake")["cases"] == 120


def test_rows_spilled_in_many_small_parts_equal_one_part(bulk, tmp_path):
    """The same files through a spill of 7 reports (18 parts a table) and of 10,000 (one);
    the second file repeats the first, so its 120 reports are skipped second copies."""
    again = tmp_path / "drug-event-0002-of-0002.json.zip"
    again.write_bytes(bulk.read_bytes())
    for name, limit in (("small", 7), ("large", 10_000)):
        store_ingest([bulk, again], tmp_path / name, source=OpenFdaSource(spill_reports=limit))
    for table in TABLES:
        assert _all(tmp_path / "small", table) == _all(tmp_path / "large", table), table
    assert len(_all(tmp_path / "small", "demo")) == 120 and len(_all(tmp_path / "small", "rejects")) == 120


def test_the_spill_folder_is_removed_on_close(bulk):
    src = OpenFdaSource(spill_reports=50)
    units = src.discover([bulk])
    parts = [p for u in units for ps in u.parts.values() for p in ps]
    assert len(parts) == 3 * 6 and all(p.exists() for p in parts)  # 120 reports / 50 → 3 flushes × 6 tables
    src.close()
    assert not any(p.exists() for p in parts) and not parts[0].parent.exists()


def test_reports_are_yielded_before_the_document_ends(tmp_path, shared_dir):
    """A document cut short yields its first reports, then a clear error: it is read as a stream."""
    records = json.loads((shared_dir / "data" / "openfda-samples" / "api-response-100-records.json").read_text())
    text = json.dumps({"meta": {"last_updated": "2024-01-30"}, "results": records[:3]})
    cut = tmp_path / "cut.json"
    cut.write_text(text[: text.index(records[2]["safetyreportid"])])
    (doc,) = list(read_inputs([cut]))
    got = []
    with pytest.raises(InputFileError, match=r"cut.json is not valid JSON after 2 reports"):
        for rec in doc.records:
            got.append(rec["safetyreportid"])
    assert got == [records[0]["safetyreportid"], records[1]["safetyreportid"]]


@pytest.mark.parametrize("text, n, meta", [
    ('{"results": [{"safetyreportid": "1"}, {"safetyreportid": "2"}], "meta": {"last_updated": "x"}}', 2, {}),
    ('  {"meta": {"last_updated": "2024-01-30", "results": {"total": 2}}, "results": [{"a": 1}, 2]}', 2,
     {"last_updated": "2024-01-30", "results": {"total": 2}}),
    ('[{"safetyreportid": "1"}]', 1, {}),
    ('{"patient": {"drug": []}, "safetyreportid": "7"}', 1, {}),
])
def test_every_document_shape_is_read_and_hashed(tmp_path, text, n, meta):
    import hashlib

    p = tmp_path / "doc.json"
    p.write_text(text)
    (doc,) = list(read_inputs([p]))
    assert len(list(doc.records)) == n
    data = text.encode()
    assert doc.meta == {"name": str(p), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "records": n, **meta}


@pytest.mark.parametrize("text, match", [
    ('{"meta": {}, "results": {"a": 1}}', "not openFDA drug/event JSON"),
    ("hello", "not valid JSON"),
    ("", "not valid JSON"),
])
def test_documents_that_are_not_openfda_say_so(tmp_path, text, match):
    p = tmp_path / "doc.json"
    p.write_text(text)
    with pytest.raises(InputFileError, match=match):
        for doc in read_inputs([p]):
            list(doc.records)
