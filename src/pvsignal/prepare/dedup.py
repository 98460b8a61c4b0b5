"""Case deduplication as FDA recommends, as engine-neutral Ibis expressions.

Rules, in order (FACTS.md §1.5):

1. **Deleted cases** — every DEMO row whose ``caseid`` appears on any quarter's
   ``Deleted/DELETEyyQq.txt`` list is removed.
2. **Old versions** — one report per ``caseid``: the FAERS version beats a legacy AERS
   one (a case present in both eras counts once, FAERS wins), then the largest
   ``fda_dt``, then the largest ``primaryid``.
3. **Probable duplicates** (optional, flagged not deleted) — different case ids that
   share either (a) event date, age, sex, reporter country, the set of ingredients
   and the set of PTs (all non-missing), or (b) manufacturer control number and
   sender. In each such group all but the latest report (rule 2 ordering) get
   ``probable_duplicate = true`` and ``duplicate_of`` = the kept caseid.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.types as ir


def _order(t: ir.Table) -> list:
    return [ibis.desc(t.era == "faers"), ibis.desc(t.fda_dt), ibis.desc(t.primaryid)]


def without_deleted(demo: ir.Table, deleted: ir.Table) -> ir.Table:
    """DEMO rows whose caseid is on no deleted list."""
    return demo.filter(~demo.caseid.isin(deleted.caseid))


def latest_versions(demo: ir.Table) -> ir.Table:
    """One DEMO row per caseid: FAERS before AERS, then latest fda_dt, then largest primaryid."""
    w = ibis.window(group_by=demo.caseid, order_by=_order(demo))
    ranked = demo.mutate(_rank=ibis.row_number().over(w))
    return ranked.filter(ranked._rank == 0).drop("_rank")


def _set_signature(t: ir.Table, col: str, prefix: str) -> ir.Table:
    """Per caseid, an order-free signature of the set of distinct ``col`` values.

    Four integers: set size, and the minimum, maximum and sum (of hash mod 2³¹ − 1, so
    the sum cannot overflow) of the values' hashes: aggregates every engine has, far
    cheaper than sorting and joining strings; two different sets sharing all four is
    vanishingly unlikely. Signatures are compared only within one run of one engine.
    """
    d = t.filter(t[col].notnull()).select("caseid", col).distinct()
    d = d.mutate(_h=d[col].hash())
    d = d.mutate(_m=(d._h % 2147483647).cast("int64"))
    return d.group_by("caseid").agg(**{
        f"{prefix}_n": d[col].count(), f"{prefix}_lo": d._h.min(),
        f"{prefix}_hi": d._h.max(), f"{prefix}_sum": d._m.sum(),
    })


def _in_shared_groups(t: ir.Table, keys: list[str]) -> ir.Table:
    """Rows of ``t`` with every key non-missing whose key values another row shares."""
    t = t.filter([t[k].notnull() for k in keys])
    shared = t.group_by(keys).agg(_k=t.count())
    shared = shared.filter(shared._k > 1).select(*keys)
    return t.semi_join(shared, keys)


def _flag(t: ir.Table, keys: list[str], rule: str) -> ir.Table:
    """``caseid, duplicate_of, duplicate_rule`` of every row but the first (rule-2 order) of each key group."""
    w = ibis.window(group_by=[t[k] for k in keys], order_by=_order(t))
    t = t.mutate(_rank=ibis.row_number().over(w), _kept=t.caseid.first().over(w))
    t = t.filter(t._rank > 0)
    return t.select("caseid", duplicate_of=t._kept, duplicate_rule=ibis.literal(rule))


def probable_duplicates(
    cases: ir.Table,
    drugs: ir.Table,
    reactions: ir.Table,
    stage: Callable[[str, ir.Table], ir.Table] | None = None,
) -> ir.Table:
    """``caseid, probable_duplicate, duplicate_of, duplicate_rule`` for every case.

    ``drugs`` needs ``caseid, ingredient``; ``reactions`` needs ``caseid, pt``. Only
    cases sharing event date, age, sex and country with another case get drug and PT
    set signatures, and only groups of two or more are ranked, so the cost follows the
    number of candidate duplicates, not the size of the lake. ``stage(name, expr)``, if
    given, materialises the candidates once (e.g. :meth:`Engine.stage`), which the
    engine would otherwise compute for each of their three uses.
    """
    sig = cases.select("caseid", "era", "fda_dt", "primaryid", "event_dt", "age", "sex", "reporter_country", "mfr_num", "mfr_sndr")
    demo_keys = ["event_dt", "age", "sex", "reporter_country"]
    cand = _in_shared_groups(sig, demo_keys)
    if stage is not None:
        cand = stage("duplicate_candidates", cand)
    ids = cand.select("caseid")
    dsets = _set_signature(drugs.semi_join(ids, "caseid"), "ingredient", "drug")
    rsets = _set_signature(reactions.semi_join(ids, "caseid"), "pt", "pt")
    cand = cand.join(dsets, "caseid").join(rsets, "caseid")
    set_keys = [c for c in cand.columns if c.startswith(("drug_", "pt_"))]
    a = _flag(_in_shared_groups(cand, demo_keys + set_keys), demo_keys + set_keys,
              "same event date, age, sex, country, drugs and events")
    mfr_keys = ["mfr_num", "mfr_sndr"]
    b = _flag(_in_shared_groups(sig, mfr_keys), mfr_keys, "same manufacturer control number and sender")
    flagged = a.union(b)
    w = ibis.window(group_by=flagged.caseid, order_by=[flagged.duplicate_rule])
    flagged = flagged.mutate(_rank=ibis.row_number().over(w))
    flagged = flagged.filter(flagged._rank == 0).drop("_rank")
    all_ids = cases.select("caseid")
    out = all_ids.left_join(flagged, all_ids.caseid == flagged.caseid)
    return out.select(
        caseid=all_ids.caseid,
        probable_duplicate=out.duplicate_of.notnull(),
        duplicate_of=out.duplicate_of,
        duplicate_rule=out.duplicate_rule,
    )
