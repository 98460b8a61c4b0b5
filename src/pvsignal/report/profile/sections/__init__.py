"""The profile's sections, in report order. Adding a section: one module here with a
``build(context) -> Section`` function and its ``SECTION`` spec, plus one entry below."""

from __future__ import annotations

from pvsignal.report.profile.context import SectionSpec
from pvsignal.report.profile.sections import (
    benefit_risk,
    cases,
    dose_rules,
    interactions,
    label,
    mechanism,
    onset,
    sensitivity,
    signals,
    trial,
)

SECTIONS: list[SectionSpec] = [
    signals.SECTION,
    sensitivity.SECTION,
    cases.SECTION,
    onset.SECTION,
    trial.SECTION,
    dose_rules.SECTION,
    interactions.SECTION,
    mechanism.SECTION,
    label.SECTION,
    benefit_risk.SECTION,
]
