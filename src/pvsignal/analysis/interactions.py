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
``case_drugs`` and ``case_reactions`` in one DuckDB query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from pvsignal.errors import UnknownNameError
from pvsignal.stats.omega import STRATA_COLUMNS, margins_to_strata, omega, stratified_ror  # noqa: F401 (re-exported)

#: FAERS role codes that count as exposure by default for Ω (UMC practice: suspect and
#: interacting drugs; a drug reported only as concomitant falls into the background).
#: Hult S et al. Drug Saf 2020;43:775–785; PVomega R/omega.R (FACTS-2 §2.1 item 12).
DEFAULT_EXPOSURE_ROLES: tuple[str, ...] = ("PS", "SS", "I")
#: Roles under which a co-reported perpetrator is counted (any mention).
ALL_ROLES: tuple[str, ...] = ("PS", "SS", "C", "I")



# --------------------------------------------------------------------------- store queries


def _knowledge(knowledge):
    from pvsignal.knowledge import Knowledge, load_knowledge

    return knowledge if isinstance(knowledge, Knowledge) else load_knowledge(knowledge)


def _roles(roles: Iterable[str] | str) -> list[str]:
    if isinstance(roles, str):
        roles = roles.split(",")
    out = [r.strip().upper() for r in roles if r.strip()]
    bad = [r for r in out if r not in ALL_ROLES]
    if bad or not out:
        raise UnknownNameError(f"unknown role code(s) {', '.join(bad) or '(none)'}: use PS, SS, C or I")
    return out


def _store_names(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT ingredient FROM case_drugs WHERE ingredient IS NOT NULL").fetchall()]


def _drug_names(kn, names: list[str], drug: str) -> tuple[str, list[str]]:
    """The ingredient for ``drug`` and the raw store names that resolve to it."""
    from pvsignal.knowledge.perpetrators import normalise_name

    target = kn.names.resolve(drug) or kn.names._strip_salts(normalise_name(drug))
    raw = [n for n in names if (kn.names.resolve(n) or kn.names._strip_salts(normalise_name(n))) == target]
    if not raw:
        import difflib

        near = difflib.get_close_matches(normalise_name(drug), names, n=5, cutoff=0.6)
        hint = f" Close names in the data: {', '.join(n.lower() for n in near)}." if near else ""
        raise UnknownNameError(f"drug {drug!r} is not reported in case_drugs.{hint}")
    return target, raw


def _unknown_events(con, absent: list[str]) -> None:
    import difflib

    pts = [r[0] for r in con.execute("SELECT DISTINCT pt FROM case_reactions WHERE pt IS NOT NULL").fetchall()]
    msgs = []
    for e in absent:
        near = difflib.get_close_matches(e, pts, n=5, cutoff=0.6)
        msgs.append(f"{e.lower()!r}" + (f" (close: {', '.join(n.lower() for n in near)})" if near else ""))
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
    raw = [n for n in names if kn.names.resolve(n) in members]
    return Perpetrator(label, tuple(sorted(members)), tuple(sorted(raw)))


_COUNTS_SQL = """
WITH exposed AS (
    SELECT caseid,
           bool_or(list_contains($x_names, ingredient) AND list_contains($x_roles, role_cod)) AS x,
           bool_or(list_contains($y_names, ingredient) AND list_contains($y_roles, role_cod)) AS y
    FROM case_drugs
    WHERE list_contains($x_names, ingredient) OR list_contains($y_names, ingredient)
    GROUP BY caseid
),
strata AS (
    SELECT u.caseid, coalesce(e.x, false) AS x, coalesce(e.y, false) AS y
    FROM (SELECT DISTINCT caseid FROM case_reactions) u LEFT JOIN exposed e USING (caseid)
),
sizes AS (
    SELECT count(*) FILTER (WHERE x AND y)         AS n11_,
           count(*) FILTER (WHERE x AND NOT y)     AS n10_,
           count(*) FILTER (WHERE NOT x AND y)     AS n01_,
           count(*) FILTER (WHERE NOT x AND NOT y) AS n00_
    FROM strata
),
ev AS (
    SELECT DISTINCT caseid, pt FROM case_reactions
    WHERE $all_events OR list_contains($events, pt)
),
cells AS (
    SELECT ev.pt AS event,
           count(*) FILTER (WHERE x AND y)         AS n111,
           count(*) FILTER (WHERE x AND NOT y)     AS n101,
           count(*) FILTER (WHERE NOT x AND y)     AS n011,
           count(*) FILTER (WHERE NOT x AND NOT y) AS n001
    FROM ev JOIN strata s USING (caseid)
    GROUP BY ev.pt
    HAVING count(*) FILTER (WHERE x AND y) >= $min_n111
)
-- LEFT JOIN keeps the stratum sizes (event NULL) when no event row qualifies
SELECT c.event, c.n111, s.n11_, c.n101, s.n10_, c.n011, s.n01_, c.n001, s.n00_
FROM sizes s LEFT JOIN cells c ON TRUE
ORDER BY c.event
"""


def interaction_counts(
    con,
    drug: str,
    perpetrator: str,
    events: Sequence[str] | str | None = None,
    *,
    roles: Iterable[str] | str = DEFAULT_EXPOSURE_ROLES,
    perpetrator_roles: Iterable[str] | str | None = None,
    min_n111: int = 0,
    knowledge=None,
) -> pd.DataFrame:
    """The 2×2×2 counts for (drug, perpetrator, event) triples from the prepared views.

    ``con`` is a DuckDB connection with ``case_drugs`` (caseid, ingredient, role_cod) and
    ``case_reactions`` (caseid, pt). ``perpetrator`` is a class (``strong-cyp3a4-inhibitor``,
    ``cyp3a4-inhibitor``, ``pgp-inhibitor``…; the drug itself is left out of its class) or one
    drug name. A case is exposed to the drug (perpetrator) when it lists it with a role in
    ``roles`` (``perpetrator_roles``, default the same); default PS, SS and I (UMC practice).
    The universe is every distinct caseid in ``case_reactions`` (n___). Names in the store
    resolve through the knowledge synonyms and salt forms.

    ``events``: one PT, a list, or None for every PT (then ``min_n111`` drops triples with
    fewer co-exposed cases). All cells come from one SQL query. Returns a DataFrame with
    columns ``event`` and :data:`STRATA_COLUMNS` (a requested event absent from the data gets
    event counts of 0), with ``attrs`` recording drug, perpetrator and roles.
    """
    kn = _knowledge(knowledge)
    x_roles = _roles(roles)
    y_roles = _roles(perpetrator_roles) if perpetrator_roles is not None else x_roles
    names = _store_names(con)
    ingredient, x_names = _drug_names(kn, names, drug)
    perp = _perpetrator(kn, names, perpetrator, exclude=ingredient)
    if isinstance(events, str):
        events = [events]
    wanted = [e.strip().upper() for e in events] if events is not None else []
    params = {
        "x_names": x_names, "y_names": list(perp.raw_names) or [""], "x_roles": x_roles, "y_roles": y_roles,
        "all_events": events is None, "events": wanted or [""], "min_n111": int(min_n111),
    }
    df = con.execute(_COUNTS_SQL, params).df()
    sizes = df[["n11_", "n10_", "n01_", "n00_"]].iloc[0]
    df = df[df["event"].notna()]
    if events is not None:
        df = df.set_index("event").reindex(wanted).fillna(0)
        for col, v in sizes.items():
            df[col] = v
        df = df.rename_axis("event").reset_index()
        absent = df.loc[df[["n111", "n101", "n011", "n001"]].sum(axis=1) == 0, "event"].tolist()
        if absent:
            _unknown_events(con, absent)
    df = df[["event", *STRATA_COLUMNS]].astype({c: "int64" for c in STRATA_COLUMNS})
    df.attrs.update(
        drug=ingredient, perpetrator=perp.label, perpetrator_ingredients=list(perp.ingredients),
        roles=x_roles, perpetrator_roles=y_roles,
    )
    return df


def interaction_signals(
    con,
    drug: str,
    perpetrator: str,
    events: Sequence[str] | str | None = None,
    *,
    roles: Iterable[str] | str = DEFAULT_EXPOSURE_ROLES,
    perpetrator_roles: Iterable[str] | str | None = None,
    min_n111: int = 0,
    alpha: float = 0.5,
    level: float = 0.95,
    knowledge=None,
) -> pd.DataFrame:
    """Ω (with its exact interval) and the stratified ROR for (drug, perpetrator, event) triples.

    Counts from :func:`interaction_counts` (same arguments), statistics from :func:`omega`
    and :func:`stratified_ror` over all triples at once. One row per event, sorted by
    ``omega_lower`` (Ω025 at level 0.95) descending; ``signal`` is ``omega_lower > 0``.
    Columns also record the case definition: ``drug``, ``perpetrator``, ``roles``,
    ``perpetrator_roles``, ``alpha``, ``level``.
    """
    counts = interaction_counts(
        con, drug, perpetrator, events, roles=roles, perpetrator_roles=perpetrator_roles,
        min_n111=min_n111, knowledge=knowledge,
    )
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
    out = out.sort_values(["omega_lower", "n111"], ascending=[False, False], na_position="last").reset_index(drop=True)
    out.attrs.update(a)
    return out


@dataclass
class CoReported:
    """Perpetrators co-reported with a drug: ``by_drug``, ``by_class`` and the drug's case count."""

    drug: str
    n_drug_cases: int
    by_drug: pd.DataFrame
    by_class: pd.DataFrame


_CO_SQL = """
WITH drug_cases AS (
    SELECT DISTINCT caseid FROM case_drugs
    WHERE list_contains($x_names, ingredient) AND list_contains($x_roles, role_cod)
),
m AS (SELECT unnest($raw) AS name, unnest($ing) AS ingredient, unnest($cls) AS class),
hits AS (
    SELECT DISTINCT d.caseid, m.ingredient, m.class
    FROM case_drugs d JOIN drug_cases USING (caseid) JOIN m ON d.ingredient = m.name
    WHERE list_contains($y_roles, d.role_cod)
)
SELECT 'drug' AS level, ingredient AS key, count(DISTINCT caseid) AS n_cases FROM hits GROUP BY ingredient
UNION ALL
SELECT 'class', class, count(DISTINCT caseid) FROM hits GROUP BY class
UNION ALL
SELECT 'total', '', count(*) FROM drug_cases
"""


def co_reported_perpetrators(
    con,
    drug: str,
    *,
    classes: Sequence[str] | str | None = None,
    roles: Iterable[str] | str = DEFAULT_EXPOSURE_ROLES,
    perpetrator_roles: Iterable[str] | str = ALL_ROLES,
    knowledge=None,
) -> CoReported:
    """How many of a drug's cases also list a perpetrator, by perpetrator drug and by class.

    Cases of ``drug`` are those listing it with a role in ``roles`` (default PS, SS, I); a
    perpetrator counts under any role in ``perpetrator_roles`` (default all, since
    co-medication is often reported as concomitant). ``classes``: class names (default every
    CYP3A and P-gp inhibitor and inducer class, by strength). ``by_drug`` has columns
    ``ingredient, classes, n_cases, pct`` (percent of the drug's cases); ``by_class`` has
    ``class, n_cases, pct``. One SQL query over the prepared views.
    """
    from pvsignal.knowledge.perpetrators import class_label

    kn = _knowledge(knowledge)
    x_roles, y_roles = _roles(roles), _roles(perpetrator_roles)
    names = _store_names(con)
    ingredient, x_names = _drug_names(kn, names, drug)
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
    res = con.execute(
        _CO_SQL, {"x_names": x_names, "x_roles": x_roles, "y_roles": y_roles,
                  "raw": raw or [""], "ing": ing or [""], "cls": cls or [""]},
    ).df()
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
