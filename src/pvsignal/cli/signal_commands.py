"""``pvsignal signals``: score drug–event pairs from a lake or a reports table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from pvsignal import api
import pvsignal.cli.bias_commands as bias
import pvsignal.cli.options as opt
from pvsignal.cli.app import app
from pvsignal.cli.render import (console, dataframe_table, note_synthetic, print_line, print_note, print_parts, progress,
                                 sidecar)

FLAG_NAMES = {"flag_ror": "ROR", "flag_prr": "PRR", "flag_ic": "IC", "flag_ebgm": "EB"}


def signal_view(t, max_rows: int):
    """A compact screen view: ROR with its interval in one column, flags as words.

    Column order is the drop order at narrow widths: ``signal by``, then EB05, IC025, PRR
    go first; event, n and the ROR interval stay.
    """
    import pandas as pd

    v = t.head(max_rows)
    out = pd.DataFrame()
    if v["drug"].nunique() > 1:
        out["drug"] = v["drug"]
    out["event"] = v["event"]
    out["n"] = v["n"]
    out["ROR (95% CI)"] = [
        "—" if pd.isna(r) else f"{r:.2f} ({lo:.2f}–{hi:.2f})" for r, lo, hi in zip(v["ror"], v["ror_lower"], v["ror_upper"])
    ]
    out["E"] = v["expected"].map(lambda x: f"{x:.2f}")
    out["PRR"] = v["prr"].map(lambda x: "—" if pd.isna(x) else f"{x:.2f}")
    out["IC025"] = v["ic025"].map(lambda x: f"{x:.2f}")
    out["EB05"] = v["eb05"].map(lambda x: f"{x:.2f}")
    flags = [c for c in FLAG_NAMES if c in v.columns]
    out["signal by"] = [" ".join(FLAG_NAMES[c] for c in flags if row[c]) for _, row in v[flags].iterrows()]
    return out


@app.command(short_help='Score drug–event pairs: ROR, PRR, IC, EBGM.')
@opt.case_definition_options
def signals(
    lake: opt.OptionalLake = None,
    reports: Annotated[Optional[Path], typer.Option("--reports", help="CSV/Parquet: one row per report × drug × event.")] = None,
    drug: Annotated[Optional[str], typer.Option("--drug", help="Show these drugs (comma-separated; brands resolve).")] = None,
    event: Annotated[Optional[str], typer.Option("--event", help="Show these events (comma-separated).")] = None,
    min_count: Annotated[Optional[int], typer.Option("--min-count", help="Show pairs with at least this many reports [3].")] = None,
    filters: dict = None,  # the case-definition options (opt.CASE_OPTIONS)
    strata: Annotated[Optional[str], typer.Option("--strata", help="Stratify expected counts by sex,age_group,year.")] = None,
    event_level: Annotated[Optional[str], typer.Option("--level", "--event-level", help=opt.LEVELS_HELP)] = None,
    meddra: opt.Meddra = None,
    groups: opt.Groups = None,
    report_id_col: Annotated[str, typer.Option("--report-id-column", help="Reports table: the report id column.")] = "report_id",
    drug_col: Annotated[str, typer.Option("--drug-column", help="Reports table: the drug column.")] = "drug",
    event_col: Annotated[str, typer.Option("--event-column", help="Reports table: the event column.")] = "event",
    strata_cols: Annotated[Optional[str], typer.Option("--strata-columns", help="Reports table: stratum columns (comma-separated).")] = None,
    drug_level: Annotated[Optional[str], typer.Option(
        "--drug-level", help="ingredient (default) or class: FDA pharmacologic class (EPC).")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="analysis.yaml (or a result's .json sidecar).")] = None,
    sort_by: Annotated[Optional[str], typer.Option("--sort-by", help="ror, prr, chi2, ic025, eb05, ebgm or n.")] = None,
    fisher: Annotated[bool, typer.Option("--fisher", help="Add Fisher exact p (one-sided) and Benjamini–Hochberg q.")] = False,
    unmask_top: bias.UnmaskTop = None,
    duplicates_sensitivity: bias.DuplicatesSensitivity = False,
    engine: opt.Engine = "duckdb",
    spark_master: opt.SparkMaster = "local[*]",
    top: opt.Top = 25,
    out: opt.Out = None,
) -> None:
    """Score drug–event pairs: ROR, PRR, χ², IC and EBGM with intervals and signal flags."""
    cfg = api.signal_config(config)
    overrides: dict = {}
    if reports is not None or strata_cols:
        overrides["reports_columns"] = {
            "report_id": report_id_col, "drug": drug_col, "event": event_col, "strata": opt.split_list(strata_cols) or [],
        }
    cd = {**cfg.case_definition, **filters}
    for key, val in (("drug_level", drug_level), ("event_level", event_level), ("meddra", str(meddra) if meddra else None),
                     ("event_groups", str(groups) if groups else None), ("strata", opt.split_list(strata))):
        if val is not None:
            cd[key] = val
    if cd.get("drug_level") != "class":  # at class level the analysis reads --drug as classes (a brand: its class)
        drug = opt.drugs_callback(drug)
    if sort_by:
        overrides["sort_by"] = sort_by
    if fisher:
        overrides["fisher"] = True
    if filters and not (lake or cfg.lake):
        given = ", ".join("--" + k.replace("_", "-") for k in filters)
        raise typer.BadParameter("the case options need a lake (--lake); a reports table has no roles, sexes, "
                                 "ages or quarters", param_hint=given)
    definition = api.case_definition(**cd) if (lake or cfg.lake) else None
    with progress("scoring drug–event pairs") as bar:
        res = api.signals(
            lake, reports=reports, drug=drug, event=event, min_count=min_count, definition=definition,
            config=cfg, engine=engine, spark_master=spark_master, progress=bar, **overrides,
        )
    for note in res.metadata.get("notes", []):
        typer.echo(f"note: {note}", err=True)
    t = res.table
    comp = definition.comparator if definition else None
    pop = f"against {comp}: N per drug" if comp else f"population {res.metadata['population_reports']:,} reports"
    title = f"{len(t):,} pairs scored ({pop}), sorted by {res.config.sort_by}"
    console.print(dataframe_table(signal_view(t, top), title=title, max_rows=top, caption_total=len(t), keep=3))
    note_synthetic(res.metadata["source"].get("synthetic", False))
    prior = res.metadata["mgps_prior"]
    if "error" in prior:
        print_note(prior["error"], label="MGPS not computed")
    elif "loglik_full" not in prior:
        print_line("MGPS prior given: α1={alpha1:.4g} β1={beta1:.4g} α2={alpha2:.4g} β2={beta2:.4g} P={p:.4g}".format(**prior))
    else:
        print_parts(["MGPS prior: α1={alpha1:.4g} β1={beta1:.4g} α2={alpha2:.4g} β2={beta2:.4g} P={p:.4g}".format(**prior),
                     "(log L {loglik_full:.6g}, converged {converged})".format(**prior)], sep=" ")
    if prior.get("at_bound"):
        print_note("the MGPS prior ended on a parameter bound — the pairs show almost no heterogeneity beyond "
                   "chance, so EBGM shrinks towards one prior mean; read EB05 with care.", wrap=True)
    if out:
        api.write_table(t, out, metadata=res.sidecar(), sheets={"mgps_prior": prior})
        print_line(f"written: {out} and {sidecar(out)} (a valid --config)")
    if unmask_top is not None:
        bias.show_masking(res, unmask_top, engine=engine, spark_master=spark_master, top=top,
                          out=bias._beside(out, "masking"))
    if duplicates_sensitivity:
        bias.show_sensitivity(res, engine=engine, spark_master=spark_master, top=top,
                              out=bias._beside(out, "sensitivity"))


def _trend_view(t):
    """One row per slice of one pair: counts, ROR with its interval, PRR, IC025, EB05, flags."""
    import pandas as pd

    out = pd.DataFrame({"series": t["series"], "period": t["period"], "n": t["n"], "reports": t["n_total"]})
    out["ROR (95% CI)"] = ["—" if pd.isna(r) else f"{r:.2f} ({lo:.2f}–{hi:.2f})"
                           for r, lo, hi in zip(t["ror"], t["ror_lower"], t["ror_upper"])]
    for col, name in (("prr", "PRR"), ("ic025", "IC025"), ("eb05", "EB05")):
        out[name] = t[col].map(lambda x: "—" if pd.isna(x) else f"{x:.2f}")
    flags = list(FLAG_NAMES)
    out["signal by"] = [" ".join(FLAG_NAMES[c] for c in flags if row[c]) for _, row in t[flags].iterrows()]
    return out


@app.command(short_help='Signals of a drug by quarter: when they emerged.')
@opt.case_definition_options
def trends(
    drug: opt.Drug,
    event: Annotated[Optional[str], typer.Option("--event", help="Only these PTs (comma-separated); default: every event of the drug.")] = None,
    lake: opt.Lake = opt.DEFAULT_LAKE,
    filters: dict = None,  # the case-definition options (opt.CASE_OPTIONS)
    split: Annotated[Optional[str], typer.Option("--split", help="A date (2023-05-10) or quarter: add before/after slices (e.g. a label change).")] = None,
    prior: Annotated[str, typer.Option("--prior", help="MGPS prior per slice: refit (fitted on each slice's pairs) or final (the whole lake's).")] = "refit",
    prior_sample: Annotated[int, typer.Option("--prior-sample", help="Fit the MGPS priors on every K-th event by report count (K× less counting; only EBGM changes).", metavar="K")] = 1,
    engine: opt.Engine = "duckdb",
    spark_master: opt.SparkMaster = "local[*]",
    top: opt.Top = 25,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Cumulative ROR with CI by quarter (.png/.svg).")] = None,
    as_json: opt.Json = False,
    out: opt.Out = None,
) -> None:
    """Signals over time: ROR, PRR, IC and EBGM of a drug's pairs cumulatively by quarter and per
    quarter (and before/after --split), with the first quarter each method flags."""
    definition = api.case_definition(**filters)
    with progress(f"scoring the pairs of {drug} quarter by quarter") as bar:
        res = api.signals_over_time(drug, event, lake=lake, definition=definition, split=split, prior=prior,
                                    prior_sample=prior_sample, engine=engine, spark_master=spark_master, progress=bar)
    if out:
        api.write_table(res.table, out, metadata=res.metadata(), sheets={"first_signal": res.first_signal,
                                                                            "mgps_priors": res.priors}, filters=True)
    if plot:
        api.plot_over_time(res, plot, event=event.split(",")[0] if event else None)
    if as_json:
        import json

        typer.echo(json.dumps({"parameters": res.parameters, "first_signal": res.first_signal.to_dict(orient="records"),
                               "table": res.table.to_dict(orient="records")}, default=str))
        return
    first = res.first_signal.sort_values(["n", "event"], ascending=[False, True])
    title = f"{res.parameters['drug']}: first cumulative quarter each method flags ({res.parameters['quarters']})"
    console.print(dataframe_table(first.drop(columns="drug"), title=title, max_rows=top, caption_total=len(first), keep=2))
    if event:
        for ev, t in res.table.groupby("event", sort=True):
            t = t[t["series"] != "quarter"] if len(res.table["period"].unique()) > 12 else t
            console.print(dataframe_table(_trend_view(t), title=f"{res.parameters['drug']} – {ev}", max_rows=200, keep=4))
    from pvsignal.cli.case_commands import _synthetic

    note_synthetic(_synthetic(lake))
    if out:
        print_line(f"written: {out} and {sidecar(out)}")
