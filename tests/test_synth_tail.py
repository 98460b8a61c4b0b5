"""Synthetic FAERS generator: the optional long tail of rare drugs and events (pvsignal.synth.tail).

Tail off must leave every byte as it was; tail on must add unique, synthetic, FAERS-shaped
drugs and PTs that are independent of everything else (λ = 1), keep the planted signals,
and multiply the distinct (suspect ingredient, PT) pairs as the calibration says.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

import numpy as np
import pandas as pd
import pytest

from pvsignal.synth import Plan, SynthParameterError, SynthTruth, synthesize, vocab
from pvsignal.synth.tail import FAERS_TAIL, TAIL_VARIANT_W, add_tail, make_tail, tail_streams
from pvsignal.synth.tail_estimate import estimate_pairs
from pvsignal.synth.tail_names import _STEMS

#: corpora of both eras (legacy AERS 2012Q3 and FAERS A; FAERS B with Deleted files), quirks on
TAIL_OFF_CORPORA = [("2012Q3:2012Q4", 300, 3), ("2019Q4:2020Q1", 300, 7)]
#: every tail setting but the two sizes moved away from its default
ODD_TAIL = {"tail_drug_rate": 0.9, "tail_drug_extra": 2.0, "tail_ps_share": 0.9, "tail_drug_zipf": 2.5,
            "tail_drug_q": 3.0, "tail_pt_rate": 0.9, "tail_pt_extra": 2.0, "tail_pt_zipf": 1.1, "tail_pt_q": 1.0}

#: small tail for fast tests: rates and shapes at the Plan defaults (the calibrated ones)
SMALL_TAIL = {"tail_ingredients": 300, "tail_pts": 2000}


def members(res) -> dict[str, bytes]:
    out = {}
    for p in res.paths:
        with zipfile.ZipFile(p) as zf:
            out.update({f"{p.name}/{name}": zf.read(name) for name in zf.namelist()})
    return out


def digest(res) -> tuple[dict[str, bytes], bytes]:
    """Every member's bytes (zip bytes would also compare zlib) and truth.json."""
    return members(res), res.truth_path.read_bytes()


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

@pytest.mark.parametrize("args", TAIL_OFF_CORPORA)
def test_tail_off_ignores_every_tail_setting(tmp_path, args):
    # sizes 0: nothing of the tail is drawn, so no other tail setting can reach the output;
    # another seed differs (the comparison is not blind)
    quarters, n, seed = args
    default = digest(synthesize(tmp_path / "a", quarters, n, seed=seed))
    assert digest(synthesize(tmp_path / "b", quarters, n, seed=seed, plan=Plan(**ODD_TAIL))) == default
    assert digest(synthesize(tmp_path / "c", quarters, n, seed=seed + 1))[0] != default[0]


def test_tail_on_leaves_the_head_files_as_they_are_without_it(pair):
    # the tail draws from its own stream after the head: with quirks off, the tables it does not
    # touch are byte for byte those of the run without it, and dropping its rows from DRUG and
    # REAC gives back the head rows (a head PS demoted to SS and drug_seq shifted aside)
    (off, (toff, _)), (on, (ton, _)) = pair
    moff, mon = members(off), members(on)
    assert moff.keys() == mon.keys()
    for name in moff:
        if name.split("/")[-1][:4].upper() in ("DEMO", "OUTC", "RPSR"):
            assert moff[name] == mon[name], name
    tail_ings, tail_pts = set(on.truth.tail["ingredient_names"]), set(on.truth.tail["pt_names"])
    reac = ton["reac"][~ton["reac"].pt.isin(tail_pts)].reset_index(drop=True)
    assert reac.equals(toff["reac"])
    ing = ton["drug"].prod_ai.where(ton["drug"].prod_ai != "", ton["drug"].drugname).map(on.truth.drug_names)
    cols = ["primaryid", "caseid", "drugname", "prod_ai", "route", "dose_vbm", "quarter"]
    head = ton["drug"][~ing.isin(tail_ings)][cols].reset_index(drop=True)
    assert head.equals(toff["drug"][cols])


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


def test_tail_popularity_follows_its_zipf_weights(pair):
    # among the deduplicated cases, the most popular tail drugs and PTs take the share of the
    # tail rows that their Zipf–Mandelbrot weight 1/(rank + q)^s gives (Plan defaults:
    # s = 1.2, q = 300 for drugs; s = 1.9, q = 100 for PTs), within 4 binomial SDs
    _, (on, (tabs, deleted)) = pair
    tail = make_tail(11, Plan(**SMALL_TAIL))
    keep = kept_cases(tabs, deleted)
    drug, reac = (tabs[t][tabs[t].primaryid.isin(keep)] for t in ("drug", "reac"))
    ing = drug.prod_ai.where(drug.prod_ai != "", drug.drugname).map(on.truth.drug_names)
    names = [i.name for i in tail.ingredients]
    for seen, order, w in ((ing[ing.isin(set(names))], names, tail.drug_w),
                           (reac.pt[reac.pt.isin(set(tail.pts))], list(tail.pts), tail.pt_w)):
        n, counts, p = len(seen), seen.value_counts(), w / w.sum()
        assert n > 1000
        for rank in range(5):
            expected = n * p[rank]
            assert abs(counts.get(order[rank], 0) - expected) < 4 * np.sqrt(expected * (1 - p[rank])), (rank, order[rank])
        # and the more popular half of the names its share of the rows
        half, share = order[: len(order) // 2], p[: len(order) // 2].sum()
        assert abs(counts.reindex(half).fillna(0).sum() - n * share) < 4 * np.sqrt(n * share * (1 - share))


@pytest.mark.parametrize("tail", [False, True], ids=["tail off", "tail on"])
def test_planted_signals_unchanged_in_meaning_with_the_tail(pair, tail):
    on, (tabs, deleted) = pair[tail]
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
    if not tail:
        return
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
