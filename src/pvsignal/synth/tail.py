"""Optional long tail of rare drugs and rare events (``Plan.tail_ingredients``, ``Plan.tail_pts``).

The head vocabulary (:mod:`~pvsignal.synth.vocab`: 233 ingredients, which the pipeline
sees as ~480 ingredient names since brands missing from its synonym table count apart, and
339 PTs) gives a 20 M-report corpus only ~163 000 distinct (suspect ingredient, PT) pairs;
real FAERS has about 2 million, most of them rare (about half reported once or twice).
The tail adds that long tail without touching the head machinery:

* **Vocabulary.** ``tail_ingredients`` synthetic ingredient names, INN-like but never
  real: two or three syllables, the first one starting with W, Y or J (as INNs almost
  never do, so the names are not real drug names), then a real INN stem (-TINIB,
  -PRIL, -OLOL, -VASTATIN, -ZUMAB …), e.g. ``YOBAFITINIB``; and ``tail_pts``
  MedDRA-style event names (``"Splenic fibrosis"``, ``"Chronic renal calcification"``,
  ``"Blood zinc decreased"``, ``"Klebsiella test positive"``), mixed case like the
  FAERS PTs. Both lists are unique, disjoint from the head (PTs compared without case),
  drawn from their own random streams of the seed, and in popularity order; the first
  ``k`` names do not depend on how many are asked for.
* **Reports.** Each new report gets, with probability ``tail_drug_rate``,
  ``1 + Poisson(tail_drug_extra)`` tail drug rows and, with probability
  ``tail_pt_rate``, ``1 + Poisson(tail_pt_extra)`` tail PT draws (duplicates within a
  report dropped), both from Zipf–Mandelbrot weights ``1/(rank + q)^s`` over the tail
  (``tail_drug_zipf``/``tail_drug_q``, ``tail_pt_zipf``/``tail_pt_q``). The first tail
  drug of a report is its primary suspect with probability ``tail_ps_share`` (drug_seq 1;
  the head PS becomes SS, so it stays a suspect; in a voclosporin report, whose PS is
  planted, the tail drug is SS instead);
  every other tail row is SS, C or I with weights ``TAIL_ROLE_W``. Tail drug rows have
  drugname and (78 %) prod_ai like head rows, no THER/INDI rows.
* **Independence.** Tail items are drawn after the background and the planted signals,
  independently of the report's content, from a stream of their own: every pair with a
  tail drug or a tail PT has λ = 1, the head's λ matrix and the planted signals keep
  their meaning (tail PTs never include Headache or Tremor; tail drugs are never
  voclosporin or an inhibitor). With both sizes 0 nothing is drawn and the corpus is
  byte-for-byte what it was before the tail existed.

Calibration (:func:`pvsignal.synth.tail_estimate.estimate_pairs`, a numpy simulation of the id draws that names drugs
as the pipeline does; checked against the lake's count table of a 200 000-report tail
corpus: tail pairs within 1 %, head pairs 4 % high as it ignores λ): :data:`FAERS_TAIL` with the Plan's default rates and shapes gives,
for the benchmark corpus (50 quarters × 400 000 reports, 2012Q3–2024Q4, seed 20261125),
about 2.0 million distinct (PS/SS ingredient, PT) pairs — 163 000 head × head (as
without the tail) and 1.83 million with a tail item — of which 51 % have one or two cases
(39 % one), for 0.26 more drug rows and 0.24 more PTs per case (head: 3.8 and 3.1). Every
tail item is rarer than the rarest head item of its kind (top tail PT in 0.2 % of the
cases, the rarest head PT in 0.27 %), and all 2 000 tail drugs and ~19 000 of the 20 000
tail PTs occur. Independent pairs cannot be both as many and as often reported as real
FAERS pairs (whose events cluster by drug): the tail carries fewer mentions than the
real one, and as many distinct pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import pvsignal.synth.vocab as vocab
from pvsignal.synth.batch import Batch, add_rows
from pvsignal.synth.draw import _pick, drug_details, seq_in_group
from pvsignal.synth.tail_names import tail_ingredient_names, tail_pt_names

#: Tail sizes used by ``bench/bench_pipeline.py --tail`` (rates and shapes: the Plan defaults).
FAERS_TAIL = {"tail_ingredients": 2000, "tail_pts": 20000}

#: roles of tail rows that are not the report's primary suspect: SS, C, I
TAIL_ROLE_W = np.array([0.40, 0.55, 0.05])
#: drug-name variants for tail rows (no brand: NAME, Name, NAME STRENGTH FORM, NAME.)
TAIL_VARIANT_W = np.array([0.60, 0.0, 0.15, 0.0, 0.20, 0.05, 0.0, 0.0])
#: most tail items a plan may ask for (codes stay within int16 beside the head)
MAX_TAIL_INGREDIENTS = 20_000
MAX_TAIL_PTS = 30_000

# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Tail:
    """The tail vocabulary of one corpus and its Zipf weights; codes follow the head's."""

    ingredients: tuple[vocab.Ingredient, ...]
    pts: tuple[str, ...]
    drug_w: np.ndarray
    pt_w: np.ndarray
    pt_alpha: np.ndarray  #: code (head and tail PTs) → alphabetical rank over all PTs

    @property
    def ing0(self) -> int:
        """Code of the first tail ingredient (head codes come first)."""
        return len(vocab.INGREDIENTS)

    @property
    def pt0(self) -> int:
        return len(vocab.PTS)


def tail_streams(seed: int) -> tuple[np.random.SeedSequence, np.random.SeedSequence, np.random.SeedSequence]:
    """(ingredient names, PT names, report draws): children of the seed's second spawned stream
    (the first one draws λ), so the report stream and λ never depend on the tail."""
    parent = np.random.SeedSequence(seed).spawn(2)[1]
    a, b, c = parent.spawn(3)
    return a, b, c


def make_tail(seed: int, plan) -> Tail | None:
    """The tail vocabulary of ``plan`` for ``seed``; ``None`` when both tail sizes are 0."""
    if plan.tail_ingredients <= 0 and plan.tail_pts <= 0:
        return None
    s_ing, s_pt, _ = tail_streams(seed)
    ings = tail_ingredient_names(s_ing, plan.tail_ingredients)
    pts = tail_pt_names(s_pt, plan.tail_pts)
    all_pts = np.array([*vocab.PTS, *pts], dtype=object)
    return Tail(
        ingredients=ings, pts=pts,
        drug_w=vocab.zipf_weights(len(ings), plan.tail_drug_zipf, plan.tail_drug_q) if ings else np.zeros(0),
        pt_w=vocab.zipf_weights(len(pts), plan.tail_pt_zipf, plan.tail_pt_q) if pts else np.zeros(0),
        pt_alpha=np.argsort(np.argsort(all_pts, kind="stable"), kind="stable"),
    )


# --------------------------------------------------------------------------- draws


@dataclass
class TailIds:
    """Tail items of a batch of ``n`` reports: drug rows (report, tail index, role code
    0 PS / 1 SS / 2 C / 3 I) and distinct PT rows (report, tail index), sorted by report."""

    drug_rep: np.ndarray
    drug_ing: np.ndarray
    drug_role: np.ndarray
    pt_rep: np.ndarray
    pt: np.ndarray


def draw_tail_ids(rng: np.random.Generator, n: int, plan, tail: Tail, no_ps: np.ndarray | None = None) -> TailIds:
    """Which of ``n`` reports get which tail drugs (and roles) and tail PTs.

    ``no_ps``: reports whose PS must stay (voclosporin reports): a tail PS there becomes SS.
    """
    z = np.zeros(0, dtype=np.int64)
    drep = ding = drole = z
    if len(tail.ingredients) and plan.tail_drug_rate > 0:
        has = np.flatnonzero(rng.random(n) < plan.tail_drug_rate)
        drep = np.repeat(has, 1 + rng.poisson(plan.tail_drug_extra, len(has)))
        ding = _pick(rng, tail.drug_w, len(drep))
        drole = _pick(rng, TAIL_ROLE_W, len(drep)) + 1
        first = np.r_[True, drep[1:] != drep[:-1]] if len(drep) else np.zeros(0, dtype=bool)
        ps = first & (rng.random(len(drep)) < plan.tail_ps_share)
        if no_ps is not None:
            drole[ps & no_ps[drep]] = 1
            ps &= ~no_ps[drep]
        drole[ps] = 0
    prep = ppt = z
    if len(tail.pts) and plan.tail_pt_rate > 0:
        has = np.flatnonzero(rng.random(n) < plan.tail_pt_rate)
        prep = np.repeat(has, 1 + rng.poisson(plan.tail_pt_extra, len(has)))
        ppt = _pick(rng, tail.pt_w, len(prep))
        key = np.unique(prep.astype(np.int64) * len(tail.pts) + ppt)
        prep, ppt = key // len(tail.pts), key % len(tail.pts)
    return TailIds(drep, ding, drole, prep, ppt)


def add_tail(rng: np.random.Generator, batch: Batch, plan, tail: Tail, legacy: bool,
             no_ps: np.ndarray | None = None) -> dict:
    """Add tail drug rows and tail PTs to a batch of new reports in place; return counts.

    A tail PS goes first (drug_seq 1; the report's other rows, THER and INDI move one
    down, its head PS becomes SS); other tail rows follow the report's drugs. Tail PTs
    join the report's PTs in alphabetical order.
    """
    n = batch.n
    ids = draw_tail_ids(rng, n, plan, tail, no_ps)
    m = len(ids.drug_rep)
    if m:
        drug = batch.rows["drug"]
        shift = np.zeros(n, dtype=np.int32)
        ps_rep = ids.drug_rep[ids.drug_role == 0]
        shift[ps_rep] = 1
        n_drug = np.bincount(drug["rep"], minlength=n).astype(np.int32)
        for name in ("drug", "ther", "indi"):
            cols = batch.rows[name]
            cols["pos"] = (cols["pos"] + shift[cols["rep"]]).astype(cols["pos"].dtype)
        drug["role"][(shift[drug["rep"]] == 1) & (drug["role"] == 0)] = 1
        rest = ids.drug_role != 0
        pos = np.ones(m, dtype=np.int32)
        pos[rest] = n_drug[ids.drug_rep[rest]] + shift[ids.drug_rep[rest]] + seq_in_group(ids.drug_rep[rest])
        new = {
            "rep": ids.drug_rep, "pos": pos, "ing": (tail.ing0 + ids.drug_ing).astype(np.int16),
            "variant": _pick(rng, TAIL_VARIANT_W, m).astype(np.int8),
            "role": ids.drug_role.astype(np.int8),
            **drug_details(rng, m, legacy),
        }
        add_rows(batch, "drug", {k: new[k] for k in drug}, "pos")
    k = len(ids.pt_rep)
    if k:
        reac = batch.rows["reac"]
        rep = np.concatenate([reac["rep"], ids.pt_rep])
        pt = np.concatenate([reac["pt"].astype(np.int64), tail.pt0 + ids.pt])
        order = np.lexsort((tail.pt_alpha[pt], rep))
        batch.rows["reac"] = {"rep": rep[order].astype(reac["rep"].dtype), "pt": pt[order].astype(np.int16)}
    return {"reports_with_tail_drugs": len(np.unique(ids.drug_rep)), "tail_drug_rows": int(m),
            "tail_ps_rows": int((ids.drug_role == 0).sum()),
            "tail_suspect_rows": int((ids.drug_role <= 1).sum()),
            "reports_with_tail_pts": len(np.unique(ids.pt_rep)), "tail_pt_rows": int(k)}


def truth_record(plan, tail: Tail | None, per_quarter: list[dict]) -> dict:
    """The ``tail`` block of ``truth.json`` (empty when the tail is off)."""
    if tail is None:
        return {}
    tot = {k: sum(q[k] for q in per_quarter) for k in per_quarter[0] if k != "quarter"} if per_quarter else {}
    n_new = tot.pop("n_new", 0)
    return {
        "enabled": True,
        "definition": "rare drugs and events beyond the head vocabulary, drawn independently of every report's "
                      "content (lambda = 1 for every pair with a tail ingredient or a tail PT; such pairs are not "
                      "listed in pair_lambda). Per new report: with probability drug_rate, 1 + Poisson(drug_extra) "
                      "tail drug rows; with probability pt_rate, 1 + Poisson(pt_extra) tail PT draws (duplicates "
                      "dropped); Zipf-Mandelbrot weights 1/(rank + q)^s over the tail in list order. The first tail "
                      "drug of a report is PS with probability ps_share (the head PS becomes SS; SS in voclosporin "
                      "reports); other tail rows SS/C/I with role_weights. Follow-up versions copy them.",
        "ingredients": plan.tail_ingredients, "pts": plan.tail_pts,
        "drug_rate": plan.tail_drug_rate, "drug_extra": plan.tail_drug_extra,
        "ps_share": plan.tail_ps_share, "role_weights": dict(zip(("SS", "C", "I"), TAIL_ROLE_W.tolist())),
        "drug_zipf": {"s": plan.tail_drug_zipf, "q": plan.tail_drug_q},
        "pt_rate": plan.tail_pt_rate, "pt_extra": plan.tail_pt_extra,
        "pt_zipf": {"s": plan.tail_pt_zipf, "q": plan.tail_pt_q},
        "totals": {"new_reports": n_new, **tot,
                   "drug_rows_per_new_report": tot.get("tail_drug_rows", 0) / n_new if n_new else 0.0,
                   "pts_per_new_report": tot.get("tail_pt_rows", 0) / n_new if n_new else 0.0},
        "ingredient_names": [i.name for i in tail.ingredients],
        "pt_names": list(tail.pts),
    }
