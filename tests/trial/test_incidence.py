"""TEAE incidence on the hand-made ADaM set of conftest.py; every expected value worked by hand.

Hand count. N (SAFFL = 'Y' by ADSL TRT01A): DRUG 4 (S01–S04), PLACEBO 4 (S05–S08),
LOW DOSE 0 (S10 never dosed). Counted TEAE records: 8 of 13 (5 excluded: 2 not TE,
2 outside the safety population, 1 not in ADSL).
  any event  DRUG    S01,S02,S03 → n 3 (75 %), events 5 (S01×3, S02×1, S03×1)
             PLACEBO S05,S06     → n 2 (50 %), events 3
  NERVOUS    DRUG    S01,S02 → 2, events 4;   PLACEBO S05 → 1, events 1
    Headache DRUG    S01     → 1, events 3;   PLACEBO S05 → 1, events 1
    Tremor   DRUG    S02     → 1, events 1;   PLACEBO     → 0, events 0
  GASTRO     DRUG    S03 → 1, events 1;       PLACEBO S05,S06 → 2, events 2
    Diarrhoea  same as the SOC
  VASCULAR   only a non-emergent record → no row.
"""

import math

import numpy as np
import pandas as pd
import pytest

from pvsignal.errors import AnalysisError, UnknownNameError
from pvsignal.trial import cioms_frequency, incidence, risk_comparison
from pvsignal.trial.adam import MissingVariablesError
from pvsignal.trial.incidence import ANY_EVENT

from .conftest import GI, NS


def _get(table, arm, soc, pt="", severity=None):
    t = table[(table["arm"] == arm) & (table["AEBODSYS"] == soc) & (table["AEDECOD"] == pt)]
    if severity is not None:
        t = t[t["severity"] == severity]
    assert len(t) == 1, t
    return t.iloc[0]


def test_counts_worked_by_hand(adsl, adae):
    r = incidence(adsl, adae)
    t = r.table
    assert list(t.columns) == ["AEBODSYS", "AEDECOD", "level", "arm", "n", "N", "pct", "events", "frequency"]
    assert dict(zip(r.population["arm"], r.population["N"])) == {"DRUG": 4, "LOW DOSE": 0, "PLACEBO": 4}
    expected = {  # (arm, soc, pt): (n, N, events)
        ("DRUG", ANY_EVENT, ""): (3, 4, 5),
        ("PLACEBO", ANY_EVENT, ""): (2, 4, 3),
        ("DRUG", NS, ""): (2, 4, 4),
        ("PLACEBO", NS, ""): (1, 4, 1),
        ("DRUG", NS, "Headache"): (1, 4, 3),
        ("PLACEBO", NS, "Headache"): (1, 4, 1),
        ("DRUG", NS, "Tremor"): (1, 4, 1),
        ("PLACEBO", NS, "Tremor"): (0, 4, 0),
        ("DRUG", GI, ""): (1, 4, 1),
        ("PLACEBO", GI, ""): (2, 4, 2),
        ("DRUG", GI, "Diarrhoea"): (1, 4, 1),
        ("PLACEBO", GI, "Diarrhoea"): (2, 4, 2),
    }
    for (arm, soc, pt), (n, N, ev) in expected.items():
        row = _get(t, arm, soc, pt)
        assert (row["n"], row["N"], row["events"]) == (n, N, ev), (arm, soc, pt)
        assert row["pct"] == pytest.approx(100 * n / N)
    assert len(t) == 6 * 3  # 6 terms × 3 arms, no VASCULAR row
    assert "VASCULAR DISORDERS" not in set(t["AEBODSYS"])
    # row order: any, then SOCs by total subjects (GI 3 = NS 3 → by name), PTs by total
    order = t.drop_duplicates(["AEBODSYS", "AEDECOD"])[["AEBODSYS", "AEDECOD"]].values.tolist()
    assert order == [[ANY_EVENT, ""], [GI, ""], [GI, "Diarrhoea"], [NS, ""], [NS, "Headache"], [NS, "Tremor"]]


def test_empty_arm_has_undefined_pct_not_a_crash(adsl, adae):
    t = incidence(adsl, adae).table
    low = t[t["arm"] == "LOW DOSE"]
    assert (low["N"] == 0).all() and (low["n"] == 0).all()
    assert low["pct"].isna().all()
    assert set(low["frequency"]) == {"not known"}
    assert _get(t, "PLACEBO", NS, "Tremor")["frequency"] == ""  # n = 0 of N = 4: none observed


def test_excluded_records_are_kept_with_reasons(adsl, adae):
    r = incidence(adsl, adae)
    assert len(r.excluded) == 5
    assert r.excluded["reason"].value_counts().to_dict() == {
        "not treatment-emergent (TRTEMFL != 'Y')": 2,
        "subject not in the safety population (SAFFL != 'Y')": 2,
        "subject not in ADSL": 1,
    }
    assert r.parameters["adae_records_counted"] == 8


def test_arm_comes_from_adsl_not_adae_trta(adsl, adae):
    # a wrong TRTA on the ADAE side does not move the event: the arm is joined from ADSL
    r = incidence(adsl, adae.assign(TRTA="PLACEBO"))
    assert _get(r.table, "DRUG", ANY_EVENT)["n"] == 3


def test_by_soc_only_and_pt_only(adsl, adae):
    soc = incidence(adsl, adae, by="soc").table
    assert set(soc["level"]) == {"any", "soc"}
    pt = incidence(adsl, adae, by=["pt"]).table
    assert set(pt["level"]) == {"any", "pt"}
    with pytest.raises(AnalysisError, match="soc"):
        incidence(adsl, adae, by="hlt")


def test_comparison_against_control_worked_by_hand(adsl, adae):
    t = incidence(adsl, adae, control="PLACEBO").table
    row = _get(t, "DRUG", ANY_EVENT)
    # 3/4 vs 2/4. Fisher: hypergeometric P(a=k) over k=1..4 = 5,30,30,5 /70; all ≤ P(3)=30/70 → p = 1
    assert row["p_fisher"] == pytest.approx(1.0)
    # RD = 25 pp; SE = sqrt(.75·.25/4 + .5·.5/4) = 0.3307189; ±1.959964·SE = ±64.81972 pp
    assert row["rd"] == pytest.approx(25.0)
    assert row["rd_lower"] == pytest.approx(-39.81972, abs=1e-4)
    assert row["rd_upper"] == pytest.approx(89.81972, abs=1e-4)
    # RR = 1.5; SE(ln RR) = sqrt(1/3 − 1/4 + 1/2 − 1/4) = 0.5773503
    # exp(ln 1.5 ∓ 1.959964·0.5773503) = exp(−0.7261206), exp(1.5370508)
    assert row["rr"] == pytest.approx(1.5)
    assert row["rr_lower"] == pytest.approx(0.483782, abs=1e-5)
    assert row["rr_upper"] == pytest.approx(4.650854, abs=1e-5)
    assert not row["rr_ci_corrected"]
    # Tremor 1/4 vs 0/4: RR = inf; interval with 0.5 added to each cell: (1.5/5)/(0.5/5) = 3,
    # SE = sqrt(1/1.5 − 1/5 + 1/0.5 − 1/5) = 1.505545 → exp(ln 3 ∓ 2.950815) = 0.156891, 57.36457
    trem = _get(t, "DRUG", NS, "Tremor")
    assert math.isinf(trem["rr"]) and trem["rr_ci_corrected"]
    assert trem["rr_lower"] == pytest.approx(0.156891, abs=1e-5)
    assert trem["rr_upper"] == pytest.approx(57.36457, abs=1e-3)
    # control rows and the empty arm carry no comparison
    assert np.isnan(_get(t, "PLACEBO", ANY_EVENT)["p_fisher"])
    assert np.isnan(_get(t, "LOW DOSE", ANY_EVENT)["rr"])


def test_fisher_two_sided_known_tables():
    # 3/4 vs 0/4: P(a=k) = 5,30,30,5 /70 for k = 0..3 of 3 events; two-sided = (5+5)/70
    # Fisher's tea-tasting table [[3,1],[1,3]]: p = 34/70 = 0.4857 (Agresti, Categorical Data Analysis, §3.5)
    out = risk_comparison([3, 3, 0], [4, 4, 4], [0, 1, 0], [4, 4, 4])
    assert out["p_fisher"].tolist() == pytest.approx([10 / 70, 34 / 70, 1.0])
    assert np.isnan(out["rr"].iloc[2]) and np.isnan(out["rr_lower"].iloc[2])  # 0 vs 0: no RR
    assert out["rd"].iloc[2] == 0.0 and out["rd_lower"].iloc[2] == 0.0  # Wald degenerates to [0, 0]


def test_cioms_boundaries_lower_inclusive():
    # CIOMS III (FACTS §5.3): exactly 10 % → very common; exactly 1 % → common; headache 15 %, tremor 3 %
    n = [1, 1, 1, 1, 1, 1, 15, 3, 0, 0]
    N = [10, 11, 100, 1000, 10000, 10001, 100, 100, 5, 0]
    assert cioms_frequency(n, N).tolist() == [
        "very common", "common", "common", "uncommon", "rare", "very rare", "very common", "common", "", "not known",
    ]


def test_max_severity_counts_each_subject_once(adsl, adae):
    t = incidence(adsl, adae, severity="AESEV").table
    # Headache DRUG: S01 has MILD, SEVERE, MODERATE → counted once, at SEVERE
    assert [_get(t, "DRUG", NS, "Headache", s)["n"] for s in ("ANY", "MILD", "MODERATE", "SEVERE")] == [1, 0, 0, 1]
    # events in a grade row count the records of that grade
    assert [_get(t, "DRUG", NS, "Headache", s)["events"] for s in ("MILD", "MODERATE", "SEVERE")] == [1, 1, 1]
    # NERVOUS DRUG: S01 at SEVERE, S02 (Tremor) at MODERATE
    assert [_get(t, "DRUG", NS, "", s)["n"] for s in ("MILD", "MODERATE", "SEVERE")] == [0, 1, 1]
    # any event DRUG: S01 SEVERE, S02 MODERATE, S03 MILD
    assert [_get(t, "DRUG", ANY_EVENT, "", s)["n"] for s in ("MILD", "MODERATE", "SEVERE")] == [1, 1, 1]
    g = incidence(adsl, adae, severity="AETOXGR").table
    assert [_get(g, "DRUG", NS, "Headache", s)["n"] for s in ("1", "2", "3")] == [0, 0, 1]


def test_severity_missing_and_unknown_codes(adsl, adae):
    t = incidence(adsl, adae.assign(AESEV=adae["AESEV"].where(adae["USUBJID"] != "S03", "")), severity="AESEV").table
    assert _get(t, "DRUG", GI, "Diarrhoea", "MISSING")["n"] == 1
    with pytest.raises(AnalysisError, match="LIFE THREATENING"):
        incidence(adsl, adae.assign(AESEV="LIFE THREATENING"), severity="AESEV")


def test_control_arm_is_matched_without_regard_to_case(adsl, adae):
    # "placebo" names the arm "PLACEBO" (one arm matches): same comparison as the exact name
    exact = incidence(adsl, adae, control="PLACEBO")
    loose = incidence(adsl, adae, control="placebo")
    assert loose.parameters["control"] == "PLACEBO"
    pd.testing.assert_frame_equal(loose.table, exact.table)


def test_user_mistakes_are_clear_errors(adsl, adae):
    with pytest.raises(UnknownNameError, match="PLACEBO"):
        incidence(adsl, adae, control="PLACEBOO")
    with pytest.raises(MissingVariablesError, match="TRTEMFL"):
        incidence(adsl, adae.drop(columns="TRTEMFL"))
    with pytest.raises(MissingVariablesError, match="TRT01P"):
        incidence(adsl, adae, arm_var="TRT01P")
    with pytest.raises(AnalysisError, match="duplicated USUBJID"):
        incidence(pd.concat([adsl, adsl.iloc[:1]]), adae)


from hypothesis import given, settings, strategies as st


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.sampled_from(["A", "B"]), st.sampled_from(["p1", "p2", "p3"]),
                          st.sampled_from(["Y", ""])), max_size=30))
def test_nesting_invariants(records):
    # subjects 0–3 arm X, 4–7 arm Y, all in the safety population; PTs p1, p2 in SOC A, p3 in SOC B
    adsl = pd.DataFrame({"USUBJID": [str(i) for i in range(8)], "TRT01A": ["X"] * 4 + ["Y"] * 4, "SAFFL": ["Y"] * 8})
    soc_of = {"p1": "A", "p2": "A", "p3": "B"}
    adae = pd.DataFrame([(str(s), soc_of[pt], pt, fl) for s, _, pt, fl in records],
                        columns=["USUBJID", "AEBODSYS", "AEDECOD", "TRTEMFL"])
    t = incidence(adsl, adae).table
    for arm, g in t.groupby("arm"):
        any_n = g.loc[g["level"] == "any", "n"].iloc[0]
        assert (g["n"] <= g["N"]).all() and (g["n"] <= any_n).all()
        for soc, s in g[g["level"] == "pt"].groupby("AEBODSYS"):
            soc_n = g.loc[(g["level"] == "soc") & (g["AEBODSYS"] == soc), "n"].iloc[0]
            assert s["n"].max() <= soc_n <= s["n"].sum()
        assert g.loc[g["level"] == "any", "events"].iloc[0] == g.loc[g["level"] == "soc", "events"].sum()
    te = adae[adae["TRTEMFL"] == "Y"]
    assert t.loc[t["level"] == "any", "n"].sum() == te["USUBJID"].nunique()
