"""openFDA drug/event JSON lands in the FAERS canonical tables (issue 16, item 2).

Expected counts are computed here from the JSON with plain ``json``, never from pvsignal.
Samples: ../shared/data/openfda-samples/ (FDA's CC0 openFDA data: a saved page of 100
API results and the ``event.postannotation.json`` test record of FDA's openFDA pipeline).
"""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pvsignal import api
from pvsignal.cli import main
from pvsignal.errors import InputFileError
from pvsignal.sources.openfda.codes import roles
from pvsignal.sources.openfda.files import is_openfda_input
from pvsignal.sources.openfda.mapping import Rejected, identity, parse_date
from pvsignal.store.lake import Lake, connect_raw

TABLES = ("demo", "drug", "reac", "outc", "rpsr", "ther", "indi")
FLAGS = ("seriousnessdeath", "seriousnesslifethreatening", "seriousnesshospitalization",
         "seriousnessdisabling", "seriousnesscongenitalanomali", "seriousnessother")


def _samples(shared_dir: Path) -> Path:
    return shared_dir / "data" / "openfda-samples"


def _rows(lake: Path, sql: str) -> list[tuple]:
    con = connect_raw(lake)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _quarter(rec: dict) -> str:
    d = max(rec["receivedate"], rec["receiptdate"])
    return f"{d[:4]}Q{(int(d[4:6]) - 1) // 3 + 1}"


@pytest.fixture
def api_lake(tmp_path, shared_dir):
    lake = tmp_path / "lake"
    api.ingest([_samples(shared_dir) / "api-response-100-records.json"], lake=lake)
    return lake


def test_a_saved_api_page_lands_every_report_drug_and_reaction(api_lake, shared_dir):
    records = json.loads((_samples(shared_dir) / "api-response-100-records.json").read_text())
    drugs = sum(len(r["patient"]["drug"]) for r in records)
    reactions = sum(len(r["patient"]["reaction"]) for r in records)
    outcomes = sum(r.get(f) == "1" for r in records for f in FLAGS)
    indications = sum("drugindication" in d for r in records for d in r["patient"]["drug"])
    assert (len(records), drugs, reactions) == (100, 265, 247)
    got = {t: _rows(api_lake, f"SELECT count(*) FROM raw_{t}")[0][0] for t in TABLES}
    assert got == {"demo": 100, "drug": drugs, "reac": reactions, "outc": outcomes, "rpsr": 0,
                   "ther": got["ther"], "indi": indications}
    assert _rows(api_lake, "SELECT count(*) FROM raw_rejects")[0][0] == 0
    m = Lake(api_lake).manifest()
    assert sorted(m["quarters"]) == sorted({_quarter(r) for r in records})
    assert {e["format"] for e in m["quarters"].values()} == {"openfda"}
    assert api.status(api_lake)["cases"] == 100
    # PTs as written, report by report
    want = sorted((r["safetyreportid"].split("-")[0], x["reactionmeddrapt"]) for r in records for x in r["patient"]["reaction"])
    got_pts = _rows(api_lake, "SELECT d.caseid, r.pt FROM raw_reac r JOIN raw_demo d USING (quarter, primaryid)")
    assert sorted((str(c), pt) for c, pt in got_pts) == want


def test_faers_era_ids_follow_fdas_primaryid_rule(api_lake, shared_dir):
    records = json.loads((_samples(shared_dir) / "api-response-100-records.json").read_text())
    r = next(x for x in records if x["safetyreportid"] == "10003300")
    row = _rows(api_lake, "SELECT primaryid, caseid, caseversion, era, quarter, fda_dt FROM raw_demo WHERE caseid = 10003300")
    v = r["safetyreportversion"]
    assert row == [(int("10003300" + v), 10003300, int(v), "faers", _quarter(r),
                    date(int(r["receiptdate"][:4]), int(r["receiptdate"][4:6]), int(r["receiptdate"][6:])))]
    # the legacy AERS record of the page: ISR-checkdigit → primaryid = ISR, version 0
    assert _rows(api_lake, "SELECT primaryid, caseid, caseversion, era, quarter FROM raw_demo WHERE era = 'aers'") == [
        (5801206, 5801206, 0, "aers", "2008Q3")]


def test_fdas_postannotation_record_lands_field_by_field(shared_dir, tmp_path):
    path = _samples(shared_dir) / "event.postannotation.json"
    rec = json.loads(path.read_text())
    lake = tmp_path / "lake"
    api.ingest([path], lake=lake)
    demo = _rows(lake, "SELECT primaryid, caseid, caseversion, era, quarter, init_fda_dt, init_fda_dt_prec, fda_dt, "
                       "fda_dt_prec, age, age_cod, sex, wt, wt_cod, occp_cod, mfr_num FROM raw_demo")
    p = rec["patient"]
    assert (rec["safetyreportid"], rec["@case_number"], rec["receivedate"], rec["receiptdate"]) == (
        "4562564-7", "4562564", "20050127", "20030407")
    assert (p["patientonsetageunit"], p["patientsex"], rec["primarysource"]["qualification"]) == ("801", "2", "1")
    assert demo == [(4562564, 4562564, 0, "aers", "2005Q1", date(2005, 1, 27), "D", date(2003, 4, 7), "D",
                     float(p["patientonsetage"]), "YR", "F", float(p["patientweight"]), "KG", "MD", rec["companynumb"])]
    assert [f for f in FLAGS if rec.get(f) == "1"] == ["seriousnesshospitalization", "seriousnessdisabling", "seriousnessother"]
    assert sorted(x for (x,) in _rows(lake, "SELECT outc_cod FROM raw_outc")) == ["DS", "HO", "OT"]
    drugs = rec["patient"]["drug"]
    got = _rows(lake, "SELECT drug_seq, role_cod, drugname, route FROM raw_drug ORDER BY drug_seq")
    assert len(got) == len(drugs) == 23
    assert [g[2] for g in got] == [d["medicinalproduct"] for d in drugs]
    assert [g[1] for g in got] == ["PS", "SS"] + ["C"] * 21  # two suspects: the first is primary
    assert {d["drugadministrationroute"]: g[3] for d, g in zip(drugs, got)} == {"048": "Oral", "065": "Unknown"}
    assert _rows(lake, "SELECT dsg_drug_seq, start_dt, start_dt_prec, end_dt, dur, dur_cod FROM raw_ther WHERE dsg_drug_seq = 1") == [
        (1, date(2000, 9, 18), "D", date(2001, 5, 1), 8.0, "MON")]  # 802 = month
    want_indi = [(i, d["drugindication"]) for i, d in enumerate(drugs, start=1) if "drugindication" in d]
    assert _rows(lake, "SELECT indi_drug_seq, indi_pt FROM raw_indi ORDER BY 1") == want_indi
    assert sorted(x for (x,) in _rows(lake, "SELECT pt FROM raw_reac")) == sorted(
        x["reactionmeddrapt"] for x in rec["patient"]["reaction"])


def _bulk_zip(records: list, path: Path) -> Path:
    doc = {"meta": {"last_updated": "2024-01-30", "results": {"skip": 0, "limit": len(records), "total": len(records)}},
           "results": records}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(path.name.removesuffix(".zip"), json.dumps(doc))
    return path


def test_a_bulk_zip_lands_and_malformed_records_are_rejected_with_a_reason(shared_dir, tmp_path):
    records = json.loads((_samples(shared_dir) / "api-response-100-records.json").read_text())[:60]
    bad_sex = dict(records[5], safetyreportid="90000001", safetyreportversion="1",
                   patient=dict(records[5]["patient"], patientsex="9"))
    extra = [{"receiptdate": "20140101"}, 42, dict(records[1], receiptdate="2014131", receivedate=None),
             records[1], bad_sex]
    zpath = _bulk_zip(records + extra, tmp_path / "drug-event-0001-of-0001.json.zip")
    lake = tmp_path / "lake"
    rep = api.ingest([zpath], lake=lake)
    assert sum(q.rows["demo"] for q in rep.quarters) == 61
    assert sum(q.rows["drug"] for q in rep.quarters) == sum(len(r["patient"]["drug"]) for r in records + [bad_sex])
    rejects = _rows(lake, "SELECT line, action, reason FROM raw_rejects ORDER BY line")
    assert [(ln, a) for ln, a, _ in rejects] == [(61, "rejected"), (62, "rejected"), (63, "rejected"),
                                                  (64, "skipped"), (65, "nulled")]
    reasons = [why for *_, why in rejects]
    assert "safetyreportid" in reasons[0] and reasons[1] == "not a report object" and "no quarter" in reasons[2]
    assert "same report version" in reasons[3] and "patientsex" in reasons[4]
    assert _rows(lake, "SELECT sex FROM raw_demo WHERE caseid = 90000001") == [(None,)]
    inputs = Lake(lake).manifest()["quarters"]["2015Q3"]["inputs"]["demo"]["files"]
    assert inputs[0]["name"].endswith("drug-event-0001-of-0001.json.zip/drug-event-0001-of-0001.json")
    assert inputs[0]["records"] == 65


def test_prepare_and_signals_run_on_an_openfda_lake(api_lake, shared_dir):
    records = json.loads((_samples(shared_dir) / "api-response-100-records.json").read_text())
    tally = api.prepare(api_lake)
    assert (tally["reports"], tally["cases"]) == (100, 100)
    res = api.signals(api_lake, min_count=1)
    assert ((res.table.a + res.table.b + res.table.c + res.table.d) == 100).all()
    # a suspect drug named PREDNISONE and a reaction Vomiting, counted in the JSON
    n = sum(any(d["drugcharacterization"] == "1" and "PREDNISONE" in (d["medicinalproduct"].upper(),
                (d.get("activesubstance") or {}).get("activesubstancename", "").upper()) for d in r["patient"]["drug"])
            and any(x["reactionmeddrapt"].upper() == "VOMITING" for x in r["patient"]["reaction"]) for r in records)
    row = res.table[(res.table.drug == "PREDNISONE") & (res.table.event == "VOMITING")]
    assert n == 2 and row.n.tolist() == [n]


# -- the same report as FAERS ASCII and as openFDA JSON ------------------------------------

_DEMO = ("100039174$10003917$4$$$$20140312$20140815$$$US-INCYTE CORPORATION-2014IN000168$$$57$YR$A$F$$70.5$KG$$$PH$US$US")
_DRUG = ["100039174$10003917$1$PS$VAGIFEM$ESTRADIOL$$Vaginal$10 UG, 2X/WEEK$$$Y$U$LOT7$$020908$10$UG$TABLET$",
         "100039174$10003917$2$SS$PREMARIN$ESTROGENS, CONJUGATED$$Oral$$$$$$$$$$$$",
         "100039174$10003917$3$C$LISINOPRIL$LISINOPRIL$$Unknown$$$$$$$$$$$$"]
_JSON = {
    "safetyreportid": "10003917", "safetyreportversion": "4", "receivedate": "20140312", "receiptdate": "20140815",
    "transmissiondate": "20150326", "serious": "1", "seriousnessother": "1", "seriousnesshospitalization": "1",
    "companynumb": "US-INCYTE CORPORATION-2014IN000168", "occurcountry": "US", "primarysourcecountry": "US",
    "primarysource": {"reportercountry": "US", "qualification": "2"},
    "patient": {
        "patientonsetage": "57", "patientonsetageunit": "801", "patientagegroup": "5", "patientsex": "2",
        "patientweight": "70.5",
        "drug": [
            {"drugcharacterization": "1", "medicinalproduct": "VAGIFEM", "activesubstance": {"activesubstancename": "ESTRADIOL"},
             "drugadministrationroute": "067", "drugdosagetext": "10 UG, 2X/WEEK", "drugadditional": "1",
             "drugrecurreadministration": "3", "drugbatchnumb": "LOT7", "drugauthorizationnumb": "020908",
             "drugstructuredosagenumb": "10", "drugstructuredosageunit": "004", "drugdosageform": "TABLET",
             "drugstartdate": "201401", "drugstartdateformat": "610", "drugindication": "Atrophic vulvovaginitis"},
            {"drugcharacterization": "1", "medicinalproduct": "PREMARIN", "drugadministrationroute": "048",
             "openfda": {"substance_name": ["ESTROGENS, CONJUGATED"], "generic_name": ["ESTROGENS, CONJUGATED"]}},
            {"drugcharacterization": "2", "medicinalproduct": "LISINOPRIL", "drugadministrationroute": "065",
             "activesubstance": {"activesubstancename": "LISINOPRIL"}},
        ],
        "reaction": [{"reactionmeddrapt": "Vulvovaginal pruritus", "reactionoutcome": "3"},
                     {"reactionmeddrapt": "Drug ineffective", "reactionoutcome": "6"}],
    },
}


def _table_rows(lake: Path, table: str) -> list[tuple]:
    return sorted(_rows(lake, f"SELECT * FROM raw_{table}"), key=repr)


def test_one_report_as_faers_ascii_and_as_openfda_json_gives_the_same_rows(write_quarter, tmp_path):
    ascii_zip = write_quarter("2014Q3", {
        "DEMO": [_DEMO], "DRUG": _DRUG,
        "REAC": ["100039174$10003917$Vulvovaginal pruritus$", "100039174$10003917$Drug ineffective$"],
        "OUTC": ["100039174$10003917$HO", "100039174$10003917$OT"],
        "THER": ["100039174$10003917$1$201401$$$"], "INDI": ["100039174$10003917$1$Atrophic vulvovaginitis"],
    })
    (tmp_path / "of").mkdir()
    js = tmp_path / "of" / "report.json"
    js.write_text(json.dumps({"meta": {}, "results": [_JSON]}))
    api.ingest([ascii_zip], lake=tmp_path / "ascii")
    api.ingest([js], lake=tmp_path / "openfda")
    for table in TABLES:
        assert _table_rows(tmp_path / "openfda", table) == _table_rows(tmp_path / "ascii", table), table
    assert _rows(tmp_path / "openfda", "SELECT count(*) FROM raw_ther")[0][0] == 1  # the dated drug only
    # the ASCII quarter is FAERS's own; openFDA must not overwrite it
    with pytest.raises(InputFileError, match="from FAERS ASCII"):
        api.ingest([js], lake=tmp_path / "ascii")


def test_a_quarter_is_replaced_only_by_a_run_holding_all_its_files(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps([_JSON]))
    b.write_text(json.dumps([dict(_JSON, safetyreportid="10003918")]))
    lake = tmp_path / "lake"
    api.ingest([a], lake=lake)
    with pytest.raises(InputFileError, match="a.json"):
        api.ingest([b], lake=lake)
    api.ingest([a, b], lake=lake)
    assert _rows(lake, "SELECT list_sort(list(caseid)) FROM raw_demo") == [([10003917, 10003918],)]
    with pytest.raises(InputFileError, match="separate"):
        api.ingest([a, tmp_path / "x.zip"], lake=lake)
    assert is_openfda_input(tmp_path) and is_openfda_input(a) and not is_openfda_input(tmp_path / "x.zip")
    (tmp_path / "faers_ascii_2014q3.zip").write_bytes(b"")
    assert not is_openfda_input(tmp_path)  # a FAERS folder with JSON side files stays FAERS


def test_cli_ingests_a_json_file(tmp_path, capsys):
    js = tmp_path / "page.json"
    js.write_text(json.dumps({"meta": {}, "results": [_JSON]}))
    with pytest.raises(SystemExit) as exc:
        main(["ingest", str(js), "--lake", str(tmp_path / "L")])
    assert exc.value.code == 0
    assert "2014Q3" in capsys.readouterr().out
    assert api.status(tmp_path / "L")["cases"] == 1


def test_code_rules():
    assert roles(["2", "1", "3", "1", None, "7"]) == ["C", "PS", "I", "SS", None, None]
    assert parse_date("20140815") == (date(2014, 8, 15), "D", True)
    assert parse_date("201408") == (date(2014, 8, 1), "M", True)
    assert parse_date("2014") == (date(2014, 1, 1), "Y", True)
    assert parse_date("20140231")[2] is False and parse_date("2014-08")[2] is False
    assert identity({"safetyreportid": "3078140", "safetyreportversion": "1"}) == (30781401, 3078140, 1, "faers")
    assert identity({"safetyreportid": "4562564-7", "@case_number": "3951234"}) == (4562564, 3951234, 0, "aers")
    with pytest.raises(Rejected, match="safetyreportversion"):
        identity({"safetyreportid": "3078140"})
