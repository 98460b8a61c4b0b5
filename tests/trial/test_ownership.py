"""Variables in more than one ADaM dataset come from their owner; arms in a stated order; TRTA selectable.

Hand-made ADaM of conftest.py (counts worked in test_incidence.py): DRUG S01–S04, PLACEBO
S05–S08 in the safety population; TE events DRUG S01 (Headache ×3), S02 (Tremor), S03
(Diarrhoea); PLACEBO S05 (Headache, Diarrhoea), S06 (Diarrhoea).
"""

import pandas as pd
import pytest

from pvsignal.errors import InputFileError
from pvsignal.trial import arm_order, incidence, read_adae, read_adsl

from .conftest import NS


def _n(table, arm, pt):
    t = table[(table["arm"] == arm) & (table["AEDECOD"] == pt)]
    return int(t["n"].iloc[0])


def test_adae_copies_of_adsl_variables_are_not_used(adsl, adae):
    # real ADAE repeats SAFFL and TRT01A; a stale copy must not move or drop an event (issue 13: KeyError 'SAFFL')
    stale = adae.assign(SAFFL="N", TRT01A="PLACEBO", AGE=99)
    r = incidence(adsl, stale)
    assert _n(r.table, "DRUG", "Headache") == 1 and _n(r.table, "PLACEBO", "Headache") == 1
    assert r.table.loc[r.table["level"] == "any"].set_index("arm")["n"].to_dict() == {"DRUG": 3, "LOW DOSE": 0, "PLACEBO": 2}
    assert r.parameters["adae_variables_taken_from_adsl"] == ["SAFFL", "TRT01A"]


def test_trta_counts_the_event_record_arm(adsl, adae):
    # with arm_var TRTA the event's own arm counts (AET02), the denominator stays ADSL TRT01A
    arm = adae["USUBJID"].map(adsl.set_index("USUBJID")["TRT01A"]).fillna("")
    trta = adae.assign(TRTA=arm.where(adae["USUBJID"] != "S01", "PLACEBO"))
    r = incidence(adsl, trta, arm_var="TRTA")
    assert _n(r.table, "PLACEBO", "Headache") == 2  # S01's events now counted in PLACEBO (with S05)
    assert r.population.set_index("arm")["N"].to_dict() == {"DRUG": 4, "LOW DOSE": 0, "PLACEBO": 4}
    assert r.parameters["arm_source"] == "ADAE TRTA (denominator ADSL TRT01A)"


def test_arm_order_by_code_then_listed():
    values = pd.Series(["High", "Placebo", "Low", "Screen Failure", ""])
    assert arm_order(values) == ["High", "Low", "Placebo"]  # by name; CDISC non-arm and blank left out
    assert arm_order(values, codes=pd.Series([3, 0, 1, None, None])) == ["Placebo", "Low", "High"]
    assert arm_order(values, arms=["Low", "High"]) == ["Low", "High"]


def test_arms_follow_trt01an(adsl, adae):
    coded = adsl.assign(TRT01AN=adsl["TRT01A"].map({"PLACEBO": 1, "LOW DOSE": 2, "DRUG": 3}))
    assert list(incidence(coded, adae).population["arm"]) == ["PLACEBO", "LOW DOSE", "DRUG"]


def test_wrong_dataset_is_named(adsl, adae, tmp_path):
    adsl.to_csv(tmp_path / "adsl.csv", index=False)
    adae.assign(SAFFL="Y").to_csv(tmp_path / "adae.csv", index=False)
    with pytest.raises(InputFileError, match="looks like ADAE, not ADSL"):
        read_adsl(tmp_path / "adae.csv")
    with pytest.raises(InputFileError, match="looks like ADSL, not ADAE"):
        read_adae(tmp_path / "adsl.csv")
    assert NS  # the fixture's SOCs are the ones the docstring names
