"""Resolving a profile's inputs into its :class:`ProfileContext`: the lake (its manifest's
synthetic flag, the drug's signal table), ADaM data, the compound file, dose rules,
interaction knowledge and the event group's PTs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pandas as pd

from pvsignal.errors import ConfigError, InputFileError, PvsignalError, UnknownNameError
from pvsignal.report.profile.context import ProfileContext

#: methods whose flags pick the default events, and how many events
FLAG_METHODS = ("ror", "prr", "ic", "ebgm")
DEFAULT_MIN_FLAGS, DEFAULT_N_EVENTS = 2, 5


def check_lake(lake: str | Path) -> Path:
    path = Path(lake)
    if not (path / "manifest.json").is_file():
        raise InputFileError(f"{path} is not a pvsignal lake (no manifest.json); run pvsignal ingest first")
    return path


def open_lake(ctx: ProfileContext) -> None:
    """Connect to the prepared views; read the lake's status and its synthetic flag (from the manifest)."""
    from pvsignal.prepare.build import connect
    from pvsignal.prepare.status import lake_status

    try:
        ctx.con = connect(ctx.lake)  # the case definition filters inside each analysis
        ctx.status = lake_status(ctx.lake)
    except PvsignalError as exc:
        ctx.problems["lake"] = str(exc)
        ctx.con = None


def score_drug(ctx: ProfileContext) -> None:
    """The drug's rows of the one signal pipeline under the case definition (every event, n ≥ 1).

    Raises :class:`UnknownNameError` (close matches from the lake's ingredients) when no
    report in the lake names the drug, or none does under the case definition.
    """
    from pvsignal.analysis.signals import signals
    from pvsignal.suggest import unknown_name

    if not ctx.con.execute("SELECT 1 FROM case_drugs WHERE ingredient = ? LIMIT 1", [ctx.key]).fetchall():
        names = [r[0] for r in ctx.con.execute(
            "SELECT DISTINCT ingredient FROM case_drugs WHERE ingredient IS NOT NULL").fetchall()]
        raise unknown_name("ingredient", ctx.drug, names)
    try:
        res = signals(ctx.lake, drug=ctx.drug, min_count=1, definition=ctx.definition, thresholds=ctx.thresholds)
    except UnknownNameError:
        res = None
    except PvsignalError as exc:  # e.g. an empty population: the FAERS sections say why
        ctx.problems["signals"] = str(exc)
        return
    if res is None or res.table.empty:
        raise UnknownNameError(f"no report in the lake lists {ctx.key} with roles {ctx.definition.roles} under the "
                               f"case definition; widen it or check the name. {describe_definition(ctx.definition)}")
    ctx.scores = res.table.sort_values("event").reset_index(drop=True)
    ctx.signal_result = res
    ctx.score_params = {"case_definition": res.config.case_definition, "thresholds": res.config.thresholds.model_dump(),
                        "mgps_prior": res.metadata.get("mgps_prior"), "source": "pvsignal.analysis.signals"}


def default_events(scores: pd.DataFrame) -> tuple[list[str], str]:
    """Events flagged by at least two of ROR, PRR, IC and EBGM, top five by EB05; and the sentence saying so."""
    flags = scores[[f"flag_{m}" for m in FLAG_METHODS]].fillna(False).astype(bool).sum(axis=1)
    hit = scores[flags >= DEFAULT_MIN_FLAGS].sort_values(["eb05", "event"], ascending=[False, True], kind="mergesort")
    events = hit["event"].head(DEFAULT_N_EVENTS).tolist()
    if not events:
        raise ConfigError(f"no event of the drug is flagged by at least {DEFAULT_MIN_FLAGS} of ROR, PRR, IC and EBGM; "
                          "name the events of interest, e.g. --events headache,tremor")
    how = (f"chosen automatically: the events of the drug flagged by at least {DEFAULT_MIN_FLAGS} of ROR, PRR, IC "
           f"and EBGM ({len(hit)} such event{'s' if len(hit) != 1 else ''}), the top {DEFAULT_N_EVENTS} by EB05")
    return events, how


def describe_definition(definition) -> str:
    """The case definition in words, from :meth:`CaseDefinition.describe` (the values in use)."""
    return " ".join(definition.describe())


def _read_adam(x: Any, reader: Callable[[Any], pd.DataFrame]) -> pd.DataFrame | None:
    if x is None or isinstance(x, pd.DataFrame):
        return x
    return reader(x)


def load_inputs(ctx: ProfileContext, adsl, adae, adlb, compound, rules) -> None:
    """ADaM data, compound file, dose rules and interaction knowledge; a failure is kept as the input's problem."""
    from pvsignal.knowledge import load_knowledge
    from pvsignal.knowledge.compounds import load_compound
    from pvsignal.trial import load_rules, read_adae, read_adlb, read_adsl, shipped_rule_names

    for name, x, reader in (("adsl", adsl, read_adsl), ("adae", adae, read_adae), ("adlb", adlb, read_adlb)):
        ctx.adam_names[name] = None if x is None else ("DataFrame" if isinstance(x, pd.DataFrame) else str(x))
        try:
            setattr(ctx, name, _read_adam(x, reader))
        except PvsignalError as exc:
            ctx.problems[name] = str(exc)
    try:
        ctx.compound = load_compound(compound if compound is not None else ctx.drug)
    except PvsignalError as exc:
        ctx.problems["compound"] = str(exc)
    try:
        if rules is not None:
            ctx.rules = load_rules(rules)
        elif ctx.drug.lower() in shipped_rule_names():
            ctx.rules = load_rules(ctx.drug.lower())
    except PvsignalError as exc:
        ctx.problems["rules"] = str(exc)
    try:
        ctx.kn = load_knowledge()
    except PvsignalError as exc:
        ctx.problems["knowledge"] = str(exc)


def resolve_group(ctx: ProfileContext, groups, meddra) -> None:
    """PTs of the event group: the pt_groups view (from ``groups``/``meddra``) first, ADAE AEBODSYS last."""
    if not ctx.event_group:
        return
    name = ctx.event_group.strip()
    if ctx.con is not None:
        try:
            if _group_from_views(ctx, name, groups, meddra):
                return
        except PvsignalError as exc:
            ctx.problems["group"] = str(exc)
    if ctx.adae is not None and {"AEBODSYS", "AEDECOD"} <= set(ctx.adae.columns):
        m = ctx.adae["AEBODSYS"].astype(str).str.strip().str.upper() == name.upper()
        pts = sorted(set(ctx.adae.loc[m, "AEDECOD"].astype(str).str.strip().str.upper()) - {""})
        if pts:
            ctx.group_pts = pts
            ctx.group_source = (f"the PTs coded to '{name}' (AEBODSYS) in the trial's ADAE (not a full MedDRA "
                                "group; give --meddra or --groups for the complete list)")


def _group_from_views(ctx: ProfileContext, name: str, groups, meddra) -> bool:
    from pvsignal.prepare.meddra import event_group_frames, register_pt_groups

    frames = event_group_frames(meddra, groups)
    if frames:
        register_pt_groups(ctx.con, frames)
    has_view = ctx.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'pt_groups'").fetchone()[0]
    if not has_view:
        return False
    rows = ctx.con.execute("SELECT DISTINCT pt, level FROM pt_groups WHERE upper(group_name) = upper(?) ORDER BY pt",
                           [name]).fetchall()
    if not rows:
        return False
    ctx.group_pts = sorted({r[0] for r in rows})
    ctx.group_source = f"the PTs of the event group '{name}' ({', '.join(sorted({r[1] for r in rows}))} level)"
    return True
