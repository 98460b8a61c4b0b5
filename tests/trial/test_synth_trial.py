"""The synthetic AURORA-1-like trial: pvsignal recovers what truth.json says was planted."""

import json

import numpy as np
import pandas as pd
import pytest

from pvsignal.synth.trial import creatinine_for_egfr, synthesize_trial
from pvsignal.trial import dose_modifications, egfr, incidence, load_rules, read_adae, read_adlb, read_adsl

_CACHE: dict = {}


@pytest.fixture
def trial(tmp_path_factory):
    if "trial" not in _CACHE:
        _CACHE["trial"] = synthesize_trial(tmp_path_factory.mktemp("trial"), seed=7)
    return _CACHE["trial"]


@pytest.fixture
def data(trial):
    if "data" not in _CACHE:
        _CACHE["data"] = read_adsl(trial.adsl), read_adae(trial.adae), read_adlb(trial.adlb)
    return _CACHE["data"]


def test_files_are_labelled_synthetic_and_in_adam_shape(trial, data):
    adsl, adae, adlb = data
    assert "SYNTHETIC" in (trial.folder / "SYNTHETIC.txt").read_text()
    truth = json.loads(trial.truth_path.read_text())
    assert truth["synthetic"] is True and truth == trial.truth
    assert {"SAFFL", "TRT01A", "AGE", "SEX", "TRTA"} <= set(adae.columns) & set(adlb.columns)  # repeated ADSL variables
    assert adsl["USUBJID"].is_unique and len(adsl) == 362
    assert set(adlb["PARAM"]) == {"Creatinine (mg/dL)", "Creatinine (umol/L)"}
    assert "AVALU" not in adlb.columns
    by_unit = adlb.groupby("PARAM")["AVAL"].median()
    assert 0.5 < by_unit["Creatinine (mg/dL)"] < 1.5 and 40 < by_unit["Creatinine (umol/L)"] < 130
    assert adsl.loc[adsl["SITEID"].isin(truth["creatinine_units"]["umol/L"]), "COUNTRY"].ne("USA").all()


def test_incidence_recovers_the_planted_counts(trial, data):
    adsl, adae, _ = data
    truth = trial.truth
    r = incidence(adsl, adae, control=truth["control"])
    assert list(r.population["arm"]) == [a["arm"] for a in sorted(truth["arms"], key=lambda a: a["code"])]
    assert r.population.set_index("arm")["N"].to_dict() == {a["arm"]: a["N"] for a in truth["arms"]} \
        == {"Voclosporin 23.7 mg BID": 180, "Placebo": 180}
    got = r.table[r.table["level"] == "pt"].set_index(["AEDECOD", "arm"])
    for row in truth["incidence"]:
        cell = got.loc[(row["AEDECOD"], row["arm"])]
        assert (cell["n"], cell["events"], cell["AEBODSYS"]) == (row["n"], row["events"], row["AEBODSYS"])
    plan = {(x["AEDECOD"], x["arm"]): x["n"] for x in truth["incidence"]}
    assert plan[("Headache", "Voclosporin 23.7 mg BID")] == 27 and plan[("Headache", "Placebo")] == 14  # 15 % vs 8 %
    assert plan[("Tremor", "Voclosporin 23.7 mg BID")] == 5 and plan[("Tremor", "Placebo")] == 2  # 3 % vs 1 %
    head = got.loc[("Headache", "Voclosporin 23.7 mg BID")]
    assert head["frequency"] == "very common" and got.loc[("Tremor", "Voclosporin 23.7 mg BID"), "frequency"] == "common"
    # records before the first dose and of never-dosed subjects are not counted
    assert r.parameters["adae_records_excluded"] == {"not treatment-emergent (TRTEMFL != 'Y')": 30,
                                                     "subject not in the safety population (SAFFL != 'Y')": 2}


def test_dose_rules_fire_exactly_for_the_planted_subjects(trial, data):
    adsl, _, adlb = data
    res = dose_modifications(load_rules("voclosporin"), adlb, adsl)
    planted = trial.truth["dose_rules"]["subjects"]
    acted = res.actions[~res.actions["action"].isin(["start", "none"])]
    assert set(acted["USUBJID"]) == set(planted)
    for subj, p in planted.items():
        got = acted[acted["USUBJID"] == subj]
        assert [(r.ADY, r.action, round(r.dose_after, 1), r.rule_id) for r in got.itertuples()] == \
            [(a["ADY"], a["action"], a["dose_after"], a["rule_id"]) for a in p["actions"]]
    fired = res.actions.groupby("rule_id")["USUBJID"].nunique()
    for rule, n in trial.truth["dose_rules"]["fired_subjects"].items():
        assert fired[rule] == n
    assert (res.actions.loc[res.actions["action"] == "start", "flag"] == "").all()  # no baseline <= 45 planted
    # both units were used, each stated
    assert sorted(res.parameters["lab_value_sources"]) == [
        "CKD-EPI 2021 from CREAT in mg/dL, unit from PARAM 'Creatinine (mg/dL)'",
        "CKD-EPI 2021 from CREAT in umol/L (/ 88.42 to mg/dL), unit from PARAM 'Creatinine (umol/L)'"]


def test_creatinine_inverse_round_trips_ckd_epi():
    e = np.array([15.0, 45.0, 60.0, 90.0, 120.0, 130.0])
    for age, female in ((25, True), (60, False)):
        scr = creatinine_for_egfr(e, np.full(6, age, float), np.full(6, female))
        assert egfr(scr, age, "F" if female else "M") == pytest.approx(e, rel=1e-12)


def test_profile_trial_sections_match_truth(trial):
    from pvsignal.report.profile import build_profile

    p = build_profile("voclosporin", events=["headache", "tremor"], adsl=trial.adsl, adae=trial.adae, adlb=trial.adlb,
                      control_arm="Placebo", trial_synthetic=True, figures=False)
    sec = {s.key: s for s in p.sections}
    assert sec["trial"].synthetic and sec["dose_rules"].synthetic and p.synthetic
    assert sec["trial"].data["population"] == {a["arm"]: a["N"] for a in trial.truth["arms"]}
    rows = pd.DataFrame(sec["trial"].tables[0].rows, columns=sec["trial"].tables[0].columns)
    plan = pd.DataFrame(trial.truth["incidence"])
    for pt in ("Headache", "Tremor"):
        got = rows[rows["PT"] == pt].set_index("arm")["n"].to_dict()
        assert got == plan[plan["AEDECOD"] == pt].set_index("arm")["n"].to_dict()
    fired = sec["dose_rules"].data["fired"]
    for rule, n in trial.truth["dose_rules"]["fired_subjects"].items():
        assert fired[rule] == n


@pytest.mark.slow
def test_demo_profile_shows_the_synthetic_trial(tmp_path):
    from pvsignal import api

    r = api.demo(tmp_path / "demo", reports_per_quarter=500, quarters="2023Q1:2023Q2")
    html = r.profile.read_text(encoding="utf-8")
    truth = json.loads((tmp_path / "demo" / "trial" / "truth.json").read_text())
    assert r.trial.truth == truth
    assert "Voclosporin 23.7 mg BID" in html and "Clinical-trial safety" in html
    assert "egfr-lt-60-fall-gt-20-lt-30pct" in html
    assert "no trial data were given" not in html
