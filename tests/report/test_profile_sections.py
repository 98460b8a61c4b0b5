"""Profile sections: where the dose-rule section's lab values came from, and the trial's
arm order (pvsignal.trial's, not alphabetical)."""

from __future__ import annotations

import pandas as pd

from .conftest import ARM_P, ARM_V


def test_dose_rule_section_names_the_measured_lab_values(full_profile):
    # conftest's ADLB: EGFR measured 3 + 3 + 3 + 2 = 11 times, no creatinine
    sec = full_profile.section("dose_rules")
    assert sec.data["lab_value_sources"] == {"measured EGFR": 11}
    assert "Lab values replayed (EGFR): measured EGFR (11 records). No value was computed from creatinine." \
        in sec.paragraphs


def test_dose_rule_sentence_states_the_creatinine_unit_and_its_source():
    from pvsignal.report.profile.sections.dose_rules import lab_values_sentence
    from pvsignal.trial import dose_modifications, load_rules

    adsl = pd.DataFrame({"USUBJID": ["S1", "S2"], "AGE": [50, 60], "SEX": ["F", "M"]})
    # creatinine 1.0 mg/dL = 88.42 µmol/L (FACTS: 88.42 µmol/L per mg/dL); S1 states its unit, S2 none
    adlb = pd.DataFrame({"USUBJID": ["S1", "S1", "S2"], "PARAMCD": ["CREAT"] * 3, "AVAL": [88.42, 97.0, 1.1],
                         "AVALU": ["umol/L", "umol/L", ""], "ADY": [1, 15, 1], "ABLFL": ["Y", "", "Y"]})
    res = dose_modifications(load_rules("voclosporin"), adlb, adsl)
    text = lab_values_sentence(res.parameters)
    assert "CKD-EPI 2021 from CREAT in umol/L (/ 88.42 to mg/dL), unit from AVALU (2 records)" in text
    assert "CKD-EPI 2021 from CREAT in mg/dL, unit from assumed (--creatinine-unit) (1 record)" in text
    assert "mg/dL is assumed" in text


def test_trial_sections_keep_the_trials_arm_order(adam):
    from pvsignal.report.profile import build_profile

    adsl, adae, _ = adam
    # numeric codes put the drug first; alphabetical order would put PLACEBO first
    coded = adsl.assign(TRT01AN=adsl["TRT01A"].map({ARM_V: 1, ARM_P: 2}))
    p = build_profile("voclosporin", ["headache"], adsl=coded, adae=adae, figures=False)
    sec = p.section("trial")
    assert list(sec.data["population"]) == [ARM_V, ARM_P]
    top = next(t for t in sec.tables if t.caption.startswith("Most frequent TEAEs"))
    assert top.columns == ["PT", ARM_V, ARM_P]
    coded = adsl.assign(TRT01AN=adsl["TRT01A"].map({ARM_V: 2, ARM_P: 1}))
    sec = build_profile("voclosporin", ["headache"], adsl=coded, adae=adae, figures=False).section("trial")
    assert next(t for t in sec.tables if t.caption.startswith("Most frequent TEAEs")).columns == ["PT", ARM_P, ARM_V]


def test_interaction_section_adds_the_interacting_role_only_to_the_default():
    from pvsignal.analysis.population import CaseDefinition
    from pvsignal.report.profile.sections.interactions import exposure_sentence, interaction_definition

    d = interaction_definition(CaseDefinition(quarters="2023Q2", sex="F"))
    assert (d.role_codes, d.quarters, d.sex) == (("PS", "SS", "I"), "2023Q2", "F")
    assert "interacting role included" in exposure_sentence(CaseDefinition())
    for roles, codes in (("primary", ("PS",)), ("PS,SS,C,I", ("PS", "SS", "C", "I"))):
        assert interaction_definition(CaseDefinition(roles=roles)).role_codes == codes
        assert exposure_sentence(CaseDefinition(roles=roles)).endswith("as the case definition says.")
