"""End to end on generated FAERS: synth → ingest → dedup → signals, onset, interactions.

Expected values come from the generator's ``truth.json`` (what it planted and the exact
counts after the FDA deduplication rule), never from the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest

from pvsignal import api
from pvsignal.analysis.onset import weibull_fit
from pvsignal.store.lake import connect_raw
from pvsignal.synth import synthesize

#: the shared corpus (seven years of synthetic quarters, ingested) takes about 50 s to build
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    # 2012Q3–2019Q2 crosses every layout: legacy AERS (2012Q3), FAERS A (2012Q4–2014Q2),
    # FAERS B (2014Q3+), and the Deleted lists (2019Q1+)
    root = tmp_path_factory.mktemp("e2e")
    syn = synthesize(root / "faers", quarters="2012Q3:2019Q2", reports_per_quarter=1500, seed=11)
    lake = root / "lake"
    api.ingest([root / "faers"], lake=lake)
    return syn.truth, lake


def test_every_case_once_as_its_latest_version(corpus):
    truth, lake = corpus
    st = api.status(lake)
    assert st["reports"] == truth.cases["demo_rows"]  # no DEMO line lost
    assert st["cases"] == truth.cases["cases_after_dedup"]
    assert st["removed_old_versions"] == truth.cases["superseded_rows_of_kept_cases"]
    assert st["removed_deleted"] == truth.cases["deleted_case_rows"]
    assert st["cases_in_both_eras"] == truth.cases["era_spanning_cases"]
    con = api.connect(lake)
    dup = con.execute("SELECT count(*) FROM (SELECT caseid FROM cases GROUP BY caseid HAVING count(*) > 1)").fetchall()[0][0]
    assert dup == 0
    # no kept report has a later version in the lake: FAERS over AERS, then fda_dt, then primaryid
    raw = connect_raw(lake)
    kept = con.execute("SELECT caseid, primaryid, era, fda_dt FROM cases").df()
    raw.register("kept", kept)
    later = raw.execute(
        """SELECT count(*) FROM raw_demo d JOIN kept k USING (caseid)
           WHERE (d.era = 'faers' AND k.era = 'aers')
              OR (d.era = k.era AND (d.fda_dt > k.fda_dt OR (d.fda_dt = k.fda_dt AND d.primaryid > k.primaryid)))"""
    ).fetchall()[0][0]
    assert later == 0
    spanning = truth.cases["era_spanning_caseids"]
    eras = dict(con.execute("SELECT caseid, era FROM cases WHERE caseid IN (SELECT unnest(?))", [spanning]).fetchall())
    assert set(eras.values()) == {"faers"} and len(eras) == len(spanning)
    deleted = [c for q in truth.deleted.values() for c in q["listed"]]
    assert con.execute("SELECT count(*) FROM cases WHERE caseid IN (SELECT unnest(?))", [deleted]).fetchall()[0][0] == 0


def test_all_layouts_land_in_one_schema(corpus):
    _, lake = corpus
    raw = connect_raw(lake)
    rows = raw.execute(
        """SELECT era, quarter >= '2014Q3' AS layout_b, count(*) AS n, count(prod_ai) AS with_prod_ai, count(caseid) AS with_caseid
           FROM raw_drug GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    by = {(e, b): (n, ai, cid) for e, b, n, ai, cid in rows}
    assert by[("aers", False)][1] == 0 and by[("faers", False)][1] == 0  # prod_ai arrives in 2014Q3
    assert by[("faers", True)][1] > 0.5 * by[("faers", True)][0]
    assert all(n == cid for n, _, cid in by.values())  # legacy DRUG rows get their caseid from DEMO
    sexes = {r[0] for r in raw.execute("SELECT DISTINCT sex FROM raw_demo").fetchall()}
    assert sexes <= {"F", "M", "UNK", "NS", None}  # legacy gndr_cod and FAERS sex in one column


def test_every_quirk_is_repaired_at_its_line(corpus):
    truth, lake = corpus
    rj = api.rejects(lake)
    assert (rj["action"] == "rejected").sum() == 0
    got = {(r.quarter, r.file.split(":", 1)[1], int(r.line)) for r in rj.itertuples() if r.action == "repaired"}
    for q in truth.quirks:
        line = q["line"] if isinstance(q["line"], int) else q["line"][0]
        assert (q["quarter"], q["file"], line) in got, q
    raw = connect_raw(lake)
    for q in truth.quirks:
        if q["kind"] == "embedded_dollar" and q["table"] == "demo":
            pid = q.get("primaryid", q.get("isr"))
            assert raw.execute("SELECT mfr_num FROM raw_demo WHERE primaryid = ?", [pid]).fetchall() == [(q["intended"],)]


def test_planted_signals_are_found_and_unplanted_pairs_mostly_not(corpus):
    truth, lake = corpus
    res = api.signals(lake, min_count=1)
    t = res.table
    for planted in truth.signals:
        row = t[(t.drug == "VOCLOSPORIN") & (t.event == planted["event"].upper())].iloc[0]
        exp = planted["expected"]
        assert (row.a, row.b, row.c, row.d) == (exp["a"], exp["b"], exp["c"], exp["d"])
        assert row.ror == pytest.approx(exp["ror"], rel=1e-9)
        assert row.flag_ror and row.flag_prr and row.flag_ic
    headache = t[(t.drug == "VOCLOSPORIN") & (t.event == "HEADACHE")].iloc[0]
    assert headache.ror == pytest.approx(3.8, rel=0.15)
    # background pairs carry a true relative reporting ratio λ (truth.pair_lambda); the lake
    # keeps brand and salt names the generator used as their own drugs: map them back
    lam = truth.pair_lambda_table()
    alias = {k.upper(): v for k, v in truth.drug_names.items()}
    t = t.assign(ingredient=t.drug.map(lambda d: alias.get(d, d)))
    m = t.merge(lam.rename(columns={"drug": "ingredient"}), on=["ingredient", "event"])
    bg = m[(m.kind == "background") & (m.n >= 3)]
    neg, pos = bg[bg.true_lambda <= 1.2], bg[bg.true_lambda >= 2]
    assert len(neg) > 1000 and len(pos) > 200
    # measured on this corpus (seed 11), false-positive rate at λ ≤ 1.2 / sensitivity at λ ≥ 2:
    # ROR 0.097 / 0.85, PRR 0.058 / 0.79, IC025 0.019 / 0.62, EB05 0.000 / 0.17
    assert neg["flag_ror"].mean() < 0.15 and pos["flag_ror"].mean() > 0.7
    assert neg["flag_ic"].mean() < 0.04 and pos["flag_ic"].mean() > 0.5
    assert neg["flag_ebgm"].mean() < 0.01
    assert pos["ebgm"].mean() > neg["ebgm"].mean()


def test_planted_onset_shape_is_recovered(corpus):
    truth, lake = corpus
    res = api.onset("voclosporin", lake=lake)
    d = res.to_dict()
    # the analysis sees exactly the onset days the generator wrote (day-precise dates)
    assert d["n"] == truth.onset["n"]
    assert d["median_days"] == float(np.median(truth.onset["days"]))
    ref = weibull_fit(np.where(np.asarray(truth.onset["days"]) == 0, 0.5, truth.onset["days"]))
    assert d["weibull_shape"]["estimate"] == pytest.approx(ref.shape, rel=1e-6)
    # planted shape 0.8; days are ceil(T), which lifts the smallest onsets: allow 0.1
    assert d["weibull_shape"]["estimate"] == pytest.approx(truth.onset["shape"], abs=0.1)


def test_planted_interaction_is_found(tmp_path):
    # 100 000 reports: tremor odds ratio 3 with a strong CYP3A4 inhibitor among voclosporin
    # reports. The generator codes the inhibitor mostly as concomitant (role C), as real
    # reports often do, so the perpetrator's exposure counts every role.
    syn = synthesize(tmp_path / "faers", quarters="2023Q1:2024Q4", reports_per_quarter=12_500, seed=5)
    lake = tmp_path / "lake"
    api.ingest([tmp_path / "faers"], lake=lake)
    sig = api.interaction_signals(
        "voclosporin", "strong-cyp3a4-inhibitor", "tremor", lake=lake, perpetrator_roles="PS,SS,C,I"
    ).iloc[0]
    truth = syn.truth.interaction
    assert sig.n111 == truth["with_inhibitor"]["tremor"]
    assert sig.omega_lower > 0 and bool(sig.signal)
    plain = api.interaction_signals("voclosporin", "strong-cyp3a4-inhibitor", "nausea", lake=lake, perpetrator_roles="PS,SS,C,I").iloc[0]
    assert not bool(plain.signal)
