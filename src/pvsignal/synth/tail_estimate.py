"""Calibration of the long tail: how many distinct pairs a plan gives, without writing a corpus.

:func:`estimate_pairs` simulates only the id draws of :mod:`pvsignal.synth.draw` and
:mod:`pvsignal.synth.tail` and names drugs as the pipeline does
(:func:`pipeline_ingredients`); checked against the lake's count table of a
200 000-report tail corpus (tail pairs within 1 %, head pairs 4 % high as it ignores λ).
"""

from __future__ import annotations

import numpy as np

import pvsignal.synth.vocab as vocab
from pvsignal.quarters import quarter_index, quarter_range
from pvsignal.synth.batch import ranges
from pvsignal.synth.draw import (DRUG_COUNT, DRUG_W, N_PT, N_VARIANT, PT_COUNT, PT_W, ROLE_W_REST, VARIANT_W, _counts,
                                 _pick, draw_sets)
from pvsignal.synth.format import DRUGNAMES_FAERS, PROD_AI
from pvsignal.synth.tail import draw_tail_ids, make_tail


def pipeline_ingredients() -> tuple[list[str], np.ndarray, np.ndarray]:
    """How the pipeline names the head's drug rows: ``(names, offsets, ids)``.

    Row ``(k·8 + variant)·2 + has_prod_ai`` of the CSR ``offsets``/``ids`` lists the
    ingredients (indices into ``names``) that :func:`pvsignal.prepare.drugs.ingredient_map`
    with the shipped synonym table gives a DRUG row of head ingredient ``k`` written with
    that drugname variant, with or without prod_ai: a brand missing from the synonym
    table, an unstripped salt or a combination written as one name become ingredients
    of their own, as they do in the lake. (Tail rows map to their own name.)
    """
    import ibis
    import pandas as pd

    from pvsignal.prepare.drugs import ingredient_map, load_synonyms

    combos = [(DRUGNAMES_FAERS[k * N_VARIANT + v], PROD_AI[k] if a else None)
              for k in range(len(vocab.INGREDIENTS)) for v in range(N_VARIANT) for a in (0, 1)]
    df = pd.DataFrame(combos, columns=["drugname", "prod_ai"]).astype("string").drop_duplicates()
    con = ibis.duckdb.connect()
    try:
        m = con.execute(ingredient_map(ibis.memtable(df), ibis.memtable(load_synonyms())))
    finally:
        con.disconnect()
    got: dict[tuple, list[str]] = {}
    for d, a, ing in zip(m.drugname, m.prod_ai, m.ingredient):
        got.setdefault((d, None if pd.isna(a) else a), []).append(ing)
    names = sorted({i for v in got.values() for i in v})
    index = {n: i for i, n in enumerate(names)}
    lists = [sorted({index[i] for i in got[c]}) for c in combos]
    offsets = np.concatenate(([0], np.cumsum([len(x) for x in lists])))
    return names, offsets, np.array([i for x in lists for i in x], dtype=np.int64)


def estimate_pairs(plan, quarters: str, reports_per_quarter: int, seed: int = 0, *, head: bool = False,
                   new_share: float | None = None) -> dict:
    """Distinct (suspect ingredient, PT) pairs the pipeline counts, by simulating id draws only.

    Per quarter the new cases (``new_share`` of the reports; default: what
    :func:`~pvsignal.synth.synthesize` leaves beside follow-up versions; deleted cases,
    0.3 % a quarter from 2019Q1, are not taken off) get head drugs (count, role,
    ingredient, drugname variant, prod_ai from 2014Q3) and head PTs as
    :func:`~pvsignal.synth.draw.draw_new` draws them but without λ (λ moves PTs between
    drugs, not their number), and tail items by :func:`draw_tail_ids`. Drugs are named as
    the pipeline names them (:func:`pipeline_ingredients`): a head ingredient can count as
    two or three (its brand, say), as in the lake's count table. Counts are cases per
    pair over suspect (PS, SS) ingredients. Pairs with a tail item are simulated in the
    reports that have one; head × head pairs (``head=True``) need every report and take
    most of the time. Returns the number of distinct pairs (with a tail item and, if
    simulated, head only and all), the share of pairs with one or two cases, and mean
    drug rows and PTs per case of the head and of the tail.
    """
    tail = make_tail(seed, plan)
    names, p_off, p_ids = pipeline_ingredients()
    n_head = len(names)
    qs = quarter_range(quarters)
    fu = min(plan.superseded_share * len(qs) / (len(qs) - 1), 0.6) if len(qs) > 1 else 0.0
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    kpt = N_PT + (len(tail.pts) if tail else 0)
    keys: list[np.ndarray] = []
    cnts: list[np.ndarray] = []
    tot = {"cases": 0, "head_drugs": 0, "head_pts": 0, "tail_drugs": 0, "tail_pts": 0}

    def head_items(n: int, t: float, with_ai: bool):
        """Distinct head suspects (pipeline ingredients) and distinct head PTs of ``n`` reports."""
        nd = _counts(rng, n, DRUG_COUNT[0] + DRUG_COUNT[1] * t, DRUG_COUNT[2], DRUG_COUNT[3])
        rep = np.repeat(np.arange(n), nd)
        first = np.r_[True, rep[1:] != rep[:-1]] if len(rep) else np.zeros(0, dtype=bool)
        sus = first | (_pick(rng, ROLE_W_REST, len(rep)) == 0)
        rep = rep[sus]
        ing = _pick(rng, DRUG_W, len(rep))
        ai = (rng.random(len(rep)) < 0.78) & with_ai
        combo = (ing * N_VARIANT + _pick(rng, VARIANT_W, len(rep))) * 2 + ai
        k = p_off[combo + 1] - p_off[combo]
        pid = p_ids[ranges(p_off[combo], k)]
        sk = np.unique(np.repeat(rep, k).astype(np.int64) * n_head + pid)
        npt = _counts(rng, n, PT_COUNT[0] + PT_COUNT[1] * t, PT_COUNT[2], PT_COUNT[3])
        prep, pt = draw_sets(rng, npt, PT_W)
        return (sk // n_head, sk % n_head), (prep, pt), int(nd.sum()), len(prep)

    def cross(drep, dcode, prep, pcode, n_rep):
        """All (drug, PT) keys of the same report (both inputs sorted by report)."""
        poff = np.searchsorted(prep, np.arange(n_rep + 1))
        npt = np.diff(poff)[drep]
        return np.repeat(dcode, npt).astype(np.int64) * kpt + pcode[ranges(poff[drep], npt)]

    for i, q in enumerate(qs):
        year = int(q[:4]) + (int(q[5]) - 1) / 4
        t = float(np.clip((year - 2004) / 20, 0, 1))
        with_ai = quarter_index(q) >= quarter_index("2014Q3")  # FAERS prod_ai column
        # the first quarter has no follow-up versions (nothing earlier to follow up)
        share = new_share if new_share is not None else (1.0 if i == 0 else 1 - fu)
        n = round(reports_per_quarter * share)
        tot["cases"] += n
        if head:
            (hd_rep, hd), (hp_rep, hp), nd, npt = head_items(n, t, with_ai)
            k = np.unique(cross(hd_rep, hd, hp_rep, hp, n), return_counts=True)
            keys.append(k[0])
            cnts.append(k[1])
            tot["head_drugs"] += nd
            tot["head_pts"] += npt
        if tail is None:
            continue
        ids = draw_tail_ids(rng, n, plan, tail)
        tot["tail_drugs"] += len(ids.drug_rep)
        tot["tail_pts"] += len(ids.pt_rep)
        sus_t = ids.drug_role <= 1
        touched = np.unique(np.concatenate([ids.drug_rep[sus_t], ids.pt_rep]))
        loc = np.searchsorted(touched, np.arange(n)).clip(0, max(len(touched) - 1, 0))
        (hd_rep, hd), (hp_rep, hp), _, _ = head_items(len(touched), t, with_ai)
        big = 1 << 20
        td = np.unique(loc[ids.drug_rep[sus_t]].astype(np.int64) * big + ids.drug_ing[sus_t])
        td_rep, td_code = td // big, n_head + td % big
        tp_rep, tp_code = loc[ids.pt_rep], N_PT + ids.pt
        order = np.lexsort((np.r_[hd, td_code], np.r_[hd_rep, td_rep]))
        d_rep, d_code = np.r_[hd_rep, td_rep][order], np.r_[hd, td_code][order]
        # (any suspect × tail PT) and (tail suspect × head PT)
        k = np.unique(np.r_[cross(d_rep, d_code, tp_rep, tp_code, len(touched)),
                            cross(td_rep, td_code, hp_rep, hp, len(touched))], return_counts=True)
        keys.append(k[0])
        cnts.append(k[1])
    key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    cnt = np.concatenate(cnts) if cnts else np.zeros(0, dtype=np.int64)
    order = np.argsort(key, kind="stable")
    key, cnt = key[order], cnt[order]
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=np.int64)
    per_pair = np.add.reduceat(cnt, start) if len(key) else cnt
    pair_key = key[start] if len(key) else key
    is_tail = (pair_key // kpt >= n_head) | (pair_key % kpt >= N_PT)
    cases = tot["cases"]

    def share_le2(mask):
        return float((per_pair[mask] <= 2).mean()) if mask.any() else float("nan")

    out = {
        "cases": cases,
        "pairs_with_tail": int(is_tail.sum()),
        "share_tail_pairs_n_le_2": share_le2(is_tail),
        "tail_drug_rows_per_case": tot["tail_drugs"] / cases,
        "tail_pts_per_case": tot["tail_pts"] / cases,
    }
    if head:
        out.update(
            pairs=len(per_pair), pairs_head=int((~is_tail).sum()),
            share_pairs_n_le_2=share_le2(np.ones(len(per_pair), dtype=bool)),
            share_pairs_n_1=float((per_pair == 1).mean()) if len(per_pair) else float("nan"),
            head_drug_rows_per_case=tot["head_drugs"] / cases, head_pts_per_case=tot["head_pts"] / cases,
        )
    return out
