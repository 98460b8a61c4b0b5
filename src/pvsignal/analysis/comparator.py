"""The pair-count table of a case definition, with or without an active comparator.

:func:`definition_counts` is the one entry for signals (DuckDB and Spark): the usual
query (:func:`~pvsignal.analysis.counts.pair_counts_from_sets`) or, with
``definition.comparator``, :func:`comparator_counts` — each drug X against the
comparator C, reports naming both left out of X's table (see
:mod:`~pvsignal.analysis.background`). Both are Ibis expressions with the columns of
:data:`~pvsignal.analysis.counts.PAIR_COLUMNS`.
"""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir

from pvsignal.analysis.counts import with_cells, pair_counts_from_sets
from pvsignal.analysis.population import CaseDefinition, case_population, population
from pvsignal.errors import ConfigError


def comparator_counts(drugs: ir.Table, events: ir.Table, comparator: str, min_count: int = 1) -> ir.Table:
    """Active-comparator counts of every drug X ≠ ``comparator`` (C) with an event E.

    ``drugs`` (report_id, drug) and ``events`` (report_id, event) as for
    :func:`~pvsignal.analysis.counts.pair_counts_from_sets` (reports need a drug and an
    event). With X∖C the reports naming X but not C and C∖X those naming C but not X:
    ``n`` = a = |X∖C ∩ E|, ``n_drug`` = |X∖C|, ``n_event`` = a + |C∖X ∩ E|,
    ``n_total`` = |X∖C| + |C∖X|, cells a, b, c, d and ``expected`` = n_drug·n_event/n_total
    as in the usual table. Pairs with ``n ≥ min_count`` (≥ 1: a pair seen only in reports
    naming both has no row).
    """
    rd0 = drugs.filter(drugs.report_id.notnull() & drugs.drug.notnull()).select("report_id", "drug").distinct()
    re0 = events.filter(events.report_id.notnull() & events.event.notnull()).select("report_id", "event").distinct()
    rd = rd0.semi_join(re0.select("report_id").distinct(), "report_id")
    re = re0.semi_join(rd.select("report_id").distinct(), "report_id")
    c_ids = rd.filter(rd.drug == comparator).select("report_id").distinct()
    x = rd.filter(rd.drug != comparator)
    x_only, x_in_c = x.anti_join(c_ids, "report_id"), x.semi_join(c_ids, "report_id")
    re_c = re.semi_join(c_ids, "report_id")
    j = x_only.join(re, "report_id")
    pairs = j.group_by(["drug", "event"]).aggregate(n=j.count())
    pairs = pairs.filter(pairs.n >= max(1, int(min_count)))
    n_drug = x_only.group_by("drug").aggregate(n_drug=x_only.count())
    both = x_in_c.group_by("drug").aggregate(n_both=x_in_c.count())
    c_event = re_c.group_by("event").aggregate(c_event=re_c.count())
    jb = x_in_c.join(re_c, "report_id")
    both_event = jb.group_by(["drug", "event"]).aggregate(n_both_event=jb.count())
    n_comp = c_ids.aggregate(n_comp=c_ids.count())
    t = pairs.join(n_drug, "drug")
    t = t.left_join(both, t.drug == both.drug).select(*t.columns, n_both=both.n_both.fill_null(0))
    t = t.left_join(c_event, t.event == c_event.event).select(*t.columns, c_event=c_event.c_event.fill_null(0))
    t = t.left_join(both_event, (t.drug == both_event.drug) & (t.event == both_event.event)).select(
        *t.columns, n_both_event=both_event.n_both_event.fill_null(0))
    t = t.cross_join(n_comp)
    t = t.select("drug", "event", "n", "n_drug", n_event=t.n + t.c_event - t.n_both_event,
                 n_total=t.n_drug + t.n_comp - t.n_both)
    return with_cells(t)


def definition_counts(source: Any, definition: CaseDefinition, min_count: int = 1) -> ir.Table:
    """The pair-count expression of ``definition`` over the prepared views of ``source``."""
    if not definition.comparator:
        drugs, events, strata = population(source, definition)
        return pair_counts_from_sets(drugs, events, strata, definition.strata, min_count=min_count)
    if definition.drug_level != "ingredient":
        raise ConfigError("an active comparator is an ingredient: use it at the ingredient level (no --drug-level class)")
    case_population(source, definition, whole_lake=True)  # checks that the comparator (and other names) exist
    drugs, events, _ = population(source, definition.replace(comparator=None))  # every drug row: X∖C needs them
    return comparator_counts(drugs, events, definition.comparator, min_count)
