"""Case characterisation on a small hand-made store; every expected count worked by hand.

The store (a real DuckDB file) holds the prepared views of store/schema.py as tables.
Drug DRUGA is suspect (PS/SS) in cases 1–10; case 11 has it only as concomitant, case 12
is a probable duplicate (added only where a test says so), case 13 has DRUGB only. Per-case values are listed in CASES.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import openpyxl
import pandas as pd
import pytest

from pvsignal.analysis.cases import case_series
from pvsignal.errors import AnalysisError, ConfigError, UnknownNameError
from pvsignal.prepare.meddra import register_pt_groups
from pvsignal.store.schema import COLUMNS

SQL_TYPE = {"string": "VARCHAR", "int64": "BIGINT", "int32": "INTEGER", "double": "DOUBLE", "date32[day]": "DATE"}
VIEW_COLUMNS = {
    "cases": [(n, SQL_TYPE[str(t)]) for n, t in COLUMNS["demo"]]
    + [("quarter", "VARCHAR"), ("era", "VARCHAR"), ("age_years", "DOUBLE"), ("wt_kg", "DOUBLE"),
       ("receipt_year", "INTEGER"), ("probable_duplicate", "BOOLEAN")],
    "case_drugs": [("caseid", "BIGINT"), ("primaryid", "BIGINT"), ("drug_seq", "BIGINT"), ("role_cod", "VARCHAR"),
                   ("drugname", "VARCHAR"), ("prod_ai", "VARCHAR"), ("ingredient", "VARCHAR"), ("route", "VARCHAR"),
                   ("dechal", "VARCHAR"), ("rechal", "VARCHAR"), ("dose_vbm", "VARCHAR")],
    "case_reactions": [("caseid", "BIGINT"), ("primaryid", "BIGINT"), ("pt", "VARCHAR"), ("drug_rec_act", "VARCHAR")],
    "case_ther": [("caseid", "BIGINT"), ("primaryid", "BIGINT"), ("dsg_drug_seq", "BIGINT"), ("start_dt", "DATE"),
                  ("start_dt_prec", "VARCHAR"), ("end_dt", "DATE"), ("end_dt_prec", "VARCHAR"), ("dur", "DOUBLE"),
                  ("dur_cod", "VARCHAR")],
    "case_indi": [("caseid", "BIGINT"), ("primaryid", "BIGINT"), ("indi_drug_seq", "BIGINT"), ("indi_pt", "VARCHAR")],
    "case_outc": [("caseid", "BIGINT"), ("primaryid", "BIGINT"), ("outc_cod", "VARCHAR")],
    "case_rpsr": [("caseid", "BIGINT"), ("primaryid", "BIGINT"), ("rpsr_cod", "VARCHAR")],
}


def make_store(path, rows: dict[str, list[dict]]) -> duckdb.DuckDBPyConnection:
    """A DuckDB file with the seven prepared views as tables; absent columns are null.

    ``primaryid`` defaults to caseid × 10 (one latest version per case)."""
    con = duckdb.connect(str(path))
    for view, cols in VIEW_COLUMNS.items():
        con.execute(f"CREATE TABLE {view} ({', '.join(f'{n} {t}' for n, t in cols)})")
        names = [n for n, _ in cols]
        data = [[{"primaryid": r["caseid"] * 10, **r}.get(n) for n in names] for r in rows.get(view, [])]
        if data:
            con.executemany(f"INSERT INTO {view} VALUES ({', '.join('?' * len(names))})", data)
    return con


# caseid: sex, age, age_cod, wt, wt_cod, occp_cod, rept_cod, reporter_country, occr_country, receipt_year
CASES = {
    1: ("F", 45, "YR", 70, "KG", "MD", "EXP", "US", "US", 2021),
    2: ("F", 5, "DEC", 150, "LBS", "PH", "EXP", "US", "US", 2021),      # 50 y; 68.04 kg
    3: ("M", 70, "YR", 90, "KG", "CN", "PER", "JP", "JP", 2022),
    4: ("M", 800, "MON", 80000, "GMS", "CN", "EXP", "US", "CA", 2022),  # 66.67 y; 80 kg
    5: ("F", 10, "YR", 30, "KG", "HP", "DIR", "GB", "GB", 2023),
    6: ("UNK", 90, "YR", 55, "KG", "MD", "EXP", None, None, 2023),
    7: (None, 200, "YR", None, None, None, "EXP", "US", "US", None),    # implausible age
    8: ("X", 30, None, 70, "ST", "ZZ", "EXP", "FR", "FR", 2021),        # bad codes
    9: ("F", 40, "QQ", 120, "KG", "MD", "PER", "US", "US", 2022),
    10: ("M", 3, "WK", 700, "KG", "MD", "EXP", "US", "US", 2021),       # 0.058 y; implausible weight
    11: ("F", 50, "YR", 60, "KG", "MD", "EXP", "US", "US", 2021),       # DRUGA concomitant only
    13: ("M", 50, "YR", 60, "KG", "MD", "EXP", "US", "US", 2021),       # DRUGB only
}
DEMO_KEYS = ("sex", "age", "age_cod", "wt", "wt_cod", "occp_cod", "rept_cod", "reporter_country",
             "occr_country", "receipt_year")
REACTIONS = {1: ["HEADACHE"], 2: ["HEADACHE", "TREMOR"], 3: ["TREMOR"], 4: ["HEADACHE"], 5: ["NAUSEA"],
             6: ["HEADACHE"], 7: ["HEADACHE"], 8: ["TREMOR"], 9: ["HEADACHE"], 10: ["TREMOR"],
             11: ["HEADACHE"], 13: ["HEADACHE"]}
OUTCOMES = {1: ["HO"], 2: ["HO", "DE"], 4: ["LT"], 5: ["OT"], 6: ["XX"], 8: ["HO"], 10: ["DS", "HO"], 13: ["DE"]}
DRUGS = [  # caseid, drug_seq, role, ingredient
    *[(c, 1, "PS", "DRUGA") for c in (1, 4, 5, 6, 7, 8, 9, 10)],
    (2, 1, "SS", "DRUGA"), (3, 1, "PS", "DRUGA"), (3, 2, "SS", "DRUGA"),
    (1, 2, "C", "DRUGB"), (2, 2, "C", "DRUGB"), (3, 3, "C", "DRUGB"), (4, 2, "PS", "DRUGB"),
    (1, 3, "C", "DRUGC"), (11, 1, "C", "DRUGA"), (13, 1, "PS", "DRUGB"),
]
INDI = [(1, 1, "Lupus nephritis"), (2, 1, "lupus nephritis "), (3, 1, "LUPUS NEPHRITIS"), (3, 2, "LUPUS NEPHRITIS"),
        (1, 2, "HYPERTENSION"), (4, 1, "PRODUCT USED FOR UNKNOWN INDICATION"), (5, 1, "=1+1")]
RPSR = [(1, "HP"), (2, "HP"), (3, "CSM"), (4, "FGN")]


@pytest.fixture
def con(tmp_path):
    rows = {
        "cases": [{"caseid": c, **dict(zip(DEMO_KEYS, v)), "probable_duplicate": False,
                   "event_dt": dt.date(2021, 1, 1), "event_dt_prec": "D"} for c, v in CASES.items()],
        "case_reactions": [{"caseid": c, "pt": p} for c, pts in REACTIONS.items() for p in pts],
        "case_outc": [{"caseid": c, "outc_cod": o} for c, os in OUTCOMES.items() for o in os],
        "case_drugs": [{"caseid": c, "drug_seq": s, "role_cod": r, "ingredient": i, "drugname": i}
                       for c, s, r, i in DRUGS],
        "case_indi": [{"caseid": c, "indi_drug_seq": s, "indi_pt": p} for c, s, p in INDI],
        "case_rpsr": [{"caseid": c, "rpsr_cod": r} for c, r in RPSR],
    }
    con = make_store(tmp_path / "store.duckdb", rows)
    yield con
    con.close()


def table(df: pd.DataFrame) -> dict[str, int]:
    return dict(zip(df["category"], df["n"]))


def test_drug_population_is_suspect_deduplicated_cases(con):
    cs = case_series(con, "druga")
    assert cs.n_cases == 10  # cases 1–10; case 11 (concomitant only) left out
    assert case_series(con, "DRUGA", roles=None).n_cases == 11


def test_probable_duplicates_count_unless_dropped(con):
    con.execute("INSERT INTO cases (caseid, primaryid, sex, probable_duplicate) VALUES (12, 120, 'F', TRUE)")
    con.execute("INSERT INTO case_drugs (caseid, primaryid, drug_seq, role_cod, ingredient) VALUES (12, 120, 1, 'PS', 'DRUGA')")
    assert case_series(con, "DRUGA").n_cases == 11
    dropped = case_series(con, "DRUGA", drop_probable_duplicates=True)
    assert dropped.n_cases == 10 and "dropped" in dropped.parameters["population"]


def test_sex_age_weight_tables_by_hand(con):
    cs = case_series(con, "DRUGA")
    assert table(cs.sex) == {"Female": 4, "Male": 3, "Unknown": 1, "unknown code: X": 1, "missing": 1}
    assert list(cs.age_group["category"]) == ["<18", "18-64", "65-85", ">85", "implausible age",
                                              "missing unit", "unknown code: QQ"]
    # ages: 45, 50 (5 DEC ×10, not ×12), 70, 66.7 (800 MON), 10, 90, 0.058 (3 WK)
    assert list(cs.age_group["n"]) == [2, 2, 2, 1, 1, 1, 1]
    assert table(cs.weight_group) == {"<50": 1, "50-79": 3, "80-99": 2, ">=100": 1, "implausible weight": 1,
                                      "missing": 1, "unknown code: ST": 1}
    age = cs.summary.set_index("variable").loc["age_years"]
    # sorted valid ages 0.0577, 10, 45, 50, 66.667, 70, 90: type-7 quartiles at positions 1.5, 3, 4.5
    assert age["n"] == 7
    assert age["median"] == pytest.approx(50)
    assert age["q1"] == pytest.approx(27.5)
    assert age["q3"] == pytest.approx((800 / 12 + 70) / 2)
    wt = cs.summary.set_index("variable").loc["weight_kg"]
    assert wt["n"] == 7 and wt["min"] == pytest.approx(30) and wt["max"] == pytest.approx(120)
    for t in (cs.sex, cs.age_group, cs.weight_group):  # single-valued tables account for every case
        assert t["n"].sum() == 10 and t["share"].sum() == pytest.approx(1.0)
    assert cs.sex.set_index("category").loc["Female", "share"] == pytest.approx(0.4)


def test_reporter_and_report_tables_by_hand(con):
    cs = case_series(con, "DRUGA")
    assert table(cs.reporter_occupation) == {"Physician": 4, "Pharmacist": 1, "Consumer": 2,
                                             "Health professional": 1, "unknown code: ZZ": 1, "missing": 1}
    assert list(cs.reporter_occupation["category"])[:4] == ["Physician", "Pharmacist", "Consumer", "Health professional"]
    assert table(cs.report_type) == {"Expedited (15-day)": 7, "Periodic": 2, "Direct": 1}
    assert list(cs.reporter_country.itertuples(index=False, name=None)) == [
        ("US", 6, 0.6), ("FR", 1, 0.1), ("GB", 1, 0.1), ("JP", 1, 0.1), ("missing", 1, 0.1)]
    assert table(cs.occurrence_country) == {"US": 5, "CA": 1, "FR": 1, "GB": 1, "JP": 1, "missing": 1}
    assert list(cs.receipt_year["category"]) == ["2021", "2022", "2023", "missing"]
    assert list(cs.receipt_year["n"]) == [4, 3, 2, 1]
    assert table(cs.report_source) == {"Foreign": 1, "Consumer": 1, "Health professional": 2}


def test_seriousness_and_each_outcome(con):
    cs = case_series(con, "DRUGA")
    assert table(cs.seriousness) == {"serious": 7, "non-serious (no outcome recorded)": 3}
    # every outcome listed, zeros included, unknown code shown, in FAERS order
    assert list(cs.outcomes.itertuples(index=False, name=None)) == [
        ("Death", 1, 0.1), ("Life-threatening", 1, 0.1), ("Hospitalisation", 4, 0.4), ("Disability", 1, 0.1),
        ("Congenital anomaly", 0, 0.0), ("Required intervention", 0, 0.0), ("Other serious", 1, 0.1),
        ("unknown code: XX", 1, 0.1)]


def test_indications_of_the_drug_and_co_reported_drugs(con):
    cs = case_series(con, "DRUGA")
    # indications of DRUGA's own drug_seq only (HYPERTENSION belongs to DRUGB), one count per case
    assert table(cs.indications) == {"LUPUS NEPHRITIS": 3, "=1+1": 1, "PRODUCT USED FOR UNKNOWN INDICATION": 1}
    assert table(cs.co_reported_drugs) == {"DRUGB": 4, "DRUGC": 1}
    assert table(case_series(con, "DRUGA", top_n=1).indications) == {"LUPUS NEPHRITIS": 3}


def test_drug_event_pair(con):
    cs = case_series(con, "DRUGA", "headache")
    assert cs.n_cases == 6  # cases 1, 2, 4, 6, 7, 9
    assert table(cs.sex) == {"Female": 3, "Male": 1, "Unknown": 1, "missing": 1}
    assert cs.parameters["event"] == "headache" and cs.parameters["roles"] == ["PS", "SS"]


def test_event_group_level(con):
    register_pt_groups(con, pd.DataFrame({"pt": ["HEADACHE", "TREMOR"], "group_name": "Neuro", "level": "group"}))
    cs = case_series(con, "DRUGA", "neuro", level="group")
    assert cs.n_cases == 9  # every DRUGA suspect case but case 5 (NAUSEA)
    with pytest.raises(ConfigError, match="soc"):
        case_series(con, "DRUGA", "Neuro", level="soc")


def test_unknown_names_and_empty_pairs_are_user_errors(con):
    with pytest.raises(UnknownNameError, match="DRUGA"):
        case_series(con, "DRUGAA")
    with pytest.raises(UnknownNameError, match="HEADACHE"):
        case_series(con, "DRUGA", "HEADACHEE")
    with pytest.raises(ConfigError, match="pt_groups|groups"):
        case_series(con, "DRUGA", "Neuro", level="group")
    with pytest.raises(AnalysisError):
        case_series(con, "DRUGC", "NAUSEA")  # case 1 has DRUGC only as concomitant


def test_export_xlsx_one_sheet_per_table_and_csv_is_formula_safe(con, tmp_path):
    from pvsignal.report.export import write_table

    cs = case_series(con, "DRUGA")
    xlsx = write_table(cs.long(), tmp_path / "cases.xlsx", metadata=cs.metadata(), sheets=cs.tables())
    wb = openpyxl.load_workbook(xlsx)
    assert {"sex", "age_group", "outcomes", "indications", "co_reported_drugs", "parameters"} <= set(wb.sheetnames)
    sheet = wb["outcomes"]
    assert [c.value for c in sheet[1]] == ["category", "n", "share"]
    assert sheet["A4"].value == "Hospitalisation" and sheet["B4"].value == 4
    csv = write_table(cs.long(), tmp_path / "cases.csv", metadata=cs.metadata(), sheets=cs.tables())
    long = pd.read_csv(csv)
    assert len(long) == len(cs.long())
    assert "'=1+1" in set(long["category"])  # formula neutralised by write_table


def test_cli_cases_tables_json_and_export(con, tmp_path, monkeypatch):
    import json

    from typer.testing import CliRunner

    from pvsignal.cli import app, case_commands

    monkeypatch.setattr(case_commands, "_connect", lambda lake, drop: con)
    out = tmp_path / "cases.xlsx"
    res = CliRunner().invoke(app, ["cases", "--drug", "DRUGA", "--event", "HEADACHE", "--json", "--out", str(out),
                                   "--plots", str(tmp_path / "fig")])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["n_cases"] == 6
    assert {r["category"]: r["n"] for r in d["tables"]["sex"]} == {"Female": 3, "Male": 1, "Unknown": 1, "missing": 1}
    assert out.exists() and (tmp_path / "fig" / "outcomes.png").exists() and (tmp_path / "fig" / "age.png").exists()
    groups = tmp_path / "g.yaml"
    groups.write_text("groups:\n  Neuro: [headache, tremor]\n")
    res = CliRunner().invoke(app, ["cases", "--drug", "DRUGA", "--event", "Neuro", "--level", "group",
                                   "--groups", str(groups)])
    assert res.exit_code == 0, res.output
    assert "9 cases" in res.output and "outcomes" in res.output
