"""Synthetic FAERS generator: byte-level format, layouts per era, planted truth recovered from files.

Expected headers are the column lists of FACTS.md §1.2 (LTS/YUN loaders, ASC_NTS); byte
conventions (CRLF, '$', legacy trailing '$', quirks) FACTS.md §1.4; corpus shape FACTS-2 §7.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pvsignal.errors import PvsignalError
from pvsignal.synth import Plan, SynthParameterError, SynthTruth, synthesize

# FACTS.md §1.2, header order
LEGACY_DEMO = ("ISR$CASE$I_F_COD$FOLL_SEQ$IMAGE$EVENT_DT$MFR_DT$FDA_DT$REPT_COD$MFR_NUM$MFR_SNDR$AGE$AGE_COD$"
               "GNDR_COD$E_SUB$WT$WT_COD$REPT_DT$OCCP_COD$DEATH_DT$TO_MFR$CONFID")
LEGACY_DRUG = "ISR$DRUG_SEQ$ROLE_COD$DRUGNAME$VAL_VBM$ROUTE$DOSE_VBM$DECHAL$RECHAL$LOT_NUM$EXP_DT$NDA_NUM"
A_DEMO = ("primaryid$caseid$caseversion$i_f_code$event_dt$mfr_dt$init_fda_dt$fda_dt$rept_cod$mfr_num$mfr_sndr$age$"
          "age_cod$gndr_cod$e_sub$wt$wt_cod$rept_dt$to_mfr$occp_cod$reporter_country$occr_country")
A_DRUG = ("primaryid$caseid$drug_seq$role_cod$drugname$val_vbm$route$dose_vbm$cum_dose_chr$cum_dose_unit$dechal$"
          "rechal$lot_nbr$exp_dt$nda_num$dose_amt$dose_unit$dose_form$dose_freq")
B_DEMO = ("primaryid$caseid$caseversion$i_f_code$event_dt$mfr_dt$init_fda_dt$fda_dt$rept_cod$auth_num$mfr_num$"
          "mfr_sndr$lit_ref$age$age_cod$age_grp$sex$e_sub$wt$wt_cod$rept_dt$to_mfr$occp_cod$reporter_country$"
          "occr_country")
B_DRUG = ("primaryid$caseid$drug_seq$role_cod$drugname$prod_ai$val_vbm$route$dose_vbm$cum_dose_chr$cum_dose_unit$"
          "dechal$rechal$lot_num$exp_dt$nda_num$dose_amt$dose_unit$dose_form$dose_freq")

# enough voclosporin reports at small N that the planted counts are visible
DENSE = Plan(voclosporin_rate=0.03)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def table(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), sep="$", dtype=str, keep_default_na=False,
                       quoting=csv.QUOTE_NONE, index_col=False)


@pytest.fixture(scope="module")
def faers(tmp_path_factory):
    """Eight FAERS-B quarters, clean files (quirks off)."""
    out = tmp_path_factory.mktemp("faers")
    return synthesize(out, "2023Q1:2024Q4", 3000, seed=11, quirks=False, plan=DENSE)


@pytest.fixture(scope="module")
def crossing(tmp_path_factory):
    """2012Q2–2014Q3: legacy L2, FAERS A (2012Q4 lower-case names) and B, with quirks."""
    out = tmp_path_factory.mktemp("crossing")
    return synthesize(out, "2012Q2:2014Q3", 400, seed=5, quirks=True)


@pytest.fixture(scope="module")
def faers_tables(faers):
    """DEMO, DRUG, REAC, THER of all quarters, deleted ids, read with pandas."""
    return read_tables(faers)


@pytest.fixture(scope="module")
def independent(tmp_path_factory):
    """The ``faers`` corpus with pair heterogeneity off: every unplanted pair exactly λ = 1."""
    out = tmp_path_factory.mktemp("independent")
    res = synthesize(out, "2023Q1:2024Q4", 3000, seed=11, quirks=False,
                     plan=Plan(voclosporin_rate=0.03, pair_heterogeneity=False))
    return res, read_tables(res)


def read_tables(res):
    out = {k: [] for k in ("demo", "drug", "reac", "ther")}
    deleted = []
    for p in res.paths:
        m = members(p)
        q = p.name[12:18]
        for k in out:
            name = next(n for n in m if n.lower().startswith(f"ascii/{k}"))
            out[k].append(table(m[name]).assign(quarter=q))
        deleted += [int(x) for x in m[next(n for n in m if n.startswith("Deleted/"))].split()]
    return {k: pd.concat(v, ignore_index=True) for k, v in out.items()}, set(deleted)


def dedup(demo: pd.DataFrame, deleted: set[int]) -> pd.DataFrame:
    """FDA rule (FACTS.md §1.5): latest version per caseid, deleted caseids removed."""
    d = demo.assign(caseid=demo.caseid.astype(int), caseversion=demo.caseversion.astype(int))
    d = d.sort_values(["caseid", "caseversion", "fda_dt"]).drop_duplicates("caseid", keep="last")
    return d[~d.caseid.isin(deleted)]


# --- names and layouts ----------------------------------------------------------------------

def test_zip_and_member_names_per_era(crossing):
    names = [p.name for p in crossing.paths]
    assert names[:4] == ["aers_ascii_2012q2.zip", "aers_ascii_2012q3.zip", "faers_ascii_2012q4.zip",
                         "faers_ascii_2013q1.zip"]
    assert sorted(members(crossing.paths[0])) == sorted(
        [f"ASCII/{t}12Q2.TXT" for t in ("DEMO", "DRUG", "REAC", "OUTC", "RPSR", "THER", "INDI")] + ["SYNTHETIC.txt"])
    assert "ASCII/demo12q4.txt" in members(crossing.paths[2])
    assert "ASCII/OUTC13Q1.txt" in members(crossing.paths[3])
    assert b"SYNTHETIC DATA" in members(crossing.paths[0])["SYNTHETIC.txt"]
    assert not any(n.startswith("Deleted/") for p in crossing.paths for n in members(p))
    assert crossing.truth_path == crossing.outdir / "truth.json"


def first_line(data: bytes) -> str:
    return data.split(b"\r\n", 1)[0].decode()


def test_headers_change_at_2012q4_and_2014q3(crossing):
    by_q = {f["quarter"]: members(crossing.outdir / f["path"]) for f in crossing.truth.files}
    assert [f["layout"] for f in crossing.truth.files] == ["L2", "L2"] + ["A"] * 7 + ["B"]
    assert first_line(by_q["2012Q3"]["ASCII/DEMO12Q3.TXT"]) == LEGACY_DEMO + "$REPORTER_COUNTRY"
    assert first_line(by_q["2012Q3"]["ASCII/DRUG12Q3.TXT"]) == LEGACY_DRUG
    assert first_line(by_q["2012Q3"]["ASCII/REAC12Q3.TXT"]) == "ISR$PT"
    assert first_line(by_q["2012Q3"]["ASCII/THER12Q3.TXT"]) == "ISR$DRUG_SEQ$START_DT$END_DT$DUR$DUR_COD"
    assert first_line(by_q["2012Q4"]["ASCII/demo12q4.txt"]) == A_DEMO
    assert first_line(by_q["2012Q4"]["ASCII/outc12q4.txt"]) == "primaryid$caseid$outc_code"
    assert first_line(by_q["2013Q1"]["ASCII/OUTC13Q1.txt"]) == "primaryid$caseid$outc_cod"
    assert first_line(by_q["2014Q2"]["ASCII/DRUG14Q2.txt"]) == A_DRUG
    assert first_line(by_q["2014Q2"]["ASCII/REAC14Q2.txt"]) == "primaryid$caseid$pt"
    assert first_line(by_q["2014Q3"]["ASCII/DEMO14Q3.txt"]) == B_DEMO
    assert first_line(by_q["2014Q3"]["ASCII/DRUG14Q3.txt"]) == B_DRUG
    assert first_line(by_q["2014Q3"]["ASCII/REAC14Q3.txt"]) == "primaryid$caseid$pt$drug_rec_act"
    assert first_line(by_q["2014Q3"]["ASCII/INDI14Q3.txt"]) == "primaryid$caseid$indi_drug_seq$indi_pt"


def test_legacy_demo_before_2005q3_has_no_reporter_country_and_2018q1_demo_is_new(tmp_path):
    res = synthesize(tmp_path, "2005Q2:2005Q3", 50, seed=1)
    assert first_line(members(res.paths[0])["ASCII/DEMO05Q2.TXT"]) == LEGACY_DEMO
    assert first_line(members(res.paths[1])["ASCII/DEMO05Q3.TXT"]) == LEGACY_DEMO + "$REPORTER_COUNTRY"
    res = synthesize(tmp_path / "b", "2018Q1", 50, seed=1)
    assert "ASCII/DEMO18Q1_new.txt" in members(res.paths[0])  # FACTS.md §1.1


# --- bytes ----------------------------------------------------------------------------------

def test_crlf_dollar_and_legacy_trailing_dollar(tmp_path):
    res = synthesize(tmp_path, "2012Q3:2012Q4", 300, seed=2, quirks=False)
    for path in res.paths:
        for name, data in members(path).items():
            if not name.startswith("ASCII/"):
                continue
            assert data.endswith(b"\r\n") and data.count(b"\n") == data.count(b"\r\n"), name
            lines = data.split(b"\r\n")[:-1]
            width = lines[0].count(b"$") + 1
            assert not lines[0].endswith(b"$")
            counts = {ln.count(b"$") + 1 for ln in lines[1:]}
            if path.name.startswith("aers_"):
                assert counts == {width + 1}, name  # extra empty field from the trailing '$'
                assert all(ln.endswith(b"$") for ln in lines[1:])
            else:
                assert counts == {width}, name
            assert not any(b < 0x20 and b not in (0x0A, 0x0D) for b in data), name


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    def digest(d: Path, seed: int) -> list[str]:
        res = synthesize(d, "2019Q4:2020Q1", 200, seed=seed)
        return [hashlib.sha256(p.read_bytes()).hexdigest() for p in res.paths] + [
            hashlib.sha256(res.truth_path.read_bytes()).hexdigest()]

    assert digest(tmp_path / "a", 7) == digest(tmp_path / "b", 7)
    assert digest(tmp_path / "a", 7)[0] != digest(tmp_path / "c", 8)[0]


def test_no_zip_writes_the_same_files_as_folders(tmp_path):
    z = synthesize(tmp_path / "z", "2019Q1", 200, seed=3)
    f = synthesize(tmp_path / "f", "2019Q1", 200, seed=3, zipped=False)
    assert f.paths[0] == tmp_path / "f" / "faers_ascii_2019q1" and f.paths[0].is_dir()
    for name, data in members(z.paths[0]).items():
        assert (f.paths[0] / name).read_bytes() == data


# --- versions, deletions, era boundary ------------------------------------------------------

def test_superseded_share_is_about_17_percent(faers, faers_tables):
    tabs, _ = faers_tables
    demo = tabs["demo"]
    superseded = len(demo) - demo.caseid.nunique()  # one latest row per case
    assert superseded == faers.truth.cases["superseded_rows"]
    assert superseded / len(demo) == pytest.approx(0.17, abs=0.01)  # FACTS-2 §7: 16.8 %


def test_followups_have_higher_version_and_later_fda_dt(faers_tables):
    demo = faers_tables[0]["demo"].astype({"caseid": int, "caseversion": int, "fda_dt": int})
    demo = demo.sort_values(["caseid", "quarter"])
    g = demo.groupby("caseid")
    later = demo[g.cumcount() > 0]
    prev = demo.loc[g.shift(-1).dropna(subset=["quarter"]).index]
    assert len(later) > 1000
    assert (later.caseversion.to_numpy() > prev.caseversion.to_numpy()).all()
    assert (later.fda_dt.to_numpy() > prev.fda_dt.to_numpy()).all()
    assert (later.i_f_code == "F").all()
    assert (demo.primaryid == demo.caseid.astype(str) + demo.caseversion.astype(str)).all()


def test_deleted_lists(faers, faers_tables):
    tabs, deleted = faers_tables
    listed = {int(x) for d in faers.truth.deleted.values() for x in d["listed"]}
    assert listed == deleted and len(deleted) >= 8 * 6
    caseids = set(tabs["demo"].caseid.astype(int))
    present = {x for d in faers.truth.deleted.values() for x in d["present"]}
    assert present <= caseids and not (deleted - present) & caseids
    # rows removed by each dedup step: every version of a deleted case; older versions of the rest
    ids = tabs["demo"].caseid.astype(int)
    assert faers.truth.cases["deleted_case_rows"] == int(ids.isin(deleted).sum()) > len(present)
    assert faers.truth.cases["superseded_rows_of_kept_cases"] == (
        len(ids) - faers.truth.cases["deleted_case_rows"] - faers.truth.cases["cases_after_dedup"])
    raw = members(faers.paths[0])["Deleted/DELETE23Q1.txt"]
    assert raw.endswith(b"\r\n") and all(ln.isdigit() for ln in raw.split(b"\r\n")[:-1])


def tolerant(data: bytes) -> pd.DataFrame:
    """Rows with exactly the header's fields (legacy: plus the trailing one); quirk rows skipped."""
    lines = data.decode().split("\r\n")[:-1]
    head = lines[0].split("$")
    rows = [ln.split("$")[: len(head)] for ln in lines[1:] if ln.count("$") in (len(head) - 1, len(head))]
    return pd.DataFrame(rows, columns=head)


def test_cases_span_the_2012_era_boundary(crossing):
    d3 = tolerant(members(crossing.paths[1])["ASCII/DEMO12Q3.TXT"])
    d4 = tolerant(members(crossing.paths[2])["ASCII/demo12q4.txt"])
    span = set(crossing.truth.cases["era_spanning_caseids"])
    faers_cases = set()
    for p in crossing.paths[2:]:
        m = members(p)
        faers_cases |= set(tolerant(m[next(n for n in m if n.lower().startswith("ascii/demo"))]).caseid.astype(int))
    legacy_cases = set(d3.CASE.astype(int)) | set(tolerant(members(crossing.paths[0])["ASCII/DEMO12Q2.TXT"]).CASE.astype(int))
    # quirk rows (skipped by the tolerant reader) may hide a few
    assert len(span) > 50 and len(span - (faers_cases & legacy_cases)) <= 3
    assert span & set(d4.caseid.astype(int))
    assert (d3.REPORTER_COUNTRY.str.len() != 2).all()  # legacy: full country names
    assert set(d4.reporter_country) - {""} <= {"US", "GB", "CA", "JP", "FR", "DE", "IT", "ES", "BR", "CN", "AU",
                                             "NL", "IN", "KR", "CO", "AR", "BE", "SE", "CH", "MX"}


# --- quirks ---------------------------------------------------------------------------------

def test_quirk_lines_are_where_truth_says(crossing):
    q = crossing.truth.quirks
    assert {r["kind"] for r in q} == {"embedded_dollar", "control_char", "missing_trailing_fields", "collapsed_lines"}
    zips = {f["quarter"]: crossing.outdir / f["path"] for f in crossing.truth.files}
    for r in q:
        data = members(zips[r["quarter"]])[r["file"]]
        lines = data.split(b"\r\n")
        line = lines[r["line"] - 1].decode()
        width = lines[0].count(b"$") + 1
        extra = 1 if r["file"].endswith(".TXT") else 0  # legacy trailing '$'
        key = str(r["isr"] if "isr" in r else r["primaryid"]) if r["kind"] != "collapsed_lines" else None
        fields = line.split("$")
        if r["kind"] == "embedded_dollar":
            assert fields[0] == key and r["written"] in line and len(fields) == width + extra + 1
            assert r["written"].replace("$", "") == r["intended"]
        elif r["kind"] == "control_char":
            assert fields[0] == key and "\x08" in line and r["written"].replace("\x08", "") == r["intended"]
        elif r["kind"] == "missing_trailing_fields":
            assert fields[0] == key and len(fields) == r["fields_written"] + extra < width + extra
        else:
            assert r["file"].startswith("ASCII/DRUG") and r["file"].endswith(".TXT")
            assert len(fields) == 2 * (width + extra) - 1
            assert fields[0] == str(r["isr"][0]) and fields[width] == str(r["isr"][1])
            assert fields[1] == str(r["drug_seq"][0]) and fields[width + 1] == str(r["drug_seq"][1])


def test_no_quirks_gives_clean_files(faers):
    assert faers.truth.quirks == []
    for p in faers.paths:
        for name, data in members(p).items():
            assert b"\x08" not in data


# --- planted signals ------------------------------------------------------------------------

def exposure(tabs, deleted, truth: SynthTruth):
    cases = dedup(tabs["demo"], deleted)
    latest = set(cases.primaryid)
    drug = tabs["drug"][tabs["drug"].primaryid.isin(latest)]
    ingredient = drug.prod_ai.where(drug.prod_ai != "", drug.drugname.map(truth.drug_names))
    voc = set(drug.primaryid[(ingredient == "VOCLOSPORIN") & drug.role_cod.isin(["PS", "SS"])])
    reac = tabs["reac"][tabs["reac"].primaryid.isin(latest)]
    exposed = cases.primaryid.isin(voc).to_numpy()
    return cases, drug, reac, exposed


def cells(cases, reac, exposed, pt):
    ev = cases.primaryid.isin(set(reac.primaryid[reac.pt.str.upper() == pt])).to_numpy()
    return [int((exposed & ev).sum()), int((exposed & ~ev).sum()), int((~exposed & ev).sum()),
            int((~exposed & ~ev).sum())]


def test_planted_ror_recomputed_from_files(faers, faers_tables):
    tabs, deleted = faers_tables
    cases, _, reac, exposed = exposure(tabs, deleted, faers.truth)
    assert len(cases) == faers.truth.cases["cases_after_dedup"]
    for pt, target in (("HEADACHE", 3.8), ("TREMOR", 5.0)):
        a, b, c, d = cells(cases, reac, exposed, pt)
        exp = faers.truth.signal(pt.title())["expected"]
        assert [a, b, c, d] == [exp["a"], exp["b"], exp["c"], exp["d"]]
        assert a * d / (b * c) == pytest.approx(target, rel=0.15)


def test_unplanted_pairs_are_null(faers, faers_tables):
    # nausea was not planted: its ROR for voclosporin must be near 1 (CI covers 1)
    tabs, deleted = faers_tables
    cases, _, reac, exposed = exposure(tabs, deleted, faers.truth)
    a, b, c, d = cells(cases, reac, exposed, "NAUSEA")
    ln = np.log(a * d / (b * c))
    se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    assert ln - 2.58 * se < 0 < ln + 2.58 * se


def test_interaction_tremor_more_frequent_with_cyp3a4_inhibitor(faers, faers_tables):
    tabs, deleted = faers_tables
    cases, drug, reac, exposed = exposure(tabs, deleted, faers.truth)
    ingredient = drug.prod_ai.where(drug.prod_ai != "", drug.drugname.map(faers.truth.drug_names))
    inh = set(drug.primaryid[ingredient.isin(["KETOCONAZOLE", "ITRACONAZOLE", "CLARITHROMYCIN"])])
    trem = set(reac.primaryid[reac.pt == "Tremor"])
    voc = cases[exposed]
    w = voc.primaryid.isin(inh)
    t = voc.primaryid.isin(trem)
    truth = faers.truth.interaction
    assert int(w.sum()) == truth["with_inhibitor"]["reports"]
    assert int((w & t).sum()) == truth["with_inhibitor"]["tremor"]
    assert (w & t).sum() / w.sum() > 1.8 * (~w & t).sum() / (~w).sum()


def test_onset_is_weibull_with_the_planted_shape_and_scale(faers, faers_tables):
    tabs, deleted = faers_tables
    cases, drug, _, exposed = exposure(tabs, deleted, faers.truth)
    ingredient = drug.prod_ai.where(drug.prod_ai != "", drug.drugname.map(faers.truth.drug_names))
    vrows = drug[(ingredient == "VOCLOSPORIN")][["primaryid", "drug_seq"]]
    ther = tabs["ther"].merge(vrows, left_on=["primaryid", "dsg_drug_seq"], right_on=["primaryid", "drug_seq"])
    ther = ther[ther.start_dt.str.len() == 8].merge(cases[cases.event_dt.str.len() == 8][["primaryid", "event_dt"]])
    days = (pd.to_datetime(ther.event_dt) - pd.to_datetime(ther.start_dt)).dt.days.to_numpy()
    assert sorted(days.tolist()) == faers.truth.onset["days"]
    shape, _, scale = stats.weibull_min.fit(days, floc=0)
    # n ≈ 500: SE(shape) ≈ 0.03, SE(scale) ≈ 7 days
    assert shape == pytest.approx(0.8, abs=0.12)
    assert scale == pytest.approx(120, rel=0.2)


# --- pair-level heterogeneity (true λ per ingredient–PT pair) --------------------------------

def pair_table(tabs, deleted, truth: SynthTruth) -> tuple[pd.DataFrame, int]:
    """Every (ingredient, PT) pair of the λ truth with n (cases with the ingredient as PS/SS
    and the PT), margins and E = n_i·n_j/N over deduplicated cases (zero counts kept)."""
    cases, drug, reac, _ = exposure(tabs, deleted, truth)
    drug = drug[drug.role_cod.isin(["PS", "SS"])]
    ing = drug.prod_ai.where(drug.prod_ai != "", drug.drugname.map(truth.drug_names))
    dr = pd.DataFrame({"primaryid": drug.primaryid, "drug": ing}).drop_duplicates()
    ev = pd.DataFrame({"primaryid": reac.primaryid, "event": reac.pt.str.upper()}).drop_duplicates()
    ev = ev[ev.primaryid.isin(set(dr.primaryid))]
    n_cases = dr.primaryid.nunique()
    n = dr.merge(ev, on="primaryid").groupby(["drug", "event"]).size().rename("n").reset_index()
    t = truth.pair_lambda_table()
    t = t.join(dr.groupby("drug").size().rename("ni"), on="drug")
    t = t.join(ev.groupby("event").size().rename("nj"), on="event")
    t = t.dropna(subset=["ni", "nj"]).merge(n, on=["drug", "event"], how="left").fillna({"n": 0})
    t["E"] = t.ni * t.nj / n_cases
    a, b, c = t.n, t.ni - t.n, t.nj - t.n
    t["ror"] = a * (n_cases - t.ni - t.nj + t.n) / (b * c)
    return t, n_cases


def prior_sd(prior) -> float:
    """SD of λ under the two-gamma mixture prior (Gamma(α, rate β): mean α/β, var α/β²)."""
    m = np.array([prior.alpha1 / prior.beta1, prior.alpha2 / prior.beta2])
    v = np.array([prior.alpha1 / prior.beta1 ** 2, prior.alpha2 / prior.beta2 ** 2])
    w = np.array([prior.p, 1 - prior.p])
    mean = w @ m
    return float(np.sqrt(w @ (v + m ** 2) - mean ** 2))


def test_true_lambda_is_recorded_normalised_and_drawn_as_documented(faers):
    from pvsignal.synth import vocab
    from pvsignal.synth.draw import DRUG_W, PT_W

    pl = SynthTruth.read(faers.truth_path).pair_lambda  # round trip through truth.json
    lam = np.array(pl["lambda"])
    assert lam.shape == (len(vocab.INGREDIENTS), len(vocab.PTS)) and pl["drugs"][0] == vocab.INGREDIENTS[0].name
    assert lam.tolist() == faers.truth.pair_lambda["lambda"]
    voc = pl["drugs"].index("VOCLOSPORIN")
    assert (lam[voc] == 1).all()
    free = np.arange(len(lam)) != voc
    # rescaled so every drug and every PT keeps its share (3 significant digits: ≤ 0.05 %)
    assert np.abs(lam[free] @ PT_W - 1).max() < 2e-3
    assert np.abs(DRUG_W @ lam - 1).max() < 2e-3
    # mixture: 4 % elevated (SE 0.07 % over 78 648 pairs), ln λ ~ N(ln 4, 0.5²) before rescaling
    elevated = np.zeros(lam.size, dtype=bool)
    elevated[pl["elevated"]] = True
    elevated = elevated.reshape(lam.shape)[free]
    assert elevated.mean() == pytest.approx(0.04, abs=0.003)
    bulk, high = np.log(lam[free][~elevated]), np.log(lam[free][elevated])
    scale = np.median(bulk)  # the common rescaling, ln(1/1.2) or so
    assert -0.3 < scale < -0.1
    assert np.std(bulk) == pytest.approx(0.35, abs=0.03)
    assert np.median(high) - scale == pytest.approx(np.log(4), abs=0.05)
    assert np.std(high) == pytest.approx(0.5, abs=0.05)


def test_observed_disproportionality_follows_true_lambda(faers, faers_tables):
    t, _ = pair_table(*faers_tables, faers.truth)
    bg = t[t.kind == "background"]
    assert len(bg) > 70_000

    def band(lo, hi):
        return bg[(bg.true_lambda >= lo) & (bg.true_lambda < hi)]

    # pooled observed/expected over all pairs of a band (zero counts included) ≈ λ; high λ
    # is attenuated a little (a PT counts once per report). Measured (seed 11): 0.59, 1.00, 3.78
    assert band(0, 0.7).n.sum() / band(0, 0.7).E.sum() < 0.7
    assert band(0.9, 1.1).n.sum() / band(0.9, 1.1).E.sum() == pytest.approx(1.0, abs=0.08)
    high = band(3, np.inf)
    assert high.n.sum() / high.E.sum() > 3.0
    # observed ROR of pairs with large true λ (n ≥ 3): median 5.2 against 1.3 for λ ≈ 1
    null = band(0.9, 1.1)
    assert high[high.n >= 3].ror.median() > 3.0
    assert high[high.n >= 3].ror.median() > 2.5 * null[null.n >= 3].ror.median()
    assert (high[high.n >= 3].ror > 1).mean() > 0.9


def test_mgps_prior_is_heterogeneous_and_no_longer_at_a_bound(faers, faers_tables, independent):
    from pvsignal.stats.mgps import ebgm_scores, fit_prior

    def fit(tabs, deleted, truth):
        t, _ = pair_table(tabs, deleted, truth)
        t = t[t.n >= 1]
        f = fit_prior(t.n.to_numpy(), t.E.to_numpy())
        head = t[(t.drug == "VOCLOSPORIN") & (t.event == "HEADACHE")]
        return f, ebgm_scores(head.n.to_numpy(), head.E.to_numpy(), f.prior).iloc[0]

    het, het_head = fit(*faers_tables, faers.truth)
    res, tabs = independent
    ind, ind_head = fit(*tabs, res.truth)
    # heterogeneous pairs: interior optimum, a prior with real spread (measured SD 0.62),
    # and the planted voclosporin–headache (ROR 3.8, n ≈ 100, E ≈ 33) survives shrinkage
    assert not het.at_bound and 0.01 < het.prior.p < 0.99
    assert prior_sd(het.prior) > 0.3
    assert het_head.eb05 > 2.0
    # exactly independent pairs: the prior collapses onto λ ≈ 1 and shrinks the signal away
    assert res.truth.pair_lambda["lambda"] is None and (res.truth.pair_lambda_table().query(
        "kind == 'background'").true_lambda == 1).all()
    assert prior_sd(ind.prior) < 0.05
    assert ind_head.ebgm < 1.1


def test_pair_heterogeneity_parameters_are_checked(tmp_path):
    with pytest.raises(SynthParameterError, match="elevated_share"):
        synthesize(tmp_path, "2020Q1", 10, plan=Plan(elevated_share=1.5))
    with pytest.raises(SynthParameterError, match="pair_sd"):
        synthesize(tmp_path, "2020Q1", 10, plan=Plan(pair_sd=-0.1))
    with pytest.raises(SynthParameterError, match="elevated_median"):
        synthesize(tmp_path, "2020Q1", 10, plan=Plan(elevated_median=0))


# --- shape of the corpus (FACTS-2 §7) -------------------------------------------------------

def test_corpus_shape(faers_tables):
    tabs, _ = faers_tables
    per = tabs["drug"].groupby("primaryid").size()
    assert 3.0 < per.mean() < 4.8 and per.median() in (1, 2) and per.max() >= 20
    pts = tabs["reac"].groupby("primaryid").size()
    assert 2.5 < pts.mean() < 3.6
    assert (tabs["drug"].prod_ai != "").mean() == pytest.approx(0.78, abs=0.02)
    ps = tabs["drug"][tabs["drug"].role_cod == "PS"].groupby("primaryid").size()
    assert (ps == 1).all() and len(ps) == tabs["demo"].primaryid.nunique()
    assert not tabs["reac"].duplicated(["primaryid", "pt"]).any()
    top = tabs["reac"].pt.value_counts()
    assert top.iloc[0] > 10 * top.iloc[-50]  # long tail
    assert {"Headache", "Nausea", "Diarrhoea", "Hypertension", "Tremor"} <= set(top.index)


def test_every_drug_name_string_names_one_ingredient():
    from pvsignal.synth import vocab
    from pvsignal.synth.format import DRUGNAMES_FAERS, DRUGNAMES_LEGACY, PROD_AI

    pairs = {(name, vocab.INGREDIENTS[k // 8].name) for k, name in enumerate(DRUGNAMES_FAERS)}
    pairs |= {(name, vocab.INGREDIENTS[k // 8].name) for k, name in enumerate(DRUGNAMES_LEGACY)}
    pairs |= {(name, vocab.INGREDIENTS[k].name) for k, name in enumerate(PROD_AI)}
    names = [n for n, _ in pairs]
    assert len(names) == len(set(names))
    assert ("LUPKYNIS", "VOCLOSPORIN") in pairs and ("VOCLOSPORIN 7.9MG CAPSULE", "VOCLOSPORIN") in pairs
    assert ("DILTIAZEM HYDROCHLORIDE", "DILTIAZEM") in pairs


# --- errors and CLI -------------------------------------------------------------------------

def test_bad_parameters_raise_user_errors(tmp_path):
    with pytest.raises(SynthParameterError, match="positive integer"):
        synthesize(tmp_path, "2020Q1", 0)
    with pytest.raises(SynthParameterError, match="2004Q1"):
        synthesize(tmp_path, "2003Q4", 10)
    with pytest.raises(PvsignalError, match="quarter"):
        synthesize(tmp_path, "2020Q5", 10)


def test_cli_writes_zips_and_truth(tmp_path, capsys):
    from pvsignal.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["synth", str(tmp_path), "--quarters", "2019Q4:2020Q1", "--reports-per-quarter", "100"])
    assert exc.value.code in (0, None)
    assert (tmp_path / "faers_ascii_2020q1.zip").exists() and (tmp_path / "truth.json").exists()
    assert SynthTruth.read(tmp_path / "truth.json").quarters == ["2019Q4", "2020Q1"]
    with pytest.raises(SystemExit) as exc:
        main(["synth", str(tmp_path), "--quarters", "2020Q1", "--reports-per-quarter", "0"])
    assert exc.value.code == 2
    assert "positive integer" in capsys.readouterr().err


@pytest.mark.slow
def test_ror_recoverable_at_100k_reports_default_plan(tmp_path):
    res = synthesize(tmp_path, "2023Q1:2024Q4", 12_500, seed=0)
    assert res.truth.signal("Headache")["expected"]["ror"] == pytest.approx(3.8, rel=0.15)
    assert res.truth.signal("Tremor")["expected"]["ror"] == pytest.approx(5.0, rel=0.15)
