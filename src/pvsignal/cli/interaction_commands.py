"""``pvsignal interactions``: label rules for a drug with its partners, or interaction
signals (Ω, stratified ROR) and co-reported perpetrators from a FAERS lake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from pvsignal import api
import pvsignal.cli.options as opt
from pvsignal.cli.app import app
from pvsignal.cli.render import print_dataframe


def _connect(lake: Path):
    """The lake's prepared views (one connection for the command; tests replace it)."""
    return api.connect(lake)


#: Signal table on screen: column → short header (the full table goes to --json / --out).
_SIGNAL_VIEW = {
    "event": "event", "n111": "n both", "expected": "E", "omega": "Ω", "omega_lower": "Ω025",
    "omega_upper": "Ω975", "ror_both_vs_drug": "ROR vs drug", "ror_both_vs_drug_lower": "lo",
    "ror_both_vs_drug_upper": "hi", "reason": "note",
}


def _emit(
    df, *, as_json: bool, out: Path | None, title: str, columns: list[str], meta: dict,
    view: dict[str, str] | None = None,
) -> None:
    if out is not None:
        api.write_table(df, out, metadata=meta)
    if as_json:
        typer.echo(df.to_json(orient="records", double_precision=6))
    else:
        shown = df.rename(columns=view) if view else df
        print_dataframe(shown, title=title, columns=[c for c in columns if c in shown.columns], digits=3)


def _codes(roles: str | None) -> str | None:
    """The shared role vocabulary (suspect, primary, interacting, all) → codes; codes pass through."""
    return None if roles is None else ",".join(api.role_codes(roles))


@app.command(short_help='CYP3A/P-gp label rules, or Ω interaction signals.')
@opt.case_definition_options
def interactions(
    drug: Annotated[Optional[str], typer.Argument(help="Drug whose label rules to check (e.g. voclosporin).")] = None,
    with_: Annotated[Optional[str], typer.Option("--with", help="Comma-separated partner drugs (names, brands or synonyms).")] = None,
    lake: Annotated[Optional[Path], typer.Option("--lake", help="FAERS lake folder: report co-reported perpetrators or interaction signals.")] = None,
    drug_opt: Annotated[Optional[str], typer.Option("--drug", help="Drug (victim) for the lake analyses.",
                                                    callback=opt.drug_callback)] = None,
    event: Annotated[Optional[str], typer.Option("--event", help="Comma-separated MedDRA PTs (default: every PT, with --class).")] = None,
    class_: Annotated[Optional[str], typer.Option("--class", help="Perpetrator class (e.g. cyp3a4-inhibitor, strong-cyp3a4-inhibitor, pgp-inhibitor) or one drug.")] = None,
    filters: dict = None,  # the case-definition options (opt.CASE_OPTIONS); roles default: interacting
    perpetrator_roles: Annotated[Optional[str], typer.Option("--perpetrator-roles", help="Roles for the perpetrator, if different (same vocabulary).")] = None,
    min_cases: Annotated[int, typer.Option("--min-cases", help="With no --event: keep events with at least this many co-exposed cases.")] = 3,
    allow_unknown: Annotated[bool, typer.Option("--allow-unknown", help="Report unknown partner names instead of stopping.")] = False,
    knowledge: Annotated[Optional[Path], typer.Option("--knowledge", help="Knowledge folder replacing the packaged one.")] = None,
    as_json: opt.Json = False,
    out: opt.Out = None,
) -> None:
    """Drug interactions: label actions per partner, or interaction signals in FAERS.

    With --lake, exposure to the drug (and the perpetrator) counts the roles of --roles,
    default interacting (PS, SS, I: UMC practice, Hult et al. Drug Saf 2020).

    \b
    pvsignal interactions voclosporin --with ketoconazole,diltiazem,digoxin,rifampin
    pvsignal interactions --lake LAKE --drug voclosporin --event tremor --class cyp3a4-inhibitor
    pvsignal interactions --lake LAKE --drug voclosporin            (co-reported perpetrators)
    """
    name = drug_opt or drug
    if lake is None:
        if not name or not with_:
            raise typer.BadParameter("give a DRUG and --with PARTNERS, or --lake with --drug", param_hint="DRUG / --with")
        df = api.interactions(name, with_, allow_unknown=allow_unknown, knowledge=knowledge)
        for note in df.attrs.get("notes", []):
            typer.echo(f"note: {note}", err=True)
        _emit(
            df, as_json=as_json, out=out, title=f"Label interactions: {name}",
            columns=["partner", "action", "dose", "mechanism", "source_id"],
            meta={"drug": name, "with": with_, "knowledge": str(knowledge or "packaged")},
        )
        return

    if not name:
        raise typer.BadParameter("--lake needs --drug", param_hint="--drug")
    definition = api.case_definition(**{"roles": "interacting", **filters})  # fails before the lake is opened
    con = _connect(lake)
    roles = ",".join(definition.role_codes)
    if class_ is None:
        co = api.co_reported_perpetrators(name, lake=con, definition=definition, knowledge=knowledge)
        meta = {"drug": co.drug, "n_drug_cases": co.n_drug_cases, "roles": roles,
                "case_definition": definition.to_dict(), "lake": str(lake)}
        if as_json:
            typer.echo(json.dumps({
                **meta, "by_class": json.loads(co.by_class.to_json(orient="records")),
                "by_drug": json.loads(co.by_drug.to_json(orient="records")),
            }))
            if out is not None:  # the table to the file only: stdout stays one JSON document
                api.write_table(co.by_drug, out, metadata=meta)
            return
        title = f"{co.drug.lower()} ({co.n_drug_cases:,} cases, roles {roles}): co-reported perpetrators"
        _emit(co.by_class, as_json=False, out=None, title=title + ", by class", columns=["class", "n_cases", "pct"], meta=meta)
        _emit(co.by_drug, as_json=False, out=out, title=title + ", by drug",
              columns=["ingredient", "classes", "n_cases", "pct"], meta=meta)
        return

    events = [e for e in (x.strip() for x in event.split(",")) if e] if event else None
    df = api.interaction_signals(
        name, class_, events, lake=con, definition=definition, perpetrator_roles=_codes(perpetrator_roles),
        min_n111=min_cases if events is None else 0, knowledge=knowledge,
    )
    a = df.attrs
    meta = {
        "drug": a["drug"], "perpetrator": a["perpetrator"], "perpetrator_ingredients": a["perpetrator_ingredients"],
        "roles": a["roles"], "perpetrator_roles": a["perpetrator_roles"], "alpha": 0.5, "level": 0.95,
        "case_definition": definition.to_dict(),
        "lake": str(lake), "method": "Omega, Noren et al. Stat Med 2008;27:3057-3070; stratified ROR (Woolf CI)",
    }
    _emit(
        df, as_json=as_json, out=out,
        title=f"{a['drug'].lower()} (roles {','.join(a['roles'])}) + {a['perpetrator']} (roles "
              f"{','.join(a['perpetrator_roles'])}): Ω and stratified ROR",
        columns=list(_SIGNAL_VIEW.values()), meta=meta, view=_SIGNAL_VIEW,
    )
