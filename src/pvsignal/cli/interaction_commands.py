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
from pvsignal.cli.case_commands import _synthetic
from pvsignal.cli.render import console, dataframe_table, note_synthetic, print_dataframe, print_note


def _connect(lake: Path):
    """The lake's prepared views (one connection for the command; tests replace it)."""
    return api.connect(lake)


#: co-reported perpetrators given Ω for the named events when no perpetrator is named (the explorer's number)
TOP_PERPETRATORS = 3
#: rows of a signal table on screen (the full table goes to --json / --out)
SIGNAL_ROWS = 25


def _blank(reason: str) -> str:
    """An undefined value on screen: a dash and, when known, why (``— (zero cell)``): never a silent NaN."""
    return f"— ({reason})" if reason else "—"


def omega_view(df):
    """Ω and the stratified ROR on screen, one string per cell: each value with 2 decimals,
    the ROR with its interval; a blank value says why in its cell (``reason``, ``ror_reason``).
    The perpetrator gets a column when there are several. Column order is the drop order."""
    import pandas as pd

    def num(col: str, why=None) -> list[str]:
        why = df[why] if why is not None else [""] * len(df)
        return [_blank(r) if pd.isna(v) else f"{v:.2f}" for v, r in zip(df[col], why)]

    out = pd.DataFrame(index=df.index)
    if df["perpetrator"].nunique() > 1:
        out["perpetrator"] = df["perpetrator"].str.lower()
    out["event"] = df["event"]
    out["n both"] = df["n111"].map(str)
    out["E"] = num("expected")
    out["Ω"] = num("omega", "reason")
    out["Ω025"] = num("omega_lower")
    out["ROR vs drug (95% CI)"] = [
        _blank(why) if pd.isna(r) else f"{r:.2f} ({lo:.2f}–{hi:.2f})"
        for r, lo, hi, why in zip(df["ror_both_vs_drug"], df["ror_both_vs_drug_lower"], df["ror_both_vs_drug_upper"],
                                  df["ror_reason"])]
    out["Ω975"] = num("omega_upper")
    return out


def _show_signals(df) -> None:
    """The Ω table on screen (first :data:`SIGNAL_ROWS` rows)."""
    a = df.attrs
    perps = a["perpetrator"] if isinstance(a["perpetrator"], list) else [a["perpetrator"]]
    view = omega_view(df)
    title = (f"{a['drug'].lower()} (roles {','.join(a['roles'])}) + {', '.join(p.lower() for p in perps)} "
             f"(roles {','.join(a['perpetrator_roles'])}): Ω and stratified ROR")
    keep = 2 if "perpetrator" in view else 1
    console.print(dataframe_table(view, title=title, max_rows=SIGNAL_ROWS, keep=keep,
                                  numeric_columns=[c for c in view if c not in ("perpetrator", "event")]))


def _codes(roles: str | None) -> str | None:
    """The shared role vocabulary (suspect, primary, interacting, all) → codes; codes pass through."""
    return None if roles is None else ",".join(api.role_codes(roles))


@app.command(short_help='CYP3A/P-gp label rules, or Ω interaction signals.')
@opt.case_definition_options
def interactions(
    drug: Annotated[Optional[str], typer.Argument(help="Drug whose label rules to check (e.g. voclosporin).")] = None,
    with_: Annotated[Optional[str], typer.Option("--with", help="Comma-separated partner drugs (names, brands or synonyms); with --lake: the perpetrators.")] = None,
    lake: Annotated[Optional[Path], typer.Option("--lake", help="FAERS lake folder: report co-reported perpetrators or interaction signals.")] = None,
    drug_opt: Annotated[Optional[str], typer.Option("--drug", help="Drug (victim) for the lake analyses.",
                                                    callback=opt.drug_callback)] = None,
    event: Annotated[Optional[str], typer.Option("--event", help="Comma-separated MedDRA PTs (with --class or --with; default every PT). Alone: Ω against the 3 perpetrators most co-reported with the drug.")] = None,
    class_: Annotated[Optional[str], typer.Option("--class", help="Perpetrator class (e.g. cyp3a4-inhibitor, strong-cyp3a4-inhibitor, pgp-inhibitor) or one drug.")] = None,
    filters: dict = None,  # the case-definition options (opt.CASE_OPTIONS); roles default: interacting
    perpetrator_roles: Annotated[Optional[str], typer.Option("--perpetrator-roles", help="Roles for the perpetrator, if different (same vocabulary).")] = None,
    min_cases: Annotated[Optional[int], typer.Option("--min-cases", help="With --class or --with and no --event: keep events with at least this many co-exposed cases [3].")] = None,
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
    pvsignal interactions --lake LAKE --drug voclosporin --event headache
    """
    name = drug_opt or drug
    if lake is None:
        _label_rules(name, with_, as_json=as_json, out=out, allow_unknown=allow_unknown, knowledge=knowledge,
                     lake_only={"--event": event, "--class": class_, "--perpetrator-roles": perpetrator_roles,
                                "--min-cases": min_cases, **{"--" + k.replace("_", "-"): v for k, v in filters.items()}})
        return
    if not name:
        raise typer.BadParameter("--lake needs --drug", param_hint="--drug")
    definition = api.case_definition(**{"roles": "interacting", **filters})  # fails before the lake is opened
    con = _connect(lake)
    events = opt.split_list(event)
    perps = ([class_] if class_ else []) + (opt.split_list(with_) or [])
    meta = {"roles": ",".join(definition.role_codes), "case_definition": definition.to_dict(), "lake": str(lake)}
    unused = {"--min-cases (events of --class or --with without --event)": min_cases is not None and (events or not perps),
              "--allow-unknown (the label check, without --lake)": allow_unknown}
    for option in (k for k, v in unused.items() if v):  # on stderr: stdout may be one JSON document
        typer.echo(f"note: not used here: {option}", err=True)
    co = None
    if not perps:  # the drug's co-reported perpetrators; with --event, Ω against the top few of them
        co = api.co_reported_perpetrators(name, lake=con, definition=definition, knowledge=knowledge,
                                          **({"perpetrator_roles": _codes(perpetrator_roles)} if perpetrator_roles else {}))
        meta = {"drug": co.drug, "n_drug_cases": co.n_drug_cases, **meta}
        perps = list(co.by_drug["ingredient"].head(TOP_PERPETRATORS)) if events else []
    df = None
    if perps:
        df = api.interaction_signals(
            name, perps[0] if len(perps) == 1 else perps, events, lake=con, definition=definition,
            perpetrator_roles=_codes(perpetrator_roles), min_n111=0 if events else 3 if min_cases is None else min_cases,
            knowledge=knowledge,
        )
        a = df.attrs
        meta.update({
            "drug": a["drug"], "perpetrator": a["perpetrator"],
            **({} if len(perps) > 1 else {"perpetrator_ingredients": a["perpetrator_ingredients"]}),
            "perpetrator_roles": ",".join(a["perpetrator_roles"]), "alpha": 0.5, "level": 0.95,
            "method": "Omega, Noren et al. Stat Med 2008;27:3057-3070; stratified ROR (Woolf CI)",
        })
        if co is not None:
            meta["perpetrators_chosen"] = f"the {len(perps)} perpetrators most often co-reported with {co.drug}"
    if out is not None:  # the signals when there are any, else the co-reported perpetrators by drug
        api.write_table(df if df is not None else co.by_drug, out, metadata=meta)
    if as_json:
        if co is None:
            typer.echo(df.to_json(orient="records", double_precision=6))
            return
        signals = {} if not events else {"signals": json.loads(df.to_json(orient="records", double_precision=6))
                                         if df is not None else []}
        typer.echo(json.dumps({**meta, "by_class": json.loads(co.by_class.to_json(orient="records")),
                               "by_drug": json.loads(co.by_drug.to_json(orient="records")), **signals}))
        return
    if co is not None:
        _show_co_reported(co, meta["roles"])
        if events:
            print_note(f"no --class or --with: Ω of {', '.join(events)} against the {len(perps)} perpetrators most often "
                       f"co-reported with {co.drug.lower()} ({', '.join(p.lower() for p in perps)}); "
                       "name others with --class or --with" if perps else
                       f"no perpetrator is co-reported with {co.drug.lower()}: no Ω to compute (name one with --class or --with)", wrap=True)
    if df is not None:
        _show_signals(df)
    note_synthetic(_synthetic(lake))


def _label_rules(name, with_, *, as_json: bool, out, allow_unknown: bool, knowledge, lake_only: dict) -> None:
    """Without --lake: the label's action for each partner."""
    given = [k for k, v in lake_only.items() if v is not None]
    if given:
        raise typer.BadParameter("interaction signals in FAERS need --lake; without it, the label check takes "
                                 "DRUG --with PARTNERS", param_hint=", ".join(given))
    if not name or not with_:
        raise typer.BadParameter("give a DRUG and --with PARTNERS, or --lake with --drug", param_hint="DRUG / --with")
    df = api.interactions(name, with_, allow_unknown=allow_unknown, knowledge=knowledge)
    for note in df.attrs.get("notes", []):
        typer.echo(f"note: {note}", err=True)
    if out is not None:
        api.write_table(df, out, metadata={"drug": name, "with": with_, "knowledge": str(knowledge or "packaged")})
    if as_json:
        typer.echo(df.to_json(orient="records", double_precision=6))
    else:
        print_dataframe(df, title=f"Label interactions: {name}", digits=3,
                        columns=[c for c in ["partner", "action", "dose", "mechanism", "source_id"] if c in df.columns])


def _show_co_reported(co, roles: str) -> None:
    title = f"{co.drug.lower()} ({co.n_drug_cases:,} cases, roles {roles}): co-reported perpetrators"
    print_dataframe(co.by_class, title=title + ", by class", columns=["class", "n_cases", "pct"], digits=1)
    print_dataframe(co.by_drug, title=title + ", by drug", columns=["ingredient", "classes", "n_cases", "pct"], digits=1)
