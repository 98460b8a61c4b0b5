"""``pvsignal trial …``: TEAE incidence, eGFR and dose-rule replay from CDISC ADaM data."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.table import Table

from pvsignal import api
from pvsignal.cli.app import HELP_STYLE, app
from pvsignal.cli.render import console, dataframe_table, fitted_table, print_line, print_note

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

trial_app = typer.Typer(**HELP_STYLE, help="Clinical-trial safety from CDISC ADaM: incidence, eGFR, dose rules.", no_args_is_help=True)
app.add_typer(trial_app, name="trial", short_help='Clinical-trial safety from CDISC ADaM.')


@trial_app.command(short_help="TEAE incidence by arm, SOC and PT.")
def incidence(
    adsl: Path = typer.Option(..., help="ADSL (.sas7bdat, .xpt, .csv or .parquet)"),
    adae: Path = typer.Option(..., help="ADAE (.sas7bdat, .xpt, .csv or .parquet)"),
    arm_var: str = typer.Option("TRT01A", help="arm variable: ADSL TRT01A/TRT01P/ACTARM … (joined by USUBJID) or ADAE TRTA/TRTP"),
    arms: Optional[str] = typer.Option(None, help="arms to show, in order, comma-separated (default: by TRT01AN … code, else by name)"),
    by: str = typer.Option("soc,pt", help="levels: soc, pt or soc,pt"),
    control: Optional[str] = typer.Option(None, help="control arm for Fisher p, risk difference and relative risk"),
    severity: Optional[str] = typer.Option(None, help="AESEV or AETOXGR: count subjects at maximum severity/grade (shown on screen)"),
    layout: str = typer.Option("long", help="layout written to --out: long (term × arm rows) or wide (a column block per arm); .xlsx gets both"),
    out: Optional[Path] = typer.Option(None, help="write the table (.csv, .parquet or .xlsx)"),
    max_rows: int = typer.Option(60, help="rows shown on screen"),
) -> None:
    """Subjects with treatment-emergent AEs by arm, SOC and PT, with CIOMS frequency."""
    if layout not in ("long", "wide"):
        raise typer.BadParameter(f"'long' or 'wide', not {layout!r}", param_hint="--layout")
    arm_list = [a.strip() for a in arms.split(",") if a.strip()] if arms else None
    result = api.trial_incidence(adsl, adae, arm_var=arm_var, by=by, control=control, severity=severity, arms=arm_list)
    console.print(csr_table(result, max_rows=max_rows))
    if out:
        long, wide = result.table, result.wide()
        main, other = (long, ("wide", wide)) if layout == "long" else (wide, ("long", long))
        api.write_table(main, out, metadata=result.parameters, sheets={other[0]: other[1], "excluded_records": result.excluded})
        xlsx = str(out).lower().endswith(".xlsx")
        print_line(f"wrote {out} ({layout}" + (f"; sheet '{other[0]}' has the {other[0]} layout)" if xlsx else ")"))


def csr_table(result, *, max_rows: int = 60) -> Table:
    """CSR-shaped table (an ``IncidenceResult``): SOC rows, PTs indented, one column per arm with
    ``n (pct%) [events]``; counted by severity, each term is followed by one row per grade (subjects
    at their maximum grade); fitted to the console (numbers whole, Fisher columns dropped first)."""
    t = result.table
    sev = "severity" in t.columns
    keys = ["level", "AEBODSYS", "AEDECOD"] + (["severity"] if sev else [])
    arms = list(result.population["arm"])
    N = dict(zip(result.population["arm"], result.population["N"]))
    control = result.parameters.get("control")
    others = [a for a in arms if control and a != control]
    headers = ["System organ class / Preferred term" + (" / grade" if sev else ""), *(f"{a}\n(N={N[a]})" for a in arms),
               *(f"p (Fisher)\n{a} vs {control}" for a in others)]
    cells = t.set_index(keys + ["arm"])
    terms = t[keys].drop_duplicates()
    rows = []
    for row in terms.head(max_rows).itertuples(index=False):
        key = tuple(row)
        label = "    " + row.AEDECOD if row.level == "pt" else row.AEBODSYS
        if sev and row.severity != "ANY":
            label = ("        · " if row.level == "pt" else "  · ") + str(row.severity)
        rows.append([label, *(_cell(cells.loc[key + (a,)]) for a in arms),
                     *(_p(cells.loc[key + (a,), "p_fisher"]) for a in others)])
    title = "Subjects with treatment-emergent adverse events, n (%) [events]"
    if sev:
        title += f"; by maximum {result.parameters.get('severity')}"
    notes = [f"{max_rows} of {len(terms)} rows shown"] if len(terms) > max_rows else []
    notes.append("CIOMS frequency" + (", risk difference and relative risk with CIs" if others else "")
                 + " are in --out (long or wide layout)")
    caption = "; ".join(notes)
    return fitted_table(headers, rows, title=title, caption=caption, numeric=[False] + [True] * (len(headers) - 1))


def _cell(r: "pd.Series") -> str:
    pct = "NE" if math.isnan(r["pct"]) else f"{r['pct']:.1f}%"
    return f"{int(r['n'])} ({pct}) [{int(r['events'])}]"


def _p(p: float) -> str:
    if p is None or math.isnan(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


@trial_app.command("egfr", short_help="CKD-EPI 2021 eGFR and KDIGO category.")
def egfr_cmd(
    creatinine: float = typer.Option(..., help="serum creatinine (IDMS-standardised)"),
    age: float = typer.Option(..., help="age in years (≥ 18)"),
    sex: str = typer.Option(..., help="F or M"),
    unit: str = typer.Option("mg/dL", help="mg/dL or umol/L"),
) -> None:
    """eGFR (mL/min/1.73 m²) by CKD-EPI 2021 (race-free) and the KDIGO G category."""
    warning = api.creatinine_warning(creatinine, unit)
    if warning:
        print_note(warning, label="warning")
    value = api.egfr(creatinine, age, sex, unit=unit)
    print_line(f"eGFR {value:.1f} mL/min/1.73 m² (CKD-EPI 2021, creatinine {creatinine:g} {unit}), "
               f"KDIGO {api.kdigo_category(value)[0]}")


@trial_app.command(short_help="Replay dose rules over each subject's eGFR.")
def dosing(
    rules: str = typer.Option(..., help="shipped rule set name (e.g. voclosporin) or a .yaml rule file"),
    adlb: Path = typer.Option(..., help="ADLB with EGFR or CREAT records (.sas7bdat, .xpt, .csv or .parquet)"),
    adsl: Optional[Path] = typer.Option(None, help="ADSL (AGE, SEX) — needed when eGFR is computed from creatinine"),
    creat_paramcd: str = typer.Option("CREAT", help="PARAMCD of serum creatinine"),
    creatinine_unit: str = typer.Option("mg/dL", help="creatinine unit when ADLB states none (AVALU, PARAM '(unit)', LBSTRESU)"),
    show_all: bool = typer.Option(False, "--all", help="show every measurement, not the per-subject listing of actions"),
    out: Optional[Path] = typer.Option(None, help="write every evaluated measurement (.csv, .parquet or .xlsx)"),
) -> None:
    """Replay protocol/label dose rules over each subject's eGFR series."""
    import pandas as pd

    rule_set = api.trial_rules(rules)
    result = api.trial_dosing(rules, adlb, adsl, creat_paramcd=creat_paramcd, creatinine_unit=creatinine_unit)
    for source, n in result.parameters["lab_value_sources"].items():
        print_line(f"{rule_set.lab.parameter}: {source} ({n} records)")
    if show_all:
        view = result.actions[["USUBJID", "ADT", "ADY", "value", "pchg", "action", "dose_before", "dose_after", "rule_id",
                               "reassess_by", "flag"]].copy()
        for col in ("ADT", "reassess_by"):
            if pd.api.types.is_datetime64_any_dtype(view[col]):
                view[col] = view[col].dt.strftime("%Y-%m-%d")
        console.print(dataframe_table(view.rename(columns={"value": rule_set.lab.parameter, "pchg": "pchg_%"}),
                                      title=f"{rule_set.title or rule_set.id}: every measurement ({rule_set.dose.unit})",
                                      max_rows=200, digits=1))
    else:
        listing = result.listing()
        n_subj = result.actions["USUBJID"].nunique()
        headers = ["USUBJID", f"baseline {rule_set.lab.parameter}", "dated actions", "flag", "final dose"]
        rows = [[r.USUBJID, f"{r.baseline:.1f}", r.actions.replace("; ", "\n"), r.flag, f"{r.final_dose:g}"]
                for r in listing.head(200).itertuples(index=False)]
        caption = f"200 of {len(listing)} subjects shown; use --out for all" if len(listing) > 200 else None
        console.print(fitted_table(headers, rows, caption=caption, numeric=[False, True, False, False, True],
                                   title=f"{rule_set.title or rule_set.id}: subjects with a dose action or flag "
                                         f"({len(listing)} of {n_subj})"))
    if len(result.skipped):
        reasons = result.skipped["reason"].str.replace(r" \(DTYPE .*", " (DTYPE)", regex=True).value_counts()
        print_line(f"{len(result.skipped)} record(s) not used: " + "; ".join(f"{k} {v}" for k, v in reasons.items())
                   + " (see --out sheet 'skipped_records')")
    if out:
        api.write_table(result.actions, out, metadata=result.parameters,
                        sheets={"listing": result.listing(), "skipped_records": result.skipped})
        print_line(f"wrote {out}")


@trial_app.command("rules")
def rules_cmd(name: Optional[str] = typer.Argument(None, help="rule set name or .yaml file to check and show")) -> None:
    """List shipped dose-rule sets, or validate and show one."""
    import pandas as pd

    if name is None:
        for n in api.trial_rules():
            print_line(n)
        return
    rs = api.trial_rules(name)
    rows = pd.DataFrame(
        [{"id": r.id, "states": ",".join(r.applies_in), "when": " and ".join(map(str, r.when)), "action": r.action,
          "by/dose": r.by or r.dose or "", "reassess_days": r.reassess_within_days or ""} for r in rs.rules]
    )
    console.print(dataframe_table(rows, title=f"{rs.id} ({rs.drug}), start {rs.dose.start:g} {rs.dose.unit}", max_rows=100))
    for s in rs.sources:
        print_line(f"source: {s.citation}" + (f" {s.url}" if s.url else ""))
