"""The report population of a FAERS analysis: an explicit, recorded case definition.

Turns the prepared views (``cases``, ``case_drugs``, ``case_reactions``) into the
``(report_id, drug)`` and ``(report_id, event)`` sets and the per-report strata that
:func:`pvsignal.analysis.counts.pair_counts_from_sets` counts. ``report_id`` is the
deduplicated ``caseid``; ``drug`` the ingredient; ``event`` the MedDRA PT (upper case).

Defaults follow common FAERS practice: suspect drugs (roles PS and SS), all quarters,
all reports. Every parameter is kept in :class:`CaseDefinition` and written beside
each result so it can be reproduced.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir

from pvsignal.errors import ConfigError
from pvsignal.quarters import parse_quarter

ROLE_SETS = {"suspect": ("PS", "SS"), "primary": ("PS",), "all": ("PS", "SS", "C", "I")}
#: age bands (years) used for filters and strata: [lower, upper)
AGE_GROUPS: dict[str, tuple[float, float]] = {"<18": (0, 18), "18-64": (18, 65), "65+": (65, 1e9)}
STRATA = ("sex", "age_group", "year")
#: event of reports with no PT in any group at a group level: keeps them in N and in the
#: margins; dropped from results (see :func:`population`)
NO_GROUP_EVENT = "(no event in any group)"


@dataclass
class CaseDefinition:
    """Which reports, drugs and events an analysis counts.

    ``roles``: ``suspect`` (PS+SS), ``primary`` (PS) or ``all``; ``quarters``: a
    ``2021Q1:2024Q4`` range on the quarter of each case's kept version; ``sex``:
    ``F``/``M``; ``age_groups``: subset of :data:`AGE_GROUPS`; ``years``: receipt
    years ``[from, to]``; ``strata``: any of ``sex, age_group, year`` for stratified
    expected counts; ``drop_probable_duplicates`` leaves out flagged cases.
    """

    roles: str = "suspect"
    quarters: str | None = None
    sex: str | None = None
    age_groups: list[str] | None = None
    years: list[int] | None = None
    strata: list[str] = field(default_factory=list)
    drop_probable_duplicates: bool = False
    drug_level: str = "ingredient"
    event_level: str = "pt"
    meddra: str | None = None
    event_groups: str | None = None

    def __post_init__(self) -> None:
        if self.roles not in ROLE_SETS:
            raise ConfigError(f"roles must be one of {', '.join(ROLE_SETS)}; got {self.roles!r}")
        if self.sex is not None and self.sex.upper() not in ("F", "M"):
            raise ConfigError(f"sex must be F or M; got {self.sex!r}")
        bad = [g for g in self.age_groups or [] if g not in AGE_GROUPS]
        if bad:
            raise ConfigError(f"unknown age group(s) {bad}; known: {', '.join(AGE_GROUPS)}")
        bad = [s for s in self.strata if s not in STRATA]
        if bad:
            raise ConfigError(f"unknown stratum {bad}; use any of {', '.join(STRATA)}")
        from pvsignal.prepare.meddra import LEVELS

        if self.event_level != "pt" and self.event_level not in LEVELS:
            raise ConfigError(f"event_level must be pt or one of {', '.join(LEVELS)}; got {self.event_level!r}")
        if self.event_level == "group" and not self.event_groups:
            raise ConfigError("event_level 'group' needs event_groups: a YAML file of PT groups")
        if self.event_level not in ("pt", "group") and not self.meddra:
            raise ConfigError(f"event_level {self.event_level!r} needs meddra: the folder of your MedDRA ASCII release")
        if self.years is not None and (len(self.years) != 2 or self.years[0] > self.years[1]):
            raise ConfigError(f"years must be [first, last]; got {self.years}")
        if self.quarters:
            parts = self.quarters.split(":")
            if len(parts) not in (1, 2):
                raise ConfigError(f"quarters must look like 2021Q1:2024Q4; got {self.quarters!r}")
            for p in parts:
                parse_quarter(p)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["role_codes"] = list(ROLE_SETS[self.roles])
        return d


def _age_group(age: ir.FloatingValue) -> ir.StringValue:
    return ibis.cases(*((age.between(lo, hi) & (age < hi), name) for name, (lo, hi) in AGE_GROUPS.items()), else_="unknown")


def population(con: duckdb.DuckDBPyConnection, definition: CaseDefinition) -> tuple[ir.Table, ir.Table, ir.Table]:
    """``(drugs, events, report_strata)`` Ibis tables over the prepared views in ``con``."""
    ib = ibis.duckdb.from_connection(con)
    cases = ib.table("cases")
    if definition.drop_probable_duplicates:
        cases = cases.filter(~cases.probable_duplicate)
    if definition.quarters:
        parts = [parse_quarter(p) for p in definition.quarters.split(":")]
        lo, hi = parts[0], parts[-1]
        cases = cases.filter((cases.quarter >= lo) & (cases.quarter <= hi))
    if definition.sex:
        cases = cases.filter(cases.sex == definition.sex.upper())
    cases = cases.mutate(
        age_group=_age_group(cases.age_years),
        year=cases.receipt_year.cast("string"),
        sex=cases.sex.isin(["F", "M"]).ifelse(cases.sex, "unknown"),
    )
    if definition.age_groups:
        cases = cases.filter(cases.age_group.isin(definition.age_groups))
    if definition.years:
        cases = cases.filter(cases.receipt_year.between(*definition.years))
    ids = cases.select(report_id=cases.caseid, **{s: cases[s] for s in definition.strata})
    d = ib.table("case_drugs")
    d = d.filter(d.role_cod.isin(list(ROLE_SETS[definition.roles])) & d.ingredient.notnull())
    # every case_drugs/case_reactions row belongs to a case: only a case filter needs the semi join
    filtered = bool(definition.drop_probable_duplicates or definition.quarters or definition.sex
                    or definition.age_groups or definition.years)
    drugs = d.select(report_id=d.caseid, drug=d.ingredient)
    if filtered:
        drugs = drugs.semi_join(ids, "report_id")
    r = ib.table("case_reactions")
    events = r.select(report_id=r.caseid, event=r.pt)
    if definition.event_level != "pt":
        register_event_groups(con, definition)
        g = ib.table("pt_groups")
        g = g.filter(g.level == definition.event_level).select(gpt=g.pt.upper(), group_name=g.group_name)
        j = events.join(g, events.event == g.gpt)
        grouped = j.select(report_id=j.report_id, event=j.group_name).distinct()
        # reports with no grouped PT stay in the population under a placeholder event
        others = events.select("report_id").distinct().anti_join(grouped, "report_id")
        events = grouped.union(others.mutate(event=ibis.literal(NO_GROUP_EVENT)))
    if filtered:
        events = events.semi_join(ids, "report_id")
    return drugs, events, ids


def register_event_groups(con: duckdb.DuckDBPyConnection, definition: CaseDefinition) -> None:
    """Create the ``pt_groups`` view for the definition's MedDRA folder and/or group file."""
    from pvsignal.prepare.meddra import load_groups_yaml, load_meddra, register_pt_groups

    meddra = load_meddra(definition.meddra) if definition.meddra else None
    frames = []
    if meddra is not None and definition.event_level not in ("pt", "group"):
        frames.append(meddra.pt_groups([definition.event_level]))
    if definition.event_groups:
        frames.append(load_groups_yaml(definition.event_groups, meddra))
    register_pt_groups(con, frames)
