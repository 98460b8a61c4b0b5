"""``pvsignal validate`` end to end: the shared reference sets on a small synthetic lake (most pairs
unscorable there: said, not a crash), the SYNTHETIC label, the --out folder, user mistakes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

REF = "data/reference-sets"

#: a few PTs of the synthetic vocabulary per outcome (the test's own mapping, not a clinical definition)
GROUPS = """groups:
  OMOP Acute Liver Failure 1: [Hepatic failure, Hepatotoxicity]
  OMOP Acute Renal Failure 1: [Acute kidney injury, Renal failure]
  OMOP Acute myocardial Infarction 1: [Myocardial infarction]
  "HOI Upper GI #3": [Gastrointestinal haemorrhage]
  "Anaphylaxis #1": [Anaphylactic reaction]
  Anaphylaxis: [Anaphylactic reaction]
  Thrombocytopenia: [Thrombocytopenia]
  Liver damage: [Hepatic failure, Hepatotoxicity]
"""


@pytest.fixture
def groups_yaml(tmp_path):
    p = tmp_path / "outcome_groups.yaml"
    p.write_text(GROUPS, encoding="utf-8")
    return p


@pytest.mark.parametrize("name", ["omop2013_reference_set.csv", "euadr_reference_set.csv",
                                  "harpaz2014_reference_set.csv"])
def test_shared_reference_sets_run_end_to_end_at_80_columns(run, width, cli_lake, shared_dir, groups_yaml, name):
    width(80)
    code, out, err = run(["validate", "--reference", str(shared_dir / REF / name), "--groups", str(groups_yaml),
                          "--lake", str(cli_lake)])
    assert code == 0, err
    assert "SYNTHETIC DATA" in out
    assert "unscorable" in out and "drug not in the data" in out
    assert "AUC by score" in out and "Signal rules" in out
    assert all(len(line) <= 80 for line in out.splitlines() if "│" in line or "┃" in line)


def test_json_and_out_folder(run, cli_lake, shared_dir, groups_yaml, tmp_path):
    out_dir = tmp_path / "val"
    code, out, err = run(["validate", "--reference", str(shared_dir / REF / "omop2013_reference_set.csv"),
                          "--groups", str(groups_yaml), "--lake", str(cli_lake), "--json", "--out", str(out_dir),
                          "--unscorable", "no-signal", "--before", "2023-06-01"])
    assert code == 0, err
    doc = json.loads(out)
    p = doc["parameters"]
    assert p["synthetic"] is True and p["controls"] == 399 and p["unscorable_treatment"] == "no-signal"
    assert p["before"] == "2023-06-01"
    assert {r["score"] for r in doc["auc"]} == {"ror_lower", "ror", "prr_lower", "prr", "ic025", "ic", "eb05", "ebgm"}
    # no-signal: every control is evaluated
    assert all(r["positives"] + r["negatives"] == 399 for r in doc["auc"])
    for f in ("validation.xlsx", "pairs.csv", "metrics.csv", "auc.csv", "roc.png", "roc.svg"):
        assert (out_dir / f).is_file(), f
    pairs = pd.read_csv(out_dir / "pairs.csv")
    assert len(pairs) == 399 and set(pairs["status"]) >= {"drug not in the data"}
    sheets = pd.read_excel(out_dir / "validation.xlsx", sheet_name=None)
    assert {"results", "metrics", "auc", "roc", "parameters"} <= set(sheets)
    assert len(sheets["metrics"]) == 10


@pytest.mark.parametrize("args, message", [
    (["--groups", "nope.yaml"], "group file nope.yaml does not exist"),
    (["--unscorable", "zero"], "unscorable must be one of"),
    (["--before", "someday"], "before must be a date"),
])
def test_user_mistakes_exit_2(run, cli_lake, shared_dir, groups_yaml, args, message):
    base = {"--reference": str(shared_dir / REF / "euadr_reference_set.csv"), "--groups": str(groups_yaml),
            "--lake": str(cli_lake)}
    base.update(dict(zip(args[::2], args[1::2])))
    code, out, err = run(["validate", *[x for kv in base.items() for x in kv]])
    assert code == 2
    assert message in " ".join(err.split())
    assert "Traceback" not in err


def test_workbook_parameters_are_one_row_each(run, cli_lake, tmp_path):
    """The parameters sheet holds each cutoff's counts and MGPS prior one parameter per row
    (was: the whole ``cutoffs`` list as one cell of dict text), values typed as in the sidecar."""
    from openpyxl import load_workbook

    ref = tmp_path / "ref.csv"
    ref.write_text("drug,outcome,control,label_change_date\nvoclosporin,Headache,1,2023-05-01\n"
                   "tacrolimus,Headache,0,2023-03-01\n")
    groups = tmp_path / "groups.yaml"
    groups.write_text("groups:\n  Headache: [Headache]\n")
    out_dir = tmp_path / "val"
    code, _, err = run(["validate", "--reference", str(ref), "--groups", str(groups), "--lake", str(cli_lake),
                        "--before", "label", "--out", str(out_dir)])
    assert code == 0, err
    ws = load_workbook(out_dir / "validation.xlsx", read_only=True)["parameters"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    assert rows[0] == ("parameter", "value")
    cells = dict(rows[1:])
    assert "cutoffs" not in cells and not any(isinstance(v, str) and "{" in v for v in cells.values())
    sidecar = json.loads((out_dir / "validation.xlsx.json").read_text())
    assert [c["before"] for c in sidecar["cutoffs"]] == ["2023-03-01", "2023-05-01"]
    for i, cut in enumerate(sidecar["cutoffs"], 1):
        assert cells[f"cutoffs.{i}.before"] == cut["before"]
        assert cells[f"cutoffs.{i}.pairs"] == cut["pairs"] == 1
        assert cells[f"cutoffs.{i}.reports"] == cut["reports"]
        for k in ("alpha1", "beta1", "alpha2", "beta2", "p"):
            assert cells[f"cutoffs.{i}.mgps_prior.{k}"] == pytest.approx(cut["mgps_prior"][k], rel=1e-15)
        assert cells[f"cutoffs.{i}.mgps_prior.converged"] is cut["mgps_prior"]["converged"]
