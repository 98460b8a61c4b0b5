"""Deduplication (FACTS.md §1.5) and drug-name normalisation on hand-made quarters."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pvsignal import api
from pvsignal.errors import InputFileError
from pvsignal.store.readers import owner_prefix

from faers_text import demo_b, drug_b


def _reac(pid, cid, pt):
    return f"{pid}${cid}${pt}$"


@pytest.fixture
def dedup_lake(write_quarter, tmp_path):
    # case 1: versions 1 (2023Q1) and 2 (2023Q2) → version 2 kept
    # case 2: two rows with the same fda_dt → the larger primaryid kept
    # case 3: listed on Deleted/DELETE23Q2.txt → gone
    # case 300: legacy CASE 300 in 2012Q3 (later fda_dt) and FAERS caseid 300 in 2013Q1 → FAERS kept
    # cases 4 and 5: different caseids, same event date/age/sex/country/drugs/PTs → 5 flagged (4 is later)
    # cases 6 and 7: same mfr_num and sender → 6 flagged
    legacy = write_quarter("2012Q3", {
        "DEMO": ["3001$300$I$$$20120701$$20121231$EXP$$$50$YR$M$N$$$20120801$MD$$$$UNITED STATES$"],
        "DRUG": ["3001$9001$PS$LUPKYNIS$1$$$$$$$$"],
        "REAC": ["3001$HEADACHE$"],
    })
    q1 = write_quarter("2013Q1", {
        "DEMO": [demo_b(3002, 300, 2, "20130105"), demo_b(11, 1, 1, "20130110"), demo_b(21, 2, 1, "20130110"),
                 demo_b(22, 2, 2, "20130110"), demo_b(31, 3, 1, "20130110")],
        "DRUG": [drug_b(3002, 300, 1, "PS", "LUPKYNIS"), drug_b(11, 1, 1, "PS", "VOCLOSPORIN 7.9 MG CAPSULE")],
        "REAC": [_reac(3002, 300, "Headache"), _reac(11, 1, "Tremor")],
    })
    q2 = write_quarter("2023Q2", {
        "DEMO": [demo_b(12, 1, 2, "20230420"),
                 demo_b(41, 4, 1, "20230502", event_dt="20230101", age="61", sex="F"),
                 demo_b(51, 5, 1, "20230501", event_dt="20230101", age="61", sex="F"),
                 demo_b(61, 6, 1, "20230501", mfr_num="US-ACME-1", mfr_sndr="ACME"),
                 demo_b(71, 7, 1, "20230502", mfr_num="US-ACME-1", mfr_sndr="ACME")],
        "DRUG": [drug_b(12, 1, 1, "PS", "LUPKYNIS"), drug_b(12, 1, 2, "C", "DILTIAZEM HYDROCHLORIDE"),
                 drug_b(41, 4, 1, "PS", "TACROLIMUS", "TACROLIMUS"), drug_b(51, 5, 1, "PS", "PROGRAF"),
                 drug_b(61, 6, 1, "PS", "MYSTERYDRUG"), drug_b(71, 7, 1, "PS", "X", "ACETAMINOPHEN\\HYDROCODONE BITARTRATE")],
        "REAC": [_reac(12, 1, "Headache"), _reac(12, 1, "Tremor"), _reac(41, 4, "Nausea"), _reac(51, 5, "nausea ")],
    }, deleted=[3])
    lake = tmp_path / "lake"
    api.ingest([legacy, q1, q2], lake=lake)
    return lake


def test_one_report_per_case_as_its_latest_version(dedup_lake):
    con = api.connect(dedup_lake)
    kept = dict(con.execute("SELECT caseid, primaryid FROM cases").fetchall())
    assert kept == {1: 12, 2: 22, 300: 3002, 4: 41, 5: 51, 6: 61, 7: 71}
    st = api.status(dedup_lake)
    # 11 DEMO rows: 1 deleted (case 3), 3 older versions (11, 21, 3001) → 7 cases
    assert (st["reports"], st["removed_deleted"], st["removed_old_versions"], st["cases"]) == (11, 1, 3, 7)
    assert st["cases_in_both_eras"] == 1
    assert st["deleted_caseids"] == 1


def test_probable_duplicates_are_flagged_not_deleted(dedup_lake):
    con = api.connect(dedup_lake)
    flagged = dict(con.execute("SELECT caseid, duplicate_of FROM cases WHERE probable_duplicate").fetchall())
    # 4 (fda_dt 20230502) is later than 5 → 5 flagged as duplicate of 4; 7 later than 6 → 6 flagged
    assert flagged == {5: 4, 6: 7}
    assert api.status(dedup_lake)["probable_duplicates"] == 2
    con2 = api.connect(dedup_lake, drop_probable_duplicates=True)
    assert sorted(r[0] for r in con2.execute("SELECT caseid FROM cases").fetchall()) == [1, 2, 4, 7, 300]
    assert con2.execute("SELECT count(*) FROM case_drugs WHERE caseid IN (5, 6)").fetchall() == [(0,)]


def test_drugs_of_the_kept_version_map_to_ingredients(dedup_lake):
    con = api.connect(dedup_lake)
    rows = con.execute(
        "SELECT caseid, drug_seq, role_cod, ingredient, ingredient_source FROM case_drugs ORDER BY caseid, drug_seq, ingredient"
    ).fetchall()
    assert rows == [
        (1, 1, "PS", "VOCLOSPORIN", "dictionary"),     # LUPKYNIS (version 2); version 1's row is gone
        (1, 2, "C", "DILTIAZEM", "dictionary"),        # salt removed, a known ingredient
        (4, 1, "PS", "TACROLIMUS", "prod_ai"),
        (5, 1, "PS", "TACROLIMUS", "dictionary"),      # PROGRAF
        (6, 1, "PS", "MYSTERYDRUG", "unmapped"),       # kept and counted
        (7, 1, "PS", "ACETAMINOPHEN", "prod_ai"),      # combination: one row per ingredient
        (7, 1, "PS", "HYDROCODONE", "prod_ai"),
        (300, 1, "PS", "VOCLOSPORIN", "dictionary"),
    ]
    assert api.status(dedup_lake)["drugs"]["unmapped_drug_names"] == 1
    pts = con.execute("SELECT caseid, pt FROM case_reactions ORDER BY caseid, pt").fetchall()
    assert pts == [(1, "HEADACHE"), (1, "TREMOR"), (4, "NAUSEA"), (5, "NAUSEA"), (300, "HEADACHE")]


def test_prepare_command_rebuilds_with_new_synonyms(dedup_lake, tmp_path):
    from typer.testing import CliRunner

    from pvsignal.cli import app

    syn = tmp_path / "syn.csv"
    syn.write_text("name,ingredient\nMYSTERYDRUG,RIVAROXABAN\n")
    res = CliRunner().invoke(app, ["prepare", "--lake", str(dedup_lake), "--synonyms", str(syn)])
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())  # Rich wraps lines at the terminal width
    assert "11 reports → 7 cases" in out and "flagged 2 probable duplicates" in out
    con = api.connect(dedup_lake)
    assert con.execute("SELECT ingredient, ingredient_source FROM case_drugs WHERE caseid = 6").fetchall() == [
        ("RIVAROXABAN", "user")]
    assert api.status(dedup_lake)["drugs"]["unmapped_drug_names"] == 0


def test_prepared_tables_of_an_older_layout_are_rebuilt(dedup_lake):
    """A manifest written by the first build layout (every case table a file) counts as stale."""
    from pvsignal.errors import LakeError
    from pvsignal.prepare.views import prepared_files
    from pvsignal.store.lake import Lake

    lake = Lake(dedup_lake)
    m = lake.manifest()
    m["prepared"]["files"] = {"cases": "prepared/cases-old.parquet", "case_drugs": "prepared/case_drugs-old.parquet"}
    lake.write_manifest(m)
    with pytest.raises(LakeError, match="missing or stale"):
        prepared_files(dedup_lake)
    con = api.connect(dedup_lake)  # rebuilds
    assert con.execute("SELECT count(*) FROM cases").fetchall() == [(7,)]


def test_age_and_weight_in_standard_units(write_quarter, tmp_path):
    # FACTS.md §1.3: DEC ×10, MON /12, WK /52, DY /365; LBS ×0.45359237; ages > 120 y are implausible
    lines = []
    for i, (age, cod) in enumerate([("4", "DEC"), ("18", "MON"), ("26", "WK"), ("73", "DY"), ("300", "YR")], start=1):
        f = demo_b(i * 10 + 1, i, 1, "20240110").split("$")
        f[13], f[14], f[18], f[19] = age, cod, "150", "LBS"
        lines.append("$".join(f))
    lake = tmp_path / "lake"
    api.ingest([write_quarter("2024Q1", {"DEMO": lines})], lake=lake)
    con = api.connect(lake)
    got = con.execute("SELECT caseid, age_years, wt_kg FROM cases ORDER BY caseid").fetchall()
    assert [g[0] for g in got] == [1, 2, 3, 4, 5]
    assert [g[1] for g in got[:4]] == pytest.approx([40.0, 1.5, 0.5, 0.2])
    assert got[4][1] is None
    assert got[0][2] == pytest.approx(68.0388555)


def test_normalize_a_csv_column(tmp_path):
    src = tmp_path / "names.csv"
    pd.DataFrame({"drug": ["LUPKYNIS", "Diltiazem HCl 120 mg tablets", "=HYPERLINK(1)", "", "Vicodin"]}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    df = api.drugs_normalize(src, column="drug", out=out)
    assert len(df) == 5
    assert df["ingredient"].tolist()[:2] == ["VOCLOSPORIN", "DILTIAZEM"]
    assert df.loc[4, "ingredient"] == "ACETAMINOPHEN; HYDROCODONE"
    assert df.loc[3, "ingredient_source"] == "missing" and not df.loc[3, "mapped"]
    assert df.loc[2, "ingredient_source"] == "unmapped"
    written = out.read_text()
    assert "'=HYPERLINK(1)" in written  # never a live formula in a spreadsheet
    with pytest.raises(InputFileError, match="no column 'name'"):
        api.drugs_normalize(src, column="name")


def test_build_map_from_drugsatfda(shared_dir, tmp_path):
    df, path = api.drugs_build_map(shared_dir / "data/reference/drugsatfda_products.csv", out=tmp_path / "map.csv")
    m = dict(zip(df["name"], df["ingredient"]))
    assert m["LUPKYNIS"] == "VOCLOSPORIN"  # Drugs@FDA ApplNo 213716
    assert path.is_file()
    with pytest.raises(InputFileError):
        api.drugs_build_map(tmp_path / "missing.txt", out=tmp_path / "x.csv")


@pytest.mark.parametrize(("raw", "clean"), [
    ("Diltiazem HCl 120 mg tablets", "DILTIAZEM"),
    ("ADAPALENE 0.1% GEL", "ADAPALENE"),  # a % strength (was left as "ADAPALENE 0 1")
    ("hydrocortisone 2,5 % cream", "HYDROCORTISONE"),
    ("AMOXICILLIN 250MG/5ML SUSPENSION", "AMOXICILLIN"),
    ("INSULIN GLARGINE 100 UNITS/ML PEN", "INSULIN GLARGINE"),
    ("VITAMIN B12", "VITAMIN B12"),  # a number that is not a strength stays
    ("5-FLUOROURACIL", "5-FLUOROURACIL"),
])
def test_clean_name_drops_strengths_forms_and_salts(raw, clean):
    from pvsignal.drugnames.clean import clean as clean_key, strip_salts

    assert strip_salts(clean_key([raw])).to_pylist() == [clean]


def test_connections_spill_inside_the_lake(dedup_lake):
    con = api.connect(dedup_lake)
    temp = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    assert Path(temp).parent == dedup_lake / ".tmp" and Path(temp).name.startswith(f"{owner_prefix()}-")
