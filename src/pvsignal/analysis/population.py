"""The report population of a FAERS analysis: one case definition for every analysis.

:class:`CaseDefinition` says which reports, drugs and events count; :func:`case_population`
turns it into Ibis tables over the prepared views (``cases``, ``case_drugs``,
``case_reactions`` …) on any Ibis backend — a DuckDB connection, or the backend of a
:class:`~pvsignal.store.engine.Engine` (DuckDB or Spark) — so signals, case series, time
to onset and interactions count the same reports everywhere. ``report_id`` is the
deduplicated ``caseid``; ``drug`` the ingredient; ``event`` the MedDRA PT (upper case).

Vocabulary (the same for every command and function):

* roles — a named set (:data:`ROLE_SETS`: ``suspect`` PS+SS, ``primary`` PS,
  ``interacting`` PS+SS+I, ``all`` PS+SS+C+I) or a list of FAERS role codes
  (``PS,SS,I``), any case;
* sex — ``F``/``M`` (``female``/``male`` accepted, any case);
* age — one set of bands (:data:`AGE_BANDS`, years, on the age converted by
  ``age_cod``: ``<18`` [0, 18), ``18-64`` [18, 65), ``65-85`` [65, 85], ``>85``
  (85, 120]) used by the case tables; filter and stratum groups
  (:data:`AGE_GROUPS`) are unions of these bands (``65+`` = ``65-85`` ∪ ``>85``), so
  a filter, a stratum and a table row mean the same ages.

Defaults follow common FAERS practice: suspect drugs (roles PS and SS), all quarters,
all reports. Every parameter is kept in :class:`CaseDefinition`, written beside each
result (:meth:`CaseDefinition.to_dict`) and described in plain words for the methods
text (:meth:`CaseDefinition.describe`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Sequence

import ibis
import ibis.expr.types as ir

from pvsignal.analysis.background import (
    background_sentences, check_background, comparator_rows, normalise_background, restrict_background,
)
from pvsignal.analysis.ages import (  # noqa: F401 (re-exported: the vocabulary lives with the definition)
    AGE_BANDS, AGE_GROUPS, STRATUM_AGE_GROUPS, age_band, age_group, age_in_years, in_unit,
)
from pvsignal.analysis.backends import backend_of, slice_drug
from pvsignal.errors import ConfigError, PvsignalError
from pvsignal.quarters import parse_quarter

ROLE_CODES = ("PS", "SS", "C", "I")
ROLE_SETS: dict[str, tuple[str, ...]] = {
    "suspect": ("PS", "SS"), "primary": ("PS",), "interacting": ("PS", "SS", "I"), "all": ROLE_CODES,
}
ROLE_NAMES = {"PS": "primary suspect", "SS": "secondary suspect", "C": "concomitant", "I": "interacting"}
SEXES = {"F": "F", "FEMALE": "F", "M": "M", "MALE": "M"}
STRATA = ("sex", "age_group", "year")
#: event of reports with no PT in any group at a group level: keeps them in N and in the
#: margins; dropped from results (see :func:`population`)
NO_GROUP_EVENT = "(no event in any group)"


def role_codes(roles: str | Sequence[str] | None) -> tuple[str, ...]:
    """FAERS role codes of a named set or a code list (``'suspect'``, ``'PS,SS,I'``,
    ``['ps', 'i']``); ``None`` means ``all``. :class:`ConfigError` names the choices."""
    if roles is None:
        return ROLE_CODES
    if isinstance(roles, str):
        if roles.strip().lower() in ROLE_SETS:
            return ROLE_SETS[roles.strip().lower()]
        roles = roles.split(",")
    codes = [str(r).strip().upper() for r in roles if str(r).strip()]
    bad = [c for c in codes if c not in ROLE_CODES]
    if bad or not codes:
        raise ConfigError(f"unknown role(s) {', '.join(bad) or '(none)'}: use a set ({', '.join(ROLE_SETS)}) "
                          f"or role codes from {', '.join(ROLE_CODES)} (e.g. PS,SS,I)")
    return tuple(c for c in ROLE_CODES if c in codes)


def role_spec(roles: str | Sequence[str] | None) -> str:
    """The canonical spelling: the set's name when the codes form one, else ``PS,SS,I``."""
    codes = role_codes(roles)
    return next((name for name, s in ROLE_SETS.items() if s == codes), ",".join(codes))


def parse_sex(sex: str) -> str:
    """``F`` or ``M`` from F/M/female/male (any case)."""
    key = str(sex).strip().upper()
    if key not in SEXES:
        raise ConfigError(f"sex must be F or M (female/male); got {sex!r}")
    return SEXES[key]


@dataclass
class CaseDefinition:
    """Which reports, drugs and events an analysis counts.

    ``roles``: a set of :data:`ROLE_SETS` or role codes (``PS,SS,I``); ``quarters``: a
    ``2021Q1:2024Q4`` range on the quarter of each case's kept version; ``sex``: ``F``/
    ``M``; ``age_groups``: any of :data:`AGE_GROUPS`; ``years``: receipt years ``[from,
    to]``; ``strata``: any of ``sex, age_group, year`` for stratified expected counts;
    ``drop_probable_duplicates`` leaves out flagged cases; ``indication``, ``comparator``,
    ``unmask``: restricted backgrounds (:mod:`~pvsignal.analysis.background`). Values are
    normalised on creation (``roles='PS,SS'`` → ``suspect``, ``sex='female'`` → ``F``).
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
    indication: str | None = None
    comparator: str | None = None
    unmask: list[str] | None = None
    drug_classes: str | None = None

    def __post_init__(self) -> None:
        self.roles = role_spec(self.roles)
        self.indication, self.comparator, self.unmask = normalise_background(
            self.indication, self.comparator, self.unmask, self.strata)
        if self.sex is not None:
            self.sex = parse_sex(self.sex)
        if isinstance(self.age_groups, str):
            self.age_groups = [g.strip() for g in self.age_groups.split(",") if g.strip()]
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
        if self.drug_level not in ("ingredient", "class"):
            raise ConfigError(f"drug_level must be ingredient or class (FDA EPC); got {self.drug_level!r}")
        if self.drug_classes is not None:  # the user's ingredient → class file (ATC, a company's): checked now
            from pvsignal.drugnames.dictionary import drug_classes

            self.drug_classes = str(self.drug_classes)
            drug_classes(self.drug_classes)
        if self.years is not None and (len(self.years) != 2 or self.years[0] > self.years[1]):
            raise ConfigError(f"years must be [first, last]; got {self.years}")
        if self.quarters:
            parts = self.quarters.split(":")
            if len(parts) not in (1, 2):
                raise ConfigError(f"quarters must look like 2021Q1:2024Q4; got {self.quarters!r}")
            try:
                self.quarters = ":".join(parse_quarter(p) for p in parts)
            except PvsignalError as exc:
                raise ConfigError(f"quarters: {exc}") from None

    @property
    def role_codes(self) -> tuple[str, ...]:
        return role_codes(self.roles)

    @property
    def quarter_range(self) -> tuple[str, str] | None:
        if not self.quarters:
            return None
        parts = self.quarters.split(":")
        return parts[0], parts[-1]

    @property
    def within_drug_cases(self) -> bool:
        """Whether one drug's analyses read only its cases (no comparator, unmasking, indication, classes)."""
        return not (self.comparator or self.unmask or self.indication or self.drug_classes or self.drug_level != "ingredient")

    @property
    def filters_cases(self) -> bool:
        """Whether the definition leaves out any case of the prepared views."""
        return bool(self.drop_probable_duplicates or self.quarters or self.sex or self.age_groups or self.years
                    or self.indication or self.unmask)

    def replace(self, **changes: Any) -> CaseDefinition:
        """A copy with ``changes`` (validated again)."""
        return CaseDefinition(**{**asdict(self), **changes})

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["role_codes"] = list(self.role_codes)
        return d

    def describe(self) -> list[str]:
        """Plain sentences for a methods section, generated from the values in use."""
        codes = self.role_codes
        named = f"{self.roles} " if self.roles in ROLE_SETS else ""
        out = [f"Drugs count when reported in the {named}role(s) "
               f"{', '.join(f'{ROLE_NAMES[c]} ({c})' for c in codes)}, at the {self.drug_level} level."]
        if self.event_level == "pt":
            out.append("Events are MedDRA preferred terms (PT) as reported.")
        else:
            src = f"the groups of {self.event_groups}" if self.event_level == "group" else f"MedDRA {self.event_level.upper()}"
            out.append(f"Events are counted at the {self.event_level} level ({src}); a report counts once per group.")
        q = self.quarter_range
        out.append(f"Reports: the latest version of each case, for cases whose latest version is from the quarters "
                   f"{q[0]} to {q[1]}." if q else "Reports: the latest version of each case, from every quarter in the lake.")
        if self.sex:
            out.append(f"Only cases with sex {'female (F)' if self.sex == 'F' else 'male (M)'} are included.")
        if self.age_groups:
            out.append(f"Only cases aged {', '.join(self.age_groups)} years are included (age converted to years "
                       "from its reported unit; cases without a usable age are left out).")
        if self.years:
            out.append(f"Only cases first received by FDA in {self.years[0]}–{self.years[1]} are included.")
        out.append("Cases flagged as probable duplicates are left out." if self.drop_probable_duplicates
                   else "Cases flagged as probable duplicates are kept.")
        out += background_sentences(self.indication, self.comparator, self.unmask)
        if self.drug_level == "class" or self.drug_classes:
            out.append("Drug classes are FDA's Established Pharmacologic Classes (EPC) of each ingredient"
                       + (f", replaced by the classes in {Path(self.drug_classes).name} for the ingredients it lists."
                          if self.drug_classes else ".")
                       + (" Reports none of whose counted drugs has a class are left out at the class level."
                          if self.drug_level == "class" else ""))
        if self.strata:
            out.append(f"Expected counts are stratified by {', '.join(self.strata)}"
                       + (" (age groups " + ", ".join(STRATUM_AGE_GROUPS) + ")." if "age_group" in self.strata else "."))
        return out


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: default of the legacy keyword shortcuts: "keep the definition's value"
UNSET: Any = _Unset()


def with_shortcuts(definition: CaseDefinition | None, *, roles: Any = UNSET,
                   drop_probable_duplicates: bool | None = None, default_roles: str = "suspect") -> CaseDefinition:
    """``definition`` (default: ``CaseDefinition(roles=default_roles)``) with the legacy
    keyword shortcuts applied: ``roles`` (a set name or codes; ``None`` = ``all``;
    :data:`UNSET` = unchanged) and ``drop_probable_duplicates`` (``None`` = unchanged)."""
    d = definition or CaseDefinition(roles=default_roles)
    changes: dict[str, Any] = {}
    if roles is not UNSET:
        changes["roles"] = role_spec(roles)
    if drop_probable_duplicates is not None:
        changes["drop_probable_duplicates"] = bool(drop_probable_duplicates)
    return d.replace(**changes) if changes else d


@dataclass
class Population:
    """A definition's population on one backend.

    ``cases``: the prepared ``cases`` rows of the population (every column, ``caseid``);
    ``ids``: ``report_id`` and the definition's strata columns (both built on first use,
    so a definition without case filters never reads ``cases`` unless asked).
    :meth:`table` gives any other prepared view restricted to the population;
    :attr:`drugs` the ``(report_id, drug)`` rows of the definition's roles;
    :meth:`events` the ``(report_id, event)`` rows at a level. A definition without case
    filters adds no join.

    Filters: quarters on ``cases.quarter``; sex on ``cases.sex``; age groups on the age
    converted by :func:`age_in_years` and banded by :func:`age_band`; years on
    ``receipt_year``; probable duplicates on ``probable_duplicate`` (a missing flag
    counts as not flagged). Strata: ``sex`` (F, M, else ``unknown``), ``age_group``
    (:data:`STRATUM_AGE_GROUPS`, else ``unknown``), ``year`` (receipt year as text).
    """

    backend: ibis.BaseBackend
    definition: CaseDefinition
    slice_drug: str | None = None  # the drug of a drug slice (analysis.slices); None on a lake

    @cached_property
    def _filtered(self) -> ir.Table:
        d = self.definition
        cases = self.backend.table("cases")
        if d.drop_probable_duplicates:
            cases = cases.filter(~cases.probable_duplicate.fill_null(False))
        if d.quarters:
            lo, hi = d.quarter_range
            cases = cases.filter((cases.quarter >= lo) & (cases.quarter <= hi))
        if d.sex:
            cases = cases.filter(cases.sex == d.sex)
        if d.age_groups or "age_group" in d.strata:
            cases = cases.mutate(_age_band=age_band(age_in_years(cases.age, cases.age_cod)))
        if d.age_groups:
            bands = sorted({b for g in d.age_groups for b in AGE_GROUPS[g]})
            cases = cases.filter(cases._age_band.isin(bands))
        if d.years:
            cases = cases.filter(cases.receipt_year.between(*d.years))
        return restrict_background(self.backend, cases, d)

    @property
    def cases(self) -> ir.Table:
        c = self._filtered
        return c.drop("_age_band") if "_age_band" in c.columns else c

    @property
    def ids(self) -> ir.Table:
        c = self._filtered
        derived = {
            "sex": lambda: c.sex.isin(["F", "M"]).ifelse(c.sex, "unknown"),
            "age_group": lambda: age_group(c._age_band),
            "year": lambda: c.receipt_year.cast("string"),
        }
        return c.select(report_id=c.caseid, **{s: derived[s]() for s in self.definition.strata})

    def table(self, name: str) -> ir.Table:
        t = self.backend.table(name)
        if not self.definition.filters_cases:
            return t
        return t.semi_join(self._filtered.select("caseid"), "caseid")

    @property
    def drug_rows(self) -> ir.Table:
        """``case_drugs`` rows of the population in the definition's roles (ingredient set);
        with a comparator, :func:`~pvsignal.analysis.background.comparator_rows`."""
        d = self.table("case_drugs")
        d = d.filter(d.role_cod.isin(list(self.definition.role_codes)) & d.ingredient.notnull())
        return comparator_rows(d, self.definition.comparator)

    @property
    def drugs(self) -> ir.Table:
        """``(report_id, drug)``: ingredients, or at ``drug_level='class'`` their FDA EPC classes
        (:func:`pvsignal.drugnames.dictionary.drug_classes`; a report counts once per class)."""
        d = self.drug_rows
        d = d.select(report_id=d.caseid, drug=d.ingredient)
        if self.definition.drug_level != "class":
            return d
        from pvsignal.drugnames.dictionary import drug_classes

        c = ibis.memtable(drug_classes(self.definition.drug_classes))
        j = d.join(c, d.drug == c.ingredient)
        return j.select(report_id=j.report_id, drug=j.drug_class).distinct()

    def events(self, level: str = "pt") -> ir.Table:
        """``(report_id, event)``: PTs, or the groups of ``level`` in the ``pt_groups`` view."""
        r = self.table("case_reactions")
        events = r.select(report_id=r.caseid, event=r.pt)
        if level == "pt":
            return events
        g = self.backend.table("pt_groups")
        g = g.filter(g.level == level).select(gpt=g.pt.upper(), group_name=g.group_name)
        j = events.join(g, events.event == g.gpt)
        return j.select(report_id=j.report_id, event=j.group_name).distinct()


def case_population(source: Any, definition: CaseDefinition | None = None, *, whole_lake: bool = False) -> Population:
    """The :class:`Population` of ``definition`` over the prepared views of ``source`` (DuckDB, an
    Engine or an Ibis backend), event groups registered as ``pt_groups`` first. On a drug slice, a
    definition reading other cases or a ``whole_lake`` analysis (scores, Ω, counts) is an error."""
    d, ib = definition or CaseDefinition(), backend_of(source)
    if (drug := slice_drug(ib)) is not None and (whole_lake or not d.within_drug_cases):
        need = "this analysis" if whole_lake else "a comparator, unmasking, an indication or drug classes"
        raise ConfigError(f"this source holds only the cases of {drug} (a drug slice): {need} needs every case")
    if d.meddra or d.event_groups:
        register_event_groups(ib, d)
    check_background(ib, d.indication, d.comparator, d.unmask)
    return Population(ib, d, drug)


def population(con: Any, definition: CaseDefinition) -> tuple[ir.Table, ir.Table, ir.Table]:
    """``(drugs, events, report_strata)`` Ibis tables for the signal counts.

    At a group level, reports with no grouped PT stay in the population under the
    placeholder event :data:`NO_GROUP_EVENT` (so N and the margins keep them).
    """
    pop = case_population(con, definition, whole_lake=True)
    events = pop.events()
    if definition.event_level != "pt":
        grouped = pop.events(definition.event_level)
        others = events.select("report_id").distinct().anti_join(grouped, "report_id")
        events = grouped.union(others.mutate(event=ibis.literal(NO_GROUP_EVENT)))
    return pop.drugs, events, pop.ids


def register_event_groups(source: Any, definition: CaseDefinition) -> None:
    """Create the ``pt_groups`` view for the definition's MedDRA folder and/or group file
    (on a DuckDB connection, or any Ibis backend: DuckDB or Spark)."""
    import duckdb

    from pvsignal.prepare.meddra import event_group_frames, register_pt_groups

    level = definition.event_level
    frames = event_group_frames(definition.meddra, definition.event_groups,
                                levels=[] if level in ("pt", "group") else [level])
    if isinstance(source, duckdb.DuckDBPyConnection):
        register_pt_groups(source, frames)
        return
    ib = backend_of(source)
    if ib.name == "duckdb":
        register_pt_groups(ib.con, frames)
        return
    mirror = duckdb.connect()  # the same frame (columns, checks) as on DuckDB, copied to Spark
    try:
        register_pt_groups(mirror, frames)
        groups = mirror.execute("SELECT * FROM pt_groups").df()
    finally:
        mirror.close()
    ib._session.createDataFrame(groups).createOrReplaceTempView("pt_groups")
