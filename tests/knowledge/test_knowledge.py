"""Knowledge files: loading, validation errors, synonyms, and every voclosporin label-rule branch.

Expected actions are the LUPKYNIS label's (FACTS.md §3.2): strong CYP3A4 inhibitors
contraindicated; moderate inhibitors → 15.8 mg in the morning and 7.9 mg in the evening;
mild inhibitors no adjustment; strong and moderate inducers avoid; P-gp substrates with a
narrow therapeutic index monitor. Categories: UpToDate/FDA tables in FACTS.md §4.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pvsignal.errors import ConfigError, UnknownNameError
from pvsignal.knowledge import DEFAULT_DIR, check_interactions, load_knowledge, parse_class


@pytest.fixture
def kdir(tmp_path) -> Path:
    """A writable copy of the packaged knowledge folder."""
    dst = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, dst)
    return dst


def _append(path: Path, line: str) -> int:
    """Append a line; return its 1-based line number."""
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text + line + "\n", encoding="utf-8")
    return text.count("\n") + 1


# --------------------------------------------------------------------------- packaged data


def test_packaged_knowledge_loads_with_expected_categories():
    kn = load_knowledge()
    strong = set(kn.class_members("strong-cyp3a4-inhibitor")["ingredient"])
    # FACTS.md §4: 21 strong CYP3A inhibitors (single ingredients) + boceprevir, telaprevir (2018)
    assert {"KETOCONAZOLE", "ITRACONAZOLE", "CLARITHROMYCIN", "RITONAVIR", "BOCEPREVIR"} <= strong
    assert len(strong) == 23
    assert "DILTIAZEM" in set(kn.class_members("moderate-cyp3a4-inhibitor")["ingredient"])
    assert "RIFAMPIN" in set(kn.class_members("strong-cyp3a-inducer")["ingredient"])
    assert "VOCLOSPORIN" in set(kn.class_members("pgp-inhibitor")["ingredient"])
    assert kn.perpetrators[kn.perpetrators.nti.eq(True)].ingredient.tolist() == ["DIGOXIN"]
    # every row carries a known source and a version
    assert kn.perpetrators.source.isin(kn.sources).all() and kn.perpetrators.version.str.len().gt(0).all()
    assert set(kn.rules) == {"VOCLOSPORIN"}


def test_packaged_knowledge_is_cached():
    assert load_knowledge() is load_knowledge()


@pytest.mark.parametrize(
    "name, ingredient",
    [
        ("NIZORAL", "KETOCONAZOLE"), ("nizoral", "KETOCONAZOLE"), ("Rifampicin", "RIFAMPIN"),
        ("RIFADIN", "RIFAMPIN"), ("  lanoxin ", "DIGOXIN"), ("diltiazem hydrochloride", "DILTIAZEM"),
        ("Cardizem", "DILTIAZEM"), ("LUPKYNIS", "VOCLOSPORIN"), ("dabigatran etexilate mesylate", "DABIGATRAN"),
        ("ciclosporin", "CYCLOSPORINE"), ("ketoconazole", "KETOCONAZOLE"),
        # a drug with no knowledge row is still known through the shipped dictionary (issue 15; was None)
        ("paracetamol", "ACETAMINOPHEN"), ("TYLENOL", "ACETAMINOPHEN"), ("zzqxnotadrug", None),
    ],
)
def test_names_resolve_case_insensitively_through_synonyms_and_salts(name, ingredient):
    assert load_knowledge().names.resolve(name) == ingredient


# --------------------------------------------------------------------------- label rules


def test_issue_example_every_action():
    df = check_interactions("voclosporin", with_=["ketoconazole", "diltiazem", "digoxin", "rifampin"])
    assert df.action.tolist() == ["contraindicated", "adjust dose", "monitor", "avoid"]
    assert df.dose[1] == "reduce voclosporin to 15.8 mg in the morning and 7.9 mg in the evening"
    assert "nephrotoxicity" in df.mechanism[0]
    assert df.source[0].startswith("LUPKYNIS (voclosporin) US prescribing information")
    assert df.source_id[3] == "MEDSCAPE-LUPKYNIS"  # strong inducers: Medscape (FACTS §3.2)
    assert (df.drug == "VOCLOSPORIN").all()


@pytest.mark.parametrize(
    "partner, action",
    [
        ("itraconazole", "contraindicated"), ("clarithromycin", "contraindicated"),   # strong CYP3A inhibitors
        ("verapamil", "adjust dose"), ("fluconazole", "adjust dose"),                 # moderate inhibitors
        ("carbamazepine", "avoid"),                                                   # strong inducer
        ("efavirenz", "avoid"), ("St John's Wort", "avoid"),                          # moderate inducers
        ("lanoxin", "monitor"),                                                       # P-gp substrate, NTI
        ("fexofenadine", "no known interaction"),                                     # P-gp substrate, not NTI
        ("ranolazine", "no known interaction"),                                       # P-gp inhibitor only
    ],
)
def test_voclosporin_rule_branches(partner, action):
    assert check_interactions("voclosporin", with_=[partner]).action[0] == action


def test_moderate_inducer_cites_rxlist():
    row = check_interactions("voclosporin", with_="efavirenz").iloc[0]
    assert row.source_id == "RXLIST-LUPKYNIS" and "inducer" in row.mechanism


def test_no_rule_row_explains_partner_classes():
    row = check_interactions("voclosporin", with_=["fexofenadine"]).iloc[0]
    assert row.partner_classes == "P-gp substrate" and "no label rule" in row.mechanism and row.dose == ""


def test_weak_inhibitor_and_multiple_matches_with_test_data(kdir):
    # The packaged data has no weak CYP3A inhibitors (FACTS §4 lists none); a test row checks
    # the label's "mild inhibitors: no adjustment" branch, and a drug in two rule classes
    # gets the most severe action with the other listed.
    p = kdir / "perpetrators.csv"
    _append(p, "TESTWEAK,CYP3A,inhibitor,weak,,,M,UTD-CYP3A,test")
    _append(p, "TESTBOTH,CYP3A,inducer,moderate,,,M,UTD-CYP3A,test")
    _append(p, "TESTBOTH,P-gp,substrate,,true,,M,UTD-PGP,test")
    df = check_interactions("voclosporin", with_=["testweak", "testboth"], knowledge=kdir)
    assert df.action.tolist() == ["no adjustment", "avoid"]
    assert df.other_rules[1] == "monitor (P-gp substrate (narrow therapeutic index))"


def test_comma_separated_partners_and_brand_drug():
    df = check_interactions("LUPKYNIS", with_="Nizoral, rifampicin")
    assert df.ingredient.tolist() == ["KETOCONAZOLE", "RIFAMPIN"]
    assert df.partner.tolist() == ["Nizoral", "rifampicin"]
    assert df.action.tolist() == ["contraindicated", "avoid"]


def test_unknown_partner_lists_close_matches():
    with pytest.raises(UnknownNameError, match=r"ketoconazol'.*Did you mean: ketoconazole"):
        check_interactions("voclosporin", with_=["ketoconazol"])


def test_unknown_partner_allowed_is_never_no_known_interaction():
    # (paracetamol was the unknown name here; the shipped dictionary now knows it as acetaminophen)
    row = check_interactions("voclosporin", with_=["zzqxnotadrug"], allow_unknown=True).iloc[0]
    assert row.action == "not in knowledge base"


def test_known_drug_without_perpetrator_row_has_no_rule():
    df = check_interactions("voclosporin", with_=["acetaminophen", "Tylenol", "paracetamol"])
    assert df.ingredient.tolist() == ["ACETAMINOPHEN"] * 3
    assert (df.action == "no known interaction").all()
    assert df.mechanism.str.startswith("no CYP3A/P-gp rule for acetaminophen").all()
    assert df.attrs["notes"] == ["TYLENOL → acetaminophen", "PARACETAMOL → acetaminophen"]


def test_partner_that_is_the_drug_itself_is_same_drug_not_no_interaction():
    # LUPKYNIS is voclosporin's brand (Drugs@FDA NDA 213716): not "no known interaction"
    row = check_interactions("voclosporin", with_=["lupkynis"]).iloc[0]
    assert (row.ingredient, row.action) == ("VOCLOSPORIN", "same drug")
    assert row.mechanism == "lupkynis is voclosporin itself (duplicate therapy, not an interaction)"


def test_combination_partner_gives_a_row_per_ingredient():
    # VICODIN: hydrocodone bitartrate + acetaminophen (FDA NDC product file)
    df = check_interactions("voclosporin", with_=["vicodin"])
    assert df.ingredient.tolist() == ["ACETAMINOPHEN", "HYDROCODONE"] and set(df.partner) == {"vicodin"}


def test_unknown_partner_gets_close_matches_from_the_whole_dictionary():
    with pytest.raises(UnknownNameError, match=r"acetaminofen'.*Did you mean: acetaminophen"):
        check_interactions("voclosporin", with_=["acetaminofen"])


def test_drug_without_rules():
    with pytest.raises(UnknownNameError, match="no label interaction rules for 'tacrolimus'.*voclosporin"):
        check_interactions("tacrolimus", with_=["ketoconazole"])


# --------------------------------------------------------------------------- classes


@pytest.mark.parametrize(
    "spec, target, role, strength",
    [
        ("cyp3a4-inhibitor", "CYP3A", "inhibitor", None), ("strong-cyp3a4-inhibitor", "CYP3A", "inhibitor", "strong"),
        ("Strong CYP3A inhibitors", "CYP3A", "inhibitor", "strong"), ("pgp-substrate", "P-gp", "substrate", None),
        ("P-gp inducer", "P-gp", "inducer", None), ("moderate_cyp3a_inducer", "CYP3A", "inducer", "moderate"),
    ],
)
def test_parse_class(spec, target, role, strength):
    c = parse_class(spec)
    assert (c.target, c.role, c.strength) == (target, role, strength)


def test_parse_class_unknown():
    with pytest.raises(UnknownNameError, match="cyp3a4-inhibitor"):
        parse_class("cyp2d6-inhibitor")


# --------------------------------------------------------------------------- malformed files


def _err(kdir) -> str:
    with pytest.raises(ConfigError) as exc:
        load_knowledge(kdir)
    return str(exc.value)


def test_bad_value_names_file_line_and_column(kdir):
    line = _append(kdir / "perpetrators.csv", "FOO,CYP2D6,inhibitor,strong,,,V,UTD-CYP3A,x")
    msg = _err(kdir)
    assert "perpetrators.csv" in msg and f"line {line}" in msg and "'target'" in msg


@pytest.mark.parametrize(
    "row, reason",
    [
        ("FOO,CYP3A,inhibitor,,,,V,UTD-CYP3A,x", "needs a strength"),
        ("FOO,CYP3A,substrate,strong,,,V,UTD-CYP3A,x", "substrate's strength"),
        ("FOO,P-gp,inhibitor,,true,,V,UTD-PGP,x", "substrates only"),
        ("FOO,P-gp,inhibitor,,,,V,NO-SUCH-SOURCE,x", "not an id in sources.csv"),
        ("FOO,P-gp,inhibitor,,,,X,UTD-PGP,x", "'status'"),
        ("FOO,P-gp,inhibitor,,,,V,UTD-PGP,", "version must not be empty"),
        ("FOO,P-gp,inhibitor", "expected 9 fields, found 3"),
        ("KETOCONAZOLE,CYP3A,inhibitor,strong,,,V,UTD-CYP3A,x", "duplicate row"),
        ("KETOCONAZOLE,CYP3A,inhibitor,moderate,,,V,UTD-CYP3A,x", "conflicting categories"),
        ("RIFAMPIN,CYP3A,inhibitor,weak,,,V,UTD-CYP3A,x", "inhibitor here but a inducer"),
    ],
)
def test_malformed_perpetrator_rows(kdir, row, reason):
    line = _append(kdir / "perpetrators.csv", row)
    msg = _err(kdir)
    assert f"perpetrators.csv, line {line}" in msg and reason in msg


def test_missing_column(kdir):
    p = kdir / "perpetrators.csv"
    lines = p.read_text().splitlines()
    p.write_text("\n".join([lines[0].replace(",version", "")] + [l.rsplit(",", 1)[0] for l in lines[1:]]) + "\n")
    msg = _err(kdir)
    assert "line 1" in msg and "missing version" in msg


@pytest.mark.parametrize(
    "row, reason",
    [
        ("NIZORAL,ITRACONAZOLE,brand,V,DRUGSATFDA,x", "conflicting synonym"),
        ("NIZORAL,KETOCONAZOLE,brand,V,DRUGSATFDA,x", "duplicate synonym"),
        ("FOOBRAND,NOT AN INGREDIENT,brand,V,DRUGSATFDA,x", "not an ingredient"),
        ("KETOCONAZOLE,ITRACONAZOLE,brand,V,DRUGSATFDA,x", "itself an ingredient"),
    ],
)
def test_malformed_synonyms(kdir, row, reason):
    line = _append(kdir / "synonyms.csv", row)
    msg = _err(kdir)
    assert f"synonyms.csv, line {line}" in msg and reason in msg


def test_duplicate_source_id(kdir):
    line = _append(kdir / "sources.csv", "UTD-PGP,again,http://x,FACTS")
    assert f"sources.csv, line {line}: duplicate source id" in _err(kdir)


def test_yaml_syntax_error_has_line(kdir):
    p = kdir / "label_rules" / "voclosporin.yaml"
    p.write_text("drug: VOCLOSPORIN\nrules:\n  - when: {target: CYP3A\n")
    msg = _err(kdir)
    assert "voclosporin.yaml, line" in msg and "YAML syntax error" in msg


@pytest.mark.parametrize(
    "old, new, reason",
    [
        ("action: avoid", "action: forbid", "rules.3.action"),
        ("action: adjust dose\n    dose: \"reduce voclosporin to 15.8 mg in the morning and 7.9 mg in the evening\"",
         "action: adjust dose", "needs the dose text"),
        ("strength: weak}", "strength: strong}", "rules.2.when: same condition as rules.0"),
        ("    source: RXLIST-LUPKYNIS", "    source: NOPE", "rules.4.source"),
    ],
)
def test_malformed_label_rules(kdir, old, new, reason):
    p = kdir / "label_rules" / "voclosporin.yaml"
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new, 1))
    msg = _err(kdir)
    assert "voclosporin.yaml" in msg and reason in msg


def test_two_rule_files_for_one_drug(kdir):
    shutil.copy(kdir / "label_rules" / "voclosporin.yaml", kdir / "label_rules" / "zz_copy.yaml")
    assert "rules for VOCLOSPORIN are already in" in _err(kdir)


def test_missing_folder(tmp_path):
    with pytest.raises(ConfigError, match="knowledge folder not found"):
        load_knowledge(tmp_path / "nope")
