"""Time to onset: hand-worked day arithmetic on a small store, and the Weibull fit.

Day counting: event_dt − start_dt in days (same day = 0). Store: DRUGA is the primary
suspect (drug_seq 1) in cases 1–17; each case is built to hit one rule (see ONSET).
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pvsignal.analysis.onset import (
    onset_by_event, onset_days, summarise_onset, time_to_onset, weibull_fit, weibull_reading,
)
from pvsignal.errors import AnalysisError
from pvsignal.prepare.meddra import register_pt_groups

D = dt.date
TABLES = {
    "cases": "caseid BIGINT, primaryid BIGINT, event_dt DATE, event_dt_prec VARCHAR, probable_duplicate BOOLEAN",
    "case_drugs": "caseid BIGINT, primaryid BIGINT, drug_seq BIGINT, role_cod VARCHAR, ingredient VARCHAR",
    "case_reactions": "caseid BIGINT, primaryid BIGINT, pt VARCHAR",
    "case_ther": "caseid BIGINT, primaryid BIGINT, dsg_drug_seq BIGINT, start_dt DATE, start_dt_prec VARCHAR",
}
# caseid: (event_dt, event_prec, [(dsg_drug_seq, start_dt, start_prec), ...], expected days or exclusion)
ONSET = {
    1: (D(2021, 1, 1), "D", [(1, D(2021, 1, 1), "D")], 0),                        # same day = 0
    2: (D(2021, 1, 31), "D", [(1, D(2021, 1, 1), "D")], 30),
    3: (D(2021, 2, 1), "D", [(1, D(2021, 1, 1), "D")], 31),
    4: (D(2021, 4, 1), "D", [(1, D(2021, 3, 1), "D"), (1, D(2021, 1, 1), "D")], 90),  # earliest start
    5: (D(2021, 1, 1), "D", [(1, D(2020, 1, 1), "D")], 366),                       # leap year 2020
    6: (D(2021, 1, 1), "D", [(1, None, None)], "therapy start missing"),
    7: (D(2021, 1, 1), "D", [], "therapy start missing"),                           # no THER row
    8: (D(2021, 6, 10), "D", [(1, D(2021, 5, 1), "M")], "therapy start too coarse"),
    9: (D(2020, 12, 1), "D", [(1, D(2021, 1, 1), "D")], "event before therapy start"),
    10: (D(2015, 1, 1), "D", [(1, D(2000, 1, 1), "D")], "onset over 10 years"),     # 5480 d
    11: (D(1941, 1, 1), "D", [(1, D(1940, 1, 1), "D")], "therapy start before 1950"),
    12: (None, None, [(1, D(2021, 1, 1), "D")], "event date missing"),
    13: (D(2021, 3, 1), "M", [(1, D(2021, 1, 1), "D")], "event date too coarse"),
    14: (D(2021, 1, 1), "Y", [(1, D(2020, 6, 1), "D")], "event date too coarse"),
    15: (D(2021, 1, 1), "D", [(2, D(2020, 12, 1), "D")], "therapy start missing"),  # THER of DRUGB's seq
    16: (D(2021, 2, 9), "D", [(1, D(2021, 1, 10), "D"), (1, D(2021, 1, 1), "Y")], 30),  # year-only start unused
    17: (D(2021, 1, 8), "D", [(1, D(2021, 1, 1), "D")], 7),
}
TREMOR = {2, 16, 17}


@pytest.fixture
def con(tmp_path):
    con = duckdb.connect(str(tmp_path / "onset.duckdb"))
    for name, cols in TABLES.items():
        con.execute(f"CREATE TABLE {name} ({cols})")
    for c, (ev, prec, ther, _) in ONSET.items():
        con.execute("INSERT INTO cases VALUES (?, ?, ?, ?, FALSE)", [c, c * 10, ev, prec])
        con.execute("INSERT INTO case_drugs VALUES (?, ?, 1, 'PS', 'DRUGA'), (?, ?, 2, 'C', 'DRUGB')",
                    [c, c * 10, c, c * 10])
        for pt in ("HEADACHE", "TREMOR") if c in TREMOR else ("HEADACHE",):
            if not (c in (16, 17) and pt == "HEADACHE"):
                con.execute("INSERT INTO case_reactions VALUES (?, ?, ?)", [c, c * 10, pt])
        for seq, start, sprec in ther:
            con.execute("INSERT INTO case_ther VALUES (?, ?, ?, ?, ?)", [c, c * 10, seq, start, sprec])
    yield con
    con.close()


def test_onset_days_case_by_case(con):
    rows = onset_days(con, "DRUGA").set_index("caseid")
    for c, (*_, expected) in ONSET.items():
        if isinstance(expected, int):
            assert rows.loc[c, "days"] == expected and pd.isna(rows.loc[c, "excluded"]), c
        else:
            assert rows.loc[c, "excluded"] == expected and pd.isna(rows.loc[c, "days"]), c


def test_summary_by_hand(con):
    r = time_to_onset(con, "DRUGA")
    # kept days sorted: 0, 7, 30, 30, 31, 90, 366 → type-7 quartiles at positions 1.5, 3, 4.5
    assert r.n == 7 and r.n_cases == 17
    assert (r.median_days, r.q1_days, r.q3_days) == (30, 18.5, 60.5)
    assert r.within_30_days == pytest.approx(4 / 7)
    assert dict(zip(r.bins["bin"], r.bins["n"])) == {"0-30": 4, "31-60": 1, "61-90": 1, "91-180": 0,
                                                     "181-360": 0, ">360": 1}
    assert r.excluded == {"event date missing": 1, "event date too coarse": 2, "therapy start missing": 3,
                          "therapy start too coarse": 1, "therapy start before 1950": 1,
                          "event before therapy start": 1, "onset over 10 years": 1}


def test_month_precision_imputes_the_15th(con):
    r = time_to_onset(con, "DRUGA", allow_month=True)
    # case 8: 2021-05-15 → 2021-06-10 = 26 d; case 13: 2021-01-01 → 2021-03-15 = 73 d; case 14 (year) stays out
    assert sorted(r.days) == [0, 7, 26, 30, 30, 31, 73, 90, 366]
    assert r.excluded["event date too coarse"] == 1 and r.excluded["therapy start too coarse"] == 0


def test_weibull_of_onset_maps_day_zero_to_half_a_day(con):
    r = time_to_onset(con, "DRUGA")
    t = np.array([0.5, 7, 30, 30, 31, 90, 366])
    c, _, scale = stats.weibull_min.fit(t, floc=0)
    assert r.weibull.n == 7
    assert r.weibull.shape == pytest.approx(c, rel=1e-4) and r.weibull.scale == pytest.approx(scale, rel=1e-4)
    r0 = time_to_onset(con, "DRUGA", zero_days="exclude")
    c0, _, _ = stats.weibull_min.fit(t[1:], floc=0)
    assert r0.weibull.n == 6 and r0.weibull.shape == pytest.approx(c0, rel=1e-4)
    assert r0.n == 7 and r0.median_days == 30  # descriptive numbers keep day 0


def test_per_event_and_per_group(con):
    tremor = time_to_onset(con, "DRUGA", "tremor")
    assert (tremor.n, tremor.median_days, tremor.n_cases) == (3, 30, 3)  # cases 2, 16, 17
    table = onset_by_event(con, "DRUGA", min_cases=3).set_index("event")
    assert table.loc["HEADACHE", "n"] == 5 and table.loc["HEADACHE", "n_excluded"] == 10
    assert table.loc["HEADACHE", "median_days"] == 31  # 0, 30, 31, 90, 366
    assert table.loc["TREMOR", "median_days"] == 30
    register_pt_groups(con, pd.DataFrame({"pt": ["HEADACHE", "TREMOR"], "group_name": "Neuro", "level": "group"}))
    grp = time_to_onset(con, "DRUGA", "Neuro", level="group")
    assert grp.n == 7 and grp.n_cases == 17  # a case with both PTs counts once


def test_json_has_the_documented_keys(con):
    d = json.loads(json.dumps(time_to_onset(con, "DRUGA").to_dict()))
    for key in ("n", "median_days", "q1_days", "q3_days", "within_30_days", "weibull_shape", "weibull_scale",
                "reading", "excluded"):
        assert key in d
    assert set(d["weibull_shape"]) == {"estimate", "lower", "upper"}
    assert d["excluded"]["therapy start missing"] == 3


# ---------------------------------------------------------------- Weibull reference values
FACTS2_T = [1, 2, 2, 3, 5, 7, 8, 12, 15, 20, 30, 45, 60, 90, 150]


def test_weibull_reproduces_facts2_vector():
    # FACTS-2.md §5: β 0.742164, α 24.58119; Wald log-scale CI for β (0.5046, 1.0915).
    # Our SE(β) 0.146094 (analytic observed information, agreeing with a numeric Hessian of
    # scipy's logpdf) differs from FACTS-2's 0.146069 in the 5th digit: upper limit 1.09158.
    w = weibull_fit(FACTS2_T)
    assert w.shape == pytest.approx(0.742164, abs=1e-6)
    assert w.scale == pytest.approx(24.58119, abs=1e-5)
    assert w.shape_lower == pytest.approx(0.5046, abs=1e-4)
    assert w.shape_upper == pytest.approx(1.0915, abs=2e-4)
    assert (w.scale_lower, w.scale_upper) == pytest.approx((11.95, 50.57), abs=0.1)
    assert w.reading == "random failure"  # β̂ < 1 but the CI includes 1
    p = weibull_fit(FACTS2_T, ci="profile")
    assert (p.shape_lower, p.shape_upper) == pytest.approx((0.4837, 1.0572), abs=1e-4)
    # the MLE satisfies the score equation of FACTS-2 §5
    t = np.array(FACTS2_T, float)
    b = w.shape
    assert 1 / b + np.log(t).mean() - (t**b * np.log(t)).sum() / (t**b).sum() == pytest.approx(0, abs=1e-10)
    assert w.scale == pytest.approx(np.mean(t**b) ** (1 / b), rel=1e-12)


@pytest.mark.parametrize("shape,reading", [(0.6, "early failure"), (1.0, "random failure"), (1.8, "wear-out failure")])
def test_weibull_recovers_planted_shape(shape, reading):
    t = stats.weibull_min.rvs(shape, scale=60, size=1500, random_state=np.random.default_rng(7))
    w = weibull_fit(t)
    c, _, scale = stats.weibull_min.fit(t, floc=0)
    assert w.shape == pytest.approx(c, rel=1e-4) and w.scale == pytest.approx(scale, rel=1e-4)
    assert abs(w.shape - shape) < 4 * w.se_shape
    assert w.reading == reading


def test_reading_is_taken_from_the_interval():
    assert weibull_reading(0.5, 0.99) == "early failure"
    assert weibull_reading(0.5, 1.01) == "random failure"
    assert weibull_reading(1.01, 2.0) == "wear-out failure"


def test_weibull_rejects_unusable_samples():
    with pytest.raises(AnalysisError):
        weibull_fit([1, 2])
    with pytest.raises(AnalysisError):
        weibull_fit([0, 1, 2])
    with pytest.raises(AnalysisError):
        weibull_fit([5, 5, 5])
    r = summarise_onset([3, 3, 3])
    assert r.weibull is None and "not all equal" in r.weibull_note and r.median_days == 3


def test_summarise_empty_sample():
    r = summarise_onset([], excluded={"therapy start missing": 2})
    assert r.n == 0 and r.n_cases == 2 and r.weibull is None and np.isnan(r.median_days)
    assert json.dumps(r.to_dict())  # NaN becomes null


# ---------------------------------------------------------------- CLI
def test_cli_onset_json_and_plot(con, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pvsignal.cli import app, case_commands

    monkeypatch.setattr(case_commands, "_connect", lambda lake, drop: con)
    plot = tmp_path / "onset.svg"
    res = CliRunner().invoke(app, ["onset", "--drug", "druga", "--json", "--plot", str(plot)])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert (d["n"], d["median_days"], d["q1_days"], d["q3_days"]) == (7, 30, 18.5, 60.5)
    assert d["excluded"]["event date too coarse"] == 2 and d["reading"] in ("early failure", "random failure")
    assert plot.stat().st_size > 5_000
    res = CliRunner().invoke(app, ["onset", "--drug", "DRUGA", "--by-event", "--json"])
    assert [r["event"] for r in json.loads(res.output)] == ["HEADACHE", "TREMOR"]
    res = CliRunner().invoke(app, ["onset", "--drug", "DRUGA", "--event", "TREMOR"])
    assert res.exit_code == 0 and "Time to onset" in res.output


def test_cli_user_error_exits_2_without_traceback(con, monkeypatch, capsys):
    from pvsignal.cli import case_commands, main

    monkeypatch.setattr(case_commands, "_connect", lambda lake, drop: con)
    with pytest.raises(SystemExit) as exc:
        main(["onset", "--drug", "NOSUCHDRUG"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "NOSUCHDRUG" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exc:
        main(["onset", "--drug", "DRUGA", "--event", "X", "--level", "soc"])
    assert exc.value.code == 2 and "--meddra" in capsys.readouterr().err
