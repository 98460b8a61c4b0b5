"""The pair-count query on small hand-made report tables (DuckDB file, Parquet, CSV)."""

from __future__ import annotations

import duckdb
import ibis
import numpy as np
import pandas as pd
import pytest

from pvsignal.analysis.counts import (
    execute,
    pair_counts,
    pair_counts_from_sets,
    stratum_counts,
)
from pvsignal.errors import InputFileError

# Five reports. Report 1 (F): drug A; events x, y (row A-x twice: counted once).
# Report 2 (M): A, B; x.  Report 3 (sex missing): B; x, y.  Report 4 (F): A; z.
# Report 5 (M): A, B; x, y — but B–y has no row of its own: it still counts (B and y are
# both in report 5).
ROWS = [
    (1, "A", "x", "F"), (1, "A", "x", "F"), (1, "A", "y", "F"),
    (2, "A", "x", "M"), (2, "B", "x", "M"),
    (3, "B", "y", None), (3, "B", "x", None),
    (4, "A", "z", "F"),
    (5, "B", "x", "M"), (5, "A", "x", "M"), (5, "A", "y", "M"),
]


@pytest.fixture
def reports() -> ibis.Table:
    return ibis.memtable(pd.DataFrame(ROWS, columns=["report_id", "drug", "event", "sex"]))


def test_pair_counts_by_hand(reports):
    got = execute(pair_counts(reports))
    # by hand over N = 5 reports: A in {1,2,4,5} (4), B in {2,3,5} (3);
    # x in {1,2,3,5} (4), y in {1,3,5} (3), z in {4} (1)
    exp = pd.DataFrame({
        "drug": ["A", "A", "A", "B", "B"], "event": ["x", "y", "z", "x", "y"],
        "n": [3, 2, 1, 3, 2], "n_drug": [4, 4, 4, 3, 3], "n_event": [4, 3, 1, 4, 3],
    })
    pd.testing.assert_frame_equal(got[exp.columns], exp, check_dtype=False)
    assert (got["n_total"] == 5).all()
    np.testing.assert_array_equal(got["b"], exp.n_drug - exp.n)
    np.testing.assert_array_equal(got["c"], exp.n_event - exp.n)
    np.testing.assert_array_equal(got["d"], [0, 0, 1, 1, 1])  # 5 − n_drug − n_event + n
    np.testing.assert_allclose(got["expected"], [3.2, 2.4, 0.8, 2.4, 1.8])  # n_drug·n_event/5
    assert str(got["n"].dtype) == "int64" and str(got["expected"].dtype) == "float64"


def test_min_count_filters_after_margins(reports):
    got = execute(pair_counts(reports, min_count=3))
    assert list(zip(got.drug, got.event)) == [("A", "x"), ("B", "x")]
    assert list(got.n_drug) == [4, 3] and list(got.n_total) == [5, 5]  # margins of all pairs
    with pytest.raises(ValueError):
        pair_counts(reports, min_count=0)


def test_stratified_expected_by_hand(reports):
    got = execute(pair_counts(reports, ["sex"]))
    # strata: F = {1, 4}, M = {2, 5}, missing = {3}.  A–x: F 2·1/2 + M 2·2/2 = 3;
    # A–y: F 2·1/2 + M 2·1/2 = 2; A–z: F 2·1/2 = 1; B–x: M 2·2/2 + missing 1·1/1 = 3;
    # B–y: M 2·1/2 + missing 1 = 2
    np.testing.assert_allclose(got["expected"], [3.0, 2.0, 1.0, 3.0, 2.0])
    np.testing.assert_allclose(got["expected_crude"], [3.2, 2.4, 0.8, 2.4, 1.8])
    assert list(got["n"]) == [3, 2, 1, 3, 2]


def test_stratum_counts_long_cells(reports):
    got = execute(stratum_counts(reports, ["sex"]))
    bx = got[(got.drug == "B") & (got.event == "x")]
    # B–x in M: reports 2, 5 both have B and x → a=2, b=c=d=0; in the missing stratum a=1
    assert list(bx.sex.fillna("NA")) == ["M", "NA"]
    assert bx[["a", "b", "c", "d", "n_total_s"]].values.tolist() == [[2, 0, 0, 0, 2], [1, 0, 0, 0, 1]]
    ay = got[(got.drug == "A") & (got.event == "y")]
    assert ay[["a", "b", "c", "d"]].values.tolist() == [[1, 1, 0, 0], [1, 1, 0, 0]]
    assert (got[["a", "b", "c", "d"]] >= 0).all().all()
    # summed over strata, a gives n
    assert got.groupby(["drug", "event"]).a.sum().tolist() == [3, 2, 1, 3, 2]


def test_from_sets_gives_the_same_counts(reports):
    df = pd.DataFrame(ROWS, columns=["report_id", "drug", "event", "sex"])
    # a report with a drug but no event (6) and one with an event but no drug (7) are
    # outside the population
    drugs = ibis.memtable(pd.concat([df[["report_id", "drug"]], pd.DataFrame({"report_id": [6], "drug": ["A"]})]))
    events = ibis.memtable(pd.concat([df[["report_id", "event"]], pd.DataFrame({"report_id": [7], "event": ["x"]})]))
    strata = ibis.memtable(df[["report_id", "sex"]].drop_duplicates())
    a = execute(pair_counts_from_sets(drugs, events))
    b = execute(pair_counts(reports))
    pd.testing.assert_frame_equal(a, b)
    s1 = execute(pair_counts_from_sets(drugs, events, strata, ["sex"]))
    s2 = execute(pair_counts(reports, ["sex"]))
    pd.testing.assert_frame_equal(s1[s2.columns], s2)
    l1 = execute(pair_counts_from_sets(drugs, events, strata, ["sex"], long=True))
    pd.testing.assert_frame_equal(l1, execute(stratum_counts(reports, ["sex"])))


def test_degenerate_drug_in_every_report_and_nulls():
    # drug D is in every report; event e in every report: cells are c = d = 0 / b = d = 0;
    # rows with a null key are outside the population
    t = ibis.memtable(pd.DataFrame({
        "report_id": [1, 2, 2, 3, None],
        "drug": ["D", "D", "D", None, "D"],
        "event": ["e", "e", "f", "e", "e"],
    }))
    got = execute(pair_counts(t))
    assert got[["drug", "event", "a", "b", "c", "d", "n_total"]].values.tolist() == [
        ["D", "e", 2, 0, 0, 0, 2], ["D", "f", 1, 1, 0, 0, 2],
    ]


def test_real_duckdb_file(tmp_path):
    db = tmp_path / "reports.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE reports (report_id BIGINT, drug VARCHAR, event VARCHAR, sex VARCHAR)")
    con.executemany("INSERT INTO reports VALUES (?, ?, ?, ?)", ROWS)
    con.close()
    ib = ibis.duckdb.connect(str(db))
    got = execute(pair_counts(ib.table("reports"), ["sex"]))
    np.testing.assert_allclose(got["expected"], [3.0, 2.0, 1.0, 3.0, 2.0])
    ib.disconnect()


def test_missing_relation_columns_named():
    t = ibis.memtable(pd.DataFrame({"report_id": [1], "drug": ["A"]}))
    with pytest.raises(InputFileError, match="event.*it has report_id, drug"):
        pair_counts(t)
