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
    adsl: Path = typer.Option(..., help="ADSL (.xpt, .csv or .parquet)"),
    adae: Path = typer.Option(..., help="ADAE (.xpt, .csv or .parquet)"),
    arm_var: str = typer.Option("TRT01A", help="ADSL arm variable (joined to ADAE by USUBJID)"),
    by: str = typer.Option("soc,pt", help="levels: soc, pt or soc,pt"),
    control: Optional[str] = typer.Option(None, help="control arm for Fisher p, risk difference and relative risk"),
    severity: Optional[str] = typer.Option(None, help="AESEV or AETOXGR: count subjects at maximum severity/grade"),
    out: Optional[Path] = typer.Option(None, help="write the table (.csv, .parquet or .xlsx)"),
    max_rows: int = typer.Option(60, help="rows shown on screen"),
) -> None:
    """Subjects with treatment-emergent AEs by arm, SOC and PT, with CIOMS frequency."""
    result = api.incidence(
        api.read_adsl(adsl, arm_var=arm_var), api.read_adae(adae),
        arm_var=arm_var, by=by, control=control, severity=severity,
    )
    console.print(csr_table(result, max_rows=max_rows))
    if out:
        write_table(result.table, out, metadata=result.parameters, sheets={"excluded_records": result.excluded})
        console.print(f"wrote {escape(str(out))}")


def csr_table(result: "api.IncidenceResult", *, max_rows: int = 60) -> Table:
    """CSR-shaped table: SOC rows, PTs indented, one column per arm with ``n (pct%) [events]``."""
    t = result.table
    if "severity" in t.columns:
        t = t[t["severity"] == "ANY"]
    arms = list(result.population["arm"])
    N = dict(zip(result.population["arm"], result.population["N"]))
    control = result.parameters.get("control")
    table = Table(title=escape("Subjects with treatment-emergent adverse events, n (%) [events]"))
    table.add_column("System organ class / Preferred term")
    for a in arms:
        table.add_column(f"{escape(a)}\n(N={N[a]})", justify="right")
    others = [a for a in arms if control and a != control]
    for a in others:
        table.add_column(f"p (Fisher)\n{escape(a)} vs {escape(control)}", justify="right")
    keys = t[["level", "AEBODSYS", "AEDECOD"]].drop_duplicates()
    shown = 0
    for row in keys.itertuples(index=False):
        if shown >= max_rows:
            table.caption = f"{max_rows} of {len(keys)} rows shown; use --out for all"
            break
        sub = t[(t["level"] == row.level) & (t["AEBODSYS"] == row.AEBODSYS) & (t["AEDECOD"] == row.AEDECOD)].set_index("arm")
        label = escape(row.AEDECOD) if row.level == "pt" else escape(row.AEBODSYS)
        label = "    " + label if row.level == "pt" else f"[bold]{label}[/]"
        cells = [_cell(sub.loc[a]) for a in arms]
        cells += [_p(sub.loc[a, "p_fisher"]) for a in others]
        table.add_row(label, *cells)
        shown += 1
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
    value = api.egfr(creatinine, age, sex, unit=unit)
    console.print(f"eGFR {value:.1f} mL/min/1.73 m² (CKD-EPI 2021), KDIGO {api.kdigo_category(value)[0]}")


@trial_app.command()
def dosing(
    rules: str = typer.Option(..., help="shipped rule set name (e.g. voclosporin) or a .yaml rule file"),
    adlb: Path = typer.Option(..., help="ADLB with EGFR or CREAT records (.xpt, .csv or .parquet)"),
    adsl: Optional[Path] = typer.Option(None, help="ADSL (AGE, SEX) — needed when eGFR is computed from creatinine"),
    creat_paramcd: str = typer.Option("CREAT", help="PARAMCD of serum creatinine"),
    creatinine_unit: str = typer.Option("mg/dL", help="creatinine unit when ADLB has no AVALU"),
    show_all: bool = typer.Option(False, "--all", help="show every measurement, not only changes and flags"),
    out: Optional[Path] = typer.Option(None, help="write every evaluated measurement (.csv, .parquet or .xlsx)"),
) -> None:
    """Replay protocol/label dose rules over each subject's eGFR series."""
    rule_set = api.load_rules(rules)
    result = api.dose_modifications(
        rule_set, api.read_adlb(adlb), api.read_dataset(adsl, name="ADSL") if adsl else None,
        creat_paramcd=creat_paramcd, creatinine_unit=creatinine_unit,
    )
    shown = result.actions if show_all else result.changes()
    cols = ["USUBJID", "ADT", "ADY", "value", "pchg", "action", "dose_before", "dose_after", "rule_id", "reassess_by", "flag"]
    view = shown[cols].copy()
    view["ADT"] = view["ADT"].dt.strftime("%Y-%m-%d") if pd.api.types.is_datetime64_any_dtype(view["ADT"]) else view["ADT"]
    view["reassess_by"] = view["reassess_by"].dt.strftime("%Y-%m-%d") if pd.api.types.is_datetime64_any_dtype(view["reassess_by"]) else view["reassess_by"]
    console.print(dataframe_table(view.rename(columns={"value": rule_set.lab.parameter, "pchg": "pchg_%"}),
                                  title=f"{rule_set.title or rule_set.id}: dose actions ({rule_set.dose.unit})", max_rows=200, digits=1))
    if len(result.skipped):
        console.print(f"{len(result.skipped)} record(s) not used (see --out sheet 'skipped_records')")
    if out:
        write_table(result.actions, out, metadata=result.parameters, sheets={"skipped_records": result.skipped})
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
