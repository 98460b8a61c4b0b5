"""Replay dose-modification rules over each subject's lab series (e.g. eGFR from ADLB).

The series: ADLB records of the rule set's lab parameter (``lab.parameter``, e.g. EGFR).
A subject without such records but with serum creatinine (``creat_paramcd``, default
CREAT) gets eGFR by CKD-EPI 2021 (:func:`pvsignal.trial.renal.egfr`) from AGE and SEX
(age at baseline is used for every measurement) — ADSL's when ADSL is given (ADSL owns
them; ADLB's copies are dropped), else ADLB's own. The creatinine unit of each record
comes from AVALU, PARAM "(unit)", LBSTRESU, else ``creatinine_unit``
(:mod:`pvsignal.trial.units`); µmol/L is divided by 88.42; a unit that is unknown or
does not fit the values (median) raises :class:`~pvsignal.trial.units.UnitError`.
Derived records (``DTYPE`` non-blank: LOV, MAXIMUM, AVERAGE …, copies of measured
records) are skipped; with several ``BASETYPE`` values the first (alphabetically) is used.

Baseline: the record with ``ABLFL == 'Y'`` (if several, the latest; if none, the first
record, with a note). The baseline row starts the dose at ``dose.start`` and runs the
rule set's baseline flags. Every later record, in date (ADT) or day (ADY) order, is
evaluated against the rules in file order; the first rule that applies in the current
state and whose conditions hold fires. An action with ``reassess_within_days`` sets a
due date; a next measurement after it, or none at all, is noted as a late reassessment.

Records that cannot be used (missing value, eGFR not computable, before baseline, no
baseline) are kept in :attr:`DosingResult.skipped` with the reason.

The replay is a per-subject state machine, so it loops over each subject's records in
Python; trial lab series are small (tens of records per subject).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pvsignal.errors import AnalysisError
from pvsignal.trial.adam import join_adsl, normalise, require, require_one_row_per_subject
from pvsignal.trial.renal import egfr, egfr_invalid_reason
from pvsignal.trial.units import UMOL, check_creatinine, record_units
from pvsignal.trial.rules import RuleSet

ACTION_COLUMNS = [
    "USUBJID", "ADT", "ADY", "value", "value_source", "baseline", "pchg", "state_before", "action",
    "dose_before", "dose_after", "rule_id", "reassess_by", "reassess_by_day", "flag", "note",
]
_EPS = 1e-9


@dataclass(frozen=True)
class DosingResult:
    """``actions``: one row per evaluated measurement (baseline included); ``skipped``:
    records not used, with ``reason``; ``parameters``: rule set and settings."""

    actions: pd.DataFrame
    skipped: pd.DataFrame
    rules: RuleSet
    parameters: dict[str, Any] = field(default_factory=dict)

    def changes(self) -> pd.DataFrame:
        """Rows where the dose changed or a flag or note was raised (baseline start included)."""
        a = self.actions
        keep = (a["action"] != "none") | (a["flag"] != "") | a["note"].str.contains("late|not found", regex=True)
        return a[keep].reset_index(drop=True)

    def listing(self) -> pd.DataFrame:
        """One row per subject whose dose changed or who was flagged, with the dated actions.

        Columns: USUBJID, baseline (lab value), measurements, actions (text, one
        "date action dose_before→dose_after unit (parameter value, pchg %) [rule]" per change, "; "-separated),
        flag, final_dose. Dates are ADT (ISO), or "day ADY" without dates.
        """
        a = self.actions
        unit = self.rules.dose.unit
        when = a["ADT"].dt.strftime("%Y-%m-%d") if pd.api.types.is_datetime64_any_dtype(a["ADT"]) else None
        when = when.where(a["ADT"].notna(), "day " + a["ADY"].map("{:g}".format)) if when is not None \
            else "day " + a["ADY"].map("{:g}".format)
        step = a["action"].isin(["reduce", "increase", "hold", "resume", "discontinue", "reinitiate"])
        text = (when + " " + a["action"] + " " + a["dose_before"].map("{:g}".format) + "→" + a["dose_after"].map("{:g}".format)
                + f" {unit} ({self.rules.lab.parameter} " + a["value"].map("{:.1f}".format) + ", "
                + a["pchg"].map("{:+.1f} %".format) + ") [" + a["rule_id"] + "]")
        g = a.assign(_text=text.where(step, ""), _step=step).groupby("USUBJID", sort=True)
        out = pd.DataFrame({
            "baseline": g["baseline"].first(),
            "measurements": g.size(),
            "actions": g["_text"].agg(lambda t: "; ".join(x for x in t if x)),
            "flag": g["flag"].agg(lambda f: "; ".join(x for x in f if x)),
            "final_dose": g["dose_after"].last(),
        }).reset_index()
        return out[(out["actions"] != "") | (out["flag"] != "")].reset_index(drop=True)


def lab_series(
    adlb: pd.DataFrame,
    adsl: pd.DataFrame | None,
    *,
    parameter: str = "EGFR",
    creat_paramcd: str = "CREAT",
    creatinine_unit: str = "mg/dL",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The lab series to replay: (series, skipped); see the module docstring.

    ``series`` columns: USUBJID, ADT, ADY, ABLFL, value, value_source. Measured values of
    ``parameter`` are used when a subject has any; otherwise, for eGFR, values computed
    from creatinine. Records with a missing or non-computable value go to ``skipped``.
    """
    adlb = normalise(adlb)
    require(adlb, ["USUBJID", "PARAMCD", "AVAL"], dataset="ADLB")
    if "ADT" not in adlb.columns and "ADY" not in adlb.columns:
        require(adlb, ["ADT or ADY"], dataset="ADLB")
    for col, default in (("ADT", pd.NaT), ("ADY", np.nan), ("ABLFL", "")):
        if col not in adlb.columns:
            adlb[col] = default
    adlb["AVAL"] = pd.to_numeric(adlb["AVAL"], errors="coerce")
    skipped = []
    drop = pd.Series(False, index=adlb.index)
    if "DTYPE" in adlb.columns:
        derived = adlb["DTYPE"].astype(str) != ""
        skipped.append(adlb[derived].assign(reason="derived record (DTYPE " + adlb.loc[derived, "DTYPE"].astype(str) + ")"))
        drop |= derived
    if "BASETYPE" in adlb.columns and adlb.loc[~drop, "BASETYPE"].nunique() > 1:
        first = sorted(adlb.loc[~drop, "BASETYPE"].unique())[0]
        other = ~drop & (adlb["BASETYPE"] != first)
        skipped.append(adlb[other].assign(reason=f"BASETYPE other than {first!r}"))
        drop |= other
    adlb = adlb[~drop]
    measured = adlb[adlb["PARAMCD"] == parameter].copy()
    measured["value"] = measured["AVAL"]
    measured["value_source"] = f"measured {parameter}"
    creat = pd.DataFrame()
    if parameter.upper() in ("EGFR", "GFR", "EGFRCR", "GFRE"):
        have = set(measured["USUBJID"])
        creat = adlb[(adlb["PARAMCD"] == creat_paramcd) & ~adlb["USUBJID"].isin(have)].copy()
    if len(creat):
        creat = _with_age_sex(creat, adsl, creat_paramcd)
        unit, source = record_units(creat, creatinine_unit)
        check_creatinine(creat["AVAL"], unit, source, label=f"ADLB {creat_paramcd}")
        reason = egfr_invalid_reason(creat["AVAL"], creat["AGE"], creat["SEX"], unit)
        reason = np.where(reason != "", np.char.add("eGFR not computable: ", reason.astype(str)), "")
        creat["value"] = egfr(creat["AVAL"], creat["AGE"], creat["SEX"], unit, invalid="nan").to_numpy()
        creat["value_source"] = (f"CKD-EPI 2021 from {creat_paramcd} in " + unit
                                 + np.where(unit == UMOL, " (/ 88.42 to mg/dL)", "") + ", unit from " + source)
        missing_inputs = creat["value"].isna() & (reason == "")
        reason = np.where(missing_inputs, "eGFR not computable: creatinine, AGE or SEX missing", reason)
        bad = reason != ""
        if bad.any():
            skipped.append(creat[bad].assign(reason=reason[bad]))
            creat = creat[~bad]
    series = pd.concat([measured, creat], ignore_index=True)
    miss = series["value"].isna()
    if miss.any():
        skipped.append(series[miss].assign(reason="missing AVAL"))
        series = series[~miss]
    cols = ["USUBJID", "ADT", "ADY", "ABLFL", "value", "value_source"]
    sk = pd.concat(skipped, ignore_index=True) if skipped else pd.DataFrame(columns=cols + ["reason"])
    return series[cols].reset_index(drop=True), sk.reset_index(drop=True)


def _with_age_sex(creat: pd.DataFrame, adsl: pd.DataFrame | None, creat_paramcd: str) -> pd.DataFrame:
    """Creatinine records with AGE and SEX: ADSL's (the owner) when given, else ADLB's own."""
    if adsl is None:
        if {"AGE", "SEX"} <= set(creat.columns):
            return creat
        raise AnalysisError(f"ADLB has only creatinine ({creat_paramcd}) for some subjects and no AGE/SEX: "
                            "give ADSL (AGE, SEX) to compute eGFR")
    adsl = normalise(adsl)
    require(adsl, ["USUBJID", "AGE", "SEX"], dataset="ADSL")
    require_one_row_per_subject(adsl)
    joined, _ = join_adsl(creat, adsl, ["AGE", "SEX"])
    return joined.drop(columns="_merge")


def replay(series: pd.DataFrame, rules: RuleSet) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replay ``rules`` over a series (columns as :func:`lab_series`): (actions, skipped)."""
    rows: list[dict[str, Any]] = []
    skipped: list[pd.DataFrame] = []
    s = series.copy()
    s["_ord"] = np.arange(len(s))
    by_date = s["ADT"].notna().all() if len(s) else True
    sort_cols = ["USUBJID", "ADT", "_ord"] if by_date else ["USUBJID", "ADY", "_ord"]
    s = s.sort_values(sort_cols, kind="mergesort")
    for subj, g in s.groupby("USUBJID", sort=True):
        r, sk = _replay_subject(str(subj), g, rules, by_date)
        rows.extend(r)
        if sk is not None and len(sk):
            skipped.append(sk)
    actions = pd.DataFrame(rows, columns=ACTION_COLUMNS)
    sk = pd.concat(skipped, ignore_index=True) if skipped else pd.DataFrame(columns=list(series.columns) + ["reason"])
    return actions, sk.drop(columns=["_ord"], errors="ignore")


def _quantities(value: float, base: float) -> dict[str, float]:
    if base > 0:
        q = {
            "fall_pct": 100.0 * (base - value) / base,
            "pct_of_baseline": 100.0 * value / base,
            "pchg": 100.0 * (value - base) / base,
        }
    else:  # PCHG is undefined when the baseline is 0 (admiral derive_var_pchg)
        q = {"fall_pct": math.nan, "pct_of_baseline": math.nan, "pchg": math.nan}
    q = {k: round(v, 9) for k, v in q.items()}
    q.update(value=round(value, 9), baseline=round(base, 9))
    return q


def _state(dose: float, held: bool, discontinued: bool, start: float) -> str:
    if discontinued:
        return "discontinued"
    if held:
        return "held"
    return "full" if dose >= start - _EPS else "reduced"


def _replay_subject(subj: str, g: pd.DataFrame, rules: RuleSet, by_date: bool) -> tuple[list[dict[str, Any]], pd.DataFrame | None]:
    base_rows = g[g["ABLFL"] == "Y"]
    note0 = ""
    if len(base_rows) == 0:
        b = g.iloc[0]
        note0 = "no ABLFL='Y' record: baseline taken as the first measurement"
    else:
        b = base_rows.iloc[-1]
        if len(base_rows) > 1:
            note0 = f"{len(base_rows)} ABLFL='Y' records: the latest is used as baseline"
    pos_b = g.index.get_loc(b.name)
    before = g.iloc[:pos_b]
    after = g.iloc[pos_b + 1 :]
    skipped = before.assign(reason="before the baseline record") if len(before) else None
    base = float(b["value"])
    d = rules.dose
    dose, held, disc, held_dose = d.start, False, False, math.nan
    flags = [br for br in rules.baseline if br.matches(_quantities(base, base))]
    rows = [
        _row(subj, b, base, base, "", "start", math.nan, dose, "baseline",
             flag="; ".join(f.flag for f in flags),
             note="; ".join(x for x in [note0] + [f.id + ": " + (f.note or f.flag) for f in flags] if x))
    ]
    due_date, due_day = None, None
    for _, rec in after.iterrows():
        value = float(rec["value"])
        q = _quantities(value, base)
        state = _state(dose, held, disc, d.start)
        notes = []
        late = _late(rec, due_date, due_day, by_date)
        if late:
            notes.append(late)
        due_date, due_day = None, None
        rule = next((r for r in rules.rules if state in r.applies_in and r.matches(q)), None)
        before_dose = 0.0 if (held or disc) else dose
        action = rule.action if rule else "none"
        if rule is None:
            notes.append("no rule matched: dose unchanged")
        elif action == "reduce":
            new = dose - (rule.by or d.step)
            if new < d.minimum - _EPS:
                if d.below_minimum == "discontinue":
                    action, disc = "discontinue", True
                    notes.append(f"reduction below the minimum dose {d.minimum:g} {d.unit}: discontinued")
                else:
                    action = "none"
                    notes.append(f"already at the minimum dose {d.minimum:g} {d.unit}")
            else:
                dose = new
        elif action == "increase":
            new = min(dose + (rule.by or d.step), d.maximum)
            if new <= dose + _EPS:
                action = "none"
                notes.append(f"already at the maximum dose {d.maximum:g} {d.unit}")
            dose = new
        elif action == "hold":
            held, held_dose = True, dose
        elif action == "resume":
            held, dose = False, held_dose
        elif action == "discontinue":
            disc, held = True, False
        elif action == "reinitiate":
            disc, held, dose = False, False, float(rule.dose)
        after_dose = 0.0 if (held or disc) else dose
        if rule is not None and rule.reassess_within_days and action != "none":
            if by_date and pd.notna(rec["ADT"]):
                due_date = rec["ADT"] + pd.Timedelta(days=rule.reassess_within_days)
            if pd.notna(rec["ADY"]):
                due_day = float(rec["ADY"]) + rule.reassess_within_days
        if rule is not None and rule.note and action == rule.action:
            notes.insert(0, rule.note)
        rows.append(
            _row(subj, rec, value, base, state, action, before_dose, after_dose, rule.id if rule else "",
                 due_date=due_date, due_day=due_day, note="; ".join(notes))
        )
    if due_date is not None or due_day is not None:
        when = due_date.date().isoformat() if due_date is not None else f"day {due_day:g}"
        rows[-1]["note"] = "; ".join(x for x in [rows[-1]["note"], f"reassessment due by {when} not found in the data"] if x)
    return rows, skipped


def _late(rec: pd.Series, due_date: Any, due_day: Any, by_date: bool) -> str:
    if due_date is not None and pd.notna(rec["ADT"]) and rec["ADT"] > due_date:
        days = (rec["ADT"] - due_date).days
        return f"reassessment late: due by {due_date.date().isoformat()}, measured {rec['ADT'].date().isoformat()} ({days} d late)"
    if due_date is None and due_day is not None and pd.notna(rec["ADY"]) and float(rec["ADY"]) > due_day:
        return f"reassessment late: due by day {due_day:g}, measured day {float(rec['ADY']):g}"
    return ""


def _row(subj: str, rec: pd.Series, value: float, base: float, state: str, action: str, before: float, after: float,
         rule_id: str, *, flag: str = "", note: str = "", due_date: Any = None, due_day: Any = None) -> dict[str, Any]:
    return {
        "USUBJID": subj,
        "ADT": rec["ADT"],
        "ADY": rec["ADY"],
        "value": value,
        "value_source": rec["value_source"],
        "baseline": base,
        "pchg": _quantities(value, base)["pchg"],
        "state_before": state,
        "action": action,
        "dose_before": before,
        "dose_after": after,
        "rule_id": rule_id,
        "reassess_by": due_date if due_date is not None else pd.NaT,
        "reassess_by_day": due_day if due_day is not None else np.nan,
        "flag": flag,
        "note": note,
    }


def dose_modifications(
    rules: RuleSet,
    adlb: pd.DataFrame,
    adsl: pd.DataFrame | None = None,
    *,
    creat_paramcd: str = "CREAT",
    creatinine_unit: str = "mg/dL",
) -> DosingResult:
    """Replay ``rules`` over every subject's lab series from ADLB (see module docstring)."""
    series, sk1 = lab_series(adlb, adsl, parameter=rules.lab.parameter, creat_paramcd=creat_paramcd,
                             creatinine_unit=creatinine_unit)
    if series.empty:
        raise AnalysisError(
            f"ADLB has no usable {rules.lab.parameter} or {creat_paramcd} records; PARAMCD values found: "
            f"{sorted(normalise(adlb)['PARAMCD'].unique())[:20]}"
        )
    actions, sk2 = replay(series, rules)
    skipped = pd.concat([x for x in (sk1, sk2) if len(x)], ignore_index=True) if (len(sk1) or len(sk2)) else sk1
    params = {
        "rules": rules.id,
        "rules_file": rules.path,
        "drug": rules.drug,
        "lab_parameter": rules.lab.parameter,
        "creatinine_paramcd": creat_paramcd,
        "creatinine_unit_default": creatinine_unit,
        "egfr_equation": "CKD-EPI 2021 (race-free), Inker et al. NEJM 2021",
        "dose_unit": rules.dose.unit,
        "start_dose": rules.dose.start,
        "sources": [s.citation for s in rules.sources],
        "records_skipped": int(len(skipped)),
        "lab_value_sources": {str(k): int(v) for k, v in series["value_source"].value_counts().items()},
    }
    return DosingResult(actions=actions, skipped=skipped, rules=rules, parameters=params)
