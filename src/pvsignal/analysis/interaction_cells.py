"""The 2×2×2 interaction cells of a few named events, from case sets instead of a pass over every case.

:func:`~pvsignal.analysis.interactions.interaction_counts` for every event labels each
case of the universe (every case of the population with a reaction row, ≈ 16 M at 20 M
reports) with its exposure stratum and joins the event rows to it. For a few named events
the same cells follow from small sets and one count (Norén et al. 2008 notation, ``U`` the
universe, ``X``/``Y`` its cases exposed to the drug/perpetrator, ``E`` those with the event):

    n11_ = |X∩Y|   n10_ = |X∖Y|   n01_ = |Y∖X|   n00_ = |U| − |X∪Y|
    n111 = |X∩Y∩E| n101 = |X∖Y∩E| n011 = |Y∖X∩E| n001 = |E| − |(X∪Y)∩E|

Three engine queries — the exposed cases of the universe (drug and every perpetrator at
once), the event cases, and |U| (kept per lake build: :func:`universe_size`) — then set
sizes in pandas, for any number of perpetrators. Equal to the full pass (tested).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from pvsignal.analysis.population import Population
from pvsignal.stats.omega import STRATA_COLUMNS

#: up to this many named events, :func:`interaction_counts` counts by case sets
FEW_EVENTS = 50
_SIZES: dict[str, int] = {}  # universe sizes by query and the files beneath it (see universe_size)


def universe_size(backend: ibis.BaseBackend, reported: ir.Table) -> int:
    """|U|, the distinct cases of ``reported`` (a population's reaction rows): 2.7 s at 20 M
    reports, so on DuckDB kept per query and per the Parquet files its views read (a lake
    rebuilt or updated writes new files, so a new key); not kept when a table is in memory
    (its rows could change under the same name) nor on other engines."""
    expr = reported.caseid.nunique()
    key = None
    if backend.name == "duckdb":
        con = backend.con
        views = con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()
        names = {v for v, _ in views}
        if {"case_reactions", "cases", "case_drugs"} <= names:  # the prepared views over the lake's files
            key = hashlib.sha256(repr((str(ibis.to_sql(expr, dialect="duckdb")), views)).encode()).hexdigest()
            if key in _SIZES:
                return _SIZES[key]
    n = int(expr.execute())
    if key is not None:
        if len(_SIZES) > 64:
            _SIZES.clear()
        _SIZES[key] = n
    return n


def few_event_cells(pop: Population, x_names: Sequence[str], y_names: Sequence[Sequence[str]],
                    x_roles: Sequence[str], y_roles: Sequence[str], events: Sequence[str]) -> list[pd.DataFrame]:
    """For each perpetrator (its raw store names in ``y_names``), a frame with ``event`` (every
    one of ``events``, in that order) and :data:`STRATA_COLUMNS` (int64): the cells of
    (drug ``x_names``, perpetrator, event) in the population ``pop``. A case is exposed when
    it lists a name with one of the roles (``x_roles``, ``y_roles``)."""
    cd = pop.table("case_drugs")
    every = sorted({*x_names, *(n for names in y_names for n in names)})
    cd = cd.filter(cd.ingredient.isin(every))
    flags = {"x": (cd.ingredient.isin(list(x_names)) & cd.role_cod.isin(list(x_roles))).any()}
    for i, names in enumerate(y_names):
        flags[f"y{i}"] = (cd.ingredient.isin(list(names)) & cd.role_cod.isin(list(y_roles))).any()
    exposed = cd.group_by("caseid").aggregate(**flags)
    exposed = exposed.mutate(**{k: exposed[k].fill_null(False) for k in flags})
    exposed = exposed.filter(ibis.or_(*(exposed[k] for k in flags)))
    ev = pop.events()
    reported = ev.select(caseid=ev.report_id)
    xy = exposed.semi_join(reported, "caseid").execute().set_index("caseid")
    e = ev.filter(ev.event.isin(list(events))).select(caseid=ev.report_id, event=ev.event).distinct().execute()
    n_universe = universe_size(pop.backend, reported)
    e = e.join(xy, on="caseid").fillna({k: False for k in flags}).astype({k: bool for k in flags})
    n_event = e.groupby("event").size()
    x, ex = xy["x"].to_numpy(bool), e["x"].to_numpy(bool)
    out = []
    for i in range(len(y_names)):
        y, ey = xy[f"y{i}"].to_numpy(bool), e[f"y{i}"].to_numpy(bool)
        cells = pd.DataFrame({"event": e["event"], "n111": ex & ey, "n101": ex & ~ey, "n011": ~ex & ey})
        per = cells.groupby("event")[["n111", "n101", "n011"]].sum()
        per = per.reindex(list(events), fill_value=0)
        per["n001"] = n_event.reindex(list(events), fill_value=0) - per.sum(axis=1)
        per["n11_"], per["n10_"] = int((x & y).sum()), int((x & ~y).sum())
        per["n01_"], per["n00_"] = int((~x & y).sum()), n_universe - int((x | y).sum())
        out.append(per.rename_axis("event").reset_index()[["event", *STRATA_COLUMNS]]
                   .astype({c: "int64" for c in STRATA_COLUMNS}))
    return out
