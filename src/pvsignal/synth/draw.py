"""Background draws: new reports with independent drugs and events, shaped like FAERS.

Per report: drugs ``1 + NegBin(r=0.35)`` with a mean rising from 2.6 (2004) to 4.25
(2024) per report (median 1–2, tail to dozens; FACTS-2 §7: mean 3.18 overall), PTs
``1 + NegBin(r=0.6)`` with a mean from 2.9 to 3.25 (FACTS-2 §7: mean 2.98), from
Zipf–Mandelbrot weights ``1/(rank+q)^s`` over :mod:`~pvsignal.synth.vocab` (drugs
s=1.1, q=5; PTs s=1.0, q=12). Drugs are drawn independently of each other, roles
(PS first, then SS / C / I) independently of the ingredient.

PTs depend on the report's suspect drugs through the pair-level relative reporting
ratios λ of :mod:`~pvsignal.synth.pairs` (:func:`draw_events`): PT e is drawn with
probability ∝ w_e·Π λ_de over the report's distinct suspect (PS, SS) ingredients d.
Concomitant and interacting drugs (C, I) do not move the PTs. With
``Plan.pair_heterogeneity=False`` PTs are drawn independently of drugs (every pair
λ = 1), with the same random stream as before λ existed.

Duplicate drugs in a report are kept (FAERS has them); duplicate PTs are dropped and PTs
sorted alphabetically, as in FAERS REAC files. Dates are integer days since 1970-01-01.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

import pvsignal.synth.vocab as vocab
from pvsignal.synth.batch import Batch, ranges

N_ING = len(vocab.INGREDIENTS)
N_PT = len(vocab.PTS)
VOC = vocab.INGREDIENT_INDEX["VOCLOSPORIN"]

DRUG_W = vocab.zipf_weights(N_ING, 1.1, 5.0)
DRUG_W[VOC] = 0.0  # voclosporin appears only where it is planted
DRUG_W /= DRUG_W.sum()
PT_W = vocab.zipf_weights(N_PT, 1.0, 12.0)
_PT_ALPHA = np.argsort(np.argsort(np.array(vocab.PTS, dtype=object)))  # pt → alphabetical rank
_PT_FROM_ALPHA = np.argsort(_PT_ALPHA)
_EVENT_BLOCK = 8192  # reports per block in draw_events (8192 × PTs float64 ≈ 22 MB)

#: drug-name variants: 0 NAME, 1 BRAND, 2 Name, 3 NAME SALT, 4 NAME STRENGTH FORM,
#: 5 NAME., 6 BRAND (NAME), 7 Brand
VARIANT_W = np.array([0.38, 0.22, 0.07, 0.08, 0.09, 0.04, 0.06, 0.06])
N_VARIANT = len(VARIANT_W)

ROLE_CODES = ("PS", "SS", "C", "I")
OUTC_CODES = ("DE", "LT", "HO", "DS", "CA", "RI", "OT")
OUTC_W = np.array([0.07, 0.05, 0.30, 0.04, 0.01, 0.02, 0.51])
RPSR_CODES = ("FGN", "SDY", "LIT", "CSM", "HP", "UF", "CR", "DT", "OTH")
RPSR_W = np.array([0.30, 0.10, 0.05, 0.15, 0.30, 0.03, 0.05, 0.01, 0.01])

#: drugs per report: ``1 + NegBin`` with mean ``a + b·t`` (t: 0 in 2004 … 1 in 2024), r, cap
DRUG_COUNT = (2.6, 1.65, 0.35, 150)
#: PTs per report (draws before duplicates are dropped), as :data:`DRUG_COUNT`
PT_COUNT = (2.9, 0.35, 0.6, 80)
#: roles of drug rows after the first (PS): SS, C, I
ROLE_W_REST = np.array([0.30, 0.65, 0.05])
DOSE_KIND_W = np.array([0.25, 0.30, 0.15, 0.30])  # '', amt unit freq, UNK, amt unit (…)
DECHAL_W = np.array([0.10, 0.05, 0.25, 0.20, 0.40])  # Y N U D ''
RECHAL_W = np.array([0.02, 0.03, 0.30, 0.15, 0.50])


def quarter_days(quarter: str) -> tuple[int, int]:
    """First day and length (days) of a quarter, days since 1970-01-01."""
    y, q = int(quarter[:4]), int(quarter[5])
    start = np.datetime64(f"{y}-{3 * q - 2:02d}-01").astype(int)
    end = np.datetime64(f"{y + (q == 4)}-{(3 * q) % 12 + 1:02d}-01").astype(int)
    return int(start), int(end - start)


def _pick(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    cdf = np.cumsum(weights)
    return np.minimum(np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right"), len(weights) - 1)


def _counts(rng: np.random.Generator, n: int, mean: float, r: float, cap: int) -> np.ndarray:
    """``1 + NegBin(r, p)`` with the given mean, capped."""
    p = r / (r + mean - 1.0)
    return np.minimum(1 + rng.negative_binomial(r, p, size=n), cap)


def draw_sets(rng, rep_counts: np.ndarray, weights: np.ndarray, order: np.ndarray | None = None):
    """Draw codes per report with replacement, drop duplicates; return (rep, code) sorted.

    ``order`` (code → sort rank) sets the order of codes within a report.
    """
    k = len(weights)
    rep = np.repeat(np.arange(len(rep_counts)), rep_counts)
    code = _pick(rng, weights, len(rep))
    rank = code if order is None else order[code]
    key = np.sort(rep.astype(np.int64) * k + rank)
    key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key
    rep, rank = key // k, key % k
    code = rank if order is None else np.argsort(order)[rank]
    return rep, code


def seq_in_group(rep: np.ndarray) -> np.ndarray:
    """1-based position of each row within its (sorted) report."""
    n = len(rep)
    if n == 0:
        return np.zeros(0, dtype=np.int32)
    starts = np.flatnonzero(np.r_[True, rep[1:] != rep[:-1]])
    counts = np.diff(np.r_[starts, n])
    return (np.arange(n) - np.repeat(starts, counts) + 1).astype(np.int32)


def draw_events(rng, rep_counts: np.ndarray, drug_rep: np.ndarray, drug_ing: np.ndarray,
                lam: np.ndarray, order: np.ndarray):
    """PTs per report when suspect ingredients shift the PT weights; return (rep, pt) sorted.

    Report r with distinct suspect ingredients D_r draws ``rep_counts[r]`` PTs with
    replacement, PT e with probability w_e·Π_{d∈D_r} λ_de / Z_r (Z_r normalises; it is
    exactly 1 for one suspect, as λ rows have w-weighted mean 1). Duplicates are dropped
    and PTs ordered by ``order``, as :func:`draw_sets`. One uniform per draw, like
    :func:`draw_sets`, so the random stream after it does not depend on λ. Vectorised:
    the (reports × PTs) log-weights are a sparse–dense product, in blocks of
    ``_EVENT_BLOCK`` reports to bound memory.
    """
    n, n_ing, k = len(rep_counts), lam.shape[0], lam.shape[1]
    rep = np.repeat(np.arange(n), rep_counts)
    u = rng.random(len(rep))
    key = np.unique(drug_rep.astype(np.int64) * n_ing + drug_ing)
    a = sparse.csr_matrix((np.ones(len(key)), (key // n_ing, key % n_ing)), shape=(n, n_ing))
    log_lam = np.log(lam)
    code = np.empty(len(rep), dtype=np.int64)
    bounds = np.searchsorted(rep, np.arange(0, n + _EVENT_BLOCK, _EVENT_BLOCK))
    for b0 in range(0, n, _EVENT_BLOCK):
        b1 = min(b0 + _EVENT_BLOCK, n)
        w = np.exp(np.asarray(a[b0:b1] @ log_lam)) * PT_W
        cdf = np.cumsum(w, axis=1)
        cdf /= cdf[:, -1:]
        cdf += np.arange(b1 - b0)[:, None]
        i0, i1 = bounds[b0 // _EVENT_BLOCK], bounds[b0 // _EVENT_BLOCK + 1]
        r = rep[i0:i1] - b0
        code[i0:i1] = np.searchsorted(cdf.ravel(), r + u[i0:i1], side="right") - r * k
    code = np.clip(code, 0, k - 1)
    key = np.unique(rep.astype(np.int64) * k + order[code])
    return key // k, np.argsort(order)[key % k]


def drug_details(rng: np.random.Generator, m: int, legacy: bool) -> dict[str, np.ndarray]:
    """Route, dose, dechallenge/rechallenge and other per-row attributes of ``m`` DRUG rows.

    Drawn in this order from ``rng`` (the order is part of the generator's output).
    """
    return {
        "route": _pick(rng, vocab.ROUTE_WEIGHTS, m).astype(np.int8),
        "dose_kind": _pick(rng, DOSE_KIND_W, m).astype(np.int8),
        "freq": _pick(rng, vocab.FREQ_WEIGHTS, m).astype(np.int8),
        "dechal": _pick(rng, DECHAL_W, m).astype(np.int8),
        "rechal": _pick(rng, RECHAL_W, m).astype(np.int8),
        "prod_ai": rng.random(m) < 0.78,
        "val_vbm": (rng.random(m) < (0.3 if legacy else 0.1)).astype(np.int8),  # 0 → '1', 1 → '2'
        "misc": rng.integers(0, 1_000_000, m),  # lot, nda, structured dose, form
    }


def draw_new(rng: np.random.Generator, n: int, quarter: str, legacy: bool, lam: np.ndarray | None = None) -> Batch:
    """``n`` new reports received in ``quarter`` with background (unplanted) content.

    ``lam`` (ingredients × PTs, :mod:`~pvsignal.synth.pairs`) makes each report's PTs
    depend on its suspect ingredients (:func:`draw_events`); ``None``: PTs independent
    of drugs.
    """
    year = int(quarter[:4]) + (int(quarter[5]) - 1) / 4
    t = np.clip((year - 2004) / 20, 0, 1)
    q0, qlen = quarter_days(quarter)

    fda = q0 + rng.integers(0, qlen, n)
    first = rng.random(n) < 0.75
    init_fda = np.where(first, fda, fda - rng.integers(1, 400, n))
    event = init_fda - 1 - np.floor(rng.exponential(60, n)).astype(np.int64)
    event_prec = _pick(rng, np.array([0.18, 0.10, 0.14, 0.58]), n)  # none, Y, M, D
    rept_cod = _pick(rng, np.array([0.62, 0.28, 0.08, 0.015, 0.005]), n)  # EXP PER DIR 30DAY 5DAY
    if legacy or quarter < "2014Q3":
        rept_cod = np.minimum(rept_cod, 2)
    direct = rept_cod == 2
    mfr = np.where(direct, -1, fda - rng.integers(0, 15, n))
    country = _pick(rng, np.array([c[2] for c in vocab.COUNTRIES]), n)
    occr = np.where(rng.random(n) < 0.9, country, _pick(rng, np.array([c[2] for c in vocab.COUNTRIES]), n))
    age_cod = _pick(rng, np.array([0.93, 0.03, 0.025, 0.01, 0.005]), n)  # YR DEC MON WK DY
    age_hi = np.array([100, 10, 24, 52, 60])[age_cod]
    age = np.where(age_cod == 0, np.clip(np.round(rng.normal(54, 19, n)), 1, 99), 1 + rng.integers(0, 10_000, n) % (age_hi - 1))
    age = np.where(rng.random(n) < 0.35, np.nan, age.astype(float))
    wt = np.where(rng.random(n) < 0.27, np.round(np.clip(rng.normal(76, 21, n), 3, 220), 1), np.nan)
    demo = {
        "caseid": np.zeros(n, dtype=np.int64),
        "version": np.where(legacy, 0, 1 + (rng.random(n) < 0.25) * (1 + rng.poisson(0.4, n))).astype(np.int32),
        "event_day": event,
        "event_prec": event_prec.astype(np.int8),
        "init_fda_day": init_fda,
        "fda_day": fda,
        "mfr_day": mfr,
        "rept_day": np.where(direct, fda - rng.integers(0, 30, n), mfr),
        "rept_cod": rept_cod.astype(np.int8),
        "company": rng.integers(0, len(vocab.COMPANIES) - 1, n).astype(np.int16),
        "serial": rng.integers(10_000, 999_999, n),
        "country": country.astype(np.int8),
        "occr_country": occr.astype(np.int8),
        "country_blank": rng.random(n) < 0.03,
        "age": age,
        "age_cod": age_cod.astype(np.int8),
        "age_grp_shown": rng.random(n) < 0.4,
        "sex": _pick(rng, np.array([0.58, 0.36, 0.02, 0.04]), n).astype(np.int8),  # F M UNK ''
        "wt": wt,
        "wt_lbs": rng.random(n) < 0.15,
        "occp": _pick(rng, np.array([0.22, 0.06, 0.15, 0.01, 0.42, 0.08, 0.06]), n).astype(np.int8),  # MD PH OT LW CN HP ''
        "e_sub": (rng.random(n) < (0.35 if legacy else 0.92)).astype(np.int8),
        "misc": rng.integers(0, 1_000_000, n),  # lit_ref / auth_num / confid / to_mfr picks
    }
    legacy_followup = rng.random(n) < 0.1
    demo["i_f"] = legacy_followup if legacy else demo["version"] > 1

    # drugs
    n_drug = _counts(rng, n, DRUG_COUNT[0] + DRUG_COUNT[1] * t, DRUG_COUNT[2], DRUG_COUNT[3])
    rep = np.repeat(np.arange(n), n_drug)
    m = len(rep)
    pos = seq_in_group(rep)
    role = np.where(pos == 1, 0, _pick(rng, ROLE_W_REST, m) + 1)
    drug = {
        "rep": rep,
        "pos": pos,
        "ing": _pick(rng, DRUG_W, m).astype(np.int16),
        "variant": _pick(rng, VARIANT_W, m).astype(np.int8),
        "role": role.astype(np.int8),
        **drug_details(rng, m, legacy),
    }

    # reactions
    n_pt = _counts(rng, n, PT_COUNT[0] + PT_COUNT[1] * t, PT_COUNT[2], PT_COUNT[3])
    if lam is None:
        rrep, pt = draw_sets(rng, n_pt, PT_W, _PT_ALPHA)
    else:
        sus = drug["role"] <= 1  # PS, SS
        rrep, pt = draw_events(rng, n_pt, rep[sus], drug["ing"][sus], lam, _PT_ALPHA)
    reac = {"rep": rrep, "pt": pt.astype(np.int16)}

    # outcomes, report sources
    orep, ocode = draw_sets(rng, _pick(rng, np.array([0.35, 0.5, 0.12, 0.03]), n), OUTC_W)
    rp_n = _pick(rng, np.array([0.15, 0.75, 0.10]) if legacy else np.array([0.96, 0.04, 0.0]), n)
    prep, pcode = draw_sets(rng, rp_n, RPSR_W)

    # therapy dates for some drugs
    has_ther = rng.random(m) < (0.40 if legacy else 0.30)
    trow = np.flatnonzero(has_ther)
    k = len(trow)
    start = event[rep[trow]] - rng.integers(0, 720, k)
    end_present = rng.random(k) < 0.35
    dur_present = rng.random(k) < 0.08
    ther = {
        "rep": rep[trow],
        "pos": pos[trow],
        "start_day": start,
        "start_prec": _pick(rng, np.array([0.10, 0.15, 0.20, 0.55]), k).astype(np.int8),
        "end_day": start + rng.integers(1, 365, k),
        "end_prec": np.where(end_present, _pick(rng, np.array([0.0, 0.15, 0.25, 0.60]), k), 0).astype(np.int8),
        "dur": np.where(dur_present, rng.integers(1, 52, k), -1),
        "dur_cod": _pick(rng, np.array([0.6, 0.25, 0.1, 0.05]), k).astype(np.int8),  # DAY WK MON YR
    }

    # indications for some drugs
    irow = np.flatnonzero(rng.random(m) < 0.45)
    ind = np.array([vocab.INDICATION_PTS.index(i.indication) for i in vocab.INGREDIENTS])
    indi = {
        "rep": rep[irow],
        "pos": pos[irow],
        "ind": np.where(rng.random(len(irow)) < 0.25, 0, ind[drug["ing"][irow]]).astype(np.int16),
    }
    rows = {
        "drug": drug,
        "reac": reac,
        "outc": {"rep": orep, "code": ocode.astype(np.int8)},
        "rpsr": {"rep": prep, "code": pcode.astype(np.int8)},
        "ther": ther,
        "indi": indi,
    }
    return Batch(demo, rows)


def make_followups(rng: np.random.Generator, src: Batch, quarter: str, legacy: bool, src_legacy: np.ndarray) -> Batch:
    """Later versions of the reports in ``src`` received in ``quarter``.

    Content (drugs, events, therapy, indications) is carried over unchanged; the new
    version has a higher caseversion (FAERS; legacy: a new ISR), ``i_f_code`` F and a
    fda_dt (and mfr_dt, rept_dt) inside ``quarter`` — later than any earlier version.
    """
    n = src.n
    q0, qlen = quarter_days(quarter)
    b = Batch({k: v.copy() for k, v in src.demo.items()}, src.rows)
    fda = q0 + rng.integers(0, qlen, n)
    b.demo["fda_day"] = fda
    direct = b.demo["rept_cod"] == 2
    b.demo["mfr_day"] = np.where(direct, -1, fda - rng.integers(0, 15, n))
    b.demo["rept_day"] = np.where(direct, fda - rng.integers(0, 30, n), b.demo["mfr_day"])
    step = 1 + (rng.random(n) < 0.2) * (1 + (rng.random(n) < 0.25))
    if legacy:
        b.demo["version"] = np.zeros(n, dtype=np.int32)
    else:
        # a legacy case migrated to FAERS starts its FAERS versions at 1 (legacy = 0)
        b.demo["version"] = np.where(src_legacy, step, b.demo["version"] + step).astype(np.int32)
    b.demo["i_f"] = np.ones(n, dtype=bool)
    if legacy or quarter < "2014Q3":
        b.demo["rept_cod"] = np.minimum(b.demo["rept_cod"], 2)
    return b


__all__ = ["draw_new", "draw_events", "make_followups", "quarter_days", "ranges", "seq_in_group", "draw_sets"]
