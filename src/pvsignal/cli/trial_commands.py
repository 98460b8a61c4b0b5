"""``pvsignal trial …``: TEAE incidence, eGFR and dose-rule replay from CDISC ADaM data."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from pvsignal import trial as api
from pvsignal.cli import app
from pvsignal.cli.render import console, dataframe_table
from pvsignal.report.export import write_table

trial_app = typer.Typer(help="Clinical-trial safety from CDISC ADaM: incidence, eGFR, dose rules.", no_args_is_help=True)
app.add_typer(trial_app, name="trial")


@trial_app.command()
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
    result = api.incidence(
        api.read_adsl(adsl, arm_var=arm_var), api.read_adae(adae),
        arm_var=arm_var, by=by, control=control, severity=severity, arms=arm_list,
    )
    console.print(csr_table(result, max_rows=max_rows))
    if out:
        long, wide = result.table, result.wide()
        main, other = (long, ("wide", wide)) if layout == "long" else (wide, ("long", long))
        write_table(main, out, metadata=result.parameters, sheets={other[0]: other[1], "excluded_records": result.excluded})
        console.print(f"wrote {escape(str(out))} ({layout}" + (f"; sheet '{other[0]}' has the {other[0]} layout)" if str(out).lower().endswith(".xlsx") else ")"))


def csr_table(result: "api.IncidenceResult", *, max_rows: int = 60) -> Table:
    """CSR-shaped table: SOC rows, PTs indented, one column per arm with ``n (pct%) [events]``;
    counted by severity, each term is followed by one row per grade (subjects at their maximum grade)."""
    t = result.table
    sev = "severity" in t.columns
    keys = ["level", "AEBODSYS", "AEDECOD"] + (["severity"] if sev else [])
    arms = list(result.population["arm"])
    N = dict(zip(result.population["arm"], result.population["N"]))
    control = result.parameters.get("control")
    title = "Subjects with treatment-emergent adverse events, n (%) [events]"
    if sev:
        title += f"; by maximum {result.parameters.get('severity')}"
    table = Table(title=escape(title))
    table.add_column("System organ class / Preferred term" + (" / grade" if sev else ""))
    for a in arms:
        table.add_column(f"{escape(a)}\n(N={N[a]})", justify="right")
    others = [a for a in arms if control and a != control]
    for a in others:
        table.add_column(f"p (Fisher)\n{escape(a)} vs {escape(control)}", justify="right")
    cells = t.set_index(keys + ["arm"])
    rows = t[keys].drop_duplicates()
    for shown, row in enumerate(rows.itertuples(index=False)):
        if shown >= max_rows:
            table.caption = f"{max_rows} of {len(rows)} rows shown; use --out for all"
            break
        key = tuple(row)
        grade = sev and row.severity != "ANY"
        label = escape(row.AEDECOD) if row.level == "pt" else escape(row.AEBODSYS)
        label = "    " + label if row.level == "pt" else f"[bold]{label}[/]"
        if grade:
            label = ("        · " if row.level == "pt" else "  · ") + f"[dim]{escape(str(row.severity))}[/]"
        table.add_row(label, *[_cell(cells.loc[key + (a,)]) for a in arms],
                      *[_p(cells.loc[key + (a,), "p_fisher"]) for a in others])
    return table


def _cell(r: pd.Series) -> str:
    pct = "NE" if math.isnan(r["pct"]) else f"{r['pct']:.1f}%"
    return f"{int(r['n'])} ({pct}) \\[{int(r['events'])}]"


def _p(p: float) -> str:
    if p is None or math.isnan(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


@trial_app.command("egfr")
def egfr_cmd(
    creatinine: float = typer.Option(..., help="serum creatinine (IDMS-standardised)"),
    age: float = typer.Option(..., help="age in years (≥ 18)"),
    sex: str = typer.Option(..., help="F or M"),
    unit: str = typer.Option("mg/dL", help="mg/dL or umol/L"),
) -> None:
    """eGFR (mL/min/1.73 m²) by CKD-EPI 2021 (race-free) and the KDIGO G category."""
    warning = api.creatinine_warning(creatinine, unit)
    if warning:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    value = api.egfr(creatinine, age, sex, unit=unit)
    console.print(f"eGFR {value:.1f} mL/min/1.73 m² (CKD-EPI 2021, creatinine {creatinine:g} {escape(unit)}), "
                  f"KDIGO {api.kdigo_category(value)[0]}")


@trial_app.command()
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
    rule_set = api.load_rules(rules)
    result = api.dose_modifications(
        rule_set, api.read_adlb(adlb), api.read_dataset(adsl, name="ADSL") if adsl else None,
        creat_paramcd=creat_paramcd, creatinine_unit=creatinine_unit,
    )
    for source, n in result.parameters["lab_value_sources"].items():
        console.print(f"{escape(rule_set.lab.parameter)}: {escape(source)} ({n} records)")
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
        table = Table(title=escape(f"{rule_set.title or rule_set.id}: subjects with a dose action or flag "
                                   f"({len(listing)} of {n_subj})"))
        for col in ("USUBJID", f"baseline {rule_set.lab.parameter}", "dated actions", "flag", "final dose"):
            table.add_column(escape(col), justify="right" if col.startswith(("baseline", "final")) else "left")
        for r in listing.head(200).itertuples(index=False):
            table.add_row(escape(r.USUBJID), f"{r.baseline:.1f}", escape(r.actions).replace("; ", "\n"), escape(r.flag),
                          f"{r.final_dose:g}")
        if len(listing) > 200:
            table.caption = f"200 of {len(listing)} subjects shown; use --out for all"
        console.print(table)
    if len(result.skipped):
        reasons = result.skipped["reason"].str.replace(r" \(DTYPE .*", " (DTYPE)", regex=True).value_counts()
        console.print(f"{len(result.skipped)} record(s) not used: "
                      + "; ".join(f"{escape(k)} {v}" for k, v in reasons.items()) + " (see --out sheet 'skipped_records')")
    if out:
        write_table(result.actions, out, metadata=result.parameters,
                    sheets={"listing": result.listing(), "skipped_records": result.skipped})
        console.print(f"wrote {escape(str(out))}")


@trial_app.command("rules")
def rules_cmd(name: Optional[str] = typer.Argument(None, help="rule set name or .yaml file to check and show")) -> None:
    """List shipped dose-rule sets, or validate and show one."""
    if name is None:
        for n in api.shipped_rule_names():
            console.print(escape(n))
        return
    rs = api.load_rules(name)
    rows = pd.DataFrame(
        [{"id": r.id, "states": ",".join(r.applies_in), "when": " and ".join(map(str, r.when)), "action": r.action,
          "by/dose": r.by or r.dose or "", "reassess_days": r.reassess_within_days or ""} for r in rs.rules]
    )
    console.print(dataframe_table(rows, title=f"{rs.id} ({rs.drug}), start {rs.dose.start:g} {rs.dose.unit}", max_rows=100))
    for s in rs.sources:
        console.print(f"source: {escape(s.citation)}" + (f" {escape(s.url)}" if s.url else ""))
