"""write_table: typed key/value sheets in Excel, and report text never becomes a formula."""

from __future__ import annotations

import openpyxl
import pandas as pd

from pvsignal.report.export import key_values, write_table


def test_parameters_and_prior_sheets_store_numbers_as_numbers(tmp_path):
    path = tmp_path / "scores.xlsx"
    meta = {"software": "pvsignal x", "population_reports": 1500, "level": 0.95, "fisher": False,
            "source": {"type": "reports table", "tally": {"cases": 12, "rows_not_used": 0}},
            "quarters": ["2024Q1", "2024Q2"], "note": None}
    prior = {"alpha1": 0.2041, "beta1": 0.05816, "p": 0.3333, "converged": True, "at_bound": False}
    write_table(pd.DataFrame({"drug": ["a"], "n": [3]}), path, metadata=meta, sheets={"mgps_prior": prior})
    wb = openpyxl.load_workbook(path)
    params = {r[0]: r[1] for r in wb["parameters"].iter_rows(min_row=2, values_only=True)}
    assert params["population_reports"] == 1500 and isinstance(params["population_reports"], int)
    assert params["level"] == 0.95 and isinstance(params["level"], float)
    assert params["fisher"] is False
    assert params["source.tally.cases"] == 12  # nested keys flattened with dots
    assert params["source.type"] == "reports table"
    assert params["quarters"] == "2024Q1, 2024Q2"
    assert params["note"] is None
    cells = {r[0].value: r[1] for r in wb["mgps_prior"].iter_rows(min_row=2)}
    assert cells["alpha1"].value == 0.2041 and cells["alpha1"].data_type == "n"
    assert cells["converged"].value is True and cells["converged"].data_type == "b"
    assert [c.value for c in wb["mgps_prior"][1]] == ["parameter", "value"]


def test_text_from_reports_never_becomes_a_formula(tmp_path):
    risky = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "plain", "-1.5"]
    df = pd.DataFrame({"event": risky, "n": range(len(risky))})
    path = tmp_path / "t.xlsx"
    write_table(df, path, metadata={"drug": "=cmd|' /C calc'!A0"})
    wb = openpyxl.load_workbook(path)
    values = [c.value for c in wb["results"]["A"][1:]]
    assert values == ["'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3", "'@SUM(A1)", "plain", "-1.5"]
    assert all(c.data_type == "s" for c in wb["results"]["A"][1:])  # text, never 'f' (formula)
    drug = next(r[1] for r in wb["parameters"].iter_rows(min_row=2) if r[0].value == "drug")
    assert drug.value == "'=cmd|' /C calc'!A0" and drug.data_type == "s"
    csv = tmp_path / "t.csv"
    write_table(df, csv)
    assert pd.read_csv(csv)["event"].tolist()[:4] == ["'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3", "'@SUM(A1)"]


def test_key_values_flattens_and_types():
    kv = key_values({"a": {"b": 1.5, "c": [1, 2]}, "d": "x"})
    assert kv["parameter"].tolist() == ["a.b", "a.c", "d"]
    assert kv["value"].tolist() == [1.5, "1, 2", "x"]
