"""Engine selection and the lake tables on DuckDB (no Spark needed)."""

from __future__ import annotations

import pandas as pd
import pytest

from faers_text import demo_b, drug_b
from pvsignal import api
from pvsignal.analysis.counts import execute, pair_counts_from_sets
from pvsignal.analysis.pair_table import pair_table
from pvsignal.analysis.population import CaseDefinition, population
from pvsignal.errors import ConfigError, LakeError
from pvsignal.store import engine as engine_mod
from pvsignal.prepare.views import prepared_files, register_prepared
from pvsignal.store.engine import engine_session, open_engine, register_raw


@pytest.fixture
def small_lake(write_quarter, tmp_path):
    q = write_quarter("2023Q2", {
        "DEMO": [demo_b(11, 1, 1, "20230420"), demo_b(12, 1, 2, "20230421"), demo_b(21, 2, 1, "20230420"),
                 demo_b(31, 3, 1, "20230420")],
        "DRUG": [drug_b(12, 1, 1, "PS", "LUPKYNIS"), drug_b(21, 2, 1, "PS", "X", "TACROLIMUS"),
                 drug_b(31, 3, 1, "C", "X", "TACROLIMUS"), drug_b(31, 3, 2, "SS", "X", "DILTIAZEM")],
        "REAC": ["12$1$Tremor$", "21$2$Tremor$", "21$2$Nausea$", "31$3$Nausea$"],
    })
    lake = tmp_path / "lake"
    api.ingest([q], lake=lake)
    return lake


def test_unknown_engine_is_a_clear_error():
    with pytest.raises(ConfigError, match="unknown engine 'polars'; use one of duckdb, spark"):
        open_engine("polars")


def test_spark_without_java_is_a_clear_error(monkeypatch):
    pytest.importorskip("pyspark")
    monkeypatch.setattr(engine_mod, "java_available", lambda: False)
    with pytest.raises(ConfigError, match="needs Java"):
        open_engine("spark")


def test_duckdb_engine_registers_raw_and_prepared_tables(small_lake):
    with engine_session("DuckDB") as eng:
        raw = register_raw(eng, small_lake)
        assert raw["demo"].count().execute() == 4  # every version, before deduplication
        views = register_prepared(eng, small_lake)
        assert sorted(views["cases"].caseid.execute()) == [1, 2, 3]
        assert eng.backend.table("case_drugs").count().execute() == 4
    assert eng._closed


def test_stale_prepared_tables_are_a_clear_error(small_lake, write_quarter):
    api.ingest([write_quarter("2023Q3", {})], lake=small_lake)  # rebuilds: fresh
    from pvsignal.store.lake import Lake

    lk = Lake(small_lake)
    m = lk.manifest()
    m["prepared"]["quarters"] = ["2023Q2"]
    lk.write_manifest(m)
    with pytest.raises(LakeError, match="missing or stale: run `pvsignal prepare"):
        prepared_files(small_lake)


def test_pair_table_on_duckdb_matches_the_hand_count(small_lake):
    # suspect roles: case 1 LUPKYNIS→VOCLOSPORIN (synonym)·TREMOR; case 2 TACROLIMUS·{TREMOR, NAUSEA};
    # case 3 DILTIAZEM (SS; TACROLIMUS is concomitant)·NAUSEA → N = 3 reports
    t = pair_table(small_lake, CaseDefinition())
    got = {(r.drug, r.event): (r.a, r.b, r.c, r.d) for r in t.itertuples()}
    assert got[("TACROLIMUS", "TREMOR")] == (1, 0, 1, 1)
    assert got[("TACROLIMUS", "NAUSEA")] == (1, 0, 1, 1)
    assert got[("DILTIAZEM", "NAUSEA")] == (1, 0, 1, 1)
    assert set(t.n_total) == {3}
    assert t.expected[(t.drug == "TACROLIMUS") & (t.event == "TREMOR")].iloc[0] == pytest.approx(2 / 3)


def test_pair_table_equals_the_connection_route(small_lake):
    d = CaseDefinition(roles="all", strata=["sex"])
    con = api.connect(small_lake)
    drugs, events, strata = population(con, d)
    expected = execute(pair_counts_from_sets(drugs, events, strata, d.strata)).reset_index(drop=True)
    pd.testing.assert_frame_equal(pair_table(small_lake, d, engine="duckdb"), expected)
