"""Brand names and synonyms wherever the user names a drug (issue 15); `drugs normalize` on hostile cells."""

from __future__ import annotations

import json

import pandas as pd


def test_brand_in_drug_option_resolves_with_a_note(cli_lake, run):
    code, out, err = run(["cases", "--drug", "LUPKYNIS", "--lake", str(cli_lake)])
    assert code == 0, err
    assert "note: LUPKYNIS → voclosporin" in err
    code2, out2, _ = run(["cases", "--drug", "voclosporin", "--lake", str(cli_lake)])
    assert code2 == 0 and out2 == out  # the same analysis as the ingredient's


def test_brand_in_signals_drug_filter(cli_lake, run, tmp_path):
    out = tmp_path / "s.csv"
    code, _, err = run(["signals", "--lake", str(cli_lake), "--drug", "lupkynis", "--out", str(out), "--min-count", "1"])
    assert code == 0, err
    rows = pd.read_csv(out)
    assert len(rows) and set(rows["drug"]) == {"VOCLOSPORIN"}
    assert "LUPKYNIS → voclosporin" in err


def test_combination_brand_for_one_drug_is_a_usage_error(cli_lake, run):
    code, _, err = run(["cases", "--drug", "vicodin", "--lake", str(cli_lake)])
    assert code == 2 and "combination product" in err and "Traceback" not in err


def test_interactions_known_drug_without_rule_exits_0(run):
    code, out, err = run(["interactions", "voclosporin", "--with", "acetaminophen", "--json"])
    assert code == 0, err
    row = json.loads(out)[0]
    assert row["ingredient"] == "ACETAMINOPHEN" and row["mechanism"].startswith("no CYP3A/P-gp rule for acetaminophen")


def test_interactions_brand_partner_note_and_unknown_name(run):
    code, out, err = run(["interactions", "LUPKYNIS", "--with", "Tylenol", "--json"])
    assert code == 0 and "note: TYLENOL → acetaminophen" in err
    code, _, err = run(["interactions", "voclosporin", "--with", "acetaminofen"])
    assert code == 2 and "acetaminophen" in err and "Traceback" not in err


def test_drugs_normalize_never_crashes_on_hostile_cells(tmp_path, run):
    src = tmp_path / "names.csv"
    pd.DataFrame({"drugname": ["", "12345", "ロキソニン", "Ácido acetilsalicílico", "Straße", "MOPRAL(OMEPRAZOLE)",
                               "Entresto 24-26 mg"]}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    code, _, err = run(["drugs", "normalize", str(src), "--out", str(out)])
    assert code == 0, err
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert df["ingredient"].tolist() == ["", "12345", "ロキソニン", "ACIDO ACETILSALICILICO", "STRASSE", "OMEPRAZOLE",
                                         "SACUBITRIL; VALSARTAN"]
    assert df["ingredient_source"].tolist() == ["missing", "unmapped", "unmapped", "unmapped", "unmapped", "dictionary",
                                                "dictionary"]
    numeric = tmp_path / "numeric.csv"
    numeric.write_text("drugname\n1\n2\n")
    assert run(["drugs", "normalize", str(numeric), "--out", str(tmp_path / "n.csv")])[0] == 0


def test_signals_at_drug_class_level(cli_lake, views, run, tmp_path):
    """--drug-level class: a report counts once per FDA EPC class of its suspect ingredients."""
    from pvsignal.drugnames.dictionary import drug_classes

    out = tmp_path / "cls.csv"
    code, _, err = run(["signals", "--lake", str(cli_lake), "--drug-level", "class", "--min-count", "1",
                        "--out", str(out)])
    assert code == 0, err
    got = pd.read_csv(out)
    # independent count from the prepared views: suspect (PS, SS) rows → classes → distinct (case, class, PT)
    cls = drug_classes()
    d = views["case_drugs"]
    d = d[d["role_cod"].isin(["PS", "SS"])].merge(cls, on="ingredient")[["caseid", "drug_class"]].drop_duplicates()
    pairs = d.merge(views["case_reactions"][["caseid", "pt"]].drop_duplicates(), on="caseid")
    n = pairs.groupby(["drug_class", "pt"]).size()
    tnf = got[got["drug"] == "Tumor Necrosis Factor Blocker"].set_index("event")["n"]
    assert len(tnf) > 5
    for event, k in tnf.items():
        assert k == n[("Tumor Necrosis Factor Blocker", event.upper())], event
    assert "Calcineurin Inhibitor Immunosuppressant" in set(cls.loc[cls["ingredient"] == "TACROLIMUS", "drug_class"])


def test_unknown_drug_level_is_a_config_error():
    import pytest

    from pvsignal import api
    from pvsignal.errors import ConfigError

    with pytest.raises(ConfigError, match="drug_level must be ingredient or class"):
        api.case_definition(drug_level="atc")


def test_case_characterisation_lists_co_reported_classes(cli_lake, views):
    """Co-reported classes: the FDA EPC classes of the other ingredients of the drug's cases (any role)."""
    from pvsignal import api
    from pvsignal.drugnames.dictionary import drug_classes

    cs = api.cases("voclosporin", lake=cli_lake, top_n=50)
    d = views["case_drugs"]
    cases = set(d.loc[d["role_cod"].isin(["PS", "SS"]) & (d["ingredient"] == "VOCLOSPORIN"), "caseid"])
    other = d[d["caseid"].isin(cases) & (d["ingredient"] != "VOCLOSPORIN")].merge(drug_classes(), on="ingredient")
    want = other.groupby("drug_class")["caseid"].nunique()
    got = cs.co_reported_classes.set_index("category")["n"]
    assert len(got) > 3
    for cls, n in got.items():
        assert n == want[cls], cls
    assert (cs.co_reported_classes["share"] == cs.co_reported_classes["n"] / cs.n_cases).all()


def test_brands_resolve_in_comparator_and_unmask(cli_lake, run, tmp_path):
    """--comparator and --unmask take brands like --drug (LUPKYNIS is voclosporin's brand)."""
    tables = {}
    for name in ("LUPKYNIS", "voclosporin"):
        out = tmp_path / f"{name}.csv"
        code, _, err = run(["signals", "--lake", str(cli_lake), "--event", "headache", "--min-count", "1",
                            "--unmask", name, "--out", str(out)])
        assert code == 0, err
        assert ("note: LUPKYNIS → voclosporin" in err) == (name == "LUPKYNIS")
        tables[name] = pd.read_csv(out)
    pd.testing.assert_frame_equal(tables["LUPKYNIS"], tables["voclosporin"])
    assert "VOCLOSPORIN" not in set(tables["LUPKYNIS"]["drug"])  # its reports are out of the population
    code, out, err = run(["signals", "--lake", str(cli_lake), "--event", "headache", "--comparator", "lupkynis",
                          "--min-count", "1"])
    assert code == 0, err
    assert "note: LUPKYNIS → voclosporin" in err and "against VOCLOSPORIN" in out


def test_the_comparator_cannot_be_the_drug_itself(cli_lake, run):
    code, _, err = run(["signals", "--lake", str(cli_lake), "--drug", "voclosporin", "--comparator", "LUPKYNIS"])
    assert code == 2 and "Traceback" not in err
    assert "VOCLOSPORIN is the active comparator: it cannot also be the drug compared with it" in err


def test_a_user_class_file_replaces_fda_classes(cli_lake, views, run, tmp_path):
    """--drug-classes FILE (an ATC export or a company's grouping): its classes replace FDA's EPC for the
    ingredients it lists; voclosporin (approved 2021, absent from the 2019 NDC file) gets a class."""
    classes = tmp_path / "atc.csv"
    classes.write_text("ingredient,class\nvoclosporin,L04AD calcineurin inhibitors\nTacrolimus,L04AD calcineurin inhibitors\n")
    out = tmp_path / "cls.csv"
    code, _, err = run(["signals", "--lake", str(cli_lake), "--drug-level", "class", "--drug-classes", str(classes),
                        "--min-count", "1", "--out", str(out)])
    assert code == 0, err
    got = pd.read_csv(out)
    cni = got[got["drug"] == "L04AD calcineurin inhibitors"].set_index("event")["n"]
    # independent: distinct cases with voclosporin or tacrolimus as suspect, per PT
    d = views["case_drugs"]
    ids = d.loc[d["role_cod"].isin(["PS", "SS"]) & d["ingredient"].isin(["VOCLOSPORIN", "TACROLIMUS"]), "caseid"].unique()
    r = views["case_reactions"]
    n = r[r["caseid"].isin(ids)].drop_duplicates(["caseid", "pt"]).groupby("pt").size()
    assert len(cni) > 5 and n.sum() > 0
    for event, k in cni.items():
        assert k == n[event.upper()], event
    from pvsignal.drugnames.dictionary import drug_classes

    mine = drug_classes(classes)  # tacrolimus's FDA class replaced, cyclosporine's kept
    assert list(mine.loc[mine["ingredient"] == "TACROLIMUS", "drug_class"]) == ["L04AD calcineurin inhibitors"]
    assert "Calcineurin Inhibitor Immunosuppressant" in set(mine.loc[mine["ingredient"] == "CYCLOSPORINE", "drug_class"])
    bad = tmp_path / "bad.csv"
    bad.write_text("drug,atc\nx,y\n")
    code, _, err = run(["signals", "--lake", str(cli_lake), "--drug-level", "class", "--drug-classes", str(bad)])
    assert code == 2 and "needs columns ingredient, class" in err and "Traceback" not in err


def test_drugs_normalize_keeps_a_row_for_an_empty_line(tmp_path, run):
    """One row out per row in: a blank line of a one-column CSV is an empty name, not skipped."""
    names = tmp_path / "names.csv"
    names.write_text("drugname\nHUMIRA\n\nREVLIMID\n")
    out = tmp_path / "out.csv"
    code, _, err = run(["drugs", "normalize", str(names), "--out", str(out)])
    assert code == 0, err
    got = pd.read_csv(out, keep_default_na=False)
    assert len(got) == 3
    assert list(got["ingredient"]) [::2] == ["ADALIMUMAB", "LENALIDOMIDE"]
    assert got["drugname"].iloc[1] == "" and got["ingredient_source"].iloc[1] == "missing"
