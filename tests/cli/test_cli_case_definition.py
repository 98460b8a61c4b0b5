"""One set of case-definition options on every command that analyses cases (issue 12).

Counts are checked against pandas over the prepared views of a small synthetic lake
(tests/cli/conftest.py): a case of a drug is a case whose latest version lists the drug
in one of the definition's roles, kept when the filters say so.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest


DRUG = "VOCLOSPORIN"
SUSPECT, INTERACTING = ("PS", "SS"), ("PS", "SS", "I")
OPTIONS = ("--roles", "--quarters", "--years", "--sex", "--age-groups", "--drop-probable-duplicates")


def drug_cases(views, drug=DRUG, roles=SUSPECT, **where) -> set[int]:
    """Case ids listing ``drug`` in ``roles``, among the cases matching ``where`` (column == value)."""
    cases = views["cases"]
    keep = pd.Series(True, index=cases.index)
    for col, val in where.items():
        keep &= cases[col] == val
    d = views["case_drugs"]
    with_drug = set(d.loc[(d["ingredient"] == drug) & d["role_cod"].isin(roles), "caseid"])
    return with_drug & set(cases.loc[keep, "caseid"])


@pytest.mark.parametrize("command", [["signals"], ["cases"], ["onset"], ["interactions"], ["profile"]])
def test_every_case_command_has_the_same_options(command, run):
    code, out, _ = run([*command, "--help"])
    assert code == 0
    for option in OPTIONS:
        assert option in out, f"{command[0]} lacks {option}"


def test_help_names_the_real_vocabulary(run):
    _, out, _ = run(["cases", "--help"])
    text = " ".join(out.split())
    assert "<18, 18-64, 65-85, >85, 65+" in text
    assert "interacting (PS+SS+I)" in text


def test_cases_quarter_and_sex_count_what_pandas_counts(cli_lake, views, run):
    want = drug_cases(views, quarter="2023Q2", sex="F")
    code, out, err = run(["cases", "--drug", DRUG.lower(), "--lake", str(cli_lake), "--quarters", "2023Q2",
                                  "--sex", "F", "--json"])
    assert code == 0, err
    d = json.loads(out)
    assert 0 < d["n_cases"] == len(want) < len(drug_cases(views))
    assert {r["category"]: r["n"] for r in d["tables"]["sex"]} == {"Female": len(want)}
    assert d["parameters"]["case_definition"]["quarters"] == "2023Q2"
    # the long spelling means the same
    code, out, err = run(["cases", "--drug", DRUG, "--lake", str(cli_lake), "--quarters", "2023Q2",
                                  "--sex", "female", "--json"])
    assert code == 0, err
    assert json.loads(out)["n_cases"] == len(want)


def test_cases_roles_as_codes_and_years(cli_lake, views, run):
    want = drug_cases(views, DRUG, INTERACTING, receipt_year=2023)
    code, out, err = run(["cases", "--drug", DRUG, "--lake", str(cli_lake), "--roles", "PS,SS,I",
                                  "--years", "2023", "--json"])
    assert code == 0, err
    assert json.loads(out)["n_cases"] == len(want)


def test_onset_takes_the_definition(cli_lake, views, run):
    want = drug_cases(views, quarter="2023Q1", sex="M")
    code, out, err = run(["onset", "--drug", DRUG, "--lake", str(cli_lake), "--quarters", "2023Q1",
                                  "--sex", "male", "--json"])
    assert code == 0, err
    d = json.loads(out)
    assert d["n_cases"] == len(want) > 0
    assert d["parameters"]["case_definition"]["sex"] == "M"


def test_interactions_default_to_the_interacting_roles(cli_lake, views, run, tmp_path):
    # the drug with most cases that list it only as interacting (I): the roles change its count
    d = views["case_drugs"]
    only_i = d.groupby(["ingredient", "caseid"])["role_cod"].agg(set).map(lambda r: r == {"I"})
    drug = only_i[only_i].groupby(level="ingredient").size().idxmax()
    want = drug_cases(views, drug, roles=INTERACTING, quarter="2023Q2")
    assert len(want) > len(drug_cases(views, drug, quarter="2023Q2"))
    out_file = tmp_path / "co.csv"
    code, out, err = run(["interactions", "--lake", str(cli_lake), "--drug", drug, "--quarters", "2023Q2",
                          "--json", "--out", str(out_file)])
    assert code == 0, err
    got = json.loads(out)  # stdout is one JSON document; the table went to --out
    assert got["n_drug_cases"] == len(want)
    assert got["roles"] == "PS,SS,I" and got["case_definition"]["quarters"] == "2023Q2" and out_file.is_file()
    code, out, err = run(["interactions", "--lake", str(cli_lake), "--drug", drug, "--roles", "suspect", "--json"])
    assert code == 0, err
    assert json.loads(out)["n_drug_cases"] == len(drug_cases(views, drug, roles=SUSPECT))


def test_signals_roles_codes_mean_the_named_set(cli_lake, run, tmp_path):
    from pvsignal import api

    out_file = tmp_path / "s.csv"
    code, _, err = run(["signals", "--lake", str(cli_lake), "--roles", "PS,SS", "--sex", "female",
                                "--drug", DRUG, "--min-count", "1", "--out", str(out_file)])
    assert code == 0, err
    got = pd.read_csv(out_file).set_index("event")
    sidecar = json.loads((tmp_path / "s.csv.json").read_text())
    assert sidecar["config"]["case_definition"]["roles"] == "suspect"
    want = api.signals(cli_lake, drug=DRUG, min_count=1,
                       definition=api.case_definition(roles="suspect", sex="F")).table.set_index("event")
    assert got["n"].to_dict() == want["n"].to_dict()


@pytest.mark.parametrize("argv, allowed", [
    (["--sex", "x"], "sex must be F or M (female/male)"),
    (["--age-groups", "70+"], "known: <18, 18-64, 65+, 65-85, >85"),
    (["--roles", "suspects"], "use a set (suspect, primary, interacting, all) or role codes from PS, SS, C, I"),
    (["--quarters", "2023Q5"], "quarters:"),
])
@pytest.mark.parametrize("command", ["cases", "onset", "interactions", "signals", "profile"])
def test_a_bad_value_exits_2_naming_the_allowed_values_on_one_line(command, argv, allowed, tmp_path, run, width):
    lake = tmp_path / ("a-rather-long-folder-name-for-the-lake-" * 2) / "lake"
    width(80)
    head = {"cases": ["cases", "--drug", DRUG], "onset": ["onset", "--drug", DRUG],
            "interactions": ["interactions", "--drug", DRUG], "signals": ["signals"],
            "profile": ["profile", DRUG, "--events", "headache"]}[command]
    code, _, err = run([*head, "--lake", str(lake), *argv])
    assert code == 2 and "Traceback" not in err
    line = next(x for x in err.splitlines() if x.startswith("error:"))
    assert allowed in line


def test_case_options_on_a_reports_table_are_refused(run, tmp_path):
    code, _, err = run(["signals", "--reports", str(tmp_path / "r.csv"), "--sex", "F"])
    assert code == 2 and "the case options need a lake (--lake)" in err


@pytest.mark.parametrize("command", [["signals", "--top", "3"], ["cases"], ["onset", "--event", "headache"]])
def test_results_from_a_synthetic_lake_say_so(command, cli_lake, run):
    # the lake was written by pvsignal synth (its manifest records it): the screen says so
    code, out, err = run([command[0], "--drug", DRUG, "--lake", str(cli_lake), *command[1:]])
    assert code == 0, err
    assert "SYNTHETIC DATA: built from pvsignal synth output" in out
