"""Counts by quarter of a case definition's population, for signals over time
(:mod:`pvsignal.analysis.trends`).

A report's time is the quarter of its case's kept (latest) version (``cases.quarter``,
carried by its ``case_drugs`` rows). One engine query per margin (a GROUP BY … quarter over
the staged report–drug and report–event sets, never a query per quarter), on DuckDB or
Spark. A case has one kept version, hence one quarter: every count here is a sum over cases,
so the counts of a set of quarters are sums of these, and the counts of a lake after an
update are the old ones minus the touched cases' old contributions plus their new ones
(:mod:`pvsignal.analysis.trend_store`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pvsignal.analysis.backends import backend_of, staged
from pvsignal.analysis.population import NO_GROUP_EVENT, CaseDefinition, case_population, population
from pvsignal.errors import ConfigError

#: the tables of :func:`quarter_counts` and their keys (besides ``quarter``)
KEYS = {"pairs": ["drug", "event"], "prior_pairs": ["drug", "event"], "drugs": ["drug"], "events": ["event"],
        "reports": []}


def quarter_counts(con: Any, definition: CaseDefinition, *, drug: str | None = None,
                   prior_sample: int = 1) -> dict[str, pd.DataFrame]:
    """Counts by quarter of the definition's population: ``pairs`` (drug, event, quarter, n),
    ``drugs`` (drug, quarter, n), ``events`` (event, quarter, n), ``reports`` (quarter, n).
    The population: reports with a drug in the definition's roles and an event, as for
    :func:`~pvsignal.analysis.counts.pair_counts_from_sets`. The distinct (report, event) and
    (report, drug, quarter) sets are staged once (the second restricted to reports with an
    event); each count is then one GROUP BY … quarter on them, a report's quarter being its
    drug rows' (its case's).

    ``prior_sample = 1``: ``pairs`` holds every pair (exact; the join of all report–drug and
    report–event rows, the costly step). ``prior_sample = k > 1`` (needs ``drug``): ``pairs``
    holds only ``drug``'s pairs, and ``prior_pairs`` the pairs of every k-th event ranked by
    report count (ties by name) — a frequency-stratified 1/k sample of events, deterministic on
    every engine — on which the MGPS priors are fitted; the join shrinks about k-fold."""
    if prior_sample < 1 or int(prior_sample) != prior_sample:
        raise ConfigError(f"prior_sample must be a whole number ≥ 1; got {prior_sample!r}")
    if prior_sample > 1 and drug is None:
        raise ConfigError("a sampled prior counts one drug's pairs: name the drug")
    if definition.comparator:  # per-drug margins (analysis.comparator) are not split by quarter
        raise ConfigError("signals over time do not take an active comparator (--comparator) yet")
    pop = case_population(con, definition, whole_lake=True)  # without case filters, ``cases`` is not read
    events = pop.events() if definition.event_level == "pt" else population(con, definition)[1]
    ib = backend_of(con)
    dr = pop.drug_rows  # case_drugs rows carry their case's quarter: no join with cases
    re0 = events.filter(events.report_id.notnull() & events.event.notnull()).select("report_id", "event").distinct()
    with staged(ib, re0) as re:
        rd0 = dr.filter(dr.caseid.notnull()).select(report_id=dr.caseid, drug=dr.ingredient, quarter=dr.quarter)
        with staged(ib, rd0.distinct().semi_join(re.select("report_id").distinct(), "report_id")) as rd:
            rq = rd.select("report_id", "quarter").distinct()  # one quarter per report (its case's)
            rqe = re.join(rq, "report_id")
            out = {
                "drugs": rd.group_by(["drug", "quarter"]).aggregate(n=rd.count()).to_pandas(),
                "events": rqe.group_by(["event", "quarter"]).aggregate(n=rqe.count()).to_pandas(),
                "reports": rq.group_by("quarter").aggregate(n=rq.count()).to_pandas(),
            }

            def pairs_of(left: Any, right: Any) -> pd.DataFrame:
                p = left.join(right, "report_id")  # the quarter is the drug row's (its case's)
                return p.group_by(["drug", "event", "quarter"]).aggregate(n=p.count()).to_pandas()

            if prior_sample == 1:
                out["pairs"] = pairs_of(rd, re)
            else:
                out["pairs"] = pairs_of(rd.filter(rd.drug == drug.strip().upper()), re)
                chosen = sampled_events(out["events"], int(prior_sample))
                out["prior_pairs"] = pairs_of(rd, re.filter(re.event.isin(chosen)))
    for name, keys in KEYS.items():
        if name in out:  # the same order on every engine
            out[name] = out[name].sort_values([*keys, "quarter"]).reset_index(drop=True)
    return out


def sampled_events(events: pd.DataFrame, k: int) -> list[str]:
    """Every ``k``-th event (the first, the (k+1)-th …) ranked by its total report count,
    descending, ties by name: a sample stratified over event frequency."""
    tot = events[events["event"] != NO_GROUP_EVENT].groupby("event", sort=True)["n"].sum().reset_index()
    ranked = tot.sort_values(["n", "event"], ascending=[False, True], kind="mergesort")["event"]
    return ranked.iloc[::k].tolist()
