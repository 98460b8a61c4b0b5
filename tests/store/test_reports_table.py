"""The generic reports table (``signals --reports``): read once into DuckDB, validated."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pvsignal.analysis.counts import execute, pair_counts
from pvsignal.errors import InputFileError
from pvsignal.store.reports_table import file_sha256, open_reports, read_reports


def test_read_csv_with_other_column_names(tmp_path):
    f = tmp_path / "vigibase.csv"
    f.write_text(
        "UMCReportId,drecno,llt,sex\n"
        "A1,111,nausea,F\n"
        "A1,111,nausea,F\n"      # duplicate row: counted once
        "A2,111,rash,M\n"
        "A3,,rash,M\n"           # null drug: rejected with a reason
        "  ,222,rash,M\n"        # blank report id: rejected
        "A4,222,nausea,\n"
    )
    r = read_reports(f, report_id="UMCReportId", drug="drecno", event="llt", strata=["sex"])
    assert r.n_rows == 6 and r.n_rejected == 2
    assert r.null_counts == {"report_id": 1, "drug": 1, "event": 0}
    assert sorted(r.rejects["reason"]) == ["null or blank drug", "null or blank report_id"]
    got = execute(pair_counts(r.table, r.strata))
    # reports A1, A2, A4: drug 111 in {A1, A2}; nausea in {A1, A4}; rash in {A2}
    assert got[["drug", "event", "n", "n_drug", "n_event", "n_total"]].values.tolist() == [
        ["111", "nausea", 1, 2, 2, 3], ["111", "rash", 1, 2, 1, 3], ["222", "nausea", 1, 1, 2, 3],
    ]


def test_read_parquet(tmp_path):
    f = tmp_path / "reports.parquet"
    pq.write_table(pa.table({
        "report_id": [1, 1, 2], "drug": ["A", "A", "B"], "event": ["x", "y", "x"],
    }), f)
    r = read_reports(f)
    assert r.n_rejected == 0 and r.n_rows == 3
    got = execute(pair_counts(r.table))
    assert got[["drug", "event", "n", "expected"]].values.tolist() == [
        ["A", "x", 1, 1.0], ["A", "y", 1, 0.5], ["B", "x", 1, 1.0],
    ]


BAD_FILES = [  # (file name, bytes or None = absent, read_reports options, message)
    ("nope.csv", None, {}, "does not exist"),
    ("empty.csv", b"", {}, "is empty"),
    ("header.csv", b"report_id,drug,event\n", {}, "no rows"),
    ("wrong.csv", b"id,product,reaction\n1,A,x\n", {},
     r"lacks column\(s\) report_id, drug, event; columns found: id, product, reaction"),
    ("wrong.csv", b"id,product,reaction\n1,A,x\n",
     {"report_id": "id", "drug": "product", "event": "reaction", "strata": ["sex"]}, "lacks column.*sex"),
    ("r.xlsx", b"PK", {}, "unknown type"),
    ("allnull.csv", b"report_id,drug,event\n1,,x\n", {}, "every row"),
]


@pytest.mark.parametrize(("name", "content", "options", "message"), BAD_FILES)
def test_read_errors_are_clear(tmp_path, name, content, options, message):
    f = tmp_path / name
    if content is not None:
        f.write_bytes(content)
    with pytest.raises(InputFileError, match=message):
        read_reports(f, **options)


def test_read_once_tsv_gz_and_digest(tmp_path):
    # the rows live in the engine after reading: deleting the file changes nothing
    f = tmp_path / "r.tsv.gz"
    f.write_bytes(gzip.compress(b"report_id\tdrug\tevent\n1\tA\tx\n1\tB\tx\n2\tA\ty\n"))
    digest = hashlib.sha256(f.read_bytes()).hexdigest()
    with open_reports(f) as r:
        assert r.sha256 == digest == file_sha256(f)
        f.unlink()
        got = execute(pair_counts(r.table))
    # N = 2; A in {1, 2}, B in {1}; x in {1}, y in {2}
    assert got[["drug", "event", "a", "b", "c", "d"]].values.tolist() == [
        ["A", "x", 1, 1, 0, 0], ["A", "y", 1, 1, 0, 0], ["B", "x", 1, 0, 0, 1],
    ]


def test_blank_is_text_only_and_rejects_keep_strata(tmp_path):
    # in Parquet a numeric report id cannot be blank, only null; strata come back with rejects
    f = tmp_path / "r.parquet"
    pq.write_table(pa.table({
        "report_id": pa.array([1, None, 2, 3], pa.int64()),
        "drug": ["A", "A", " ", "B"], "event": ["x", "x", "x", None], "sex": ["F", "M", "F", "M"],
    }), f)
    r = read_reports(f, strata=["sex"])
    assert r.null_counts == {"report_id": 1, "drug": 1, "event": 1} and r.n_rejected == 3
    rej = r.rejects.sort_values("reason").reset_index(drop=True)
    assert rej["reason"].tolist() == ["null or blank drug", "null or blank event", "null or blank report_id"]
    assert rej["sex"].tolist() == ["F", "M", "M"]
    assert execute(pair_counts(r.table, ["sex"]))[["drug", "event", "n"]].values.tolist() == [["A", "x", 1]]


# ---------------------------------------------------------------- CAERS (openEBGM's example data)


def _cells_by_hand(df: pd.DataFrame, drug: str, event: str) -> list[int]:
    """a, b, c, d of one pair over the distinct report ids, with plain pandas sets."""
    with_drug = set(df.loc[df.var1 == drug, "id"])
    with_event = set(df.loc[df.var2 == event, "id"])
    n_total = df["id"].nunique()  # every CAERS report has a product and an event
    a = len(with_drug & with_event)
    return [a, len(with_drug) - a, len(with_event) - a, n_total - len(with_drug | with_event)]


def test_caers_counts_match_pandas_and_openebgm(shared_dir):
    path = shared_dir / "data" / "reference" / "caers.csv"
    with open_reports(path, report_id="id", drug="var1", event="var2", strata=["strat1"]) as r:
        got = execute(pair_counts(r.table))
    assert r.n_rows == 20156 and r.n_rejected == 0
    # openEBGM vignette03: processRaw(caers) has 17189 rows, first E values printed there
    assert len(got) == 17189
    np.testing.assert_allclose(got.expected[:4], [0.0360548272, 0.0038736591, 0.0002979738, 0.0360548272], rtol=0, atol=5e-11)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    top = got.nlargest(3, "n")[["drug", "event"]].values.tolist()
    some = got.iloc[[0, 1000, 9000, 17188]][["drug", "event"]].values.tolist()
    for drug, event in top + some:
        row = got[(got.drug == drug) & (got.event == event)]
        assert row[["a", "b", "c", "d"]].values.tolist() == [_cells_by_hand(df, drug, event)], (drug, event)
    assert got.n_total.iloc[0] == 3356


def test_signals_records_the_file_and_its_rejects(tmp_path):
    # the --reports path of analysis.signals keeps the accounting read_reports gives
    from pvsignal.analysis.signals import signals

    f = tmp_path / "r.csv"
    f.write_text("id,drug,event\n1,A,x\n1,B,x\n2,A,y\n3,,y\n4,B,\n")
    res = signals(reports=f, min_count=1, reports_columns={"report_id": "id"})
    src = res.metadata["source"]
    assert src["sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()
    assert (src["rows"], src["rows_not_used"]) == (5, 2)
    assert src["null_counts"] == {"report_id": 0, "drug": 1, "event": 1}
    # population: reports 1 and 2 (N = 2); A in {1, 2}, B in {1}; x in {1}, y in {2}
    assert res.counts[["drug", "event", "a", "b", "c", "d"]].values.tolist() == [
        ["A", "x", 1, 1, 0, 0], ["A", "y", 1, 1, 0, 0], ["B", "x", 1, 0, 0, 1],
    ]
