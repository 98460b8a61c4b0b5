"""Clinical-trial safety from CDISC ADaM: incidence, dose rules, eGFR."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    pass


def trial_incidence(adsl: str | Path, adae: str | Path, **kwargs):
    """TEAE incidence by arm from ADaM files; see :func:`pvsignal.trial.incidence.incidence`."""
    from pvsignal.trial.adam import read_adae, read_adsl
    from pvsignal.trial.incidence import incidence

    return incidence(read_adsl(adsl, arm_var=kwargs.get("arm_var")), read_adae(adae), **kwargs)


def trial_dosing(rules: str | Path, adlb: str | Path, adsl: str | Path | None = None, **kwargs):
    """Replay dose-modification rules over ADLB; see :func:`pvsignal.trial.dosing.dose_modifications`."""
    from pvsignal.trial.adam import read_adlb, read_dataset
    from pvsignal.trial.dosing import dose_modifications
    from pvsignal.trial.rules import load_rules

    adsl_df = read_dataset(adsl, name="ADSL") if adsl else None  # only AGE and SEX are used
    return dose_modifications(load_rules(rules), read_adlb(adlb), adsl_df, **kwargs)


def trial_rules(name: str | Path | None = None):
    """The shipped rule-set names (no ``name``), or the validated rule set ``name`` (shipped or YAML)."""
    from pvsignal.trial.rules import load_rules, shipped_rule_names

    return shipped_rule_names() if name is None else load_rules(name)


def egfr(creatinine, age, sex, unit="mg/dL", **kwargs):
    """CKD-EPI 2021 eGFR (mL/min/1.73 m²); see :func:`pvsignal.trial.renal.egfr`."""
    from pvsignal.trial.renal import egfr as _egfr

    return _egfr(creatinine, age, sex, unit, **kwargs)


def creatinine_warning(value: float, unit: str) -> str:
    """A warning when one creatinine value is implausible for ``unit`` ('' when plausible)."""
    from pvsignal.trial.units import creatinine_warning as _warning

    return _warning(value, unit)


def kdigo_category(egfr_value: float):
    """KDIGO G category of an eGFR; see :func:`pvsignal.trial.renal.kdigo_category`."""
    from pvsignal.trial.renal import kdigo_category as _kdigo

    return _kdigo(egfr_value)
