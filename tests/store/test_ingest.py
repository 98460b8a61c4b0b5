"""Ingest: real FAERS samples, bad input, idempotence and atomicity of the lake."""

from __future__ import annotations

import datetime as dt
import json
import zipfile

import duckdb
import pandas as pd
import pytest

from pvsignal import api
from pvsignal.errors import InputFileError
from pvsignal.sources.faers.source import FAERS
from pvsignal.store import ingest as ingest_mod
from pvsignal.store.lake import Lake, connect_raw

from faers_text import demo_b, drug_b


def _raw(lake, sql):
    con = connect_raw(lake)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --- real samples -------------------------------------------------------------------

def sample_zips(shared_dir):
    # the two whole quarters (the 2020Q3 head folder beside them lacks INDI on purpose)
    base = shared_dir / "data/faers-samples"
    return [base / "aers_ascii_2004q1.zip", base / "faers_ascii_2017q2.zip"]


def test_real_samples_land_with_their_values(shared_dir, tmp_path):
    # ../shared/data/faers-samples: 100 real reports each of AERS 2004Q1 and FAERS 2017Q2
    lake = tmp_path / "lake"
    res = api.ingest(sample_zips(shared_dir), lake=lake)
    by_q = {q.quarter: q for q in res.quarters}
    assert set(by_q) == {"2004Q1", "2017Q2"}
    # line counts of the files (header excluded), counted with `wc -l` on the members
    assert by_q["2004Q1"].rows == {"demo": 100, "drug": 386, "reac": 416, "outc": 93, "rpsr": 119, "ther": 145, "indi": 124}
    assert by_q["2017Q2"].rows == {"demo": 100, "drug": 328, "reac": 286, "outc": 75, "rpsr": 2, "ther": 142, "indi": 232}
    assert all(not a for q in res.quarters for a in q.issues.values())
    # first DEMO row of DEMO17Q2.txt: 109792364$10979236$4$F$2003$20170224$20150402$20170406$PER…
    row = _raw(lake, "SELECT caseid, caseversion, i_f_code, event_dt, event_dt_prec, fda_dt, rept_cod, age_grp, sex, occp_cod, era "
                     "FROM raw_demo WHERE primaryid = 109792364")
    assert row == [(10979236, 4, "F", dt.date(2003, 1, 1), "Y", dt.date(2017, 4, 6), "PER", "A", "M", "CN", "faers")]
    # nda_num keeps its leading zero (DRUG17Q2 first row: …$020272$…)
    assert _raw(lake, "SELECT nda_num, prod_ai FROM raw_drug WHERE primaryid = 109792364 AND drug_seq = 1") == [("020272", "RISPERIDONE")]
    # legacy DEMO04Q1 first row: ISR 4263742, CASE 4061110, age 42 YR, F; its DRUG rows get the caseid
    assert _raw(lake, "SELECT caseid, caseversion, age, age_cod, sex, event_dt FROM raw_demo WHERE primaryid = 4263742") == [
        (4061110, 0, 42.0, "YR", "F", dt.date(2003, 11, 15))
    ]
    assert _raw(lake, "SELECT caseid, drug_seq, role_cod, drugname FROM raw_drug WHERE primaryid = 4263742 ORDER BY drug_seq LIMIT 1") == [
        (4061110, 1004492716, "PS", "TAVOR")
    ]
    st = api.status(lake)
    assert st["reports"] == 200 and st["cases"] == 200
    assert st["rejects"]["demo"] == 0


# --- bad input ----------------------------------------------------------------------

def test_bad_lines_are_repaired_or_rejected_and_none_is_lost(write_quarter, tmp_path):
    demo = [
        demo_b(11, 1, 1, "20240110"),
        demo_b(21, 2, 1, "20240111", mfr_num="JP-CUBIST-$E2B0000000182", mfr_sndr="CUBIST"),  # stray '$' in mfr_num
        demo_b(31, 3, 1, "20240112", event_dt="20241345"),  # impossible date
        demo_b(41, 4, 1, "20240113", sex="Q"),  # unknown code
        "ABC$5$1$I$$$$20240101$EXP",  # no usable primaryid (and truncated)
        demo_b(61, 6, 1, "20240114").rsplit("$", 3)[0],  # truncated: last 3 fields missing
    ]
    drug = [drug_b(11, 1, 1, "PS", "LUPKYNIS"), drug_b(21, 2, 1, "PS", "VOCLOSPORIN")]
    reac_bytes = ("primaryid$caseid$pt$drug_rec_act\r\n11$1$Headache$\r\n21$2$Caf\xe9 coronary$\r\n31$3$Tremor$\r\n").encode("latin-1")
    q = write_quarter("2024Q1", {"DEMO": demo, "DRUG": drug}, raw={"REAC": reac_bytes})
    lake = tmp_path / "lake"
    res = api.ingest([q], lake=lake)
    rep = res.quarters[0]
    assert rep.lines["demo"] == 6
    assert rep.rows["demo"] == 5  # the line without a report id is rejected
    assert rep.issues["demo"] == {"repaired": 2, "nulled": 1, "kept": 1, "rejected": 1}
    assert _raw(lake, "SELECT mfr_num FROM raw_demo WHERE primaryid = 21") == [("JP-CUBIST-E2B0000000182",)]
    assert _raw(lake, "SELECT event_dt, event_dt_prec FROM raw_demo WHERE primaryid = 31") == [(None, None)]
    assert _raw(lake, "SELECT sex FROM raw_demo WHERE primaryid = 41") == [("Q",)]
    assert _raw(lake, "SELECT occp_cod, reporter_country FROM raw_demo WHERE primaryid = 61") == [(None, None)]
    assert _raw(lake, "SELECT pt FROM raw_reac WHERE primaryid = 21") == [("Café coronary",)]
    rj = api.rejects(lake)
    bad = rj[rj["action"] == "rejected"].iloc[0]
    assert (bad["table"], bad["line"], bad["raw"]) == ("demo", 6, "ABC$5$1$I$$$$20240101$EXP")
    reasons = set(rj["reason"])
    assert "stray '$' removed from mfr_num" in reasons
    assert "3 missing trailing field(s) set to null" in reasons
    assert "event_dt is not a valid date (YYYYMMDD, YYYYMM or YYYY): 20241345" in reasons
    assert "unknown code in sex: Q" in reasons
    assert "bytes that are not UTF-8 read as Latin-1" in reasons
    # every DEMO line is accounted for: landed rows + rejected lines = lines read
    assert rep.rows["demo"] + rep.issues["demo"]["rejected"] == rep.lines["demo"]
    assert api.status(lake)["rejects"]["demo"] == 1


def test_two_records_on_one_legacy_line_are_split(write_quarter, tmp_path):
    # FACTS.md §1.4: legacy DRUG 2011Q2 line 322967 holds two records; each keeps its trailing '$'
    demo = ["7475791$7000001$I$$$20110301$$20110401$EXP$$$$$$$$$20110401$MD$$$$US$"]
    drug = ["7475791$1001$PS$ASPIRIN$1$$$$$$$$7475791$1002$C$DOXORUBICIN$1$$$$$$$$"]
    q = write_quarter("2011Q2", {"DEMO": demo, "DRUG": drug})
    lake = tmp_path / "lake"
    rep = api.ingest([q], lake=lake).quarters[0]
    assert rep.rows["drug"] == 2
    assert _raw(lake, "SELECT drug_seq, role_cod, drugname, caseid FROM raw_drug ORDER BY drug_seq") == [
        (1001, "PS", "ASPIRIN", 7000001), (1002, "C", "DOXORUBICIN", 7000001)
    ]
    assert rep.issues["drug"] == {"repaired": 2}


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing_path", "does not exist"),
        ("empty_file", "is empty"),
        ("missing_table", "lacks the THER table"),
        ("not_faers", "holds no FAERS table files"),
    ],
)
def test_unusable_inputs_give_a_clear_error_and_write_nothing(case, message, write_quarter, tmp_path):
    lake = tmp_path / "lake"
    ok = write_quarter("2024Q1", {"DEMO": [demo_b(11, 1, 1, "20240110")]})
    api.ingest([ok], lake=lake)
    before = json.loads((lake / "manifest.json").read_text())
    if case == "missing_path":
        path = tmp_path / "nope.zip"
    elif case == "empty_file":
        path = write_quarter("2024Q2", {}, raw={"OUTC": b""})
    elif case == "missing_table":
        path = write_quarter("2024Q2", {}, omit=("THER",))
    else:
        path = tmp_path / "other.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("readme.txt", "hello")
    with pytest.raises(InputFileError, match=message):
        api.ingest([path], lake=lake)
    assert json.loads((lake / "manifest.json").read_text()) == before
    assert set(Lake(lake).live_files()) == {p for p in lake.rglob("*.parquet")}


def test_cli_reports_user_errors_without_traceback(tmp_path, capsys):
    from pvsignal.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["ingest", str(tmp_path / "missing"), "--lake", str(tmp_path / "lake")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err


# --- idempotence and atomicity -----------------------------------------------------

def _lake_content(lake):
    con = connect_raw(lake)
    out = {}
    for t in ("demo", "drug", "reac", "outc", "rpsr", "ther", "indi", "rejects"):
        out[t] = con.execute(f"SELECT * FROM raw_{t} ORDER BY ALL").fetchall()
    con.close()
    return out


def test_ingesting_twice_gives_an_identical_lake_and_replaces_only_that_quarter(write_quarter, tmp_path):
    q1 = write_quarter("2024Q1", {"DEMO": [demo_b(11, 1, 1, "20240110")], "DRUG": [drug_b(11, 1, 1, "PS", "X")]})
    q2 = write_quarter("2024Q2", {"DEMO": [demo_b(22, 2, 1, "20240410")]})
    lake = tmp_path / "lake"
    api.ingest([q1, q2], lake=lake)
    first = _lake_content(lake)
    api.ingest([q1, q2], lake=lake)
    assert _lake_content(lake) == first
    # a corrected 2024Q1 replaces exactly 2024Q1
    q1b = write_quarter("2024Q1", {"DEMO": [demo_b(11, 1, 1, "20240110"), demo_b(12, 9, 1, "20240111")]}, folder=tmp_path / "v2")
    api.ingest([q1b], lake=lake)
    assert _raw(lake, "SELECT quarter, count(*) FROM raw_demo GROUP BY 1 ORDER BY 1") == [("2024Q1", 2), ("2024Q2", 1)]
    assert _raw(lake, "SELECT count(*) FROM raw_drug") == [(0,)]
    # old files are gone: only what the manifest lists remains
    assert set(Lake(lake).live_files()) == set(lake.rglob("*.parquet"))


def test_an_interrupted_ingest_leaves_the_lake_as_it_was(write_quarter, tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    api.ingest([write_quarter("2024Q1", {"DEMO": [demo_b(11, 1, 1, "20240110")]})], lake=lake)
    before = _lake_content(lake)
    manifest = (lake / "manifest.json").read_text()
    real = ingest_mod.land
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 10:  # second quarter (8 tables each, DELETED included), second table
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_mod, "land", failing)
    q1b = write_quarter("2024Q1", {"DEMO": [demo_b(99, 9, 1, "20240110")]}, folder=tmp_path / "v2")
    q2 = write_quarter("2024Q2", {"DEMO": [demo_b(22, 2, 1, "20240410")]}, folder=tmp_path / "v2")
    with pytest.raises(KeyboardInterrupt):
        ingest_mod.ingest([q1b, q2], lake, source=FAERS)
    assert (lake / "manifest.json").read_text() == manifest
    assert _lake_content(lake) == before
    assert set(Lake(lake).live_files()) == set(lake.rglob("*.parquet"))


def test_extracted_folder_and_zip_give_the_same_rows(shared_dir, tmp_path):
    src = shared_dir / "data/faers-samples/faers_ascii_2017q2.zip"
    with zipfile.ZipFile(src) as zf:
        zf.extractall(tmp_path / "extracted")
    a, b = tmp_path / "a", tmp_path / "b"
    api.ingest([src], lake=a)
    api.ingest([tmp_path / "extracted"], lake=b)
    ca, cb = _lake_content(a), _lake_content(b)
    for t in ("demo", "drug", "reac", "outc", "rpsr", "ther", "indi"):
        assert ca[t] == cb[t]


def test_parquet_schema_is_typed(shared_dir, tmp_path):
    lake = tmp_path / "lake"
    api.ingest(sample_zips(shared_dir), lake=lake)
    con = duckdb.connect()
    f = str(Lake(lake).files("demo")[0])
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{f}'))").fetchall())
    assert types["primaryid"] == "BIGINT" and types["event_dt"] == "DATE" and types["age"] == "DOUBLE"
    assert types["quarter"] == "VARCHAR" and types["caseversion"] == "INTEGER"
    assert "quarter=2004Q1" in f or "quarter=2017Q2" in f
    assert isinstance(api.rejects(lake), pd.DataFrame)


def test_legacy_row_with_a_stray_dollar_and_its_trailing_dollar(write_quarter, tmp_path):
    # FACTS.md §1.4: DEMO12Q1 ISR 8129732, mfr_num JP-CUBIST-$E2B0000000182; legacy rows end with '$'
    line = "8129732$7000002$I$$$20120101$$20120201$EXP$JP-CUBIST-$E2B0000000182$CUBIST$$$$$$$20120201$MD$$$$JAPAN$"
    lake = tmp_path / "lake"
    rep = api.ingest([write_quarter("2012Q1", {"DEMO": [line]})], lake=lake).quarters[0]
    assert rep.rows["demo"] == 1 and rep.issues["demo"] == {"repaired": 1}
    assert _raw(lake, "SELECT mfr_num, mfr_sndr, reporter_country FROM raw_demo") == [("JP-CUBIST-E2B0000000182", "CUBIST", "JAPAN")]
