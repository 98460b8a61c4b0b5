"""Drug–event pair counts and margins: the one query behind every disproportionality statistic.

The input is a *reports relation*: an Ibis table with one row per report × drug × event
and columns ``report_id, drug, event`` (plus optional stratum columns). Rows only say
which drugs and which events a report has: a report counts for the pair (drug, event)
when it has both, whether or not they share a row, and repeated rows count once. Over
the population of distinct reports (those with at least one drug and one event), for
each (drug, event) pair with at least one report:

* ``n`` = reports with the drug and the event (cell a),
* ``n_drug`` = reports with the drug (a + b), ``n_event`` = reports with the event (a + c),
* ``n_total`` = N, the reports in the population (a + b + c + d; not named ``N``
  because SQL engines fold case and ``N`` would clash with ``n``),
* ``b = n_drug − n``, ``c = n_event − n``, ``d = N − n_drug − n_event + n``,
* ``expected`` = n_drug·n_event/N, or with strata s the stratified expected count
  E = Σ_s n_drug,s · n_event,s / N_s (DuMouchel, Am Stat 1999;53:177–190, §2).

Everything is an Ibis expression, so the same definition runs on DuckDB (default) and on
Spark. Rows with a null ``report_id``, ``drug`` or ``event`` are outside the population
(:func:`pvsignal.store.reports_table.read_reports` counts them and keeps them as rejects).
A report's stratum is the smallest value of each stratum column over its rows (a report
should have one value; this rule keeps the result deterministic when it does not); a null
stratum value is a stratum of its own.

FAERS data can skip the product rows: :func:`pair_counts_from_sets` takes the
(report_id, drug) and (report_id, event) sets (e.g. built from ``case_drugs`` and
``case_reactions``) and a per-report strata table, and runs the same query.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from pvsignal.errors import InputFileError
from pvsignal.store.reports_table import REPORT_COLUMNS

#: Columns of :func:`pair_counts` (``expected_crude`` is added with strata).
PAIR_COLUMNS = (
    "drug", "event", "n", "n_drug", "n_event", "n_total", "a", "b", "c", "d", "expected",
)


def _require(t: ir.Table, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in t.columns]
    if missing:
        raise InputFileError(
            f"the {what} lacks column(s) {', '.join(missing)}; it has {', '.join(t.columns)}"
        )


def _check_strata(strata: Sequence[str]) -> None:
    clash = [s for s in strata if s in (*REPORT_COLUMNS, "stratum_id")]
    if clash:
        raise InputFileError(
            f"stratum column(s) {', '.join(clash)} clash with report_id/drug/event/stratum_id"
        )


def _split(reports: ir.Table) -> tuple[ir.Table, ir.Table, ir.Table]:
    """Rows with no null key, and the distinct (report_id, drug), (report_id, event) sets."""
    ok = reports.filter(
        reports.report_id.notnull() & reports.drug.notnull() & reports.event.notnull()
    )
    return ok, ok.select("report_id", "drug").distinct(), ok.select("report_id", "event").distinct()


def _report_strata(rows: ir.Table, strata: Sequence[str]) -> tuple[ir.Table, ir.Table]:
    """(report_id, stratum_id) per report from ``rows``, and the lookup stratum_id → values.

    A report's value of each stratum column is its smallest over its rows; ``stratum_id``
    is a dense integer over the distinct combinations (nulls included as a value).
    """
    per_report = rows.group_by("report_id").aggregate(**{s: rows[s].min() for s in strata})
    keys = per_report.select(*strata).distinct()
    keys = keys.mutate(stratum_id=ibis.dense_rank().over(order_by=[keys[s] for s in strata]))
    cond = [
        (per_report[s] == keys[s]) | (per_report[s].isnull() & keys[s].isnull()) for s in strata
    ]
    rs = per_report.inner_join(keys, cond).select(
        report_id=per_report.report_id, stratum_id=keys.stratum_id.cast("int64")
    )
    return rs, keys


def _margins(rd: ir.Table, re: ir.Table, pop: ir.Table | None) -> tuple[ir.Table, ir.Table, ir.Table]:
    drugs = rd.group_by("drug").aggregate(n_drug=rd.count())
    events = re.group_by("event").aggregate(n_event=re.count())
    total = rd.aggregate(n_total=rd.report_id.nunique()) if pop is None else pop.aggregate(n_total=pop.count())
    return drugs, events, total


def with_cells(t: ir.Table, expected: ir.Value | None = None) -> ir.Table:
    """The 2×2 cells a–d (int64) and the expected count E from ``n, n_drug, n_event, n_total``
    (E = n_drug·n_event/N unless ``expected`` is given) — one formula for every count table."""
    t = t.mutate(
        n=t.n.cast("int64"), n_drug=t.n_drug.cast("int64"),
        n_event=t.n_event.cast("int64"), n_total=t.n_total.cast("int64"),
    )
    t = t.mutate(
        a=t.n, b=t.n_drug - t.n, c=t.n_event - t.n, d=t.n_total - t.n_drug - t.n_event + t.n,
    )
    if expected is None:
        return t.mutate(expected=t.n_drug.cast("float64") * t.n_event / t.n_total)
    return t.mutate(expected=expected)


def _counts(
    rd: ir.Table,
    re: ir.Table,
    rs: ir.Table | None,
    min_count: int,
    *,
    pairs_from: tuple[ir.Table, ir.Table] | None = None,
    pop: ir.Table | None = None,
) -> tuple[ir.Table, ir.Table | None]:
    """Pair counts with crude margins; with strata also the per-stratum long table.

    ``rd``/``re`` are the (report, drug) and (report, event) sets of the population;
    ``pairs_from`` optionally gives supersets whose join yields the same pairs (a join
    keeps only reports having both, so the population filter can be skipped there);
    ``pop`` the population's distinct report ids (default: counted from ``rd``).
    """
    if min_count < 1:
        raise ValueError("min_count must be at least 1 (only reported pairs are counted)")
    drugs, events, total = _margins(rd, re, pop)
    jd, je = pairs_from or (rd, re)
    joined = jd.inner_join(je, "report_id")
    if rs is None:
        pairs = joined.group_by(["drug", "event"]).aggregate(n=joined.count())
        long = None
    else:
        js = joined.inner_join(rs, "report_id")
        pair_s = js.group_by(["drug", "event", "stratum_id"]).aggregate(a_s=js.count())
        pairs = pair_s.group_by(["drug", "event"]).aggregate(n=pair_s.a_s.sum())
    pairs = pairs.filter(pairs.n >= min_count)
    crude = (
        pairs.inner_join(drugs, "drug").inner_join(events, "event").cross_join(total)
        .select("drug", "event", "n", "n_drug", "n_event", "n_total")
    )
    if rs is not None:
        rds = jd.inner_join(rs, "report_id")  # rs lists only population reports
        drug_s = rds.group_by(["drug", "stratum_id"]).aggregate(n_drug_s=rds.count())
        res = je.inner_join(rs, "report_id")
        event_s = res.group_by(["event", "stratum_id"]).aggregate(n_event_s=res.count())
        n_s = rs.group_by("stratum_id").aggregate(n_total_s=rs.count())
        lj = (
            pairs.select("drug", "event")
            .inner_join(drug_s, "drug")
            .inner_join(event_s, ["event", "stratum_id"])
            .inner_join(n_s, "stratum_id")
            .left_join(pair_s, ["drug", "event", "stratum_id"])
        )
        long = lj.select(
            "drug", "event", "stratum_id",
            a_s=lj.a_s.fill_null(0).cast("int64"),
            n_drug_s=lj.n_drug_s.cast("int64"),
            n_event_s=lj.n_event_s.cast("int64"),
            n_total_s=lj.n_total_s.cast("int64"),
        )
    return crude, long


def _stratified(crude: ir.Table, long: ir.Table) -> ir.Table:
    e_s = long.group_by(["drug", "event"]).aggregate(
        expected=(long.n_drug_s.cast("float64") * long.n_event_s / long.n_total_s).sum()
    )
    out = crude.inner_join(e_s, ["drug", "event"])
    out = with_cells(out, out.expected)
    return out.mutate(expected_crude=out.n_drug.cast("float64") * out.n_event / out.n_total)


def _long_cells(long: ir.Table, keys: ir.Table, strata: Sequence[str]) -> ir.Table:
    t = long.inner_join(keys, "stratum_id")
    return t.select(
        "drug", "event", "stratum_id", *strata,
        a=t.a_s,
        b=t.n_drug_s - t.a_s,
        c=t.n_event_s - t.a_s,
        d=t.n_total_s - t.n_drug_s - t.n_event_s + t.a_s,
        n_total_s=t.n_total_s,
    )


def pair_counts(
    reports: ir.Table, strata: Sequence[str] | None = None, min_count: int = 1
) -> ir.Table:
    """Counts, margins, 2×2 cells and expected count of every reported drug–event pair.

    ``reports`` has columns ``report_id, drug, event`` (+ ``strata``). Returns an Ibis
    expression with columns ``drug, event, n, n_drug, n_event, n_total, a, b, c, d,
    expected`` (int64 counts, float64 expected). With ``strata`` the ``expected`` column
    is the stratified E = Σ_s n_drug,s·n_event,s/N_s, summed over the strata where both
    drug and event occur (DuMouchel 1999), and ``expected_crude`` = n_drug·n_event/N is
    added. Margins are computed over the whole population *before* ``min_count`` keeps
    the pairs with ``n ≥ min_count``.
    """
    strata = list(strata or [])
    _require(reports, [*REPORT_COLUMNS, *strata], "reports relation")
    _check_strata(strata)
    rows, rd, re = _split(reports)
    if not strata:
        crude, _ = _counts(rd, re, None, min_count)
        return with_cells(crude)
    rs, _ = _report_strata(rows, strata)
    crude, long = _counts(rd, re, rs, min_count)
    return _stratified(crude, long)


def stratum_counts(reports: ir.Table, strata: Sequence[str], min_count: int = 1) -> ir.Table:
    """Per-stratum 2×2 cells of each pair, in long format, for Mantel–Haenszel.

    One row per (drug, event, stratum) where both the drug and the event occur in the
    stratum (other strata add nothing to the Mantel–Haenszel sums), for the pairs with
    ``n ≥ min_count`` overall. Columns: ``drug, event, stratum_id`` (dense integer id),
    the stratum columns, ``a, b, c, d`` (int64) and ``n_total_s`` (= N_s).
    """
    strata = list(strata)
    if not strata:
        raise ValueError("stratum_counts needs at least one stratum column")
    _require(reports, [*REPORT_COLUMNS, *strata], "reports relation")
    _check_strata(strata)
    rows, rd, re = _split(reports)
    rs, keys = _report_strata(rows, strata)
    _, long = _counts(rd, re, rs, min_count)
    return _long_cells(long, keys, strata)


def pair_counts_from_sets(
    drugs: ir.Table,
    events: ir.Table,
    report_strata: ir.Table | None = None,
    strata: Sequence[str] | None = None,
    min_count: int = 1,
    *,
    long: bool = False,
) -> ir.Table:
    """:func:`pair_counts` (or, with ``long=True``, :func:`stratum_counts`) from split inputs.

    ``drugs`` has ``report_id, drug``; ``events`` has ``report_id, event``;
    ``report_strata`` has ``report_id`` and the ``strata`` columns, one row per report
    (a report missing from it falls in the null stratum). The population is the reports
    having at least one drug and one event; nulls are left out as in :func:`pair_counts`.
    """
    strata = list(strata or [])
    _require(drugs, ["report_id", "drug"], "drugs relation")
    _require(events, ["report_id", "event"], "events relation")
    _check_strata(strata)
    rd0 = drugs.filter(drugs.report_id.notnull() & drugs.drug.notnull()).select("report_id", "drug").distinct()
    re0 = events.filter(events.report_id.notnull() & events.event.notnull()).select("report_id", "event").distinct()
    with_drug = rd0.select("report_id").distinct()
    with_event = re0.select("report_id").distinct()
    pop = with_drug.semi_join(with_event, "report_id")
    rd = rd0.semi_join(with_event, "report_id")
    re = re0.semi_join(with_drug, "report_id")
    sets = {"pairs_from": (rd0, re0), "pop": pop}
    if not strata:
        if long:
            raise ValueError("long=True needs strata")
        crude, _ = _counts(rd, re, None, min_count, **sets)
        return with_cells(crude)
    if report_strata is None:
        raise ValueError("strata given without a report_strata table")
    _require(report_strata, ["report_id", *strata], "report strata relation")
    rows = pop.left_join(report_strata.select("report_id", *strata), "report_id")
    rows = rows.select("report_id", *strata)
    rs, keys = _report_strata(rows, strata)
    crude, lt = _counts(rd, re, rs, min_count, **sets)
    return _long_cells(lt, keys, strata) if long else _stratified(crude, lt)


def execute(expr: ir.Table, *, sort: bool = True) -> pd.DataFrame:
    """Run a counts expression on its backend and return a pandas DataFrame.

    ``sort`` orders rows by drug, event (and stratum) so results are reproducible
    across engines.
    """
    if sort:
        keys = [c for c in ("drug", "event", "stratum_id") if c in expr.columns]
        expr = expr.order_by(keys)
    return expr.to_pandas()
