"""``pvsignal signals``: score drug–event pairs from a lake or a reports table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from pvsignal.analysis.population import CaseDefinition
from pvsignal.analysis.signals import SignalConfig, load_config, signals as run_signals
from pvsignal.cli import app
from pvsignal.cli.render import console, dataframe_table
from pvsignal.report.export import write_table

FLAG_NAMES = {"flag_ror": "ROR", "flag_prr": "PRR", "flag_ic": "IC", "flag_ebgm": "EB"}


def signal_view(t, max_rows: int):
    """A compact screen view: ROR with its interval in one column, flags as words."""
    import pandas as pd

    v = t.head(max_rows)
    out = pd.DataFrame()
    if v["drug"].nunique() > 1:
        out["drug"] = v["drug"]
    out["event"] = v["event"]
    out["n"] = v["n"]
    out["E"] = v["expected"].map(lambda x: f"{x:.2f}")
    out["ROR (95% CI)"] = [
        "—" if pd.isna(r) else f"{r:.2f} ({lo:.2f}–{hi:.2f})" for r, lo, hi in zip(v["ror"], v["ror_lower"], v["ror_upper"])
    ]
    out["PRR"] = v["prr"].map(lambda x: "—" if pd.isna(x) else f"{x:.2f}")
    out["IC025"] = v["ic025"].map(lambda x: f"{x:.2f}")
    out["EB05"] = v["eb05"].map(lambda x: f"{x:.2f}")
    flags = [c for c in FLAG_NAMES if c in v.columns]
    out["signal by"] = [" ".join(FLAG_NAMES[c] for c in flags if row[c]) for _, row in v[flags].iterrows()]
    return out


@app.command()
def signals(
    lake: Annotated[Optional[Path], typer.Option("--lake", help="Parquet lake (from `pvsignal ingest`).")] = None,
    reports: Annotated[Optional[Path], typer.Option("--reports", help="CSV/Parquet: one row per report × drug × event.")] = None,
    drug: Annotated[Optional[str], typer.Option("--drug", help="Show these drugs (comma-separated).")] = None,
    event: Annotated[Optional[str], typer.Option("--event", help="Show these events (comma-separated).")] = None,
    min_count: Annotated[Optional[int], typer.Option("--min-count", help="Show pairs with at least this many reports [3].")] = None,
    roles: Annotated[Optional[str], typer.Option("--roles", help="suspect (PS+SS, default), primary (PS) or all.")] = None,
    quarters: Annotated[Optional[str], typer.Option("--quarters", help="e.g. 2021Q1:2024Q4.")] = None,
    sex: Annotated[Optional[str], typer.Option("--sex", help="F or M.")] = None,
    strata: Annotated[Optional[str], typer.Option("--strata", help="Stratify expected counts by sex,age_group,year.")] = None,
    event_level: Annotated[Optional[str], typer.Option("--event-level", help="pt (default), hlt, hlgt, soc, smq_narrow, smq_broad or group.")] = None,
    meddra: Annotated[Optional[Path], typer.Option("--meddra", help="Your licensed MedDRA ASCII folder (for SOC/HLT/SMQ levels).")] = None,
    groups: Annotated[Optional[Path], typer.Option("--groups", help="YAML of user-defined PT groups (event level 'group').")] = None,
    drop_duplicates: Annotated[bool, typer.Option("--drop-probable-duplicates", help="Leave out flagged probable duplicates.")] = False,
    report_id_col: Annotated[str, typer.Option("--report-id-column")] = "report_id",
    drug_col: Annotated[str, typer.Option("--drug-column")] = "drug",
    event_col: Annotated[str, typer.Option("--event-column")] = "event",
    strata_cols: Annotated[Optional[str], typer.Option("--strata-columns", help="Stratum columns of a reports table.")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="analysis.yaml (or a result's .json sidecar).")] = None,
    sort_by: Annotated[Optional[str], typer.Option("--sort-by", help="ror, prr, chi2, ic025, eb05, ebgm or n.")] = None,
    fisher: Annotated[bool, typer.Option("--fisher", help="Add Fisher exact p (one-sided) and Benjamini–Hochberg q.")] = False,
    engine: Annotated[str, typer.Option("--engine", help="duckdb (default) or spark.")] = "duckdb",
    spark_master: Annotated[str, typer.Option("--spark-master", help="Spark master URL.")] = "local[*]",
    top: Annotated[int, typer.Option("--top", help="Rows shown on screen.")] = 25,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write all rows: .csv, .parquet or .xlsx (+ .json sidecar).")] = None,
) -> None:
    """Score drug–event pairs: ROR, PRR, χ², IC and EBGM with intervals and signal flags."""
    cfg = load_config(config) if config else SignalConfig()
    overrides: dict = {}
    if reports is not None or strata_cols:
        overrides["reports_columns"] = {
            "report_id": report_id_col, "drug": drug_col, "event": event_col,
            "strata": [s.strip() for s in (strata_cols or "").split(",") if s.strip()],
        }
    cd = dict(cfg.case_definition)
    for key, val in (("roles", roles), ("quarters", quarters), ("sex", sex), ("event_level", event_level),
                     ("meddra", str(meddra) if meddra else None), ("event_groups", str(groups) if groups else None)):
        if val is not None:
            cd[key] = val
    if strata:
        cd["strata"] = [s.strip() for s in strata.split(",") if s.strip()]
    if drop_duplicates:
        cd["drop_probable_duplicates"] = True
    if sort_by:
        overrides["sort_by"] = sort_by
    if fisher:
        overrides["fisher"] = True
    definition = CaseDefinition(**{k: v for k, v in cd.items() if k != "role_codes"}) if (lake or cfg.lake) else None
    res = run_signals(
        lake, reports=reports, drug=drug, event=event, min_count=min_count, definition=definition,
        config=cfg, engine=engine, spark_master=spark_master, **overrides,
    )
    t = res.table
    title = f"{len(t):,} pairs scored (population {res.metadata['population_reports']:,} reports), sorted by {res.config.sort_by}"
    console.print(dataframe_table(signal_view(t, top), title=title, max_rows=top, caption_total=len(t)))
    prior = res.metadata["mgps_prior"]
    if "error" in prior:
        console.print(f"[yellow]MGPS not computed:[/] {escape(prior['error'])}")
    elif "loglik_full" not in prior:
        console.print("MGPS prior given: α1={alpha1:.4g} β1={beta1:.4g} α2={alpha2:.4g} β2={beta2:.4g} P={p:.4g}".format(**prior))
    else:
        console.print(
        "MGPS prior: α1={alpha1:.4g} β1={beta1:.4g} α2={alpha2:.4g} β2={beta2:.4g} P={p:.4g} "
        "(log L {loglik_full:.6g}, converged {converged})".format(**prior)
        )
    if prior.get("at_bound"):
        console.print(
            "[yellow]note:[/] the MGPS prior ended on a parameter bound — the pairs show almost no "
            "heterogeneity beyond chance, so EBGM shrinks towards one prior mean; read EB05 with care."
        )
    if out:
        write_table(t, out, metadata=res.sidecar(), sheets={"mgps_prior": _kv(prior)})
        console.print(f"written: {out} and {out.name}.json (a valid --config)")


def _kv(d: dict):
    import pandas as pd

    return pd.DataFrame({"parameter": list(d), "value": [str(v) for v in d.values()]})
