"""``pvsignal interactions``: label mode, JSON, user errors (exit 2), lake mode."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from pvsignal.cli import interaction_commands
from pvsignal.cli import main, render


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr(render.console, "width", 200)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(argv))
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def test_label_table(capsys):
    code, out, _ = run(capsys, "interactions", "voclosporin", "--with", "ketoconazole,diltiazem,digoxin,rifampin")
    assert code == 0
    for word in ("contraindicated", "adjust dose", "monitor", "avoid", "15.8 mg"):
        assert word in out


def test_label_json(capsys):
    code, out, _ = run(capsys, "interactions", "voclosporin", "--with", "NIZORAL,rifampicin", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["ingredient"], r["action"]) for r in rows] == [("KETOCONAZOLE", "contraindicated"), ("RIFAMPIN", "avoid")]


def test_label_out_file_csv(capsys, tmp_path):
    out_csv = tmp_path / "ddi.csv"
    code, _, _ = run(capsys, "interactions", "voclosporin", "--with", "digoxin", "--out", str(out_csv))
    assert code == 0
    assert pd.read_csv(out_csv).action.tolist() == ["monitor"]


def test_unknown_name_exits_2_with_close_matches(capsys):
    code, out, err = run(capsys, "interactions", "voclosporin", "--with", "ketoconazol")
    assert code == 2 and "Did you mean: ketoconazole" in " ".join(err.split()) and "Traceback" not in err


def test_missing_arguments_exit_2(capsys):
    code, _, err = run(capsys, "interactions", "voclosporin")
    assert code == 2 and "--with" in err


@pytest.fixture
def lake_con(monkeypatch, tmp_path):
    con = duckdb.connect(str(tmp_path / "p.duckdb"))
    drugs = pd.DataFrame(
        [(1, "VOCLOSPORIN", "PS"), (1, "KETOCONAZOLE", "SS"), (2, "VOCLOSPORIN", "PS"), (3, "ITRACONAZOLE", "PS"),
         (4, "ASPIRIN", "PS"), (5, "VOCLOSPORIN", "PS"), (5, "DILTIAZEM", "C")],
        columns=["caseid", "ingredient", "role_cod"],
    )
    reacs = pd.DataFrame([(1, "TREMOR"), (2, "TREMOR"), (3, "HEADACHE"), (4, "TREMOR"), (5, "NAUSEA")],
                         columns=["caseid", "pt"])
    con.register("d", drugs)
    con.register("r", reacs)
    con.execute("CREATE TABLE case_drugs AS SELECT * FROM d")
    con.execute("CREATE TABLE case_reactions AS SELECT * FROM r")
    monkeypatch.setattr(interaction_commands, "_connect", lambda lake: con)
    return con


def test_lake_signal_json(capsys, lake_con, tmp_path):
    code, out, err = run(capsys, "interactions", "--lake", str(tmp_path), "--drug", "voclosporin",
                         "--event", "tremor", "--class", "cyp3a4-inhibitor", "--json")
    assert code == 0, err
    (row,) = json.loads(out)
    # both {1}; drug only {2, 5} (diltiazem only concomitant); perp only {3}; neither {4}
    assert [row[k] for k in ("n111", "n11_", "n101", "n10_", "n011", "n01_", "n001", "n00_")] == [1, 1, 1, 2, 0, 1, 1, 1]
    assert row["roles"] == "PS,SS,I" and row["event"] == "TREMOR"


def test_lake_signal_table_and_co_reported(capsys, lake_con, tmp_path):
    code, out, _ = run(capsys, "interactions", "--lake", str(tmp_path), "--drug", "voclosporin",
                       "--event", "tremor", "--class", "strong-cyp3a4-inhibitor")
    assert code == 0 and "TREMOR" in out
    code, out, _ = run(capsys, "interactions", "--lake", str(tmp_path), "--drug", "voclosporin", "--json")
    res = json.loads(out)
    assert res["n_drug_cases"] == 3
    assert {r["ingredient"]: r["n_cases"] for r in res["by_drug"]} == {"KETOCONAZOLE": 1, "DILTIAZEM": 1}


def test_missing_lake_is_a_clear_error(capsys, tmp_path):
    code, _, err = run(capsys, "interactions", "--lake", str(tmp_path / "none"), "--drug", "voclosporin", "--class", "cyp3a4-inhibitor")
    assert code == 2 and "no lake at" in err
