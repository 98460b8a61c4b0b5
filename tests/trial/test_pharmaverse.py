"""Real-shaped ADaM (pharmaverseadam: ADSL, ADAE, ADLB creatinine in µmol/L; see its README).

Expected numbers are computed here from the raw datasets with a few lines of pandas (read
with pyreadstat), not by pvsignal. These files are as sponsors make them: ADAE and ADLB
repeat ADSL variables (SAFFL, TRT01A, AGE, SEX); 52 screen failures (SAFFL 'N', TRT01A
'Screen Failure'); ADLB has derived records (DTYPE LOV/MAXIMUM/MINIMUM) and states the
unit only in PARAM ("Creatinine (umol/L)").
"""

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from pvsignal.trial import dose_modifications, incidence, load_rules, read_adae, read_adlb, read_adsl
from pvsignal.trial.incidence import ANY_EVENT

ARMS = ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]


_CACHE: dict = {}


def _once(key, make):
    if key not in _CACHE:
        _CACHE[key] = make()
    return _CACHE[key]


@pytest.fixture
def raw(shared_dir):
    d = shared_dir / "data" / "adam-pharmaverse"
    return _once(("raw", d), lambda: {n: pyreadstat.read_xport(str(d / f"{n}.xpt"))[0] for n in ("adsl", "adae", "adlb")}
                 | {"dir": d})


@pytest.fixture
def result(raw):
    d = raw["dir"]
    return _once(("inc", d), lambda: incidence(read_adsl(d / "adsl.xpt"), read_adae(d / "adae.xpt"), control="Placebo",
                                               arms=ARMS))


def test_incidence_equals_own_pandas_count_on_every_cell(raw, result):
    adsl, adae = raw["adsl"], raw["adae"]
    safety = adsl[adsl["SAFFL"] == "Y"][["USUBJID", "TRT01A"]]
    N = safety["TRT01A"].value_counts()
    te = adae[adae["TRTEMFL"] == "Y"][["USUBJID", "AEBODSYS", "AEDECOD"]].merge(safety, on="USUBJID")
    pt = te.groupby(["AEBODSYS", "AEDECOD", "TRT01A"])["USUBJID"].nunique()
    soc = te.groupby(["AEBODSYS", "TRT01A"])["USUBJID"].nunique()
    anyte = te.groupby("TRT01A")["USUBJID"].nunique()

    t = result.table
    assert dict(zip(result.population["arm"], result.population["N"])) == {a: N[a] for a in ARMS}
    assert list(result.population["arm"]) == ARMS  # as listed, not alphabetical
    got_pt = t[t["level"] == "pt"].set_index(["AEBODSYS", "AEDECOD", "arm"])["n"]
    expected_pt = pt.reindex(got_pt.index, fill_value=0)  # zero cells too
    assert (got_pt == expected_pt).all()
    assert len(got_pt) == te[["AEBODSYS", "AEDECOD"]].drop_duplicates().shape[0] * 3
    assert got_pt[got_pt > 0].sort_index().equals(pt.rename_axis(got_pt.index.names).sort_index())
    got_soc = t[t["level"] == "soc"].set_index(["AEBODSYS", "arm"])["n"]
    assert (got_soc == soc.reindex(got_soc.index, fill_value=0)).all() and len(got_soc) == soc.index.get_level_values(0).nunique() * 3
    got_any = t[t["level"] == "any"].set_index("arm")["n"]
    assert got_any.to_dict() == anyte.to_dict() and (t.loc[t["level"] == "any", "AEBODSYS"] == ANY_EVENT).all()
    # the 69 records with TRTEMFL blank are the only ones left out
    assert result.parameters["adae_records_excluded"] == {"not treatment-emergent (TRTEMFL != 'Y')": 69}
    assert set(result.parameters["adae_variables_taken_from_adsl"]) == {"SAFFL", "TRT01A"}


def test_default_arms_leave_out_screen_failures(raw):
    d = raw["dir"]
    r = incidence(read_adsl(d / "adsl.xpt"), read_adae(d / "adae.xpt"))
    assert list(r.population["arm"]) == sorted(ARMS)  # no TRT01AN in this ADSL: by name, "Screen Failure" left out


def test_wide_layout_has_the_long_numbers(result):
    w = result.wide()
    row = w[(w["level"] == "any")].iloc[0]
    t = result.table[result.table["level"] == "any"].set_index("arm")
    for arm in ARMS:
        head = f"{arm} (N={t.loc[arm, 'N']})"
        assert row[f"{head} n"] == t.loc[arm, "n"]
        assert row[f"{head} n (%)"] == f"{t.loc[arm, 'n']} ({t.loc[arm, 'pct']:.1f}%)"
    assert row["Xanomeline High Dose vs Placebo Fisher p"] == pytest.approx(t.loc["Xanomeline High Dose", "p_fisher"])
    assert row["Xanomeline Low Dose vs Placebo RR lower"] == pytest.approx(t.loc["Xanomeline Low Dose", "rr_lower"])
    assert "Placebo vs Placebo RD" not in w.columns
    assert len(w) == len(result.table) // 3


def ckd_epi_2021(scr_mgdl, age, female):
    # Inker et al., NEJM 2021 (FACTS.md §5.1), written out here for the check
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    r = scr_mgdl / kappa
    return 142 * min(r, 1) ** alpha * max(r, 1) ** -1.2 * 0.9938 ** age * (1.012 if female else 1.0)


@pytest.fixture
def dosing(raw):
    d = raw["dir"]
    return _once(("dose", d), lambda: dose_modifications(load_rules("voclosporin"), read_adlb(d / "adlb.xpt"),
                                                         read_adsl(d / "adsl.xpt")))


def test_egfr_from_umol_creatinine_checked_by_hand(raw, dosing):
    adsl = raw["adsl"].set_index("USUBJID")
    lb = raw["adlb"]
    base = lb[(lb["ABLFL"] == "Y")].set_index("USUBJID")["AVAL"]
    got = dosing.actions[dosing.actions["action"] == "start"].set_index("USUBJID")["value"]
    for subj in ["01-701-1015", "01-701-1429", "01-703-1100", base.index[-1]]:
        a = adsl.loc[subj]
        expected = ckd_epi_2021(base[subj] / 88.42, a["AGE"], a["SEX"] == "F")
        assert got[subj] == pytest.approx(expected, rel=1e-9)
    # 01-701-1015: F, 63 y, 79.56 µmol/L = 0.89980 mg/dL; r = 0.8998/0.7 = 1.28543;
    # 142 · 1.28543^−1.2 (0.739874) · 0.9938^63 (0.675838) · 1.012 = 71.854 (as mg/dL it would be 0.2)
    assert got["01-701-1015"] == pytest.approx(71.854, abs=0.001)
    assert 20 < got.median() < 120  # not the 0.2–0.3 of µmol/L read as mg/dL
    # the baseline flag (eGFR <= 45) counts what the hand formula gives, not every subject
    hand = pd.Series({s: ckd_epi_2021(v / 88.42, adsl.loc[s, "AGE"], adsl.loc[s, "SEX"] == "F") for s, v in base.items()})
    flagged = dosing.actions[(dosing.actions["action"] == "start") & (dosing.actions["flag"] != "")]
    assert len(flagged) == int((hand <= 45).sum()) == 27 and len(got) == 254
    src = dosing.parameters["lab_value_sources"]
    assert src == {"CKD-EPI 2021 from CREAT in umol/L (/ 88.42 to mg/dL), unit from PARAM 'Creatinine (umol/L)'": 1828}


def test_dose_replay_on_umol_creatinine(raw, dosing):
    # derived records (DTYPE) are copies, not measurements: skipped, as are pre-baseline screenings
    reasons = dosing.skipped["reason"].value_counts().to_dict()
    assert reasons["derived record (DTYPE LOV)"] == reasons["derived record (DTYPE MAXIMUM)"] == 230
    # 01-701-1429: baseline and the first visit with eGFR < 60 and a 20–30 % fall, by hand
    lb = raw["adlb"]
    s = lb[(lb["USUBJID"] == "01-701-1429") & (lb["DTYPE"] == "") & (lb["ADY"] >= 1)].sort_values("ADY")
    a = raw["adsl"].set_index("USUBJID").loc["01-701-1429"]
    e = [ckd_epi_2021(v / 88.42, a["AGE"], a["SEX"] == "F") for v in s["AVAL"]]
    base = ckd_epi_2021(lb[(lb["USUBJID"] == "01-701-1429") & (lb["ABLFL"] == "Y")]["AVAL"].iloc[0] / 88.42, a["AGE"], a["SEX"] == "F")
    first = next(i for i, v in enumerate(e) if v < 60 and 20 < 100 * (base - v) / base < 30)
    act = dosing.actions[dosing.actions["USUBJID"] == "01-701-1429"]
    row = act[act["action"] == "reduce"].iloc[0]
    assert row["ADY"] == s["ADY"].iloc[first] and row["value"] == pytest.approx(e[first])
    assert row["dose_after"] == pytest.approx(15.8)
    listing = dosing.listing().set_index("USUBJID")
    assert listing.loc["01-701-1429", "actions"].startswith(f"{row['ADT']:%Y-%m-%d} reduce 23.7→15.8 mg BID (EGFR ")


def test_csv_parquet_and_sas7bdat_read_alike(raw, tmp_path, monkeypatch):
    d = raw["dir"]
    adsl = read_adsl(d / "adsl.xpt")
    adsl.to_csv(tmp_path / "adsl.csv", index=False)
    adsl.to_parquet(tmp_path / "adsl.parquet")
    for p in (tmp_path / "adsl.csv", tmp_path / "adsl.parquet"):
        got = read_adsl(p)
        assert got["USUBJID"].tolist() == adsl["USUBJID"].tolist()
        assert got["TRTSDT"].equals(adsl["TRTSDT"].astype(got["TRTSDT"].dtype))
    # .sas7bdat goes to pyreadstat.read_sas7bdat (no SAS here to write one: the reader is stubbed)
    calls = []

    def fake(path, **kw):
        calls.append((path, kw))
        return raw["adsl"], None

    monkeypatch.setattr(pyreadstat, "read_sas7bdat", fake)
    (tmp_path / "adsl.sas7bdat").write_bytes(b"")
    got = read_adsl(tmp_path / "adsl.sas7bdat")
    assert calls[0][1] == {"dates_as_pandas_datetime": True} and len(got) == 306
    assert np.array_equal(got["AGE"], adsl["AGE"])
