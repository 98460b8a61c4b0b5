"""A small made-up ADaM set whose incidence counts are worked by hand in test_incidence.py."""

import pandas as pd
import pytest

NS, GI, VA = "NERVOUS SYSTEM DISORDERS", "GASTROINTESTINAL DISORDERS", "VASCULAR DISORDERS"


@pytest.fixture
def adsl():
    # S01–S04 DRUG and S05–S08 PLACEBO in the safety population; S09 DRUG never dosed
    # (SAFFL N); S10 is the only LOW DOSE subject and was never dosed → an empty arm (N = 0);
    # S11 a screen failure without arm.
    return pd.DataFrame({
        "USUBJID": [f"S{i:02d}" for i in range(1, 12)],
        "TRT01A": ["DRUG"] * 4 + ["PLACEBO"] * 4 + ["DRUG", "LOW DOSE", ""],
        "SAFFL": ["Y"] * 8 + ["N", "N", "N"],
        "AGE": [55, 60, 45, 70, 50, 40, 30, 65, 50, 50, 50],
        "SEX": ["F", "M", "M", "F", "M", "F", "F", "M", "M", "F", "M"],
    })


@pytest.fixture
def adae():
    rows = [
        # USUBJID, AEBODSYS, AEDECOD, TRTEMFL, AESEV, AETOXGR
        ("S01", NS, "Headache", "Y", "MILD", 1),       # S01: three Headache records → 1 subject, 3 events
        ("S01", NS, "Headache", "Y", "SEVERE", 3),
        ("S01", NS, "Headache", "Y", "MODERATE", 2),
        ("S02", NS, "Tremor", "Y", "MODERATE", 2),
        ("S02", NS, "Headache", "", "MILD", 1),        # not treatment-emergent → excluded
        ("S03", GI, "Diarrhoea", "Y", "MILD", 1),
        ("S05", NS, "Headache", "Y", "MILD", 1),
        ("S05", GI, "Diarrhoea", "Y", "MODERATE", 2),
        ("S06", GI, "Diarrhoea", "Y", "MILD", 1),
        ("S09", NS, "Headache", "Y", "SEVERE", 3),     # outside the safety population → excluded
        ("S10", GI, "Diarrhoea", "Y", "MILD", 1),      # outside the safety population (LOW DOSE) → excluded
        ("S99", NS, "Headache", "Y", "MILD", 1),       # not in ADSL → excluded
        ("S04", VA, "Hypertension", "N", "MILD", 1),   # not treatment-emergent → excluded
    ]
    return pd.DataFrame(rows, columns=["USUBJID", "AEBODSYS", "AEDECOD", "TRTEMFL", "AESEV", "AETOXGR"])

