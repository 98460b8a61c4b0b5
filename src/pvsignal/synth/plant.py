"""Planted signals: voclosporin–headache, voclosporin–tremor, a CYP3A4 interaction, onset.

Mechanism, per quarter, over the *new* cases only (follow-up versions copy a case's
content, so the deduplicated corpus keeps what was planted):

1. Exposure. ``round(rate·n)`` new reports become voclosporin reports ("S"): voclosporin
   replaces the primary suspect (share ``ps_share``; role PS) or the second drug (role
   SS). Background draws never contain voclosporin, so S ⇔ voclosporin suspect.
2. Inhibitor co-reporting. ``round(inhibitor_share·n_S)`` S reports get one more drug
   row, a strong CYP3A4 inhibitor (ketoconazole, itraconazole or clarithromycin; role C
   or I). "SI" = S reports listing any of the three (including background draws).
3. Events. Background PTs were drawn given each report's own suspect drugs (pair-level
   λ, :mod:`pvsignal.synth.pairs`) *before* voclosporin replaced one of them, and the S
   reports are a uniform random subset, so before planting S and non-S reports carry
   event E with the same probability p0, measured on this quarter's new non-S reports:
   voclosporin's own background pairs have λ = 1 (its λ row is 1). For a
   target reporting odds ratio R the S reports need p1 with p1/(1−p1) = R·p0/(1−p0);
   E is *appended* (never replacing another PT, so no other PT is disturbed) to just
   enough S reports lacking it that exactly ``round(n_S·p1)`` S reports carry E.
   Rounding residuals carry to the next quarter. Expected ROR over reports
   (voclosporin suspect vs all other reports) = R.
   Tremor is split by SI: odds(tremor | SI) = ``interaction_or`` · odds(tremor | S∖SI),
   solved together with the overall target (n_SI·p_I + n_S∖SI·p_noI = n_S·p1).
4. Onset. A share ``onset_complete`` of S reports gets a day-precise DEMO event_dt and a
   day-precise THER start_dt on the voclosporin row with
   ``event_dt − start_dt = ceil(T)`` days, ``T ~ Weibull(shape, scale)``
   (F(t) = 1 − exp(−(t/scale)^shape); FACTS-2 §5); the other S reports get an event
   date at most month-precise, so no day-level onset can be computed for them.

The only other associations this creates are by co-reporting: the three inhibitors
with headache and tremor (they ride along in S reports); they are listed in the truth
as ``confounded_pairs``. Every other drug–event pair has the relative reporting ratio λ
drawn for it by :func:`pvsignal.synth.pairs.draw_lambda` (``Plan.pair_*`` and
``Plan.elevated_*``; defaults: bulk ln λ ~ N(0, 0.35²), 4 % of pairs elevated with
ln λ ~ N(ln 4, 0.5²), then rescaled so every drug and every PT keeps its share), recorded
per (ingredient, PT) in ``truth.json`` under ``pair_lambda``. ``pair_heterogeneity=False``
makes every such pair exactly independent (λ = 1), as before λ existed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import brentq

import pvsignal.synth.vocab as vocab
from pvsignal.synth.batch import Batch, add_rows, any_per_report, sort_rows
from pvsignal.synth.draw import _PT_ALPHA, VARIANT_W, VOC, _pick

HEADACHE = vocab.PT_INDEX["Headache"]
TREMOR = vocab.PT_INDEX["Tremor"]
INHIBITORS = tuple(vocab.INGREDIENT_INDEX[n] for n in ("KETOCONAZOLE", "ITRACONAZOLE", "CLARITHROMYCIN"))


@dataclass(frozen=True)
class Plan:
    """What the generator plants; defaults give a recoverable signal at 100 000 reports."""

    voclosporin_rate: float = 0.005  #: share of new reports with voclosporin as suspect
    ps_share: float = 0.85  #: of those, share with voclosporin as PS (else SS)
    headache_ror: float = 3.8  #: FACTS §6.1: headache ROR 3.79 in the 2025 FAERS study
    tremor_ror: float = 5.0
    inhibitor_share: float = 0.15  #: share of voclosporin reports given a strong CYP3A4 inhibitor
    interaction_or: float = 3.0  #: odds ratio of tremor, with vs without inhibitor, within voclosporin reports
    onset_shape: float = 0.8  #: Weibull shape β (days)
    onset_scale: float = 120.0  #: Weibull scale α (days)
    onset_complete: float = 0.8  #: share of voclosporin reports with day-precise onset
    superseded_share: float = 0.17  #: target share of DEMO rows superseded by a later version (FACTS-2 §7)
    deleted_rate: float = 0.003  #: caseids listed as deleted per quarter, per report (from 2019Q1)
    #: background pairs get a latent relative reporting ratio λ (pvsignal.synth.pairs);
    #: False: PTs independent of drugs (every unplanted pair λ = 1, MGPS prior degenerates)
    pair_heterogeneity: bool = True
    pair_sd: float = 0.35  #: SD of ln λ in the bulk of pairs (median 1 before rescaling)
    elevated_share: float = 0.04  #: share of (ingredient, PT) pairs drawn from the elevated component
    elevated_median: float = 4.0  #: median λ of elevated pairs (before rescaling)
    elevated_sd: float = 0.5  #: SD of ln λ among elevated pairs
    #: long tail of rare drugs and events (pvsignal.synth.tail): sizes 0 = off (the default);
    #: calibrated sizes for a FAERS-like 20 M-report corpus: pvsignal.synth.tail.FAERS_TAIL
    tail_ingredients: int = 0  #: synthetic tail ingredients (INN-like names), λ = 1 with every PT
    tail_pts: int = 0  #: synthetic tail PTs (MedDRA-style names), λ = 1 with every drug
    tail_drug_rate: float = 0.20  #: share of new reports with tail drugs
    tail_drug_extra: float = 0.3  #: tail drug rows in such a report: 1 + Poisson(extra)
    tail_ps_share: float = 0.25  #: share of those reports whose first tail drug is the PS
    tail_drug_zipf: float = 1.2  #: Zipf–Mandelbrot exponent s of tail drug popularity
    tail_drug_q: float = 300.0  #: … and its offset q (weights 1/(rank + q)^s)
    tail_pt_rate: float = 0.16  #: share of new reports with tail PTs
    tail_pt_extra: float = 0.5  #: tail PT draws in such a report: 1 + Poisson(extra)
    tail_pt_zipf: float = 1.9  #: Zipf–Mandelbrot exponent s of tail PT popularity
    tail_pt_q: float = 100.0  #: … and its offset q

    @property
    def tail(self) -> bool:
        """Is the long tail on (any tail size > 0)?"""
        return self.tail_ingredients > 0 or self.tail_pts > 0

    def to_dict(self) -> dict:
        """All fields; the ``tail_*`` ones only when the tail is on, so that the truth of a
        corpus without tail is byte-for-byte what it was before the tail existed."""
        d = asdict(self)
        if not self.tail:
            d = {k: v for k, v in d.items() if not k.startswith("tail_")}
        return d


def _odds_to_p(o: float) -> float:
    return o / (1.0 + o)


def _odds(p: float) -> float:
    return p / (1.0 - p)


class Carry:
    """Rounding with residual carry-over, so totals over quarters stay on target."""

    def __init__(self) -> None:
        self.res: dict[str, float] = {}

    def round(self, key: str, x: float) -> int:
        v = x + self.res.get(key, 0.0)
        k = max(int(np.floor(v + 0.5)), 0)
        self.res[key] = v - k
        return k


def _add_event(rng, batch: Batch, group: np.ndarray, has: np.ndarray, target: int, pt: int) -> int:
    """Append ``pt`` to S reports of ``group`` lacking it until ``target`` carry it."""
    cand = np.flatnonzero(group & ~has)
    add = min(max(target - int((group & has).sum()), 0), len(cand))
    if add:
        reps = np.sort(rng.choice(cand, add, replace=False))
        cols = batch.rows["reac"]  # sorted by (rep, alphabetical PT): insert in place
        key = cols["rep"].astype(np.int64) * 4096 + _PT_ALPHA[cols["pt"]]
        at = np.searchsorted(key, reps.astype(np.int64) * 4096 + _PT_ALPHA[pt])
        batch.rows["reac"] = {"rep": np.insert(cols["rep"], at, reps),
                              "pt": np.insert(cols["pt"], at, np.full(add, pt, dtype=cols["pt"].dtype))}
        has[reps] = True
    return add


def plant(rng: np.random.Generator, batch: Batch, plan: Plan, carry: Carry) -> dict:
    """Plant the signals into a batch of new reports in place; return what was done."""
    n = batch.n
    drug = batch.rows["drug"]
    off = batch.offsets("drug")
    n_drug = np.diff(off)

    # 1. exposure
    n_s = min(carry.round("S", plan.voclosporin_rate * n), n)
    s_idx = np.sort(rng.choice(n, n_s, replace=False)) if n_s else np.zeros(0, dtype=np.int64)
    as_ps = (rng.random(n_s) < plan.ps_share) | (n_drug[s_idx] == 1)
    row = off[s_idx] + np.where(as_ps, 0, 1)
    drug["ing"][row] = VOC
    drug["variant"][row] = _pick(rng, VARIANT_W, n_s)
    drug["role"][row] = np.where(as_ps, 0, 1)
    drug["prod_ai"][row] = rng.random(n_s) < 0.9
    batch.demo["company"][s_idx[as_ps]] = vocab.AURINIA
    s = np.zeros(n, dtype=bool)
    s[s_idx] = True

    # 2. inhibitor co-reporting
    n_add = carry.round("I", plan.inhibitor_share * n_s)
    if n_add:
        reps = np.sort(rng.choice(s_idx, n_add, replace=False))
        new = {k: np.zeros(n_add, dtype=v.dtype) for k, v in drug.items()}
        new.update(
            rep=reps, pos=(n_drug[reps] + 1).astype(np.int32),
            ing=np.array(INHIBITORS, dtype=np.int16)[rng.integers(0, 3, n_add)],
            variant=_pick(rng, VARIANT_W, n_add).astype(np.int8),
            role=np.where(rng.random(n_add) < 0.3, 3, 2).astype(np.int8),
            freq=np.full(n_add, 5, dtype=np.int8), dechal=np.full(n_add, 4, dtype=np.int8),
            rechal=np.full(n_add, 4, dtype=np.int8), route=np.zeros(n_add, dtype=np.int8),
            prod_ai=rng.random(n_add) < 0.78, misc=rng.integers(0, 1_000_000, n_add),
        )
        add_rows(batch, "drug", new, "pos")
    drug = batch.rows["drug"]
    si = s & any_per_report(batch, "drug", np.isin(drug["ing"], INHIBITORS))

    # 3. events
    reac = batch.rows["reac"]
    out: dict = {"n_new": n, "n_voclosporin": n_s, "n_voclosporin_ps": int(as_ps.sum()),
                 "n_voclosporin_with_inhibitor": int(si.sum())}
    has_h = any_per_report(batch, "reac", reac["pt"] == HEADACHE)
    p0 = float(has_h[~s].mean()) if (~s).any() else 0.0
    p1 = _odds_to_p(plan.headache_ror * _odds(p0))
    added = _add_event(rng, batch, s, has_h, carry.round("H", n_s * p1), HEADACHE)
    out["headache"] = {"p0": p0, "p1": p1, "added": added, "a": int((s & has_h).sum())}

    reac = batch.rows["reac"]
    has_t = any_per_report(batch, "reac", reac["pt"] == TREMOR)
    p0 = float(has_t[~s].mean()) if (~s).any() else 0.0
    p1 = _odds_to_p(plan.tremor_ror * _odds(p0))
    n_si, n_sno = int(si.sum()), int((s & ~si).sum())

    def p_inh(p: float) -> float:
        return _odds_to_p(plan.interaction_or * _odds(p))

    if n_si and n_sno and p1 > 0:
        p_no = brentq(lambda p: n_si * p_inh(p) + n_sno * p - n_s * p1, 1e-12, p1)
    else:
        p_no = p1
    p_i = p_inh(p_no)
    a_i = _add_event(rng, batch, si, has_t, carry.round("TI", n_si * p_i), TREMOR)
    a_no = _add_event(rng, batch, s & ~si, has_t, carry.round("TN", n_sno * p_no), TREMOR)
    out["tremor"] = {"p0": p0, "p1": p1, "p1_with_inhibitor": p_i, "p1_without_inhibitor": p_no,
                     "added": a_i + a_no, "a": int((s & has_t).sum()),
                     "a_with_inhibitor": int((si & has_t).sum())}

    # 4. onset
    onset = _plant_onset(rng, batch, plan, s_idx, row_pos=np.where(as_ps, 1, 2))
    flags = {"S": s, "SI": si, "H": has_h, "T": has_t, "onset": onset}
    return {"stats": out, "flags": flags}


def _plant_onset(rng, batch: Batch, plan: Plan, s_idx: np.ndarray, row_pos: np.ndarray) -> np.ndarray:
    """Day-precise event and voclosporin start dates; returns onset days per report (−1 = none)."""
    n_s = len(s_idx)
    demo = batch.demo
    onset = np.full(batch.n, -1, dtype=np.int64)
    complete = rng.random(n_s) < plan.onset_complete
    t = np.ceil(rng.weibull(plan.onset_shape, n_s) * plan.onset_scale).astype(np.int64)
    ev = demo["init_fda_day"][s_idx] - 1 - np.floor(rng.exponential(30, n_s)).astype(np.int64)
    demo["event_day"][s_idx] = ev
    demo["event_prec"][s_idx] = np.where(complete, 3, rng.integers(0, 3, n_s))
    onset[s_idx[complete]] = t[complete]

    ther = batch.rows["ther"]
    key = ther["rep"].astype(np.int64) * 1024 + ther["pos"]
    drop = np.isin(key, s_idx.astype(np.int64) * 1024 + row_pos)
    batch.rows["ther"] = {k: v[~drop] for k, v in ther.items()}
    start = ev - t
    ongoing = rng.random(n_s) < 0.7
    new = {
        "rep": s_idx, "pos": row_pos.astype(np.int32), "start_day": start,
        "start_prec": np.where(complete, 3, rng.integers(0, 4, n_s)).astype(np.int8),
        "end_day": ev + rng.integers(1, 90, n_s),
        "end_prec": np.where(ongoing, 0, 3).astype(np.int8),
        "dur": np.full(n_s, -1), "dur_cod": np.zeros(n_s, dtype=np.int8),
    }
    add_rows(batch, "ther", new, "pos")
    return onset


__all__ = ["Plan", "Carry", "plant", "HEADACHE", "TREMOR", "INHIBITORS", "sort_rows"]
