"""The voclosporin label rules (FACTS §3.1) replayed over hand-worked eGFR timelines.

Label (LUPKYNIS USPI §2): start 23.7 mg BID. eGFR ≥ 60 → no change; < 60 and fall ≤ 20 %
→ no change; fall > 20 % and < 30 % → reduce by 7.9 mg BID, reassess within 2 weeks,
reduce again if still > 20 % down; fall ≥ 30 % → discontinue, reassess within 2 weeks,
re-initiate at 7.9 mg BID only at ≥ 80 % of baseline; after a reduction, +7.9 mg BID for
each measurement ≥ 80 % of baseline, never above the starting dose; baseline ≤ 45 →
not recommended. Measurements are on study days; ADT = 2024-01-01 + (ADY − 1).
"""

import pandas as pd
import pytest

from pvsignal.errors import AnalysisError
from pvsignal.trial import dose_modifications, egfr, load_rules

T0 = pd.Timestamp("2024-01-01")


@pytest.fixture(scope="module")
def voc():
    return load_rules("voclosporin")


def adlb(subject, series, paramcd="EGFR", baseline_index=0, **extra):
    return pd.DataFrame([
        dict(USUBJID=subject, PARAMCD=paramcd, AVAL=v, ADY=d, ADT=T0 + pd.Timedelta(days=d - 1),
             ABLFL="Y" if i == baseline_index else "", **extra)
        for i, (d, v) in enumerate(series)
    ])


def timeline(result, subject):
    a = result.actions[result.actions["USUBJID"] == subject]
    return [(int(r.ADY), r.action, round(r.dose_after, 1), r.rule_id) for r in a.itertuples()]


def test_table_boundaries(voc):
    data = pd.concat([
        # baseline 80: exactly 60 (a 25 % fall) → eGFR ≥ 60 row: no change
        adlb("B60", [(1, 80), (15, 60)]),
        # baseline 50: 40 is exactly a 20 % fall (< 60) → no change
        adlb("F20", [(1, 50), (15, 40)]),
        # 39.5 is a 21 % fall → reduce 23.7 → 15.8
        adlb("F21", [(1, 50), (15, 39.5)]),
        # 35.5 is a 29 % fall → reduce
        adlb("F29", [(1, 50), (15, 35.5)]),
        # 35 is exactly a 30 % fall → discontinue
        adlb("F30", [(1, 50), (15, 35)]),
    ])
    r = dose_modifications(voc, data)
    assert timeline(r, "B60")[1] == (15, "none", 23.7, "egfr-ge-60")
    assert timeline(r, "F20")[1] == (15, "none", 23.7, "egfr-lt-60-fall-le-20pct")
    assert timeline(r, "F21")[1] == (15, "reduce", 15.8, "egfr-lt-60-fall-gt-20-lt-30pct")
    assert timeline(r, "F29")[1] == (15, "reduce", 15.8, "egfr-lt-60-fall-gt-20-lt-30pct")
    assert timeline(r, "F30")[1] == (15, "discontinue", 0.0, "egfr-lt-60-fall-ge-30pct")
    f30 = r.actions[r.actions["USUBJID"] == "F30"].iloc[1]
    assert f30["pchg"] == pytest.approx(-30.0) and f30["dose_before"] == 23.7
    assert f30["reassess_by"] == pd.Timestamp("2024-01-29") and f30["reassess_by_day"] == 29


def test_reduce_twice_then_reescalate_to_but_not_above_start(voc):
    r = dose_modifications(voc, adlb("R", [(1, 50), (15, 38), (29, 37), (43, 40), (57, 45), (71, 48)]))
    assert timeline(r, "R") == [
        (1, "start", 23.7, "baseline"),
        (15, "reduce", 15.8, "egfr-lt-60-fall-gt-20-lt-30pct"),  # 38/50: 24 % fall
        (29, "reduce", 15.8 - 7.9, "egfr-lt-60-fall-gt-20-lt-30pct"),  # still 26 % down at reassessment
        (43, "increase", 15.8, "reduced-recovered-ge-80pct"),  # 40/50 = exactly 80 % of baseline
        (57, "increase", 23.7, "reduced-recovered-ge-80pct"),  # 90 %: back to the starting dose
        (71, "none", 23.7, "egfr-lt-60-fall-le-20pct"),  # 96 % at full dose: no change, never above start
    ]
    assert r.actions["note"].iloc[-1] == "eGFR < 60 and reduced <= 20 % from baseline: no adjustment (continue)."


def test_discontinue_wait_reinitiate_and_fall_again(voc):
    r = dose_modifications(voc, adlb("D", [(1, 60), (15, 42), (29, 45), (43, 48), (57, 50), (71, 47), (85, 40), (99, 44)]))
    assert timeline(r, "D") == [
        (1, "start", 23.7, "baseline"),
        (15, "discontinue", 0.0, "egfr-lt-60-fall-ge-30pct"),  # 42/60: exactly 30 % fall
        (29, "none", 0.0, "discontinued-not-recovered"),  # 75 % of baseline: stay off
        (43, "reinitiate", 7.9, "discontinued-recovered-ge-80pct"),  # 48/60 = exactly 80 %
        (57, "increase", 15.8, "reduced-recovered-ge-80pct"),  # 83 %
        (71, "reduce", 7.9, "egfr-lt-60-fall-gt-20-lt-30pct"),  # 78.3 %: 21.7 % fall
        (85, "discontinue", 0.0, "egfr-lt-60-fall-ge-30pct"),  # 33.3 % fall
        (99, "none", 0.0, "discontinued-not-recovered"),  # reassessed on day 99 = due day: on time
    ]
    assert "late" not in " ".join(r.actions["note"]) and "not found" not in " ".join(r.actions["note"])


def test_reduction_below_minimum_discontinues(voc):
    r = dose_modifications(voc, adlb("M", [(1, 50), (15, 38), (29, 38), (43, 38)]))
    assert [t[1:3] for t in timeline(r, "M")] == [("start", 23.7), ("reduce", 15.8), ("reduce", 7.9), ("discontinue", 0.0)]
    assert "below the minimum dose 7.9 mg BID" in r.actions["note"].iloc[-1]


def test_late_and_missing_reassessment_are_noted(voc):
    late = adlb("L", [(1, 50), (15, 38), (40, 45)])
    never = adlb("N", [(1, 50), (15, 38)])
    r = dose_modifications(voc, pd.concat([late, never]))
    note_l = r.actions[r.actions["USUBJID"] == "L"]["note"].iloc[-1]
    assert "reassessment late: due by 2024-01-29, measured 2024-02-09 (11 d late)" in note_l
    note_n = r.actions[r.actions["USUBJID"] == "N"]["note"].iloc[-1]
    assert "reassessment due by 2024-01-29 not found in the data" in note_n
    assert set(r.changes()["USUBJID"]) == {"L", "N"}


def test_baseline_le_45_flag(voc):
    r = dose_modifications(voc, pd.concat([adlb("LOW", [(1, 45)]), adlb("OK", [(1, 45.1)])]))
    a = r.actions.set_index("USUBJID")
    assert a.loc["LOW", "flag"] == "not recommended (baseline eGFR <= 45)"
    assert a.loc["OK", "flag"] == ""
    assert a.loc["LOW", "dose_after"] == 23.7  # a flag, not a dose change


def test_egfr_computed_from_creatinine_with_adsl_age_sex(voc):
    adsl = pd.DataFrame({"USUBJID": ["C1", "C2"], "AGE": [55, 55], "SEX": ["M", "M"]})
    lab = pd.concat([
        adlb("C1", [(1, 1.2), (15, 1.5)], paramcd="CREAT"),
        adlb("C2", [(1, 1.2 * 88.42), (15, 1.5 * 88.42)], paramcd="CREAT", AVALU="umol/L"),
    ])
    r = dose_modifications(voc, lab, adsl)
    for s in ("C1", "C2"):
        a = r.actions[r.actions["USUBJID"] == s]
        assert a["value"].iloc[0] == pytest.approx(71.418, abs=5e-4)  # FACTS §5.2 vector
        assert a["value"].iloc[1] == pytest.approx(egfr(1.5, 55, "M"))  # ≈ 54.6: a 23.5 % fall
        assert a["action"].tolist() == ["start", "reduce"]
    # the unit used, and where it came from, is stated on every record
    src = r.actions.groupby("USUBJID")["value_source"].first()
    assert src["C1"] == "CKD-EPI 2021 from CREAT in mg/dL, unit from assumed (--creatinine-unit)"
    assert src["C2"] == "CKD-EPI 2021 from CREAT in umol/L (/ 88.42 to mg/dL), unit from AVALU"
    with pytest.raises(AnalysisError, match="give ADSL"):
        dose_modifications(voc, lab)


def test_unusable_records_are_kept_with_reasons(voc):
    adsl = pd.DataFrame({"USUBJID": ["K"], "AGE": [16], "SEX": ["F"]})
    lab = pd.concat([
        adlb("S", [(-10, 70), (1, 50), (15, None), (29, 45)], baseline_index=1),  # screening + missing value
        adlb("K", [(1, 0.8)], paramcd="CREAT"),  # age 16: outside CKD-EPI
        adlb("NB", [(1, 50), (15, 38)], baseline_index=99),  # no ABLFL='Y'
    ])
    r = dose_modifications(voc, lab, adsl)
    reasons = sorted(r.skipped["reason"])
    assert reasons == ["before the baseline record", "eGFR not computable: age < 18 (CKD-EPI 2021 is for adults)", "missing AVAL"]
    assert timeline(r, "S") == [(1, "start", 23.7, "baseline"), (29, "none", 23.7, "egfr-lt-60-fall-le-20pct")]
    nb = r.actions[r.actions["USUBJID"] == "NB"]
    assert "baseline taken as the first measurement" in nb["note"].iloc[0]
    assert nb["action"].tolist() == ["start", "reduce"]


def test_day_only_series_uses_ady(voc):
    lab = adlb("Y", [(1, 50), (15, 38), (35, 45)]).drop(columns="ADT")
    r = dose_modifications(voc, lab)
    assert [t[1] for t in timeline(r, "Y")] == ["start", "reduce", "increase"]
    assert "due by day 29, measured day 35" in r.actions["note"].iloc[-1]
