"""``--drug`` at ``--drug-level class``: a class name selects its rows; a brand or ingredient
becomes its ingredient's class(es) with a note (``LUPKYNIS → voclosporin → <class>``); a drug
without a class is a clear usage error (was: "no drug named LUPKYNIS")."""

from __future__ import annotations

import pandas as pd
import pytest

CNI = "Calcineurin Inhibitor Immunosuppressant"  # FDA EPC of tacrolimus and cyclosporine (classes.parquet)


def _signals(run, lake, out, *args):
    code, _, err = run(["signals", "--lake", str(lake), "--drug-level", "class", "--min-count", "1",
                        "--out", str(out), *args])
    return code, err, (pd.read_csv(out) if code == 0 else None)


def test_a_brand_at_class_level_is_its_ingredients_class(cli_lake, run, tmp_path):
    code, err, by_brand = _signals(run, cli_lake, tmp_path / "brand.csv", "--drug", "PROGRAF")
    assert code == 0, err
    assert f"note: PROGRAF → tacrolimus → {CNI}" in err
    code, err, by_class = _signals(run, cli_lake, tmp_path / "class.csv", "--drug", CNI.lower())
    assert code == 0, err
    assert set(by_brand["drug"]) == {CNI} and len(by_brand) > 3
    pd.testing.assert_frame_equal(by_brand, by_class)  # the class's own rows, scored the same way


def test_a_brand_with_a_users_class_file(cli_lake, run, tmp_path):
    classes = tmp_path / "atc.csv"
    classes.write_text("ingredient,class\nvoclosporin,L04AD calcineurin inhibitors\n")
    code, err, t = _signals(run, cli_lake, tmp_path / "s.csv", "--drug", "LUPKYNIS", "--drug-classes", str(classes))
    assert code == 0, err
    assert "note: LUPKYNIS → voclosporin → L04AD calcineurin inhibitors" in err
    assert set(t["drug"]) == {"L04AD calcineurin inhibitors"}


def test_a_drug_without_a_class_says_so(cli_lake, run, tmp_path):
    """voclosporin (approved 2021) is not in FDA's 2019 EPC file: a message, not "no drug named"."""
    code, err, _ = _signals(run, cli_lake, tmp_path / "s.csv", "--drug", "LUPKYNIS")
    assert code == 2 and "Traceback" not in err
    assert "LUPKYNIS → voclosporin has no drug class among FDA's EPC classes" in err
    assert "--drug-classes" in err and "no drug named" not in err


def test_an_ingredient_with_several_classes_keeps_them_all_and_lists_them(cli_lake, run, tmp_path):
    from pvsignal.drugnames.dictionary import drug_classes

    c = drug_classes()
    want = sorted(c.loc[c["ingredient"] == "POTASSIUM CHLORIDE", "drug_class"])
    assert want == ["Osmotic Laxative", "Potassium Salt"]  # FDA EPC, classes.parquet
    code, err, t = _signals(run, cli_lake, tmp_path / "s.csv", "--drug", "potassium chloride")
    assert code == 0, err
    assert "note: potassium chloride → 2 classes: Osmotic Laxative; Potassium Salt" in err
    assert set(t["drug"]) == set(want)


def test_an_unknown_name_at_class_level_offers_close_class_names(cli_lake, run, tmp_path):
    code, err, _ = _signals(run, cli_lake, tmp_path / "s.csv", "--drug", "Calcineurin Inhibitor Immunosupressant")
    assert code == 2 and "Traceback" not in err
    assert "no drug class named 'CALCINEURIN INHIBITOR IMMUNOSUPRESSANT'" in err and CNI.upper() in err


def test_api_signals_resolves_a_brand_at_class_level(cli_lake):
    from pvsignal import api
    from pvsignal.errors import ConfigError

    definition = api.case_definition(drug_level="class")
    res = api.signals(cli_lake, drug="Prograf", definition=definition, min_count=1)
    assert set(res.table["drug"]) == {CNI}
    assert res.metadata["notes"] == [f"PROGRAF → tacrolimus → {CNI}"]
    assert res.config.drug == [CNI]  # the sidecar reruns the same selection
    ref = api.signals(cli_lake, drug=CNI, definition=definition, min_count=1)
    pd.testing.assert_frame_equal(res.table, ref.table)
    assert "notes" not in ref.metadata
    with pytest.raises(ConfigError, match="voclosporin has no drug class"):
        api.signals(cli_lake, drug="LUPKYNIS", definition=definition)
