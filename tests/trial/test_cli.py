"""`pvsignal trial …` end to end on real files (CSV, XPT, xlsx)."""

import pandas as pd
import pyreadstat
import pytest

from pvsignal.cli import main
from pvsignal.cli.render import console


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr(console, "_width", 250)  # tables unwrapped, so text can be matched


def run(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def test_incidence_cli_writes_csv_and_escapes_markup(tmp_path, adsl, adae, capsys):
    adae = adae.copy()
    adae.loc[0:2, "AEDECOD"] = "=HYPERLINK(1)"  # formula-like text from data (S01's three records)
    adsl = adsl.replace({"TRT01A": {"PLACEBO": "[bold]PBO[/]"}})
    adsl.to_csv(tmp_path / "adsl.csv", index=False)
    pyreadstat.write_xport(adae, str(tmp_path / "adae.xpt"), file_format_version=5, table_name="ADAE")
    out = tmp_path / "inc.csv"
    code, stdout, _ = run(["trial", "incidence", "--adsl", str(tmp_path / "adsl.csv"), "--adae", str(tmp_path / "adae.xpt"),
                           "--control", "[bold]PBO[/]", "--out", str(out)], capsys)
    assert code in (0, None)
    assert "[bold]PBO[/]" in stdout  # shown literally, not as markup
    assert "3 (75.0%) [5]" in stdout
    t = pd.read_csv(out, keep_default_na=False)
    row = t[(t["arm"] == "DRUG") & (t["AEDECOD"] == "'=HYPERLINK(1)")]
    assert len(row) == 1 and row["n"].iloc[0] == 1 and row["events"].iloc[0] == 3
    assert {"p_fisher", "rd", "rr_lower", "frequency"} <= set(t.columns)
    assert (tmp_path / "inc.csv.json").exists()


def test_dosing_cli_and_user_error_exit_2(tmp_path, capsys):
    lab = pd.DataFrame({"USUBJID": ["A"] * 3, "PARAMCD": ["EGFR"] * 3, "AVAL": [50, 38, 35],
                        "ADY": [1, 15, 29], "ABLFL": ["Y", "", ""]})
    lab.to_csv(tmp_path / "adlb.csv", index=False)
    code, stdout, _ = run(["trial", "dosing", "--rules", "voclosporin", "--adlb", str(tmp_path / "adlb.csv"),
                           "--out", str(tmp_path / "d.xlsx")], capsys)
    assert code in (0, None)
    assert "reduce" in stdout and "discontinue" in stdout
    x = pd.read_excel(tmp_path / "d.xlsx", sheet_name="results")
    assert x["action"].tolist() == ["start", "reduce", "discontinue"]  # 24 % then 30 % fall
    code, _, err = run(["trial", "dosing", "--rules", "nosuchdrug", "--adlb", str(tmp_path / "adlb.csv")], capsys)
    assert code == 2 and "no shipped rule set 'nosuchdrug'" in err and "Traceback" not in err


def test_egfr_cli(capsys):
    code, stdout, _ = run(["trial", "egfr", "--creatinine", "1.2", "--age", "55", "--sex", "M"], capsys)
    assert "71.4" in stdout and "G2" in stdout
    code, _, err = run(["trial", "egfr", "--creatinine", "1.2", "--age", "15", "--sex", "M"], capsys)
    assert code == 2 and "age < 18" in err
