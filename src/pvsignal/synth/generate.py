"""Generate a range of synthetic FAERS/AERS quarters: versions, deletions, ids, files, truth.

Per quarter: a share of the reports are follow-up versions of cases from earlier
quarters of the range (the source quarter is ``k`` quarters back with weight 2^−(k−1));
the share is set so that ``Plan.superseded_share`` of all DEMO rows end up superseded
by a later version (FACTS-2 §7: 16.8 %). The rest are new cases, drawn by
:func:`~pvsignal.synth.draw.draw_new` and planted by :func:`~pvsignal.synth.plant.plant`.
FAERS quarters from 2019Q1 list deleted caseids (70 % of them cases of the range, the
rest unknown ids, as the real lists hold ids absent from the data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pvsignal import __version__
from pvsignal.errors import PvsignalError
from pvsignal.quarters import quarter_index, quarter_range
import pvsignal.synth.vocab as vocab
from pvsignal.synth.batch import Batch, concat, take
from pvsignal.synth.draw import DRUG_W, PT_W, VOC, make_followups, draw_new, quarter_days
from pvsignal.synth.format import (DRUGNAMES_FAERS, DRUGNAMES_LEGACY, HEAD_TEXT, PROD_AI, Ids, _variants,
                                   faers_primaryid, make_text, table_columns)
from pvsignal.synth.layouts import TABLES, layout_of
from pvsignal.synth.pairs import draw_lambda
from pvsignal.synth.plant import HEADACHE, INHIBITORS, TREMOR, Carry, Plan, plant
from pvsignal.synth.quirks import render_lines
from pvsignal.synth.tail import (MAX_TAIL_INGREDIENTS, MAX_TAIL_PTS, TAIL_VARIANT_W, add_tail, make_tail,
                                 tail_streams, truth_record)
from pvsignal.synth.truth import SynthTruth, pair_lambda_record, two_by_two
from pvsignal.synth.write import NOTE, QuarterWriter, deleted_bytes, encode

POOL_DEPTH = 12  # quarters back a follow-up may reach
Q2004 = quarter_index("2004Q1")
Q2012Q4 = quarter_index("2012Q4")


class SynthParameterError(PvsignalError):
    """A parameter of the synthetic generator is out of range."""


@dataclass
class SynthResult:
    """Paths written (zips or folders, one per quarter), ``truth.json`` and the truth itself."""

    outdir: Path
    paths: list[Path]
    truth_path: Path
    truth: SynthTruth


@dataclass
class _Source:
    qidx: int
    batch: Batch
    latest: np.ndarray
    legacy: bool


class _Ids:
    """Monotone id counters with small random gaps, one per id kind."""

    def __init__(self) -> None:
        self.next = {"case": 0, "isr": 0, "drug_seq": 0}

    def take(self, rng, kind: str, n: int, floor: int) -> np.ndarray:
        start = max(self.next[kind], floor)
        ids = start + np.cumsum(1 + (rng.random(n) < 0.3) * rng.integers(1, 5, n))
        self.next[kind] = int(ids[-1]) + 1 if n else start
        return ids.astype(np.int64)


def _case_floor(qidx: int) -> int:
    if qidx < Q2012Q4:
        return 4_000_000 + (qidx - Q2004) * 110_000
    return 8_700_000 + (qidx - Q2012Q4) * 380_000


def synthesize(
    outdir: str | Path,
    quarters: str = "2023Q1:2024Q4",
    reports_per_quarter: int = 10_000,
    seed: int = 0,
    zipped: bool = True,
    *,
    quirks: bool = True,
    plan: Plan | None = None,
    compresslevel: int = 1,
    on_quarter: Callable[[str, int], None] | None = None,
) -> SynthResult:
    """Write synthetic quarterly FAERS/AERS files with planted signals; return paths and truth.

    ``quarters``: ``'2023Q1:2024Q4'`` or one quarter (2004Q1 or later). Each quarter gets
    ``reports_per_quarter`` DEMO rows. ``zipped=False`` writes the extracted folders
    instead of zips. ``quirks=False`` gives perfectly clean files. Same seed → same bytes.
    ``on_quarter(quarter, i)`` is called after each quarter is written (progress).
    """
    qs = quarter_range(quarters)
    if quarter_index(qs[0]) < Q2004:
        raise SynthParameterError(f"quarters start at 2004Q1 (first AERS extract); got {qs[0]}")
    if not isinstance(reports_per_quarter, int) or reports_per_quarter < 1:
        raise SynthParameterError(f"reports_per_quarter must be a positive integer, got {reports_per_quarter!r}")
    if not 0 <= compresslevel <= 9:
        raise SynthParameterError(f"compresslevel must be 0–9, got {compresslevel}")
    plan = plan or Plan()
    _check_plan(plan)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lam = elevated = None
    if plan.pair_heterogeneity:  # own stream: the report stream does not depend on λ
        lam, elevated = draw_lambda(
            np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0]), DRUG_W, PT_W,
            pair_sd=plan.pair_sd, elevated_share=plan.elevated_share, elevated_median=plan.elevated_median,
            elevated_sd=plan.elevated_sd, fixed_rows=(VOC,))
    tail = make_tail(seed, plan)  # None with the tail off: nothing drawn, same bytes as before
    text = make_text(tail.ingredients, tail.pts) if tail else HEAD_TEXT
    tail_rng = np.random.default_rng(tail_streams(seed)[2]) if tail else None
    tail_stats: list[dict] = []
    n = reports_per_quarter
    fu_share = min(plan.superseded_share * len(qs) / (len(qs) - 1), 0.6) if len(qs) > 1 else 0.0

    ids = _Ids()
    carry = Carry()
    pool: list[_Source] = []
    reg: dict[str, list[np.ndarray]] = {k: [] for k in ("caseid", "S", "SI", "H", "T", "onset")}
    deleted_present: list[np.ndarray] = []
    truth = SynthTruth(seed=seed, quarters=qs, reports_per_quarter=n, quirks_enabled=quirks, plan=plan.to_dict())
    paths: list[Path] = []
    n_rows = n_superseded = 0
    spanning: list[np.ndarray] = []
    fu_caseids: list[np.ndarray] = []

    for i, q in enumerate(qs):
        lay = layout_of(q)
        qidx = quarter_index(q)

        # follow-up versions of earlier cases
        fus, n_fu = [], 0
        if pool and fu_share:
            w = np.array([0.5 ** (qidx - s.qidx - 1) for s in pool])
            want = rng.multinomial(int(round(fu_share * n)), w / w.sum())
            for s, k in zip(pool, want):
                avail = np.flatnonzero(s.latest)
                k = min(int(k), len(avail))
                if not k:
                    continue
                pick = np.sort(rng.choice(avail, k, replace=False))
                s.latest[pick] = False
                src = take(s.batch, pick)
                fus.append(make_followups(rng, src, q, lay.legacy, np.full(k, s.legacy)))
                fu_caseids.append(src.demo["caseid"])
                if s.legacy and not lay.legacy:
                    spanning.append(src.demo["caseid"])
                n_fu += k
        n_superseded += n_fu

        # new cases, planted
        new = draw_new(rng, n - n_fu, q, lay.legacy, lam)
        new.demo["caseid"] = ids.take(rng, "case", new.n, _case_floor(qidx))
        planted = plant(rng, new, plan, carry)
        f = planted["flags"]
        if tail:  # after planting, from its own stream: tail pairs are independent (λ = 1)
            tail_stats.append({"quarter": q, "n_new": new.n,
                               **add_tail(tail_rng, new, plan, tail, lay.legacy, no_ps=f["S"])})
        reg["caseid"].append(new.demo["caseid"])
        for k in ("S", "SI", "H", "T", "onset"):
            reg[k].append(f[k])
        truth.per_quarter.append({"quarter": q, "layout": lay.layout, "n_followups": n_fu, **planted["stats"]})

        batch = concat([new, *fus])
        batch = take(batch, np.argsort(batch.demo["caseid"], kind="stable"))
        if lay.legacy:
            pid = ids.take(rng, "isr", batch.n, 4_200_000 + (qidx - Q2004) * 115_000)
            m = len(batch.rows["drug"]["rep"])
            start = max(ids.next["drug_seq"], 1_004_000_000 + (qidx - Q2004) * 3_000_000)
            dseq = start + np.arange(m, dtype=np.int64) * 7 + batch.rows["drug"]["misc"] % 5
            ids.next["drug_seq"] = int(dseq[-1]) + 7 if m else start
            qids = Ids(pid, dseq)
        else:
            qids = Ids(faers_primaryid(batch.demo["caseid"], batch.demo["version"].astype(np.int64)))
        n_rows += batch.n

        # deleted cases (FAERS, 2019Q1 on)
        latest = np.ones(batch.n, dtype=bool)
        del_ids = None
        if lay.has_deleted:
            k = carry.round("del", plan.deleted_rate * n)
            k_present = int(round(0.7 * k))
            chosen = []
            sources = [s for s in pool if s.latest.any()] or [_Source(qidx, batch, latest, False)]
            for _ in range(k_present):
                s = sources[rng.integers(len(sources))]
                avail = np.flatnonzero(s.latest)
                if len(avail) == 0:
                    continue
                j = avail[rng.integers(len(avail))]
                s.latest[j] = False
                chosen.append(int(s.batch.demo["caseid"][j]))
            present = np.array(sorted(set(chosen)), dtype=np.int64)
            absent = np.sort(rng.choice(np.arange(1_000_000, 3_000_000), k - len(present), replace=False))
            del_ids = np.sort(np.r_[present, absent])
            deleted_present.append(present)
            truth.deleted[q] = {"member": lay.deleted_member, "listed": del_ids.tolist(),
                                "present": present.tolist(), "absent": absent.tolist()}

        # files
        stamp = _stamp(q)
        w = QuarterWriter(outdir, lay.zip_name, zipped, compresslevel, stamp)
        rows_written = {}
        for table in TABLES:
            header = lay.header(table)
            cols = table_columns(batch, table, lay, qids, text)
            lines, recs = render_lines(rng, table, header, cols, lay.legacy, quirks, "isr" if lay.legacy else "primaryid")
            member = lay.member(table)
            w.add(member, encode(header, lines))
            rows_written[table] = len(cols[0])
            truth.quirks += [{"quarter": q, "file": member, "table": table, **r} for r in recs]
        if del_ids is not None:
            w.add(lay.deleted_member, deleted_bytes(del_ids))
        w.add("SYNTHETIC.txt", NOTE.encode("ascii"))
        w.close()
        paths.append(w.path)
        truth.files.append({"quarter": q, "era": lay.era, "layout": lay.layout, "path": w.path.name,
                            "members": w.members, "rows": rows_written})

        pool.append(_Source(qidx, batch, latest, lay.legacy))
        pool = [s for s in pool if qidx - s.qidx < POOL_DEPTH]
        if on_quarter:
            on_quarter(q, i)

    _finish_truth(truth, plan, reg, deleted_present, n_rows, n_superseded, spanning, fu_caseids)
    truth.pair_lambda = pair_lambda_record(plan, lam, elevated)
    if tail:
        truth.tail = truth_record(plan, tail, tail_stats)
        used = np.flatnonzero(TAIL_VARIANT_W > 0)
        for ing in tail.ingredients:
            variants = _variants(ing)
            for j in used:
                truth.drug_names[variants[j]] = truth.drug_names[variants[j].upper()] = ing.name
    truth_path = outdir / "truth.json"
    truth.write(truth_path)
    return SynthResult(outdir, paths, truth_path, truth)


def _check_plan(plan: Plan) -> None:
    if plan.pair_sd < 0 or plan.elevated_sd < 0:
        raise SynthParameterError(f"pair_sd and elevated_sd must be ≥ 0, got {plan.pair_sd}, {plan.elevated_sd}")
    if not 0 <= plan.elevated_share <= 1:
        raise SynthParameterError(f"elevated_share must be in [0, 1], got {plan.elevated_share}")
    if not plan.elevated_median > 0:
        raise SynthParameterError(f"elevated_median must be > 0, got {plan.elevated_median}")
    if not 0 <= plan.tail_ingredients <= MAX_TAIL_INGREDIENTS or not 0 <= plan.tail_pts <= MAX_TAIL_PTS:
        raise SynthParameterError(f"tail_ingredients must be in [0, {MAX_TAIL_INGREDIENTS}] and tail_pts in "
                                  f"[0, {MAX_TAIL_PTS}], got {plan.tail_ingredients}, {plan.tail_pts}")
    for name in ("tail_drug_rate", "tail_ps_share", "tail_pt_rate"):
        if not 0 <= getattr(plan, name) <= 1:
            raise SynthParameterError(f"{name} must be in [0, 1], got {getattr(plan, name)}")
    for name in ("tail_drug_extra", "tail_pt_extra", "tail_drug_q", "tail_pt_q"):
        if not getattr(plan, name) >= 0:
            raise SynthParameterError(f"{name} must be ≥ 0, got {getattr(plan, name)}")
    if not (plan.tail_drug_zipf > 0 and plan.tail_pt_zipf > 0):
        raise SynthParameterError(f"tail_drug_zipf and tail_pt_zipf must be > 0, got {plan.tail_drug_zipf}, "
                                  f"{plan.tail_pt_zipf}")


def _stamp(q: str) -> tuple:
    d0, length = quarter_days(q)
    end = np.datetime64(d0 + length + 14, "D").astype(object)
    return (end.year, end.month, end.day, 0, 0, 0)


def _finish_truth(truth, plan, reg, deleted_present, n_rows, n_superseded, spanning, fu_caseids) -> None:
    r = {k: np.concatenate(v) if v else np.zeros(0) for k, v in reg.items()}
    dele = np.concatenate(deleted_present) if deleted_present else np.zeros(0, dtype=np.int64)
    keep = ~np.isin(r["caseid"], dele)
    s, si, h, t = (r[k].astype(bool)[keep] for k in ("S", "SI", "H", "T"))
    span = np.unique(np.concatenate(spanning)) if spanning else np.zeros(0, dtype=np.int64)
    n_fu_deleted = int(np.isin(np.concatenate(fu_caseids), dele).sum()) if fu_caseids else 0
    truth.cases = {
        "demo_rows": int(n_rows), "cases": int(len(r["caseid"])), "superseded_rows": int(n_superseded),
        "superseded_share": n_superseded / n_rows if n_rows else 0.0,
        "deleted_cases_present": int(len(dele)), "cases_after_dedup": int(keep.sum()),
        # every DEMO row (all versions) of the deleted cases; superseded rows of the other cases
        "deleted_case_rows": int(len(dele) + n_fu_deleted),
        "superseded_rows_of_kept_cases": int(n_superseded - n_fu_deleted),
        "era_spanning_cases": int(len(span)), "era_spanning_caseids": span[:1000].tolist(),
        "dedup_rule": "latest version per caseid (highest caseversion / latest fda_dt), deleted caseids removed",
    }
    unit = "cases after deduplication; exposed = VOCLOSPORIN as PS or SS; event = PT present"
    mech = ("E appended to exactly round(n_S·p1) new voclosporin reports per quarter, "
            "odds(p1) = ROR·odds(p0), p0 measured on the quarter's new non-voclosporin reports")
    truth.signals = [
        {"drug": "VOCLOSPORIN", "event": "Headache", "roles": ["PS", "SS"], "target_ror": plan.headache_ror,
         "expected": two_by_two(s, h), "unit": unit, "mechanism": mech},
        {"drug": "VOCLOSPORIN", "event": "Tremor", "roles": ["PS", "SS"], "target_ror": plan.tremor_ror,
         "expected": two_by_two(s, t), "unit": unit, "mechanism": mech + "; split by inhibitor (see interaction)"},
    ]
    with_i, without = int((s & si).sum()), int((s & ~si).sum())
    tw, tn = int((s & si & t).sum()), int((s & ~si & t).sum())
    truth.interaction = {
        "drug": "VOCLOSPORIN", "event": "Tremor",
        "inhibitors": [vocab.INGREDIENTS[k].name for k in INHIBITORS],
        "target_odds_ratio": plan.interaction_or,
        "with_inhibitor": {"reports": with_i, "tremor": tw, "share": tw / with_i if with_i else float("nan")},
        "without_inhibitor": {"reports": without, "tremor": tn, "share": tn / without if without else float("nan")},
        "odds_ratio": (tw * (without - tn)) / ((with_i - tw) * tn) if (with_i - tw) and tn else float("nan"),
        "definition": "within voclosporin-suspect cases: listing KETOCONAZOLE, ITRACONAZOLE or CLARITHROMYCIN "
                      "(any role) vs not",
    }
    onset = r["onset"][keep]
    days = np.sort(onset[onset > 0])
    truth.onset = {
        "drug": "VOCLOSPORIN", "distribution": "weibull", "shape": plan.onset_shape, "scale": plan.onset_scale,
        "unit": "days", "definition": "event_dt - start_dt (THER row of the voclosporin drug_seq) = ceil(T), "
        "T ~ Weibull(shape, scale), F(t) = 1 - exp(-(t/scale)^shape); both dates day-precise",
        "n": int(len(days)), "median_days": float(np.median(days)) if len(days) else float("nan"),
        "days": days.tolist(),
    }
    truth.confounded_pairs = [
        {"drug": vocab.INGREDIENTS[k].name, "event": e, "reason": "co-reported with voclosporin (interaction plant)"}
        for k in INHIBITORS for e in (vocab.PTS[HEADACHE], vocab.PTS[TREMOR])
    ]
    names = {}
    for k, ing in enumerate(vocab.INGREDIENTS):
        for j in range(8):
            names[DRUGNAMES_FAERS[k * 8 + j]] = ing.name
            names[DRUGNAMES_LEGACY[k * 8 + j]] = ing.name
        names[PROD_AI[k]] = ing.name
    truth.drug_names = names
    truth.plan["generator"] = f"pvsignal.synth {__version__}"
