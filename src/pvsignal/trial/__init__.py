"""Clinical-trial safety from CDISC ADaM data: incidence, CKD-EPI eGFR, dose rules.

Public API (mirrors ``pvsignal trial …``):

* :func:`read_dataset`, :func:`read_adsl`, :func:`read_adae`, :func:`read_adlb` — ADaM from .sas7bdat/.xpt/.csv/.parquet
* :func:`incidence` — TEAE incidence by arm, SOC and PT, CIOMS category, Fisher/RD/RR vs control;
  :meth:`IncidenceResult.wide` — one column block per arm
* :func:`egfr` — CKD-EPI 2021 eGFR, vectorised; :func:`creatinine_warning`, :class:`UnitError` — units
* :func:`load_rules`, :func:`parse_rules` — validated YAML dose-modification rules
* :func:`dose_modifications` — replay rules over each subject's eGFR series
"""

from pvsignal.trial.adam import MissingVariablesError, arm_order, read_adae, read_adlb, read_adsl, read_dataset
from pvsignal.trial.dosing import DosingResult, dose_modifications, lab_series
from pvsignal.trial.incidence import IncidenceResult, cioms_frequency, incidence, risk_comparison
from pvsignal.trial.renal import egfr, kdigo_category
from pvsignal.trial.rules import RuleFileError, RuleSet, load_rules, parse_rules, shipped_rule_names
from pvsignal.trial.units import UnitError, creatinine_warning

__all__ = [
    "DosingResult", "IncidenceResult", "MissingVariablesError", "RuleFileError", "RuleSet", "UnitError", "arm_order",
    "cioms_frequency", "creatinine_warning", "dose_modifications", "egfr", "incidence", "kdigo_category", "lab_series",
    "load_rules", "parse_rules", "read_adae", "read_adlb", "read_adsl", "read_dataset", "risk_comparison",
    "shipped_rule_names",
]
