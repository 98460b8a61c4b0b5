"""Case line listing: one row per case of the case series, each value as the prepared views hold it.

Expected values are read here with pandas from the prepared views (``SELECT *``) and the raw
DRUG rows, never through the listing code.
"""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from pvsignal.analysis.cases import case_series
from pvsignal.analysis.listing import LISTING_COLUMNS, case_listing
from pvsignal.analysis.population import CaseDefinition
from pvsignal.errors import UnknownNameError
from pvsignal.report.export import write_table


@pytest.fixture(scope="module")
def listing(planted_con):
    return case_listing(planted_con, "voclosporin")


@pytest.fixture(scope="module")
def views(planted_con):
    names = ("cases", "case_drugs", "case_reactions", "case_outc", "case_ther", "case_indi", "raw_drug")
    return {t: planted_con.execute(f"SELECT * FROM {t}").df() for t in names}


def test_one_row_per_case_of_the_case_series(planted_con, listing):
    n = case_series(planted_con, "voclosporin").n_cases
    assert n > 50
    assert len(listing) == n
    assert listing["caseid"].is_unique
    assert tuple(listing.columns) == LISTING_COLUMNS


def test_the_series_is_the_suspect_voclosporin_cases(views, listing):
    d = views["case_drugs"]
    expected = set(d.loc[(d["ingredient"] == "VOCLOSPORIN") & d["role_cod"].isin(["PS", "SS"]), "caseid"])
    assert set(listing["caseid"]) == expected


def _iso(x) -> str:
    return "" if pd.isna(x) else pd.Timestamp(x).strftime("%Y-%m-%d")


@pytest.mark.parametrize("pick", [0, -1])
def test_a_row_holds_what_the_views_hold(views, listing, pick):
    row = listing.iloc[pick]
    cid = row["caseid"]
    c = views["cases"].set_index("caseid").loc[cid]
    assert row["primaryid"] == c["primaryid"] and row["caseversion"] == c["caseversion"]
    for col in ("event_dt", "fda_dt", "init_fda_dt"):
        assert (row[col] if pd.notna(row[col]) else "") == _iso(c[col])
    for col, src in (("age_years", "age_years"), ("weight_kg", "wt_kg")):
        assert (pd.isna(row[col]) and pd.isna(c[src])) or row[col] == pytest.approx(c[src])
    assert (row["sex"], row["country"], row["reporter_country"], row["reporter_type"]) == \
        (c["sex"], c["occr_country"], c["reporter_country"], c["occp_cod"])
    pts = sorted(set(views["case_reactions"].loc[views["case_reactions"]["caseid"] == cid, "pt"]))
    assert row["events"] == "; ".join(pts)
    outc = set(views["case_outc"].loc[views["case_outc"]["caseid"] == cid, "outc_cod"])
    assert set(filter(None, row["outcomes"].split("; "))) == outc
    # drugs: in drug_seq order, each with its role, dose, route and therapy start
    d = views["case_drugs"][views["case_drugs"]["caseid"] == cid].sort_values(["drug_seq", "ingredient"])
    cells = row["drugs"].split(" | ")
    assert len(cells) == d["drug_seq"].nunique()
    raw = views["raw_drug"].set_index(["primaryid", "drug_seq"])
    ther = views["case_ther"][views["case_ther"]["caseid"] == cid]
    for cell, (seq, g) in zip(cells, d.groupby("drug_seq", sort=True)):
        name = "+".join(dict.fromkeys(g["ingredient"].dropna())) or g["drugname"].iloc[0]
        assert cell.startswith(f"{name} ({g['role_cod'].iloc[0]}")
        r = raw.loc[(c["primaryid"], seq)]
        for part in (r["dose_amt"], r["dose_unit"], g["route"].iloc[0]):
            if pd.notna(part) and str(part).strip():
                assert str(part).strip() in cell
        for start in ther.loc[ther["dsg_drug_seq"] == seq, "start_dt"].dropna():
            assert f"{_iso(start)}→" in cell
    indi = views["case_indi"][views["case_indi"]["caseid"] == cid]
    for pt in indi["indi_pt"].dropna().str.strip().str.upper():
        assert pt in row["indications"]


def test_voclosporin_cells_name_role_and_therapy(listing):
    voc = listing["drugs"].str.extract(r"(VOCLOSPORIN \((?:PS|SS)[^)]*\))")[0]
    assert voc.notna().all()  # every case lists its suspect voclosporin with the role
    assert voc.str.contains("→").any()  # planted onsets have a day-precise therapy start


def test_a_filtered_definition_restricts_the_listing(planted_con, views, listing):
    definition = CaseDefinition(quarters="2022Q3:2022Q4", sex="F")
    part = case_listing(planted_con, "voclosporin", definition=definition)
    c = views["cases"].set_index("caseid")
    keep = {cid for cid in listing["caseid"] if c.at[cid, "quarter"] >= "2022Q3" and c.at[cid, "sex"] == "F"}
    assert 0 < len(part) < len(listing)
    assert set(part["caseid"]) == keep
    assert len(part) == case_series(planted_con, "voclosporin", definition=definition).n_cases


def test_event_restricts_to_cases_with_the_pt(planted_con):
    part = case_listing(planted_con, "voclosporin", "headache")
    assert all("HEADACHE" in e.split("; ") for e in part["events"])
    assert len(part) == case_series(planted_con, "voclosporin", "headache").n_cases


def test_unknown_drug_says_did_you_mean(planted_con):
    with pytest.raises(UnknownNameError, match="VOCLOSPORIN"):
        case_listing(planted_con, "voclosporine")


def test_excel_has_frozen_header_and_filter(listing, tmp_path):
    path = write_table(listing.assign(drugs="=cmd|' /C calc'!A0"), tmp_path / "listing.xlsx", filters=True,
                       metadata={"drug": "VOCLOSPORIN"})
    ws = openpyxl.load_workbook(path)["results"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(LISTING_COLUMNS))}{len(listing) + 1}"
    assert ws.cell(1, 1).value == "caseid"
    assert ws.cell(2, LISTING_COLUMNS.index("drugs") + 1).value.startswith("'=")  # formula-safe
