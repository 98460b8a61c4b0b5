"""Method validation: metrics worked by hand on a small pairs table, and on the synthetic generator's
planted controls, where every count comes from the truth or from the prepared views directly."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pvsignal import api
from pvsignal.analysis.validation import SCORES, evaluate
from pvsignal.errors import ConfigError, InputFileError, UnknownNameError
from pvsignal.synth.truth import SynthTruth

Z975 = 1.959963984540054


def _pairs(ror_lower, n, control, status):
    t = pd.DataFrame({"control": control, "status": status, "n": n})
    for s in SCORES:
        t[s] = ror_lower
    t["chi2_yates"] = 10.0
    return t


#: P1–P4 positive, N1–N4 negative; P4 has no report of the pair, N4's drug is not in the data
HAND = _pairs(ror_lower=[3.0, 1.5, 0.8, np.nan, 1.2, 0.5, 0.9, np.nan], n=[5, 2, 4, 0, 6, 3, 1, 0],
              control=[1, 1, 1, 1, 0, 0, 0, 0],
              status=["scored"] * 3 + ["no report of the pair"] + ["scored"] * 3 + ["drug not in the data"])


def test_metrics_by_hand_unscorable_excluded():
    metrics, auc, roc = evaluate(HAND)
    m = metrics.set_index("rule")
    # ROR lower > 1 and n ≥ 3: P1 (3.0, n 5) and N1 (1.2, n 6) called; P2 has n 2 → TP 1, FP 1, FN 2, TN 2
    r = m.loc["ROR lower limit > 1, n ≥ 3"]
    assert (r.tp, r.fp, r.fn, r.tn) == (1, 1, 2, 2)
    assert (r.sensitivity, r.specificity, r.ppv, r.npv) == pytest.approx((1 / 3, 2 / 3, 1 / 2, 1 / 2))
    # without the n: P2 called too → TP 2, FP 1, FN 1, TN 2
    r = m.loc["ROR lower limit > 1"]
    assert (r.tp, r.fp, r.fn, r.tn) == (2, 1, 1, 2)
    # AUC: 3.0 and 1.5 beat every negative (1.2, 0.5, 0.9), 0.8 beats 0.5 only → 7/9
    a = auc.set_index("score").loc["ror_lower"]
    assert a.auc == pytest.approx(7 / 9)
    assert (a.positives, a.negatives) == (3, 3)
    assert roc[roc.score == "ror_lower"]["tpr"].iloc[-1] == 1.0


def test_metrics_by_hand_unscorable_as_no_signal():
    metrics, auc, _ = evaluate(HAND, unscorable="no-signal")
    r = metrics.set_index("rule").loc["ROR lower limit > 1, n ≥ 3"]
    assert (r.tp, r.fp, r.fn, r.tn) == (1, 1, 3, 3)
    # P4 and N4 rank lowest (tied): 3.0 → 4, 1.5 → 4, 0.8 → 2 (0.5 and N4), P4 ties N4 → ½; 10.5/16
    a = auc.set_index("score").loc["ror_lower"]
    assert a.auc == pytest.approx(10.5 / 16)
    assert (a.positives, a.negatives) == (4, 4)
    with pytest.raises(ConfigError, match="unscorable"):
        evaluate(HAND, unscorable="zero")


def test_no_positive_scored_gives_nan_auc_not_a_crash():
    only_neg = HAND.assign(status=np.where(HAND["control"] == 1, "drug not in the data", HAND["status"]))
    metrics, auc, roc = evaluate(only_neg)
    assert auc["auc"].isna().all() and roc.empty
    assert (metrics["tp"] + metrics["fn"] == 0).all() and metrics["sensitivity"].isna().all()


# ----------------------------------------------------------------------- planted controls
@pytest.fixture(scope="module")
def planted(planted_lake):
    truth = SynthTruth.read(planted_lake.parent / "faers" / "truth.json")
    ref = truth.reference_set(background=10)
    return truth, ref, api.validate(ref, truth.outcome_groups(ref), lake=planted_lake)


def test_planted_controls_are_the_truth(planted):
    truth, ref, _ = planted
    assert ref[ref.control == 1]["kind"].value_counts().to_dict() == {"planted": 2, "background": 10}
    assert set(ref[(ref.kind == "planted") & (ref.control == 1)].outcome) == {"Headache", "Tremor"}
    voc_neg = ref[(ref.kind == "planted") & (ref.control == 0)]
    assert (voc_neg.drug == "VOCLOSPORIN").all() and len(voc_neg) == len(truth.pair_lambda["events"]) - 2


def test_planted_pairs_carry_the_truths_two_by_two(planted):
    truth, _, res = planted
    p = res.pairs.set_index(["drug", "outcome"])
    for event in ("Headache", "Tremor"):
        cells = truth.signal(event)["expected"]  # counted by the generator over deduplicated cases
        row = p.loc[("VOCLOSPORIN", event)]
        assert [int(row[k]) for k in "abcd"] == [cells[k] for k in "abcd"]
        assert row["ror"] == pytest.approx(cells["ror"], rel=1e-12)
    assert res.parameters["synthetic"] is True


def test_counts_and_unscorable_pairs_match_the_prepared_views(planted, planted_con):
    _, _, res = planted
    drugs = planted_con.execute("SELECT DISTINCT caseid, ingredient FROM case_drugs WHERE role_cod IN ('PS','SS') "
                                "AND ingredient IS NOT NULL").df()
    reac = planted_con.execute("SELECT DISTINCT caseid, upper(pt) AS pt FROM case_reactions").df()
    pop = set(drugs.caseid) & set(reac.caseid)
    both = drugs.merge(reac, on="caseid")
    n = both.groupby(["ingredient", "pt"]).size()
    p = res.pairs
    want = [int(n.get((d, o.upper()), 0)) for d, o in zip(p.ingredient, p.outcome)]
    assert p["n"].tolist() == want
    assert (p.loc[p.n > 0, "n_total"] == len(pop)).all()
    assert ((p["n"] == 0) == (p["status"] != "scored")).all()
    assert res.parameters["unscorable"] == {"no report of the pair": int(sum(w == 0 for w in want))}


def test_planted_metrics_by_hand_from_the_cells(planted):
    _, _, res = planted
    s = res.pairs[res.pairs.status == "scored"]
    a, b, c, d = (s[k].astype(float).to_numpy() for k in "abcd")
    # Woolf: ln ROR ± z·sqrt(1/a + 1/b + 1/c + 1/d) (van Puijenbroek et al. 2002)
    lower = np.exp(np.log(a * d / (b * c)) - Z975 * np.sqrt(1 / a + 1 / b + 1 / c + 1 / d))
    assert s["ror_lower"].to_numpy() == pytest.approx(lower, rel=1e-12)
    pos = s["control"].to_numpy() == 1
    called = (lower > 1) & (s["n"].to_numpy() >= 3)
    tp, fp = int((called & pos).sum()), int((called & ~pos).sum())
    fn, tn = int(pos.sum()) - tp, int((~pos).sum()) - fp
    r = res.metrics.set_index("rule").loc["ROR lower limit > 1, n ≥ 3"]
    assert (r.tp, r.fp, r.fn, r.tn) == (tp, fp, fn, tn)
    assert r.sensitivity == pytest.approx(tp / (tp + fn)) and r.specificity == pytest.approx(tn / (tn + fp))
    # AUC: the share of (positive, negative) pairs the positive wins, ties ½ (Hanley & McNeil 1982)
    x, y = lower[pos], lower[~pos]
    wins = (x[:, None] > y[None, :]).sum() + 0.5 * (x[:, None] == y[None, :]).sum()
    assert res.auc.set_index("score").loc["ror_lower", "auc"] == pytest.approx(wins / (len(x) * len(y)), rel=1e-12)


def test_before_a_date_counts_only_cases_received_before(planted_lake, planted_con, planted):
    truth, ref, _ = planted
    res = api.validate(ref, truth.outcome_groups(ref), lake=planted_lake, before="2022-07-01")
    cases = planted_con.execute("SELECT caseid, coalesce(init_fda_dt, fda_dt) AS received FROM cases").df()
    early = set(cases.loc[pd.to_datetime(cases.received) < pd.Timestamp("2022-07-01"), "caseid"])
    drugs = planted_con.execute("SELECT DISTINCT caseid FROM case_drugs WHERE role_cod IN ('PS','SS') "
                                "AND ingredient IS NOT NULL").df()
    reac = planted_con.execute("SELECT DISTINCT caseid FROM case_reactions").df()
    n_total = len(early & set(drugs.caseid) & set(reac.caseid))
    assert 0 < n_total < len(cases)
    [cut] = res.parameters["cutoffs"]
    assert (cut["before"], cut["reports"], cut["pairs"]) == ("2022-07-01", n_total, len(ref))
    assert (res.pairs["cutoff"] == pd.Timestamp("2022-07-01")).all()
    # before any report: nothing to score, said per pair, no crash
    none = api.validate(ref, truth.outcome_groups(ref), lake=planted_lake, before="2000-01-01")
    assert none.parameters["scored"] == 0 and none.parameters["cutoffs"][0]["reports"] == 0
    assert set(none.pairs["status"]) == {"drug not in the data"} and none.auc["auc"].isna().all()


def test_label_dates_one_count_per_distinct_date(planted_lake, planted):
    truth, _, _ = planted
    ref = pd.DataFrame({"drug": ["voclosporin", "Voclosporin", "VOCLOSPORIN"], "outcome": ["Headache", "Tremor", "Nausea"],
                        "control": [1, 1, 0], "label_date": pd.to_datetime(["2022-10-01", "2022-04-01", None])})
    res = api.validate(ref, {"Headache": ["Headache"], "Tremor": ["TREMOR"], "Nausea": ["Nausea"]}, lake=planted_lake,
                       before="label")
    # the negative control takes the earliest label date of the set
    assert res.pairs["cutoff"].tolist() == [pd.Timestamp("2022-10-01"), pd.Timestamp("2022-04-01"), pd.Timestamp("2022-04-01")]
    assert [c["before"] for c in res.parameters["cutoffs"]] == ["2022-04-01", "2022-10-01"]
    assert (res.pairs["ingredient"] == "VOCLOSPORIN").all()  # names normalised as the lake's are
    full = api.validate(ref, {"Headache": ["Headache"], "Tremor": ["TREMOR"], "Nausea": ["Nausea"]}, lake=planted_lake)
    assert (res.pairs["n"] <= full.pairs["n"]).all() and res.pairs["n"].sum() < full.pairs["n"].sum()
    with pytest.raises(ConfigError, match="label-change dates"):
        api.validate(ref.assign(label_date=pd.NaT), {"Headache": ["Headache"]}, lake=planted_lake, before="label")
    with pytest.raises(ConfigError, match="before must be a date"):
        api.validate(ref, {"Headache": ["Headache"]}, lake=planted_lake, before="last spring")


def test_no_outcome_mapped_is_a_clear_error(planted_lake, planted):
    _, ref, _ = planted
    with pytest.raises(InputFileError, match="no outcome of the reference set"):
        api.validate(ref, {"Liver injury": ["Hepatic failure"]}, lake=planted_lake)


def test_unmapped_outcome_and_unknown_drug_are_counted(planted_lake):
    ref = pd.DataFrame({"drug": ["voclosporin", "no such drug", "voclosporin"], "outcome": ["Headache", "Headache", "Rash"],
                        "control": [1, 0, 0], "label_date": pd.NaT})
    res = api.validate(ref, {"headache": ["Headache"]}, lake=planted_lake)
    assert res.pairs["status"].tolist() == ["scored", "drug not in the data", "outcome not mapped"]
    assert res.parameters["unscorable"] == {"drug not in the data": 1, "outcome not mapped": 1}
    assert math.isnan(res.auc.loc[0, "auc"])


def test_outcomes_without_a_group_and_groups_without_an_outcome_are_named(planted_lake):
    # a misspelt YAML key ("Rsh") leaves "Rash" unmapped: the user must see both names
    ref = pd.DataFrame({"drug": ["voclosporin", "voclosporin"], "outcome": ["Headache", "Rash"],
                        "control": [1, 0], "label_date": pd.NaT})
    res = api.validate(ref, {"headache": ["Headache"], "Rsh": ["Rash"]}, lake=planted_lake)
    assert res.parameters["unmapped_outcomes"] == ["Rash"]
    assert res.parameters["unused_groups"] == ["Rsh"]


# ----------------------------------------------------------------------- outcomes as SMQs
def _asc(folder, kind, rows):
    from pvsignal.prepare.meddra import FIELDS

    lines = ["$".join(r.get(f, "") for f in FIELDS[kind]) + "$" for r in rows]
    (folder / f"{kind}.asc").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def smq_release(tmp_path):
    """A made-up release (invented codes): SMQ 'Test neuro SMQ' = Headache (narrow) + Tremor (broad)."""
    folder = tmp_path / "MedAscii"
    folder.mkdir()
    pts = {"10000101": "Headache", "10000102": "Tremor", "10000103": "Nausea"}
    _asc(folder, "pt", [{"pt_code": c, "pt_name": n} for c, n in pts.items()])
    _asc(folder, "llt", [{"llt_code": c, "llt_name": n, "pt_code": c, "llt_currency": "Y"} for c, n in pts.items()])
    _asc(folder, "mdhier", [{"pt_code": c, "pt_name": n, "hlt_name": "h", "hlgt_name": "g", "soc_name": "s",
                             "primary_soc_fg": "Y"} for c, n in pts.items()])
    _asc(folder, "smq_list", [{"smq_code": "20000001", "smq_name": "Test neuro SMQ", "smq_algorithm": "N"}])
    _asc(folder, "smq_content", [{"smq_code": "20000001", "term_code": c, "term_level": "4", "term_scope": sc,
                                  "term_status": "A"} for c, sc in (("10000101", "2"), ("10000102", "1"))])
    return folder


def test_outcomes_as_smqs_of_the_users_meddra(planted_lake, planted_con, smq_release, tmp_path):
    yml = tmp_path / "outcomes.yaml"
    yml.write_text("smqs:\n  Neuro: test NEURO smq\nsmq_scope: broad\ngroups:\n  Sick: [Nausea]\n", encoding="utf-8")
    ref = pd.DataFrame({"drug": ["VOCLOSPORIN", "VOCLOSPORIN"], "outcome": ["Neuro", "Sick"], "control": [1, 0],
                        "label_date": pd.NaT})
    res = api.validate(ref, yml, lake=planted_lake, meddra=smq_release)
    # reports with voclosporin (PS/SS) and Headache or Tremor (the broad SMQ), counted once each
    n = planted_con.execute(
        "SELECT count(DISTINCT d.caseid) FROM case_drugs d JOIN case_reactions r USING (caseid) "
        "WHERE d.ingredient = 'VOCLOSPORIN' AND d.role_cod IN ('PS','SS') AND upper(r.pt) IN ('HEADACHE', 'TREMOR')"
    ).fetchone()[0]
    assert res.pairs["n"].iloc[0] == n > 0
    yml.write_text("smqs:\n  Neuro: Test neural SMQ\n", encoding="utf-8")
    with pytest.raises(UnknownNameError, match="close matches: Test neuro SMQ"):
        api.validate(ref, yml, lake=planted_lake, meddra=smq_release)
    with pytest.raises(ConfigError, match="--meddra"):
        api.validate(ref, yml, lake=planted_lake)
