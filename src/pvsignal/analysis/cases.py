"""Case characterisation: who reported, who was affected, how serious — for a drug or pair.

The population is the set of deduplicated cases (view ``cases``) in which the drug's
``ingredient`` appears with a suspect role (``PS``/``SS`` by default; ``roles=None``
takes every role), optionally restricted to cases that also report the event: a PT
(``level='pt'``, matched on upper-case ``case_reactions.pt``) or an event group
(``level`` = ``soc``, ``hlt``, ``hlgt``, ``smq_narrow``, ``smq_broad`` or ``group``, through
the ``pt_groups`` view of :func:`pvsignal.prepare.meddra.register_pt_groups`). Cases
flagged ``probable_duplicate`` count like the others (as in the views the connection
holds; ``pvsignal.api.connect(drop_probable_duplicates=True)`` drops them for every
analysis) unless ``drop_probable_duplicates=True`` is passed here.

Every table has columns ``category``, ``n`` (cases) and ``share`` (n / cases in the
population; multi-valued tables — outcomes, indications, co-reported drugs — can sum
above 1). Codes outside the FAERS code list are shown as ``"unknown code: XX"``, absent
values as ``"missing"``: nothing is dropped silently, so single-valued tables sum to
the population.

Age in years from ``age``/``age_cod`` (FACTS.md §1.3): DEC ×10, YR, MON /12, WK /52,
DY /365, HR /8760 (spelled-out YEAR/WEEK/DAY/HOUR accepted). Age groups on exact age:
``<18`` [0, 18), ``18-64`` [18, 65), ``65-85`` [65, 85], ``>85`` (85, 120]; an age
outside [0, 120] years is ``"implausible age"``, an age without unit ``"missing unit"``.
Weight in kg from ``wt``/``wt_cod``: KG ×1, LBS ×0.45359237, GMS ×0.001; groups
``<50``, ``50-79`` [50, 80), ``80-99`` [80, 100), ``>=100`` [100, 650]; outside (0, 650]
kg ``"implausible weight"``. Seriousness: a case is serious when it has at least one
outcome row (FAERS records outcomes only for serious reports).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Sequence

import duckdb
import pandas as pd

from pvsignal.errors import AnalysisError, ConfigError, UnknownNameError
from pvsignal.prepare.views import AGE_FACTORS, CODE_LABELS, CODES, WT_FACTORS

SUSPECT_ROLES: tuple[str, ...] = ("PS", "SS")
EVENT_LEVELS = ("pt", "hlt", "hlgt", "soc", "smq_narrow", "smq_broad", "group")

AGE_GROUPS = ("<18", "18-64", "65-85", ">85")
WEIGHT_GROUPS = ("<50", "50-79", "80-99", ">=100")
REPT_LABELS = {"EXP": "Expedited (15-day)", "PER": "Periodic", "DIR": "Direct",
               "30DAY": "30-day", "5DAY": "5-day"}
OUTCOME_ORDER = ("DE", "LT", "HO", "DS", "CA", "RI", "OT")


# --------------------------------------------------------------------------- population
def population_ctes(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    event: str | None = None,
    *,
    level: str = "pt",
    roles: Sequence[str] | None = SUSPECT_ROLES,
    by_event: bool = False,
    drop_probable_duplicates: bool = False,
) -> tuple[str, list[Any]]:
    """SQL ``WITH`` clause defining ``drug_rows(caseid, drug_seq)`` and ``pop(caseid, event)``.

    Returns the clause text (no user value inside) and its bound parameters, after
    checking that the drug and event exist (:class:`UnknownNameError` with close
    matches otherwise). ``event`` in ``pop`` is the given event, or with
    ``by_event=True`` and no event, every PT / group of ``level`` the case reports;
    otherwise null ("any event").
    """
    if level not in EVENT_LEVELS:
        raise ConfigError(f"event level {level!r} is not one of {', '.join(EVENT_LEVELS)}")
    drug_key = drug.strip().upper()
    _check_drug(con, drug_key)
    params: list[Any] = [drug_key]
    role_sql = ""
    if roles is not None:
        role_sql = " AND list_contains(?::VARCHAR[], d.role_cod)"
        params.append([r.upper() for r in roles])
    dup_sql = " AND NOT coalesce(c.probable_duplicate, FALSE)" if drop_probable_duplicates else ""
    ctes = [
        "drug_rows AS (SELECT DISTINCT d.caseid, d.drug_seq FROM case_drugs d "
        f"JOIN cases c ON c.caseid = d.caseid WHERE d.ingredient = ?{role_sql}{dup_sql})",
        "drug_cases AS (SELECT DISTINCT caseid FROM drug_rows)",
    ]
    if level != "pt":
        _check_groups(con, level)
    if event is None and not by_event:
        ctes.append("pop AS (SELECT caseid, CAST(NULL AS VARCHAR) AS event FROM drug_cases)")
        return "WITH " + ",\n".join(ctes) + "\n", params
    if level == "pt":
        ev = "SELECT DISTINCT caseid, pt AS event FROM case_reactions WHERE pt IS NOT NULL"
    else:
        ev = ("SELECT DISTINCT r.caseid, g.group_name AS event FROM case_reactions r "
              "JOIN pt_groups g ON g.pt = r.pt AND g.level = ?")
        params.append(level)
    if event is not None:
        key = event.strip().upper()
        _check_event(con, key, level)
        ev = f"SELECT * FROM ({ev}) WHERE upper(event) = ?"
        params.append(key)
    ctes.append(f"ev AS ({ev})")
    ctes.append("pop AS (SELECT DISTINCT dc.caseid, ev.event FROM drug_cases dc JOIN ev USING (caseid))")
    return "WITH " + ",\n".join(ctes) + "\n", params


def _check_drug(con: duckdb.DuckDBPyConnection, key: str) -> None:
    hit = con.execute("SELECT 1 FROM case_drugs WHERE ingredient = ? LIMIT 1", [key]).fetchone()
    if hit is None:
        close = con.execute(
            "SELECT ingredient FROM (SELECT DISTINCT ingredient FROM case_drugs WHERE ingredient IS NOT NULL) "
            "ORDER BY jaro_winkler_similarity(ingredient, ?) DESC, ingredient LIMIT 5", [key]
        ).fetchall()
        raise UnknownNameError(
            f"no report names the ingredient {key!r}; close matches: {', '.join(r[0] for r in close) or 'none'}"
        )


def _check_groups(con: duckdb.DuckDBPyConnection, level: str) -> None:
    try:
        n = con.execute("SELECT count(*) FROM pt_groups WHERE level = ?", [level]).fetchone()[0]
    except duckdb.CatalogException:
        raise ConfigError(
            f"event level {level!r} needs event groups: load a MedDRA release (--meddra) "
            "or a YAML group file (--groups) first"
        ) from None
    if n == 0:
        raise ConfigError(f"no event groups of level {level!r} are loaded")


def _check_event(con: duckdb.DuckDBPyConnection, key: str, level: str) -> None:
    if level == "pt":
        sql, _table, params = "SELECT 1 FROM case_reactions WHERE pt = ? LIMIT 1", "case_reactions", [key]
        near = ("SELECT pt FROM (SELECT DISTINCT pt FROM case_reactions WHERE pt IS NOT NULL) "
                "ORDER BY jaro_winkler_similarity(pt, ?) DESC, pt LIMIT 5")
        near_params: list[Any] = [key]
    else:
        sql, params = "SELECT 1 FROM pt_groups WHERE level = ? AND upper(group_name) = ? LIMIT 1", [level, key]
        near = ("SELECT group_name FROM (SELECT DISTINCT group_name FROM pt_groups WHERE level = ?) "
                "ORDER BY jaro_winkler_similarity(upper(group_name), ?) DESC, group_name LIMIT 5")
        near_params = [level, key]
    if con.execute(sql, params).fetchone() is None:
        close = [r[0] for r in con.execute(near, near_params).fetchall()]
        what = "reaction PT" if level == "pt" else f"{level} group"
        raise UnknownNameError(f"no {what} named {key!r}; close matches: {', '.join(close) or 'none'}")


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

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (the order of the dataclass fields)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("parameters", "n_cases")}

    def long(self) -> pd.DataFrame:
        """All category tables stacked: table, category, n, share (``summary`` left out)."""
        parts = [t.assign(table=name)[["table", "category", "n", "share"]]
                 for name, t in self.tables().items() if name != "summary"]
        return pd.concat(parts, ignore_index=True)

    def write(self, path: str | Path) -> Path:
        """Export: .xlsx gets one sheet per table; .csv/.parquet get the stacked table.

        Written with :func:`pvsignal.report.export.write_table` (formula-safe); the
        parameters go to the ``parameters`` sheet and the ``.json`` sidecar.
        """
        from pvsignal.report.export import write_table  # report layer, imported lazily

        meta = {**self.parameters, "n_cases": self.n_cases}
        return write_table(self.long(), path, metadata=meta, sheets=self.tables())


# --------------------------------------------------------------------------- analysis
def case_series(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    event: str | None = None,
    *,
    level: str = "pt",
    roles: Sequence[str] | None = SUSPECT_ROLES,
    top_n: int = 10,
    drop_probable_duplicates: bool = False,
) -> CaseSeries:
    """Describe the deduplicated cases of ``drug`` (and ``event`` at ``level``); see module doc.

    ``top_n`` limits indications and co-reported drugs (other ingredients of the same
    cases, any role). Raises :class:`UnknownNameError` for an unknown drug or event and
    :class:`AnalysisError` when no case has both.
    """
    ctes, params = population_ctes(con, drug, event, level=level, roles=roles,
                                   drop_probable_duplicates=drop_probable_duplicates)
    n = con.execute(ctes + "SELECT count(DISTINCT caseid) FROM pop", params).fetchone()[0]
    if n == 0:
        raise AnalysisError(f"no deduplicated case reports {drug.upper()!r} with {event!r} (roles {roles})")

    # the population's case rows, once: ``cases`` is a view (raw DEMO joined to the kept keys)
    pop_cases = f"_pop_cases_{uuid.uuid4().hex[:12]}"
    con.execute(f"CREATE TEMP TABLE {pop_cases} AS " + ctes
                + "SELECT c.* FROM (SELECT DISTINCT caseid FROM pop) p JOIN cases c USING (caseid)", params)
    try:
        def q(sql: str, extra: Sequence[Any] = ()) -> pd.DataFrame:
            return con.execute(ctes + sql, [*params, *extra]).df()

        P = f"FROM {pop_cases} c"
        raw = lambda col: q(f"SELECT c.{col} AS value, count(*) AS n {P} GROUP BY 1")  # noqa: E731

        age_expr = _factor_case("c.age_cod", AGE_FACTORS, "c.age")
        wt_expr = _factor_case("c.wt_cod", WT_FACTORS, "c.wt")
        age_group = q(
            f"""SELECT CASE
                  WHEN c.age IS NULL THEN 'missing'
                  WHEN c.age_cod IS NULL OR trim(c.age_cod) = '' THEN 'missing unit'
                  WHEN {age_expr} IS NULL THEN 'unknown code: ' || c.age_cod
                  WHEN {age_expr} < 0 OR {age_expr} > 120 THEN 'implausible age'
                  WHEN {age_expr} < 18 THEN '<18' WHEN {age_expr} < 65 THEN '18-64'
                  WHEN {age_expr} <= 85 THEN '65-85' ELSE '>85' END AS category, count(*) AS n
                {P} GROUP BY 1""")
        weight_group = q(
            f"""SELECT CASE
                  WHEN c.wt IS NULL THEN 'missing'
                  WHEN c.wt_cod IS NULL OR trim(c.wt_cod) = '' THEN 'missing unit'
                  WHEN {wt_expr} IS NULL THEN 'unknown code: ' || c.wt_cod
                  WHEN {wt_expr} <= 0 OR {wt_expr} > 650 THEN 'implausible weight'
                  WHEN {wt_expr} < 50 THEN '<50' WHEN {wt_expr} < 80 THEN '50-79'
                  WHEN {wt_expr} < 100 THEN '80-99' ELSE '>=100' END AS category, count(*) AS n
                {P} GROUP BY 1""")
        summary = q(
            f"""SELECT * FROM (WITH v AS (SELECT {age_expr} AS age_years, {wt_expr} AS weight_kg {P})
                SELECT 'age_years' AS variable, count(age_years) AS n, median(age_years) AS median,
                       quantile_cont(age_years, 0.25) AS q1, quantile_cont(age_years, 0.75) AS q3,
                       min(age_years) AS min, max(age_years) AS max
                FROM v WHERE age_years BETWEEN 0 AND 120
                UNION ALL
                SELECT 'weight_kg', count(weight_kg), median(weight_kg), quantile_cont(weight_kg, 0.25),
                       quantile_cont(weight_kg, 0.75), min(weight_kg), max(weight_kg)
                FROM v WHERE weight_kg > 0 AND weight_kg <= 650)""")

        outcomes = q(
            """SELECT o.outc_cod AS value, count(DISTINCT o.caseid) AS n
                FROM (SELECT DISTINCT caseid FROM pop) p JOIN case_outc o USING (caseid)
                GROUP BY 1""")
        serious_n = q(
            "SELECT count(DISTINCT o.caseid) AS n FROM (SELECT DISTINCT caseid FROM pop) p "
            "JOIN case_outc o USING (caseid) WHERE o.outc_cod IS NOT NULL").iloc[0, 0]
        report_source = q(
            """SELECT r.rpsr_cod AS value, count(DISTINCT r.caseid) AS n
               FROM (SELECT DISTINCT caseid FROM pop) p JOIN case_rpsr r USING (caseid) GROUP BY 1""")
        indications = q(
            """SELECT upper(trim(i.indi_pt)) AS category, count(DISTINCT i.caseid) AS n
               FROM drug_rows d JOIN (SELECT DISTINCT caseid FROM pop) p USING (caseid)
               JOIN case_indi i ON i.caseid = d.caseid AND i.indi_drug_seq = d.drug_seq
               WHERE i.indi_pt IS NOT NULL AND trim(i.indi_pt) <> ''
               GROUP BY 1 ORDER BY n DESC, category LIMIT ?""", [top_n])
        co_drugs = q(
            """SELECT cd.ingredient AS category, count(DISTINCT cd.caseid) AS n
               FROM (SELECT DISTINCT caseid FROM pop) p JOIN case_drugs cd USING (caseid)
               WHERE cd.ingredient IS NOT NULL AND cd.ingredient <> ?
               GROUP BY 1 ORDER BY n DESC, category LIMIT ?""", [drug.strip().upper(), top_n])

        def share(df: pd.DataFrame) -> pd.DataFrame:
            df = df[["category", "n"]].copy()
            df["n"] = df["n"].astype("int64")
            df["share"] = df["n"] / n
            return df.reset_index(drop=True)

        serious = pd.DataFrame({"category": ["serious", "non-serious (no outcome recorded)"],
                                "n": [int(serious_n), int(n - serious_n)]})
        return CaseSeries(
            parameters={
                "drug": drug.strip().upper(), "event": event, "level": level,
                "roles": list(roles) if roles is not None else "all",
                "population": "deduplicated cases (view 'cases')"
                              + (", probable duplicates dropped" if drop_probable_duplicates else ""),
                "top_n": top_n,
            },
            n_cases=int(n),
            sex=share(_coded(raw("sex"), CODES[("demo", "sex")], CODE_LABELS["sex"], order=("F", "M", "UNK", "NS"))),
            age_group=share(_ordered(age_group, AGE_GROUPS)),
            weight_group=share(_ordered(weight_group, WEIGHT_GROUPS)),
            summary=summary,
            reporter_occupation=share(_coded(raw("occp_cod"), CODES[("demo", "occp_cod")], CODE_LABELS["occp_cod"])),
            report_type=share(_coded(raw("rept_cod"), CODES[("demo", "rept_cod")], REPT_LABELS)),
            report_source=share(_coded(report_source, CODES[("rpsr", "rpsr_cod")], CODE_LABELS["rpsr_cod"],
                                       keep_zero=False)),
            reporter_country=share(_free(raw("reporter_country"))),
            occurrence_country=share(_free(raw("occr_country"))),
            receipt_year=share(_years(raw("receipt_year"))),
            seriousness=share(serious),
            outcomes=share(_coded(outcomes, CODES[("outc", "outc_cod")], CODE_LABELS["outc_cod"],
                                  order=OUTCOME_ORDER, keep_zero=True)),
            indications=share(indications),
            co_reported_drugs=share(co_drugs),
        )
    finally:
        con.execute(f"DROP TABLE IF EXISTS {pop_cases}")


# --------------------------------------------------------------------------- helpers
def _factor_case(code_col: str, factors: dict[str, float], value_col: str) -> str:
    """SQL CASE converting a value by its unit code (constants only, no user values)."""
    whens = " ".join(f"WHEN '{k}' THEN {value_col} * {v!r}" for k, v in factors.items())
    return f"(CASE upper(trim({code_col})) {whens} END)"


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
