"""Case characterisation: who reported, who was affected, how serious — for a drug or pair.

The population is the case definition's (:class:`~pvsignal.analysis.population.CaseDefinition`:
quarters, sex, age groups, years, probable duplicates) cases in which the drug's
``ingredient`` appears in one of the definition's roles (suspect, PS/SS, by default),
optionally restricted to cases that also report the event: a PT (``level='pt'``, matched
on upper-case ``case_reactions.pt``) or an event group (``level`` = ``soc``, ``hlt``,
``hlgt``, ``smq_narrow``, ``smq_broad`` or ``group``, through the ``pt_groups`` view of
:func:`pvsignal.prepare.meddra.register_pt_groups`). The tables are Ibis queries, so they
run on DuckDB (a connection with the prepared views) and on Spark (an ``Engine``).

Every table has columns ``category``, ``n`` (cases) and ``share`` (n / cases in the
population; multi-valued tables — outcomes, indications, co-reported drugs — can sum
above 1). Codes outside the FAERS code list are shown as ``"unknown code: XX"``, absent
values as ``"missing"``: nothing is dropped silently, so single-valued tables sum to
the population.

Age in years from ``age``/``age_cod`` (FACTS.md §1.3): DEC ×10, YR, MON /12, WK /52,
DY /365, HR /8760 (spelled-out YEAR/WEEK/DAY/HOUR accepted). Age groups are the case
definition's bands (:data:`~pvsignal.analysis.population.AGE_BANDS`): ``<18`` [0, 18),
``18-64`` [18, 65), ``65-85`` [65, 85], ``>85`` (85, 120]; an age outside [0, 120] years is
``"implausible age"``, an age without unit ``"missing unit"``. Weight in kg from
``wt``/``wt_cod``: KG ×1, LBS ×0.45359237, GMS ×0.001; groups ``<50``, ``50-79`` [50, 80),
``80-99`` [80, 100), ``>=100`` [100, 650]; outside (0, 650] kg ``"implausible weight"``.
Seriousness: a case is serious when it has at least one outcome row (FAERS records
outcomes only for serious reports).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from pvsignal.analysis.backends import distinct_values, exists, staged
from pvsignal.analysis.population import (
    AGE_BANDS, ROLE_SETS, UNSET, CaseDefinition, Population, age_band, age_in_years, case_population, in_unit,
    with_shortcuts,
)
from pvsignal.errors import AnalysisError, ConfigError
from pvsignal.prepare.views import CODE_LABELS, CODES, WT_FACTORS
from pvsignal.suggest import unknown_name

SUSPECT_ROLES: tuple[str, ...] = ROLE_SETS["suspect"]
EVENT_LEVELS = ("pt", "hlt", "hlgt", "soc", "smq_narrow", "smq_broad", "group")

AGE_GROUPS = tuple(name for name, *_ in AGE_BANDS)
WEIGHT_GROUPS = ("<50", "50-79", "80-99", ">=100")
REPT_LABELS = {"EXP": "Expedited (15-day)", "PER": "Periodic", "DIR": "Direct",
               "30DAY": "30-day", "5DAY": "5-day"}
OUTCOME_ORDER = ("DE", "LT", "HO", "DS", "CA", "RI", "OT")


# --------------------------------------------------------------------------- population
@dataclass
class DrugCases:
    """The cases of one drug (and event) in a population.

    ``drug_rows``: ``(caseid, drug_seq)`` of the drug in the definition's roles;
    ``pop``: ``(caseid, event)`` — the event, every event of ``level`` (``by_event``),
    or null ("any event").
    """

    population: Population
    drug: str
    level: str
    drug_rows: ir.Table
    pop: ir.Table


def drug_cases(population: Population, drug: str, event: str | None = None, *, level: str = "pt",
               by_event: bool = False) -> DrugCases:
    """Select the cases of ``drug`` (and ``event``) after checking that both exist
    (:class:`~pvsignal.errors.UnknownNameError` with close matches otherwise)."""
    if level not in EVENT_LEVELS:
        raise ConfigError(f"event level {level!r} is not one of {', '.join(EVENT_LEVELS)}")
    ib = population.backend
    key = drug.strip().upper()
    if population.slice_drug is not None and key != population.slice_drug:
        raise ConfigError(f"this source holds only the cases of {population.slice_drug} (a drug slice): "
                          f"the cases of {key} need the lake")
    all_drugs = ib.table("case_drugs")
    if not exists(all_drugs.filter(all_drugs.ingredient == key)):
        raise unknown_name("ingredient", key, distinct_values(all_drugs, "ingredient"))
    d = population.drug_rows
    rows = d.filter(d.ingredient == key).select("caseid", "drug_seq").distinct()
    ids = rows.select("caseid").distinct()
    if level != "pt":
        _check_groups(ib, level)
    if event is None and not by_event:
        return DrugCases(population, key, level, rows, ids.mutate(event=ibis.null("string")))
    ev = population.events(level)
    ev = ev.filter(ev.event.notnull())
    if event is not None:
        ekey = event.strip().upper()
        _check_event(ib, ekey, level)
        # PTs are stored upper-cased (prepared ``case_reactions``): compared as they are, so the
        # engine can skip row groups; group names are compared case-blind
        ev = ev.filter((ev.event if level == "pt" else ev.event.upper()) == ekey)
    pop = ids.join(ev, ids.caseid == ev.report_id).select("caseid", "event").distinct()
    return DrugCases(population, key, level, rows, pop)


def _check_groups(ib: Any, level: str) -> None:
    try:
        g = ib.table("pt_groups")
    except Exception:  # noqa: BLE001 — the backends raise different "no such table" errors
        raise ConfigError(
            f"event level {level!r} needs event groups: load a MedDRA release (--meddra) "
            "or a YAML group file (--groups) first"
        ) from None
    if not exists(g.filter(g.level == level)):
        raise ConfigError(f"no event groups of level {level!r} are loaded")


def _check_event(ib: Any, key: str, level: str) -> None:
    if level == "pt":
        t, col, what = ib.table("case_reactions"), "pt", "reaction PT"
        hit = t.filter(t.pt == key)
    else:
        t, col, what = ib.table("pt_groups"), "group_name", f"{level} group"
        t = t.filter(t.level == level)
        hit = t.filter(t.group_name.upper() == key)
    if not exists(hit):
        raise unknown_name(what, key, distinct_values(t, col))


# --------------------------------------------------------------------------- result
@dataclass
class CaseSeries:
    """Descriptive tables of a case series (each: category, n, share)."""

    parameters: dict[str, Any]
    n_cases: int
    sex: pd.DataFrame
    age_group: pd.DataFrame
    weight_group: pd.DataFrame
    summary: pd.DataFrame = field(repr=False)  # age_years / weight_kg: n, median, q1, q3, min, max
    reporter_occupation: pd.DataFrame = field(repr=False)
    report_type: pd.DataFrame = field(repr=False)
    report_source: pd.DataFrame = field(repr=False)
    reporter_country: pd.DataFrame = field(repr=False)
    occurrence_country: pd.DataFrame = field(repr=False)
    receipt_year: pd.DataFrame = field(repr=False)
    seriousness: pd.DataFrame = field(repr=False)
    outcomes: pd.DataFrame = field(repr=False)
    indications: pd.DataFrame = field(repr=False)
    co_reported_drugs: pd.DataFrame = field(repr=False)
    co_reported_classes: pd.DataFrame = field(repr=False, default_factory=lambda: pd.DataFrame(
        {"category": pd.Series(dtype="string"), "n": pd.Series(dtype="int64"), "share": pd.Series(dtype="float64")}))

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (the order of the dataclass fields)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("parameters", "n_cases")}

    def long(self) -> pd.DataFrame:
        """All category tables stacked: table, category, n, share (``summary`` left out)."""
        parts = [t.assign(table=name)[["table", "category", "n", "share"]]
                 for name, t in self.tables().items() if name != "summary"]
        return pd.concat(parts, ignore_index=True)

    def metadata(self) -> dict[str, Any]:
        """Parameters and case count, for an export's ``parameters`` sheet / sidecar
        (``report.export.write_table(cs.long(), path, metadata=cs.metadata(), sheets=cs.tables())``)."""
        return {**self.parameters, "n_cases": self.n_cases}


# --------------------------------------------------------------------------- analysis
#: the ``cases`` columns the tables read (staged alone: the view has ≈ 40 columns, mostly free text)
CASE_COLUMNS = ("caseid", "age", "age_cod", "wt", "wt_cod", "sex", "occp_cod", "rept_cod", "reporter_country",
                "occr_country", "receipt_year")


def _category_rows(sel: DrugCases, c: ir.Table) -> ir.Table:
    """``(table, value, n)`` of every category table in one query over the cases ``c``."""
    ib = sel.population.backend
    ids = c.select("caseid")  # the staged population: no filter expression repeated below
    age = age_in_years(c.age, c.age_cod)
    wt = in_unit(c.wt, c.wt_cod, WT_FACTORS)
    no_unit = lambda code: code.isnull() | (code.strip() == "")  # noqa: E731
    unknown = lambda code: ibis.literal("unknown code: ") + code  # noqa: E731
    age_cat = ibis.cases((c.age.isnull(), "missing"), (no_unit(c.age_cod), "missing unit"),
                         (age.isnull(), unknown(c.age_cod)), ((age < 0) | (age > 120), "implausible age"),
                         else_=age_band(age))
    wt_cat = ibis.cases((c.wt.isnull(), "missing"), (no_unit(c.wt_cod), "missing unit"),
                        (wt.isnull(), unknown(c.wt_cod)), ((wt <= 0) | (wt > 650), "implausible weight"),
                        (wt < 50, "<50"), (wt < 80, "50-79"), (wt < 100, "80-99"), else_=">=100")
    single = {"n_cases": ibis.literal(""), "sex": c.sex, "age_group": age_cat, "weight_group": wt_cat,
              "reporter_occupation": c.occp_cod, "report_type": c.rept_cod,
              "reporter_country": c.reporter_country, "occurrence_country": c.occr_country,
              "receipt_year": c.receipt_year.cast("string")}
    parts = [c.select("caseid", table=ibis.literal(k), value=v.cast("string")) for k, v in single.items()]

    def multi(name: str, t: ir.Table, value: ir.Value) -> ir.Table:
        return t.select("caseid", table=ibis.literal(name), value=value.cast("string")).distinct()

    o = ib.table("case_outc").semi_join(ids, "caseid")
    parts.append(multi("outcomes", o, o.outc_cod))
    parts.append(multi("serious", o.filter(o.outc_cod.notnull()), ibis.literal("serious")))
    r = ib.table("case_rpsr").semi_join(ids, "caseid")
    parts.append(multi("report_source", r, r.rpsr_cod))
    i = ib.table("case_indi")
    dr = ib.table("case_drugs")
    dr = dr.filter((dr.ingredient == sel.drug) & dr.role_cod.isin(list(sel.population.definition.role_codes)))
    dr = dr.semi_join(ids, "caseid")
    j = dr.join(i, (dr.caseid == i.caseid) & (dr.drug_seq == i.indi_drug_seq))
    j = j.filter(j.indi_pt.notnull() & (j.indi_pt.strip() != ""))
    parts.append(multi("indications", j, j.indi_pt.strip().upper()))
    cd = ib.table("case_drugs").semi_join(ids, "caseid")
    cd = cd.filter(cd.ingredient.notnull() & (cd.ingredient != sel.drug))
    parts.append(multi("co_reported_drugs", cd, cd.ingredient))
    from pvsignal.drugnames.dictionary import drug_classes  # FDA EPC classes of the co-reported drugs

    cls = ibis.memtable(drug_classes(sel.population.definition.drug_classes))
    cj = cd.join(cls, cd.ingredient == cls.ingredient)
    parts.append(multi("co_reported_classes", cj, cj.drug_class))
    rows = ibis.union(*parts)
    return rows.group_by(["table", "value"]).aggregate(n=rows.count())


def _summary(c: ir.Table) -> pd.DataFrame:
    """n, median, quartiles (linear interpolation), min, max of valid age (years) and weight (kg)."""
    out = []
    for name, v, ok in (("age_years", age := age_in_years(c.age, c.age_cod), age.between(0, 120)),
                        ("weight_kg", wt := in_unit(c.wt, c.wt_cod, WT_FACTORS), (wt > 0) & (wt <= 650))):
        out.append(c.aggregate(variable=ibis.literal(name), n=v.count(where=ok), median=v.quantile(0.5, where=ok),
                               q1=v.quantile(0.25, where=ok), q3=v.quantile(0.75, where=ok),
                               min=v.min(where=ok), max=v.max(where=ok)))
    return ibis.union(*out).execute().set_index("variable").loc[["age_years", "weight_kg"]].reset_index()


def case_series(
    con: Any,
    drug: str,
    event: str | None = None,
    *,
    definition: CaseDefinition | None = None,
    level: str | None = None,
    roles: str | Sequence[str] | None = UNSET,
    top_n: int = 10,
    drop_probable_duplicates: bool | None = None,
) -> CaseSeries:
    """Describe the cases of ``drug`` (and ``event`` at ``level``) under ``definition``.

    ``con``: a DuckDB connection with the prepared views, an
    :class:`~pvsignal.store.engine.Engine` (DuckDB or Spark) or an Ibis backend.
    ``definition`` defaults to :class:`CaseDefinition` (suspect roles, every case);
    ``roles`` (a set name or codes; ``None`` = every role) and ``drop_probable_duplicates``
    are shortcuts that change it. ``level`` defaults to the definition's event level.
    ``top_n`` limits indications, co-reported drugs (other ingredients of the same
    cases, any role) and co-reported classes (their FDA EPC classes; a case counts once per class). Raises :class:`UnknownNameError` for an unknown drug or event and
    :class:`AnalysisError` when no case has both.
    """
    d = with_shortcuts(definition, roles=roles, drop_probable_duplicates=drop_probable_duplicates)
    level = level or d.event_level
    sel = drug_cases(case_population(con, d), drug, event, level=level)
    cases = sel.population.cases.semi_join(sel.pop.select("caseid"), "caseid")
    with staged(sel.population.backend, cases.select(*CASE_COLUMNS)) as c:
        rows = _category_rows(sel, c).execute()
        n = int(rows.loc[rows["table"] == "n_cases", "n"].sum())
        if n == 0:
            raise AnalysisError(f"no case reports {sel.drug!r} with {event!r} under the case definition "
                                f"({'; '.join(d.describe())})")
        summary = _summary(c)
    part = {k: g[["value", "n"]].reset_index(drop=True) for k, g in rows.groupby("table")}
    get = lambda k: part.get(k, pd.DataFrame({"value": pd.Series(dtype="string"), "n": pd.Series(dtype="int64")}))  # noqa: E731
    cat = lambda k: get(k).rename(columns={"value": "category"})  # noqa: E731

    def top(k: str) -> pd.DataFrame:
        return cat(k).sort_values(["n", "category"], ascending=[False, True]).head(top_n)

    def share(df: pd.DataFrame) -> pd.DataFrame:
        df = df[["category", "n"]].copy()
        df["n"] = df["n"].astype("int64")
        df["share"] = df["n"] / n
        return df.reset_index(drop=True)

    serious_n = int(get("serious")["n"].sum())
    serious = pd.DataFrame({"category": ["serious", "non-serious (no outcome recorded)"],
                            "n": [serious_n, n - serious_n]})
    years = get("receipt_year").assign(value=lambda f: pd.to_numeric(f["value"]))
    return CaseSeries(
        parameters={
            "drug": sel.drug, "event": event, "level": level, "roles": list(d.role_codes),
            "population": "deduplicated cases (view 'cases')"
                          + (", probable duplicates dropped" if d.drop_probable_duplicates else ""),
            "top_n": top_n, "case_definition": d.to_dict(), "methods": d.describe(),
        },
        n_cases=n,
        sex=share(_coded(get("sex"), CODES[("demo", "sex")], CODE_LABELS["sex"], order=("F", "M", "UNK", "NS"))),
        age_group=share(_ordered(cat("age_group"), AGE_GROUPS)),
        weight_group=share(_ordered(cat("weight_group"), WEIGHT_GROUPS)),
        summary=summary,
        reporter_occupation=share(_coded(get("reporter_occupation"), CODES[("demo", "occp_cod")], CODE_LABELS["occp_cod"])),
        report_type=share(_coded(get("report_type"), CODES[("demo", "rept_cod")], REPT_LABELS)),
        report_source=share(_coded(get("report_source"), CODES[("rpsr", "rpsr_cod")], CODE_LABELS["rpsr_cod"],
                                   keep_zero=False)),
        reporter_country=share(_free(get("reporter_country"))),
        occurrence_country=share(_free(get("occurrence_country"))),
        receipt_year=share(_years(years)),
        seriousness=share(serious),
        outcomes=share(_coded(get("outcomes"), CODES[("outc", "outc_cod")], CODE_LABELS["outc_cod"],
                              order=OUTCOME_ORDER, keep_zero=True)),
        indications=share(top("indications")),
        co_reported_drugs=share(top("co_reported_drugs")),
        co_reported_classes=share(top("co_reported_classes")),
    )


# --------------------------------------------------------------------------- helpers
def _coded(df: pd.DataFrame, valid: frozenset[str], labels: dict[str, str], *,
           order: Sequence[str] | None = None, keep_zero: bool = False) -> pd.DataFrame:
    """Label an aggregated (value, n) frame: known codes by label in code order, then
    ``unknown code: XX`` rows, then ``missing``. ``keep_zero`` lists every known code."""
    val = df["value"].astype("string").str.strip()
    df = df.assign(value=val.where(val != "", None))
    counts = df.groupby("value", dropna=False)["n"].sum()
    order = list(order or labels.keys() or sorted(valid))
    order += sorted(set(valid) - set(order))
    rows = []
    for code in order:
        k = int(counts.get(code, 0))
        if k or keep_zero:
            rows.append((labels.get(code, code), k))
    unknown = sorted(str(v) for v in counts.index if pd.notna(v) and v not in valid)
    rows += [(f"unknown code: {v}", int(counts[v])) for v in unknown]
    n_missing = int(df.loc[df["value"].isna(), "n"].sum())
    if n_missing:
        rows.append(("missing", n_missing))
    return pd.DataFrame(rows, columns=["category", "n"])


def _ordered(df: pd.DataFrame, groups: Sequence[str]) -> pd.DataFrame:
    """Known groups in their order (zeros kept), then every other category by name."""
    counts = df.set_index("category")["n"]
    rows = [(g, int(counts.get(g, 0))) for g in groups]
    rows += [(c, int(counts[c])) for c in sorted(set(counts.index) - set(groups))]
    return pd.DataFrame(rows, columns=["category", "n"])


def _free(df: pd.DataFrame) -> pd.DataFrame:
    """Free codes (countries): by count, then name; blanks as ``missing`` last."""
    val = df["value"].astype("string").str.strip()
    df = df.assign(category=val.where(val != "", None).fillna("missing"))
    df = df.groupby("category", as_index=False)["n"].sum()
    df["_m"] = df["category"] == "missing"
    return df.sort_values(["_m", "n", "category"], ascending=[True, False, True])[["category", "n"]]


def _years(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["_m"] = df["value"].isna()
    df = df.sort_values(["_m", "value"])
    cat = [("missing" if m else str(int(v))) for v, m in zip(df["value"], df["_m"])]
    return pd.DataFrame({"category": cat, "n": df["n"].to_numpy()})
