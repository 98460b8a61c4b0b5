"""Drug–drug interaction signals in spontaneous reports: the Ω shrinkage measure and a
stratified reporting odds ratio, plus the store query that counts the 2×2×2 table.

Notation (Norén et al. 2008): for a victim drug D1 (``x``), a perpetrator D2 (``y``, a
drug or a class such as "strong CYP3A inhibitors") and an event (``z``), ``n_ijk`` counts
reports with D1 present (i), D2 present (j) and the event present (k); "_" sums over an
index. The strata are the four exposure groups (both, D1 only, D2 only, neither):

    n11_ both drugs        n111 of them with the event
    n10_ D1 without D2     n101
    n01_ D2 without D1     n011
    n00_ neither           n001

The statistics are pure numpy/scipy functions over arrays of these counts (any number of
triples at once); :func:`interaction_counts` produces the counts from the prepared views
in one engine query (Ibis: DuckDB or Spark) over the case definition's population
(:class:`~pvsignal.analysis.population.CaseDefinition`; default roles ``interacting``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from pvsignal.analysis.backends import distinct_values
from pvsignal.analysis.interaction_cells import FEW_EVENTS, few_event_cells
from pvsignal.analysis.population import (
    ROLE_SETS, UNSET, CaseDefinition, Population, case_population, role_codes, with_shortcuts,
)
from pvsignal.errors import ConfigError, UnknownNameError
from pvsignal.stats.omega import STRATA_COLUMNS, margins_to_strata, omega, stratified_ror  # noqa: F401 (re-exported)
from pvsignal.suggest import close_matches, unknown_name

#: FAERS role codes that count as exposure by default for Ω (UMC practice: suspect and
#: interacting drugs; a drug reported only as concomitant falls into the background):
#: the ``interacting`` role set. Hult S et al. Drug Saf 2020;43:775–785; PVomega R/omega.R
#: (FACTS-2 §2.1 item 12).
DEFAULT_EXPOSURE_ROLES: tuple[str, ...] = ROLE_SETS["interacting"]
#: Roles under which a co-reported perpetrator is counted (any mention).
ALL_ROLES: tuple[str, ...] = ROLE_SETS["all"]


# --------------------------------------------------------------------------- store queries
def _knowledge(knowledge):
    from pvsignal.knowledge import Knowledge, load_knowledge

    return knowledge if isinstance(knowledge, Knowledge) else load_knowledge(knowledge)


def _population(con: Any, definition: CaseDefinition | None, roles: Any,
                drop_probable_duplicates: bool | None, *, whole_lake: bool = False) -> Population:
    d = with_shortcuts(definition, roles=roles, drop_probable_duplicates=drop_probable_duplicates,
                       default_roles="interacting")
    return case_population(con, d, whole_lake=whole_lake)


def _drug_names(kn, names: list[str], drug: str) -> tuple[str, list[str]]:
    """The ingredient for ``drug`` and the raw store names that resolve to it."""
    from pvsignal.knowledge.perpetrators import normalise_name

    kn.names.resolve_many(names)  # one batched dictionary lookup; resolve() below reads its cache
    target = kn.names.resolve(drug) or kn.names._strip_salts(normalise_name(drug))
    raw = [n for n in names if (kn.names.resolve(n) or kn.names._strip_salts(normalise_name(n))) == target]
    if not raw:
        raise unknown_name("drug reported in case_drugs", drug, [n.lower() for n in names])
    return target, raw


def _unknown_events(ib: Any, absent: list[str]) -> None:
    pts = [p.lower() for p in distinct_values(ib.table("case_reactions"), "pt")]
    msgs = []
    for e in absent:
        near = close_matches(e, pts)
        msgs.append(f"{e.lower()!r}" + (f" (close: {', '.join(near)})" if near else ""))
    raise UnknownNameError(f"event(s) not reported in case_reactions: {'; '.join(msgs)}. Use MedDRA preferred terms.")


@dataclass(frozen=True)
class Perpetrator:
    """The perpetrator side of a triple: a class (e.g. strong CYP3A4 inhibitors) or one drug."""

    label: str
    ingredients: tuple[str, ...]
    raw_names: tuple[str, ...]


def _perpetrator(kn, names: list[str], spec: str, exclude: str) -> Perpetrator:
    from pvsignal.errors import PvsignalError
    from pvsignal.knowledge import parse_class

    try:
        cls = parse_class(spec)
        members = set(kn.class_members(cls)["ingredient"]) - {exclude}
        label = cls.label
    except PvsignalError:
        ing = kn.names.resolve(spec)
        if ing is None:
            kn.names.require(spec, what="perpetrator (class or drug)")
        members, label = {ing}, ing.lower()
    raw = [n for n, ing in kn.names.resolve_many(names).items() if ing in members]
    return Perpetrator(label, tuple(sorted(members)), tuple(sorted(raw)))


def _cell_counts(pop: Population, x_names: list[str], y_names: list[str], x_roles: list[str],
                 y_roles: list[str], events: list[str] | None, min_n111: int) -> ir.Table:
    """Per event, the cases in each exposure stratum with the event; the row with
    ``sizes`` true holds the stratum sizes. The universe is every case of the population
    with a reaction row."""
    cd = pop.table("case_drugs")
    cd = cd.filter(cd.ingredient.isin(x_names + y_names))
    exposed = cd.group_by("caseid").aggregate(
        x=(cd.ingredient.isin(x_names) & cd.role_cod.isin(x_roles)).any(),
        y=(cd.ingredient.isin(y_names) & cd.role_cod.isin(y_roles)).any())
    ev = pop.events()
    universe = ev.select(caseid=ev.report_id).distinct()
    j = universe.left_join(exposed, universe.caseid == exposed.caseid)
    strata = j.select(caseid=universe.caseid, x=j.x.fill_null(False), y=j.y.fill_null(False))
    if events is not None:
        ev = ev.filter(ev.event.isin(events))
    ev = ev.select(caseid=ev.report_id, event=ev.event).distinct()
    cells = ev.join(strata, "caseid").select("event", "x", "y", sizes=ibis.literal(False))
    rows = cells.union(strata.select(event=ibis.null("string"), x=strata.x, y=strata.y, sizes=ibis.literal(True)))
    x, y = rows.x, rows.y
    agg = rows.group_by(["sizes", "event"]).aggregate(
        n111=rows.count(where=x & y), n101=rows.count(where=x & ~y),
        n011=rows.count(where=~x & y), n001=rows.count(where=~x & ~y))
    return agg.filter(agg.sizes | (agg.n111 >= int(min_n111)))


def interaction_counts(
    con: Any,
    drug: str,
    perpetrator: str,
    events: Sequence[str] | str | None = None,
    *,
    definition: CaseDefinition | None = None,
    roles: Iterable[str] | str | None = UNSET,
    perpetrator_roles: Iterable[str] | str | None = None,
    min_n111: int = 0,
    knowledge=None,
    drop_probable_duplicates: bool | None = None,
) -> pd.DataFrame:
    """The 2×2×2 counts for (drug, perpetrator, event) triples from the prepared views.

    ``con``: a DuckDB connection with the prepared views (at least ``case_drugs`` and
    ``case_reactions``; ``cases`` when the definition filters cases), an
    :class:`~pvsignal.store.engine.Engine` (DuckDB or Spark) or an Ibis backend.
    ``perpetrator`` is a class (``strong-cyp3a4-inhibitor``, ``cyp3a4-inhibitor``,
    ``pgp-inhibitor``…; the drug itself is left out of its class) or one drug name. The
    population is ``definition``'s (default ``CaseDefinition(roles='interacting')``); a
    case is exposed to the drug (perpetrator) when it lists it with one of the
    definition's roles (``perpetrator_roles``, default the same): default PS, SS and I
    (UMC practice). ``roles`` and ``drop_probable_duplicates`` are shortcuts that change
    the definition. The universe (n___) is every case of the population with a reaction
    row. Names in the store resolve through the knowledge synonyms and salt forms.

    ``events``: one PT, a list, or None for every PT (then ``min_n111`` drops triples with
    fewer co-exposed cases). All cells come from one engine query (up to
    :data:`~pvsignal.analysis.interaction_cells.FEW_EVENTS` named events: three, by case sets). Returns a DataFrame
    with columns ``event`` and :data:`STRATA_COLUMNS` (a requested event reported in the
    lake but not in the population gets event counts of 0), with ``attrs`` recording drug,
    perpetrator, roles and the case definition.
    """
    return _counts(con, drug, [perpetrator], events, definition=definition, roles=roles,
                   perpetrator_roles=perpetrator_roles, min_n111=min_n111, knowledge=knowledge,
                   drop_probable_duplicates=drop_probable_duplicates)[0]


def _counts(con: Any, drug: str, perpetrators: Sequence[str], events: Sequence[str] | str | None, *,
            definition: CaseDefinition | None, roles: Any, perpetrator_roles: Any, min_n111: int, knowledge: Any,
            drop_probable_duplicates: bool | None) -> list[pd.DataFrame]:
    """:func:`interaction_counts` of each perpetrator (a few named events: all in one set pass)."""
    pop = _population(con, definition, roles, drop_probable_duplicates, whole_lake=True)
    ib = pop.backend
    kn = _knowledge(knowledge)
    x_roles = list(pop.definition.role_codes)
    y_roles = list(role_codes(perpetrator_roles)) if perpetrator_roles is not None else x_roles
    names = distinct_values(ib.table("case_drugs"), "ingredient")
    ingredient, x_names = _drug_names(kn, names, drug)
    perps = [_perpetrator(kn, names, p, exclude=ingredient) for p in perpetrators]
    if isinstance(events, str):
        events = [events]
    wanted = [e.strip().upper() for e in events] if events is not None else None
    if wanted:
        r = ib.table("case_reactions")
        known = set(distinct_values(r.filter(r.pt.isin(wanted)), "pt"))
        if set(wanted) - known:
            _unknown_events(ib, [e for e in wanted if e not in known])
    cells = ["n111", "n101", "n011", "n001"]
    if wanted is not None and len(wanted) <= FEW_EVENTS:  # a few named events: by case sets
        frames = few_event_cells(pop, x_names, [p.raw_names for p in perps], x_roles, y_roles, wanted)
        for df in frames:
            df.loc[df["n111"] < int(min_n111), cells] = 0  # as the full pass: such events count 0
    else:
        frames = [_full_pass(pop, x_names, p, x_roles, y_roles, wanted, min_n111) for p in perps]
    for df, perp in zip(frames, perps):
        df.attrs.update(
            drug=ingredient, perpetrator=perp.label, perpetrator_ingredients=list(perp.ingredients),
            roles=x_roles, perpetrator_roles=y_roles, case_definition=pop.definition.to_dict(),
        )
    return [df.reset_index(drop=True) for df in frames]


def _full_pass(pop: Population, x_names: list[str], perp: Perpetrator, x_roles: list[str], y_roles: list[str],
               wanted: list[str] | None, min_n111: int) -> pd.DataFrame:
    """The cells of every event (or of ``wanted``) from one engine query (:func:`_cell_counts`)."""
    cells = ["n111", "n101", "n011", "n001"]
    res = _cell_counts(pop, x_names, list(perp.raw_names), x_roles, y_roles, wanted, min_n111).execute()
    size = res.loc[res["sizes"].astype(bool), cells]
    sizes = dict(zip(["n11_", "n10_", "n01_", "n00_"], size.iloc[0] if len(size) else [0] * 4))
    df = res.loc[~res["sizes"].astype(bool) & res["event"].notna(), ["event", *cells]].sort_values("event")
    if wanted is not None:
        df = df.set_index("event").reindex(wanted).fillna(0).rename_axis("event").reset_index()
    return df.assign(**sizes)[["event", *STRATA_COLUMNS]].astype({c: "int64" for c in STRATA_COLUMNS})


def interaction_signals(
    con: Any,
    drug: str,
    perpetrator: str | Sequence[str],
    events: Sequence[str] | str | None = None,
    *,
    definition: CaseDefinition | None = None,
    roles: Iterable[str] | str | None = UNSET,
    perpetrator_roles: Iterable[str] | str | None = None,
    min_n111: int = 0,
    alpha: float = 0.5,
    level: float = 0.95,
    knowledge=None,
    drop_probable_duplicates: bool | None = None,
) -> pd.DataFrame:
    """Ω (with its exact interval) and the stratified ROR for (drug, perpetrator, event) triples.

    ``perpetrator``: one (see :func:`interaction_counts`) or a list, whose rows are stacked
    (with a few named events all are counted in one pass). Counts from
    :func:`interaction_counts` (same arguments), statistics from :func:`omega`
    and :func:`stratified_ror` over all triples at once. One row per event, sorted by
    ``omega_lower`` (Ω025 at level 0.95) descending; ``signal`` is ``omega_lower > 0``.
    Columns also record the case definition: ``drug``, ``perpetrator``, ``roles``,
    ``perpetrator_roles``, ``alpha``, ``level``.
    """
    many = not isinstance(perpetrator, str)
    frames = _counts(con, drug, list(perpetrator) if many else [perpetrator], events, definition=definition,
                     roles=roles, perpetrator_roles=perpetrator_roles, min_n111=min_n111, knowledge=knowledge,
                     drop_probable_duplicates=drop_probable_duplicates)
    outs = []
    for counts in frames:
        cells = [counts[c].to_numpy() for c in STRATA_COLUMNS]
        om = omega(*cells, alpha=alpha, level=level).drop(columns=["n111"])
        rr = stratified_ror(*cells, level=level)
        out = pd.concat([counts.reset_index(drop=True), om, rr], axis=1)
        out["signal"] = out["omega_lower"] > 0
        a = counts.attrs
        out.insert(0, "perpetrator", a["perpetrator"])
        out.insert(0, "drug", a["drug"])
        out["roles"] = ",".join(a["roles"])
        out["perpetrator_roles"] = ",".join(a["perpetrator_roles"])
        out["alpha"], out["level"] = alpha, level
        outs.append(out)
    out = pd.concat(outs, ignore_index=True) if many else outs[0]
    out = out.sort_values(["omega_lower", "n111"], ascending=[False, False], na_position="last").reset_index(drop=True)
    out.attrs.update(frames[0].attrs)
    if many:
        out.attrs["perpetrator"] = [f.attrs["perpetrator"] for f in frames]
        out.attrs["perpetrator_ingredients"] = [f.attrs["perpetrator_ingredients"] for f in frames]
    return out


@dataclass
class CoReported:
    """Perpetrators co-reported with a drug: ``by_drug``, ``by_class`` and the drug's case count."""

    drug: str
    n_drug_cases: int
    by_drug: pd.DataFrame
    by_class: pd.DataFrame


def co_reported_perpetrators(
    con: Any,
    drug: str,
    *,
    definition: CaseDefinition | None = None,
    classes: Sequence[str] | str | None = None,
    roles: Iterable[str] | str | None = UNSET,
    perpetrator_roles: Iterable[str] | str = ALL_ROLES,
    knowledge=None,
    drop_probable_duplicates: bool | None = None,
) -> CoReported:
    """How many of a drug's cases also list a perpetrator, by perpetrator drug and by class.

    Cases of ``drug`` are the population's (``definition``, default roles
    ``interacting``: PS, SS, I; ``con`` and the shortcuts as in
    :func:`interaction_counts`) that list it with one of the definition's roles; a
    perpetrator counts under any role in ``perpetrator_roles`` (default all, since
    co-medication is often reported as concomitant). ``classes``: class names (default every
    CYP3A and P-gp inhibitor and inducer class, by strength). ``by_drug`` has columns
    ``ingredient, classes, n_cases, pct`` (percent of the drug's cases); ``by_class`` has
    ``class, n_cases, pct``. One engine query.
    """
    from pvsignal.knowledge.perpetrators import class_label

    pop = _population(con, definition, roles, drop_probable_duplicates)
    kn = _knowledge(knowledge)
    x_roles, y_roles = list(pop.definition.role_codes), list(role_codes(perpetrator_roles))
    names = distinct_values(pop.backend.table("case_drugs"), "ingredient")
    ingredient, x_names = _drug_names(kn, names, drug)
    if pop.slice_drug is not None and pop.slice_drug not in x_names:
        raise ConfigError(f"this source holds only the cases of {pop.slice_drug} (a drug slice): "
                          f"the co-reported drugs of {drug} need the lake")
    p = kn.perpetrators
    if classes is None:
        rows = p[p["role"].isin(["inhibitor", "inducer"])]
    else:
        specs = [classes] if isinstance(classes, str) else list(classes)
        rows = pd.concat([kn.class_members(s) for s in specs]).drop_duplicates(["ingredient", "target", "role"])
    rows = rows[rows["ingredient"] != ingredient]
    labels = {i: [] for i in rows["ingredient"]}
    for r in rows.to_dict("records"):
        labels[r["ingredient"]].append(class_label(r))
    resolved = kn.names.resolve_many(names)
    raw, ing, cls = [], [], []
    for name, res in resolved.items():
        for lab in labels.get(res, ()):
            raw.append(name), ing.append(res), cls.append(lab)
    m = ibis.memtable(pd.DataFrame({"name": raw or [""], "ingredient": ing or [""], "class": cls or [""]},
                                   dtype="string"))
    cd = pop.table("case_drugs")
    drug_cases = cd.filter(cd.ingredient.isin(x_names) & cd.role_cod.isin(x_roles)).select("caseid").distinct()
    y = cd.filter(cd.role_cod.isin(y_roles)).semi_join(drug_cases, "caseid")
    hits = y.join(m, y.ingredient == m.name).select("caseid", ingredient=m.ingredient, cls=m["class"]).distinct()
    res = ibis.union(
        hits.group_by(key=hits.ingredient).aggregate(n_cases=hits.caseid.nunique()).mutate(level=ibis.literal("drug")),
        hits.group_by(key=hits.cls).aggregate(n_cases=hits.caseid.nunique()).mutate(level=ibis.literal("class")),
        drug_cases.aggregate(key=ibis.literal(""), n_cases=drug_cases.count()).mutate(level=ibis.literal("total")),
    ).execute()
    total = int(res.loc[res["level"] == "total", "n_cases"].iloc[0])
    by_drug = res[res["level"] == "drug"].rename(columns={"key": "ingredient"})[["ingredient", "n_cases"]]
    by_drug["classes"] = by_drug["ingredient"].map(lambda i: "; ".join(labels[i]))
    by_class = res[res["level"] == "class"].rename(columns={"key": "class"})[["class", "n_cases"]]
    for d in (by_drug, by_class):
        d["n_cases"] = d["n_cases"].astype("int64")
        d["pct"] = 100.0 * d["n_cases"] / total if total else np.nan
    by_drug = by_drug[["ingredient", "classes", "n_cases", "pct"]].sort_values(["n_cases", "ingredient"], ascending=[False, True])
    by_class = by_class.sort_values(["n_cases", "class"], ascending=[False, True])
    return CoReported(ingredient, total, by_drug.reset_index(drop=True), by_class.reset_index(drop=True))
