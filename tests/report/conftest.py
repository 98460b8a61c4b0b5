"""A small synthetic FAERS lake and a hand-made ADaM set for the profile tests.

The lake: two synthetic quarters from :func:`pvsignal.synth.synthesize` (planted
voclosporin–headache and –tremor signals), ingested with :func:`pvsignal.api.ingest`.

The ADaM set (counts worked by hand in test_profile.py):

* ADSL: 20 subjects on "VOCLOSPORIN 23.7 MG BID", 20 on "PLACEBO", all SAFFL = 'Y'.
* ADAE (all TRTEMFL = 'Y'): headache in V01–V03 (V01 twice) and P01; tremor in V04;
  an untrusted verbatim term ``<script>alert(1)</script>`` in V05, coded to the SOC
  ``=HYPERLINK("http://x.invalid","click")``.
* ADLB (PARAMCD EGFR, ADY): V01 80 → 55 → 70 (discontinue, then re-initiate),
  V02 70 → 52 → 60 (reduce, then increase), V03 90 → 85 → 88 (no change twice),
  V04 40 → 38 (baseline flag ≤ 45; then eGFR < 60 with a fall ≤ 20 %: no change).
"""

from __future__ import annotations

import pandas as pd
import pytest

ARM_V, ARM_P = "VOCLOSPORIN 23.7 MG BID", "PLACEBO"
NS = "Nervous system disorders"
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x.invalid","click")'


@pytest.fixture(scope="session")
def synth_lake(tmp_path_factory):
    from pvsignal import api
    from pvsignal.synth import synthesize

    root = tmp_path_factory.mktemp("profile-lake")
    syn = synthesize(root / "faers", quarters="2023Q1:2023Q2", reports_per_quarter=3000, seed=11)
    api.ingest(syn.paths, lake=root / "lake")
    return root / "lake"


@pytest.fixture(scope="session")
def adam():
    subj = [f"V{i:02d}" for i in range(1, 21)] + [f"P{i:02d}" for i in range(1, 21)]
    adsl = pd.DataFrame({
        "USUBJID": subj,
        "TRT01A": [ARM_V] * 20 + [ARM_P] * 20,
        "SAFFL": ["Y"] * 40,
        "AGE": [50] * 40,
        "SEX": ["F", "M"] * 20,
    })
    ae = [
        ("V01", NS, "Headache"), ("V01", NS, "Headache"), ("V02", NS, "Headache"), ("V03", NS, "Headache"),
        ("P01", NS, "Headache"), ("V04", NS, "Tremor"), ("V05", FORMULA, SCRIPT),
    ]
    adae = pd.DataFrame(ae, columns=["USUBJID", "AEBODSYS", "AEDECOD"]).assign(TRTEMFL="Y")
    lb = []
    for s, values in (("V01", (80, 55, 70)), ("V02", (70, 52, 60)), ("V03", (90, 85, 88)), ("V04", (40, 38))):
        for k, v in enumerate(values):
            lb.append((s, "EGFR", float(v), 1 + 14 * k, "Y" if k == 0 else ""))
    adlb = pd.DataFrame(lb, columns=["USUBJID", "PARAMCD", "AVAL", "ADY", "ABLFL"])
    return adsl, adae, adlb


@pytest.fixture(scope="session")
def full_profile(synth_lake, adam):
    from pvsignal.report.profile import build_profile

    adsl, adae, adlb = adam
    return build_profile("voclosporin", ["headache", "tremor"], NS, lake=synth_lake, adsl=adsl, adae=adae, adlb=adlb,
                         trial_synthetic=True)
