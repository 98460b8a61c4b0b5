"""`pvsignal trial …` on real-shaped ADaM: the outputs a clinician reads, and no traceback for ADaM mistakes.

Every mistake exits with status 2 and a message saying what is wrong (STYLE.md).
"""

import pandas as pd
import pytest

from pvsignal.cli import main
from pvsignal.cli.render import console
from pvsignal.trial import UnitError, creatinine_warning, dose_modifications, load_rules, read_adae


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr(console, "_width", 250)


@pytest.fixture
def adam(shared_dir):
    return shared_dir / "data" / "adam-pharmaverse"


def run(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in argv])
    out = capsys.readouterr()
    return e.value.code or 0, out.out, out.err


def test_incidence_on_real_adam_with_severity_and_both_layouts(adam, tmp_path, capsys):
    out = tmp_path / "inc.xlsx"
    code, stdout, err = run(["trial", "incidence", "--adsl", adam / "adsl.xpt", "--adae", adam / "adae.xpt",
                             "--control", "Placebo", "--arms", "Placebo,Xanomeline Low Dose,Xanomeline High Dose",
                             "--severity", "AESEV", "--out", out], capsys)
    assert code == 0, err
    assert "Traceback" not in err
    assert stdout.index("Xanomeline Low Dose") < stdout.index("Xanomeline High Dose")  # as listed
    assert "· SEVERE" in stdout and "· MILD" in stdout  # severity reaches the screen
    xl = pd.read_excel(out, sheet_name=None)
    assert {"results", "wide", "excluded_records", "parameters"} <= set(xl)
    wide = xl["wide"]
    assert "Placebo (N=86) n (%)" in wide.columns and "Xanomeline High Dose vs Placebo RR" in wide.columns
    assert len(xl["excluded_records"]) == 69
    code, _, _ = run(["trial", "incidence", "--adsl", adam / "adsl.xpt", "--adae", adam / "adae.xpt",
                      "--layout", "wide", "--out", tmp_path / "w.csv"], capsys)
    assert code == 0 and "Placebo (N=86) n" in pd.read_csv(tmp_path / "w.csv").columns


def test_dosing_states_the_unit_and_lists_dated_actions(adam, capsys):
    code, stdout, err = run(["trial", "dosing", "--rules", "voclosporin", "--adlb", adam / "adlb.xpt",
                             "--adsl", adam / "adsl.xpt"], capsys)
    assert code == 0, err
    assert "in umol/L (/ 88.42 to mg/dL), unit from PARAM 'Creatinine (umol/L)' (1828 records)" in stdout
    assert "01-701-1429" in stdout and "reduce 23.7→15.8 mg BID" in stdout
    assert "derived record (DTYPE) 690" in stdout


@pytest.mark.parametrize("args, message", [
    (["--adsl", "adae.xpt", "--adae", "adae.xpt"], "looks like ADAE, not ADSL"),
    (["--adsl", "adsl.xpt", "--adae", "adsl.xpt"], "looks like ADSL, not ADAE"),
    (["--adsl", "adsl.xpt", "--adae", "adlb.xpt"], "looks like ADLB, not ADAE"),
    (["--adsl", "adsl.xpt", "--adae", "adae.xpt", "--arm-var", "TRTA"], "lacks required variable(s) TRTA"),
    (["--adsl", "adsl.xpt", "--adae", "adae.xpt", "--arm-var", "TRT02A"], "lacks required variable(s) TRT02A"),
    (["--adsl", "adsl.xpt", "--adae", "adae.xpt", "--control", "Placebos"], "close matches: Placebo"),
])
def test_incidence_mistakes_exit_2_with_a_message(adam, capsys, args, message):
    argv = ["trial", "incidence"] + [adam / a if a.endswith(".xpt") else a for a in args]
    code, _, err = run(argv, capsys)
    assert code == 2 and message in err and "Traceback" not in err


def test_missing_variable_exit_2(adam, tmp_path, capsys):
    ae = read_adae(adam / "adae.xpt").drop(columns="TRTEMFL")
    ae.head(20).to_csv(tmp_path / "adae.csv", index=False)
    code, _, err = run(["trial", "incidence", "--adsl", adam / "adsl.xpt", "--adae", tmp_path / "adae.csv"], capsys)
    assert code == 2 and "lacks required variable(s) TRTEMFL" in err


def _creat(tmp_path, values, **cols):
    lab = pd.DataFrame({"USUBJID": ["A"] * len(values), "PARAMCD": "CREAT", "AVAL": values,
                        "ADY": [1, 15, 29][: len(values)], "ABLFL": ["Y"] + [""] * (len(values) - 1),
                        "AGE": 50, "SEX": "F", **cols})
    lab.to_csv(tmp_path / "adlb.csv", index=False)
    return tmp_path / "adlb.csv"


@pytest.mark.parametrize("cols, values, options, message", [
    # no unit anywhere, µmol/L values: refused under the assumed mg/dL
    ({"PARAM": "Creatinine"}, [80.0, 85.0, 90.0], [], "median 85 mg/dL over 3 record(s) is implausible"),
    # an unknown unit
    ({"AVALU": "mmol/L"}, [0.08, 0.09, 0.1], [], "unknown unit(s) ['mmol/L']"),
    # the data say mg/dL but the values are µmol/L
    ({"PARAM": "Creatinine (mg/dL)"}, [80.0, 85.0, 90.0], [], "the values look like umol/L"),
    # the user assumes µmol/L for mg/dL values
    ({}, [0.8, 0.9, 1.0], ["--creatinine-unit", "umol/L"], "median 0.9 umol/L"),
])
def test_dosing_unit_mistakes_exit_2(tmp_path, capsys, cols, values, options, message):
    path = _creat(tmp_path, values, **cols)
    code, _, err = run(["trial", "dosing", "--rules", "voclosporin", "--adlb", path, *options], capsys)
    assert code == 2 and message in err and "Traceback" not in err


def test_dosing_with_an_adlb_given_as_adsl(adam, capsys):
    code, _, err = run(["trial", "dosing", "--rules", "voclosporin", "--adlb", adam / "adlb.xpt",
                        "--adsl", adam / "adlb.xpt"], capsys)
    assert code == 2 and "duplicated USUBJID" in err and "look like ADLB" in err


def test_assumed_unit_used_when_values_fit_it(tmp_path):
    lab = pd.read_csv(_creat(tmp_path, [80.0, 90.0]))
    r = dose_modifications(load_rules("voclosporin"), lab, creatinine_unit="umol/L")
    assert r.actions["value_source"].iloc[0] == "CKD-EPI 2021 from CREAT in umol/L (/ 88.42 to mg/dL), unit from assumed (--creatinine-unit)"
    with pytest.raises(UnitError, match="give --creatinine-unit umol/L"):
        dose_modifications(load_rules("voclosporin"), lab)


def test_egfr_warns_on_an_implausible_creatinine(capsys):
    code, stdout, _ = run(["trial", "egfr", "--creatinine", "120", "--age", "60", "--sex", "F"], capsys)
    assert code == 0
    assert "warning: creatinine 120 mg/dL is implausible" in stdout and "1.36 mg/dL" in stdout
    assert "eGFR 0.2" in stdout  # computed as asked, but not silently
    code, stdout, _ = run(["trial", "egfr", "--creatinine", "120", "--age", "60", "--sex", "F", "--unit", "umol/L"], capsys)
    assert "warning" not in stdout
    assert creatinine_warning(1.2, "umol/L").startswith("creatinine 1.2 umol/L is implausible")
    assert creatinine_warning(1.2, "mg/dL") == ""
