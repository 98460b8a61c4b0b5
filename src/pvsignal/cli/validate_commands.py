"""``pvsignal validate``: every method scored against a reference set of positive and negative controls."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from pvsignal import api
import pvsignal.cli.options as opt
from pvsignal.cli.app import app
from pvsignal.cli.render import console, dataframe_table, note_synthetic, print_line, print_note, progress

OUT_FILES = ("validation.xlsx", "pairs.csv", "metrics.csv", "auc.csv", "roc.png", "roc.svg")


def _metrics_view(metrics):
    """One row per rule: sensitivity, specificity, PPV, NPV (NaN as —) and the 2×2 counts."""
    import pandas as pd

    out = pd.DataFrame({"rule": metrics["rule"]})
    for col, name in (("sensitivity", "sens"), ("specificity", "spec"), ("ppv", "PPV"), ("npv", "NPV")):
        out[name] = metrics[col].map(lambda x: "—" if pd.isna(x) else f"{x:.2f}")
    out["TP/FP/FN/TN"] = [f"{a}/{b}/{c}/{d}" for a, b, c, d in metrics[["tp", "fp", "fn", "tn"]].itertuples(index=False)]
    return out


def _auc_view(auc):
    import pandas as pd

    return pd.DataFrame({
        "score": auc["method"],
        "AUC (95% CI)": ["—" if pd.isna(a) else f"{a:.3f} ({lo:.3f}–{hi:.3f})"
                         for a, lo, hi in auc[["auc", "auc_lower", "auc_upper"]].itertuples(index=False)],
        "pos": auc["positives"], "neg": auc["negatives"], "undefined": auc["undefined"],
    })


def write_outputs(res, out: Path) -> list[Path]:
    """The folder ``out``: the workbook (pairs, metrics, AUC, ROC points, parameters), the CSVs and the ROC figures."""
    out.mkdir(parents=True, exist_ok=True)
    sheets = {"metrics": res.metrics, "auc": res.auc, "roc": res.roc}
    written = [api.write_table(res.pairs, out / "validation.xlsx", metadata=res.parameters, sheets=sheets, filters=True)]
    for name, frame in (("pairs", res.pairs), ("metrics", res.metrics), ("auc", res.auc)):
        written.append(api.write_table(frame, out / f"{name}.csv"))
    written += [api.plot_roc(res, out / "roc.png"), api.plot_roc(res, out / "roc.svg")]
    return written


@app.command(short_help="Score every method against reference controls.")
@opt.case_definition_options
def validate(
    reference: Annotated[Path, typer.Option("--reference", help="Reference set CSV: OMOP 2013, EU-ADR, Harpaz 2014, or drug,outcome,control[,label_change_date].")],
    groups: Annotated[Path, typer.Option("--groups", help="YAML mapping each outcome to its PTs: 'groups: {outcome: [PT, ...]}'.")],
    lake: opt.Lake = opt.DEFAULT_LAKE,
    filters: dict = None,  # the case-definition options (opt.CASE_OPTIONS)
    meddra: opt.Meddra = None,
    before: Annotated[Optional[str], typer.Option("--before", help="Only reports received before this date (2013-01-01), or 'label': each pair's label-change date.")] = None,
    unscorable: Annotated[str, typer.Option("--unscorable", help="Pairs without a report: exclude (from the metrics) or no-signal (ranked lowest, never flagged).")] = "exclude",
    config: Annotated[Optional[Path], typer.Option("--config", help="analysis.yaml: signal thresholds, CI level, MGPS settings.")] = None,
    as_json: opt.Json = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for validation.xlsx, pairs/metrics/auc CSVs and roc.png/.svg.")] = None,
) -> None:
    """Method validation: sensitivity, specificity, PPV, NPV of every signal rule and the AUC (DeLong 95% CI)
    of every score, against the positive and negative controls of a reference set."""
    definition = api.case_definition(**filters)
    with progress("scoring the reference controls") as bar:
        res = api.validate(reference, groups, lake=lake, definition=definition, before=before, unscorable=unscorable,
                           config=config, meddra=meddra, progress=bar)
    written = write_outputs(res, out) if out else []
    p = res.parameters
    if as_json:
        import json

        typer.echo(json.dumps({"parameters": p, "auc": res.auc.to_dict(orient="records"),
                               "metrics": res.metrics.to_dict(orient="records")}, default=str))
        return
    when = f", reports received before {before}" if before else ""
    title = f"{p['scored']:,} of {p['controls']:,} controls scored{when}"
    console.print(dataframe_table(_auc_view(res.auc), title=f"AUC by score — {title}", max_rows=20, keep=2))
    console.print(dataframe_table(_metrics_view(res.metrics), title="Signal rules", max_rows=20, keep=2))
    if p["unscorable"]:
        why = ", ".join(f"{k}: {v:,}" for k, v in p["unscorable"].items())
        left = p["controls"] - p["scored"]
        treat = ("left out of every metric" if p["unscorable_treatment"] == "exclude"
                 else "kept as no signal (ranked lowest, never flagged)")
        print_note(f"{left:,} of {p['controls']:,} controls unscorable ({why}); {treat}.", label="unscorable")
    if p.get("unmapped_outcomes"):
        print_note(f"reference outcomes without a group: {'; '.join(p['unmapped_outcomes'])}", label="groups")
    if p.get("unused_groups"):
        print_note(f"groups naming no outcome of the reference set (check the spelling): "
                   f"{'; '.join(p['unused_groups'])}", label="groups")
    if not p["scored"]:
        print_note("no control could be scored on this lake: no AUC, sensitivity or specificity to report",
                   label="nothing scored")
    note_synthetic(p.get("synthetic", False))
    if written:
        print_line(f"written: {', '.join(str(w) for w in written)}")
