"""Synthetic FAERS generator: the optional long tail of rare drugs and events (pvsignal.synth.tail).

Tail off must leave every byte as it was; tail on must add unique, synthetic, FAERS-shaped
drugs and PTs that are independent of everything else (λ = 1), keep the planted signals,
and multiply the distinct (suspect ingredient, PT) pairs as the calibration says.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile

import numpy as np
import pandas as pd
import pytest

from pvsignal import __version__
from pvsignal.synth import Plan, SynthParameterError, SynthTruth, synthesize, vocab
from pvsignal.synth.tail import (
    _STEMS,
    FAERS_TAIL,
    TAIL_VARIANT_W,
    add_tail,
    estimate_pairs,
    make_tail,
    tail_streams,
)

# Recorded from the generator as committed before the tail existed (commit 259da5c): the
# source tree of that commit (`git archive 259da5c src/pvsignal`) on PYTHONPATH, then
# `digest(...)` below for each corpus; the current code gives the same digests. Member
# bytes (not zip bytes, so a different zlib cannot break it) and truth.json, the version
# string in truth.json replaced by VERSION.
TAIL_OFF_DIGESTS = {
    ("2012Q3:2012Q4", 300, 3): ("9074354d3b8567bd5bffa9f3406729c42460e3ff2563992af36ae9f2f98f24e0",
                                "ef7312273e6d3ab53d346656920f5837a3c1475da5444a78c694a488239768f1"),
    ("2019Q4:2020Q1", 300, 7): ("177359171fbee8006e61d4b9ea1cba68e22ad81a22a7855f3a86c5de4a839520",
                                "10f88ccfbc728f03819a77180449dcce5b1e7dd1d9384d0de7088f18ed3e9694"),
}

#: small tail for fast tests: rates and shapes at the Plan defaults (the calibrated ones)
SMALL_TAIL = {"tail_ingredients": 300, "tail_pts": 2000}


def digest(res) -> tuple[str, str]:
    h = hashlib.sha256()
    for p in res.paths:
        with zipfile.ZipFile(p) as zf:
            for name in zf.namelist():
                h.update(f"{p.name}/{name}\n".encode())
                h.update(zf.read(name))
    truth = res.truth_path.read_bytes().replace(f"pvsignal.synth {__version__}".encode(), b"pvsignal.synth VERSION")
    return h.hexdigest(), hashlib.sha256(truth).hexdigest()


def table(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), sep="$", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE,
                       index_col=False)


def read_corpus(res) -> tuple[dict[str, pd.DataFrame], set[int]]:
    out = {k: [] for k in ("demo", "drug", "reac", "ther", "indi")}
    deleted: set[int] = set()
    for p in res.paths:
        with zipfile.ZipFile(p) as zf:
            for name in zf.namelist():
                kind = name.lower()[6:10]
                if name.lower().startswith("ascii/") and kind in out:
                    out[kind].append(table(zf.read(name)).assign(quarter=p.name[12:18]))
                elif name.startswith("Deleted/"):
                    deleted |= {int(x) for x in zf.read(name).split()}
    tabs = {k: pd.concat(v, ignore_index=True) for k, v in out.items()}
    tabs["drug"]["prod_ai"] = tabs["drug"]["prod_ai"].fillna("")  # FAERS A (before 2014Q3) has no prod_ai
    return tabs, deleted


def kept_cases(tabs, deleted) -> set[str]:
    d = tabs["demo"].assign(caseid=tabs["demo"].caseid.astype(int), caseversion=tabs["demo"].caseversion.astype(int))
    d = d.sort_values(["caseid", "caseversion", "fda_dt"]).drop_duplicates("caseid", keep="last")
    return set(d[~d.caseid.isin(deleted)].primaryid)


def pair_counts(tabs, deleted, truth: SynthTruth) -> pd.Series:
    """Cases per (suspect ingredient, PT upper case) over deduplicated cases."""
    keep = kept_cases(tabs, deleted)
    drug = tabs["drug"][tabs["drug"].primaryid.isin(keep) & tabs["drug"].role_cod.isin(["PS", "SS"])]
    ing = drug.prod_ai.where(drug.prod_ai != "", drug.drugname).map(truth.drug_names)
    dr = pd.DataFrame({"primaryid": drug.primaryid, "drug": ing}).drop_duplicates()
    reac = tabs["reac"][tabs["reac"].primaryid.isin(keep)]
    ev = pd.DataFrame({"primaryid": reac.primaryid, "event": reac.pt.str.upper()}).drop_duplicates()
    return dr.merge(ev, on="primaryid").groupby(["drug", "event"]).size()


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """2014Q1–2014Q4 (FAERS A without prod_ai, then B), clean files, dense voclosporin;
    the same seed with and without the tail."""
    out = tmp_path_factory.mktemp("tail")
    dense = {"voclosporin_rate": 0.03}
    off = synthesize(out / "off", "2014Q1:2014Q4", 2500, seed=11, quirks=False, plan=Plan(**dense))
    on = synthesize(out / "on", "2014Q1:2014Q4", 2500, seed=11, quirks=False, plan=Plan(**dense, **SMALL_TAIL))
    return (off, read_corpus(off)), (on, read_corpus(on))


# --- tail off: nothing changes ---------------------------------------------------------------

@pytest.mark.parametrize("args", list(TAIL_OFF_DIGESTS))
def test_tail_off_gives_the_bytes_of_the_generator_before_the_tail(tmp_path, args):
    quarters, n, seed = args
    assert digest(synthesize(tmp_path, quarters, n, seed=seed)) == TAIL_OFF_DIGESTS[args]


def test_tail_off_truth_and_plan_carry_no_tail_fields(tmp_path):
    res = synthesize(tmp_path, "2020Q1", 50, seed=1)
    assert not any(k.startswith("tail") for k in res.truth.plan) and res.truth.tail == {}
    assert '"tail"' not in res.truth_path.read_text()
    assert SynthTruth.read(res.truth_path).tail == {}
    assert Plan(**{k: v for k, v in res.truth.plan.items() if k != "generator"}) == Plan()  # tail off


# --- names -----------------------------------------------------------------------------------

def test_tail_names_unique_synthetic_disjoint_from_head_and_deterministic():
    from importlib import resources

    from pvsignal.synth.format import DRUGNAMES_LEGACY, PROD_AI

    plan = Plan(**FAERS_TAIL)
    tail = make_tail(20261125, plan)
    ings = [i.name for i in tail.ingredients]
    assert len(ings) == len(set(ings)) == FAERS_TAIL["tail_ingredients"]
    assert len(tail.pts) == len({p.upper() for p in tail.pts}) == FAERS_TAIL["tail_pts"]
    # INN-like: W/Y/J syllable first (INNs almost never), then syllables and a real INN stem
    stems = tuple(s for s, _ in _STEMS)
    assert all(re.fullmatch(r"[WYJ][A-Z]{4,}", n) and n.endswith(stems) for n in ings)
    assert len({n[-5:] for n in ings}) > 30  # many stems in use
    # never a head name, brand, salt form or PT; never a name the shipped synonym tables know
    head = {s.upper() for s in [*DRUGNAMES_LEGACY, *PROD_AI]}
    head |= {w for s in head for w in s.replace("\\", " ").split()}
    known = set()
    for path in (("data", "drug_synonyms.csv"), ("data", "knowledge", "synonyms.csv")):
        text = resources.files("pvsignal").joinpath(*path).read_text(encoding="utf-8")
        known |= {w for w in re.findall(r"[A-Z][A-Z\-]+", text.upper())}
    assert not set(ings) & (head | known)
    assert not {p.upper() for p in tail.pts} & {p.upper() for p in vocab.PTS}
    # MedDRA-like spelling: capital first letter, then lower case (organism names aside)
    assert all(p[0].isupper() and re.fullmatch(r"[A-Za-z0-9 ,'()\-]+", p) for p in tail.pts)
    assert {"Headache", "Tremor"}.isdisjoint(tail.pts)
    # deterministic per seed; another seed, other names; fewer asked, a prefix
    again = make_tail(20261125, plan)
    assert [i.name for i in again.ingredients] == ings and again.pts == tail.pts
    other = make_tail(1, plan)
    assert [i.name for i in other.ingredients][:50] != ings[:50] and other.pts[:50] != tail.pts[:50]
    small = make_tail(20261125, Plan(tail_ingredients=100, tail_pts=300))
    assert [i.name for i in small.ingredients] == ings[:100] and small.pts == tail.pts[:300]
    assert make_tail(20261125, Plan()) is None


def test_every_tail_drug_name_maps_to_its_ingredient_in_the_pipeline():
    from pvsignal.prepare.drugs import normalize_names
    from pvsignal.synth.format import _variants

    tail = make_tail(3, Plan(tail_ingredients=3000, tail_pts=1))
    by_stem = {}
    longest_first = sorted((s for s, _ in _STEMS), key=len, reverse=True)  # CITINIB before TINIB
    for ing in tail.ingredients:  # one ingredient per stem (strength and form differ by stem)
        by_stem.setdefault(next(s for s in longest_first if ing.name.endswith(s)), ing)
    assert len(by_stem) == len(_STEMS)
    rows = [(v, ing.name) for ing in by_stem.values() for j, v in enumerate(_variants(ing)) if TAIL_VARIANT_W[j] > 0]
    rows += [(v.upper(), n) for v, n in rows]  # legacy AERS spelling
    got = normalize_names(pd.DataFrame(rows, columns=["drugname", "expected"]), "drugname")
    bad = got[got.ingredient != got.expected]
    assert bad.empty, bad[["drugname", "ingredient"]].head(10).to_string()


# --- reports ---------------------------------------------------------------------------------

def test_add_tail_keeps_head_content_and_therapy_links():
    from pvsignal.synth.draw import draw_new
    from pvsignal.synth.plant import Carry, plant

    plan = Plan(voclosporin_rate=0.05, **SMALL_TAIL)
    tail = make_tail(4, plan)
    rng = np.random.default_rng(4)
    b = draw_new(rng, 3000, "2020Q1", False, None)
    flags = plant(rng, b, plan, Carry())["flags"]
    before = {k: {c: v.copy() for c, v in t.items()} for k, t in b.rows.items()}

    def ing_at(rows, drug, table):
        """Ingredient of the drug row each THER/INDI row points to."""
        key = pd.Series(drug["ing"], index=pd.MultiIndex.from_arrays([drug["rep"], drug["pos"]]))
        return key.loc[list(zip(rows[table]["rep"], rows[table]["pos"]))].to_numpy()

    stats = add_tail(np.random.default_rng(5), b, plan, tail, False, no_ps=flags["S"])
    drug = b.rows["drug"]
    head = drug["ing"] < tail.ing0
    # head rows unchanged (role PS → SS where a tail drug became PS), tail rows added
    assert np.array_equal(drug["ing"][head], before["drug"]["ing"])
    demoted = (before["drug"]["role"] == 0) & (drug["role"][head] == 1)
    assert demoted.sum() == stats["tail_ps_rows"] > 30
    assert np.array_equal(np.where(demoted, 0, drug["role"][head]), before["drug"]["role"])
    assert (~head).sum() == stats["tail_drug_rows"] > 500
    # one PS per report, drug_seq 1..n, the tail PS first; never in a voclosporin report
    df = pd.DataFrame({k: drug[k] for k in ("rep", "pos", "role", "ing")})
    assert (df[df.role == 0].groupby("rep").size() == 1).all() and df[df.role == 0].rep.nunique() == b.n
    assert (df.groupby("rep").pos.apply(lambda s: list(s) == list(range(1, len(s) + 1)))).all()
    tail_ps = df[(df.role == 0) & (df.ing >= tail.ing0)]
    assert (tail_ps.pos == 1).all() and not flags["S"][tail_ps.rep].any()
    # THER and INDI still point at the same drug
    for t in ("ther", "indi"):
        assert np.array_equal(ing_at(b.rows, drug, t), ing_at(before, before["drug"], t))
    # PTs: head ones untouched, tail ones added, no duplicates, alphabetical per report
    reac = b.rows["reac"]
    assert np.array_equal(reac["pt"][reac["pt"] < tail.pt0], before["reac"]["pt"])
    assert (reac["pt"] >= tail.pt0).sum() == stats["tail_pt_rows"] > 300
    names = np.array([*vocab.PTS, *tail.pts], dtype=object)[reac["pt"]]
    r = pd.DataFrame({"rep": reac["rep"], "pt": names})
    assert not r.duplicated().any()
    assert r.groupby("rep").pt.apply(lambda s: list(s) == sorted(s)).all()


def test_tail_in_the_files_is_valid_faers(pair):
    _, ((on, (tabs, _))) = pair
    tail = on.truth.tail
    ings, pts = set(tail["ingredient_names"]), set(tail["pt_names"])
    drug, reac = tabs["drug"], tabs["reac"]
    ai = drug.prod_ai.where(drug.prod_ai != "", drug.drugname).map(on.truth.drug_names)
    assert ai.notna().all()  # every drugname and prod_ai is in the truth's name map
    t = drug[ai.isin(ings)]
    assert len(t) > 1000 and set(t.role_cod) == {"PS", "SS", "C", "I"}
    assert (t.prod_ai.isin(ings) | (t.prod_ai == "")).all()
    faers_b = t[t.quarter >= "2014q3"]
    assert (faers_b.prod_ai != "").mean() == pytest.approx(0.78, abs=0.05)
    assert (t[t.quarter < "2014q3"].prod_ai == "").all()  # FAERS A has no prod_ai column
    assert set(reac.pt) & pts and reac.pt.isin(set(vocab.PTS) | pts).all()
    assert not reac.duplicated(["primaryid", "pt"]).any()
    assert reac.groupby("primaryid", sort=False).pt.apply(lambda s: list(s) == sorted(s)).all()
    ps = drug[drug.role_cod == "PS"].groupby("primaryid").size()
    assert (ps == 1).all() and len(ps) == tabs["demo"].primaryid.nunique()
    seq = drug.assign(s=drug.drug_seq.astype(int)).groupby("primaryid").s.agg(["min", "max", "size"])
    assert (seq["min"] == 1).all() and (seq["max"] == seq["size"]).all()
    # therapy dates point at existing drug rows
    ther = tabs["ther"].merge(drug[["primaryid", "drug_seq"]], left_on=["primaryid", "dsg_drug_seq"],
                              right_on=["primaryid", "drug_seq"], how="left", indicator=True)
    assert (ther["_merge"] == "both").all()


def test_tail_means_and_distinct_pairs(pair):
    (off, (toff, doff)), (on, (ton, don)) = pair
    n = ton["demo"].primaryid.nunique()
    assert n == toff["demo"].primaryid.nunique()
    added_drugs = (len(ton["drug"]) - len(toff["drug"])) / n
    added_pts = (len(ton["reac"]) - len(toff["reac"])) / n
    # Plan defaults: 0.20 · 1.3 = 0.26 drug rows, 0.16 · 1.5 = 0.24 PT draws per report
    assert added_drugs == pytest.approx(0.26, abs=0.03) and added_pts == pytest.approx(0.235, abs=0.03)
    tot = on.truth.tail["totals"]
    assert tot["drug_rows_per_new_report"] == pytest.approx(0.26, abs=0.03)
    head_off = pair_counts(toff, doff, off.truth)
    both = pair_counts(ton, don, on.truth)
    tail_ings, tail_pts = set(on.truth.tail["ingredient_names"]), {p.upper() for p in on.truth.tail["pt_names"]}
    idx = both.index.to_frame()
    is_tail = (idx.drug.isin(tail_ings) | idx.event.isin(tail_pts)).to_numpy()
    # without quirks the main random stream is the same with and without the tail, so the head
    # pairs and their counts are exactly those without it (a head PS demoted to SS stays a suspect)
    assert both[~is_tail].equals(head_off)
    # tail pairs: mostly rare (a small tail over 8 300 cases: measured 6 504 pairs, 99.6 % with n ≤ 2)
    assert is_tail.sum() > 0.2 * len(head_off)
    assert (both[is_tail] <= 2).mean() > 0.9


def test_planted_signals_unchanged_in_meaning_with_the_tail(pair):
    (_, _), (on, (tabs, deleted)) = pair
    keep = kept_cases(tabs, deleted)
    drug = tabs["drug"][tabs["drug"].primaryid.isin(keep)]
    ing = drug.prod_ai.where(drug.prod_ai != "", drug.drugname).map(on.truth.drug_names)
    voc = set(drug.primaryid[(ing == "VOCLOSPORIN") & drug.role_cod.isin(["PS", "SS"])])
    cases = tabs["demo"][tabs["demo"].primaryid.isin(keep)].drop_duplicates("primaryid")
    reac = tabs["reac"][tabs["reac"].primaryid.isin(keep)]
    exposed = cases.primaryid.isin(voc).to_numpy()
    for pt, target in (("Headache", 3.8), ("Tremor", 5.0)):
        ev = cases.primaryid.isin(set(reac.primaryid[reac.pt == pt])).to_numpy()
        cells = [int((exposed & ev).sum()), int((exposed & ~ev).sum()), int((~exposed & ev).sum()),
                 int((~exposed & ~ev).sum())]
        exp = on.truth.signal(pt)["expected"]
        assert cells == [exp["a"], exp["b"], exp["c"], exp["d"]]
        assert exp["ror"] == pytest.approx(target, rel=0.2)
    # a tail drug is never the PS of a voclosporin report (its PS is planted), only SS, C or I
    tail_rows = drug[ing.isin(set(on.truth.tail["ingredient_names"])) & drug.primaryid.isin(voc)]
    assert len(tail_rows) > 20 and "PS" not in set(tail_rows.role_cod)
    assert (drug[(ing == "VOCLOSPORIN") & (drug.role_cod == "PS")].drug_seq == "1").all()


def test_truth_records_the_tail_and_lambda_is_unchanged(pair):
    (off, _), (on, _) = pair
    t = SynthTruth.read(on.truth_path)  # round trip through truth.json
    assert t.tail["enabled"] and t.tail["ingredients"] == 300 and t.tail["pts"] == 2000
    assert t.tail["ingredient_names"] == [i.name for i in make_tail(11, Plan(**SMALL_TAIL)).ingredients]
    assert t.tail["drug_rate"] == Plan().tail_drug_rate and "lambda = 1" in t.tail["definition"]
    assert t.plan["tail_ingredients"] == 300 and t.plan["tail_pt_zipf"] == Plan().tail_pt_zipf
    # λ is drawn from its own stream: the same matrix with and without the tail
    assert t.pair_lambda["lambda"] == off.truth.pair_lambda["lambda"]
    assert t.pair_lambda["drugs"] == off.truth.pair_lambda["drugs"]
    assert len(t.pair_lambda_table()) == len(off.truth.pair_lambda_table())  # head pairs only
    # the tail's name lists sit on one line each
    lines = [ln for ln in on.truth_path.read_text().splitlines() if '_names": [' in ln]
    assert len(lines) == 2 and all(ln.rstrip(",").endswith("]") for ln in lines)


def test_tail_streams_are_separate_from_lambda():
    lam_stream = np.random.SeedSequence(5).spawn(1)[0]
    states = {tuple(s.generate_state(4)) for s in tail_streams(5)}
    assert len(states) == 3 and tuple(lam_stream.generate_state(4)) not in states


def test_tail_parameters_are_checked(tmp_path):
    with pytest.raises(SynthParameterError, match="tail_ingredients"):
        synthesize(tmp_path, "2020Q1", 10, plan=Plan(tail_ingredients=-1))
    with pytest.raises(SynthParameterError, match="tail_pts"):
        synthesize(tmp_path, "2020Q1", 10, plan=Plan(tail_pts=10**6))
    with pytest.raises(SynthParameterError, match="tail_drug_rate"):
        synthesize(tmp_path, "2020Q1", 10, plan=Plan(tail_pts=5, tail_drug_rate=1.5))
    with pytest.raises(SynthParameterError, match="zipf"):
        synthesize(tmp_path, "2020Q1", 10, plan=Plan(tail_pts=5, tail_pt_zipf=0))


def test_tail_through_the_pipeline(tmp_path):
    """Ingest and count a small tail corpus: no line lost, tail pairs in the count table as
    many as the calibration's simulation says, planted cells exact."""
    from pvsignal import api

    syn = synthesize(tmp_path / "z", "2014Q2:2014Q3", 1500, seed=2, plan=Plan(voclosporin_rate=0.03, **SMALL_TAIL))
    api.ingest([tmp_path / "z"], lake=tmp_path / "lake")
    rj = api.rejects(tmp_path / "lake")
    assert (rj["action"] == "rejected").sum() == 0
    t = api.signals(tmp_path / "lake", min_count=1).table
    tail_ings = set(syn.truth.tail["ingredient_names"])
    tail_pts = {p.upper() for p in syn.truth.tail["pt_names"]}
    is_tail = t.drug.isin(tail_ings) | t.event.isin(tail_pts)
    assert t.drug.isin(tail_ings).sum() > 200 and t.event.isin(tail_pts).sum() > 500
    # measured: 2 228 tail pairs in the lake, 2 292 simulated
    est = estimate_pairs(Plan(voclosporin_rate=0.03, **SMALL_TAIL), "2014Q2:2014Q3", 1500, seed=2)
    assert is_tail.sum() == pytest.approx(est["pairs_with_tail"], rel=0.1)
    for planted in syn.truth.signals:
        row = t[(t.drug == "VOCLOSPORIN") & (t.event == planted["event"].upper())].iloc[0]
        exp = planted["expected"]
        assert (row.a, row.b, row.c, row.d) == (exp["a"], exp["b"], exp["c"], exp["d"])
