"""Signals over time: slices of the same counts that ``signals()`` scores.

The lake (tests/analysis/conftest.py) plants voclosporin–headache (ROR 3.8) and
voclosporin–tremor (ROR 5.0) in every quarter of 2022. The hand count below reads the
prepared views with pandas and applies the ROR criterion itself: Woolf interval
exp(ln ROR ± 1.959964·√(1/a + 1/b + 1/c + 1/d)) (van Puijenbroek et al., PDS 2002;11:3–10),
signal when the lower limit > 1 and a ≥ 3.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pvsignal.analysis.population import CaseDefinition
from pvsignal.analysis.signals import signals
from pvsignal.analysis.trends import quarter_counts, signals_over_time, split_quarter
from pvsignal.errors import ConfigError, UnknownNameError

QUARTERS = ["2022Q1", "2022Q2", "2022Q3", "2022Q4"]
COMPARED = ("n", "a", "b", "c", "d", "expected", "ror", "ror_lower", "ror_upper", "prr", "prr_lower",
            "chi2_yates", "ic", "ic025", "ebgm", "eb05", "eb95")


@pytest.fixture(scope="module")
def counts(planted_con):
    return quarter_counts(planted_con, CaseDefinition())


@pytest.fixture(scope="module")
def over_time(planted_con, counts):
    return signals_over_time(planted_con, "voclosporin", split="2022-07-15", counts=counts)


@pytest.fixture(scope="module")
def whole(planted_lake):
    return signals(planted_lake, drug="voclosporin", min_count=1).table


def _last_cumulative(result) -> pd.DataFrame:
    c = result.series("cumulative")
    return c[c["period"] == QUARTERS[-1]].sort_values("event").reset_index(drop=True)


def test_last_cumulative_quarter_is_signals_on_the_whole_lake_exactly(over_time, whole):
    last = _last_cumulative(over_time)
    ref = whole.sort_values("event").reset_index(drop=True)
    assert list(last["event"]) == list(ref["event"]) and len(ref) > 100
    for col in COMPARED:
        np.testing.assert_array_equal(last[col].to_numpy(dtype=float), ref[col].to_numpy(dtype=float), err_msg=col)
    for flag in ("flag_ror", "flag_prr", "flag_ic", "flag_ebgm"):
        assert (last[flag].to_numpy() == ref[flag].to_numpy()).all()


def test_a_final_prior_gives_the_same_last_quarter(planted_con, counts, whole):
    last = _last_cumulative(signals_over_time(planted_con, "voclosporin", prior="final", counts=counts))
    ref = whole.sort_values("event").reset_index(drop=True)
    np.testing.assert_array_equal(last["eb05"].to_numpy(), ref["eb05"].to_numpy())


def test_quarter_counts_sum_to_the_total(over_time, counts):
    q = over_time.series("quarter")
    summed = q.groupby("event")[["n"]].sum()
    last = _last_cumulative(over_time).set_index("event")
    assert (summed["n"] == last.loc[summed.index, "n"]).all()
    # every quarter's margins add up to the cumulative ones (drug margin, N)
    assert q.groupby("period")["n_total"].first().sum() == last["n_total"].iloc[0]
    assert q[q["event"] == "HEADACHE"]["n_drug"].sum() == last.at["HEADACHE", "n_drug"]
    # the engine's per-quarter pair counts add up too
    pairs = counts["pairs"]
    assert pairs[pairs["drug"] == "VOCLOSPORIN"]["n"].sum() == last["n"].sum()


def test_before_and_after_split_at_the_date_quarter(over_time):
    assert split_quarter("2022-07-15") == "2022Q3" and split_quarter("22q3") == "2022Q3"
    t = over_time.table
    before, after = (t[t["series"] == s].set_index("event") for s in ("before", "after"))
    assert set(before["period"]) == {"2022Q1:2022Q2"} and set(after["period"]) == {"2022Q3:2022Q4"}
    cum = over_time.series("cumulative")
    at_q2 = cum[cum["period"] == "2022Q2"].set_index("event")
    common = before.index.intersection(at_q2.index)
    np.testing.assert_array_equal(before.loc[common, "ror"].to_numpy(), at_q2.loc[common, "ror"].to_numpy())
    last = _last_cumulative(over_time).set_index("event")
    both = before.index.intersection(after.index)
    assert ((before.loc[both, "n"] + after.loc[both, "n"]) == last.loc[both, "n"]).all()


def _hand_first_ror(views: dict[str, pd.DataFrame], event: str) -> str | None:
    cases = views["cases"].set_index("caseid")["quarter"]
    d = views["case_drugs"]
    d = d[d["role_cod"].isin(["PS", "SS"]) & d["ingredient"].notna()]
    r = views["case_reactions"].dropna(subset=["pt"])
    population = set(d["caseid"]) & set(r["caseid"])
    exposed = set(d.loc[d["ingredient"] == "VOCLOSPORIN", "caseid"])
    with_event = set(r.loc[r["pt"] == event, "caseid"])
    for q in QUARTERS:
        pop = {c for c in population if cases[c] <= q}
        a = len(pop & exposed & with_event)
        b = len(pop & exposed) - a
        c = len(pop & with_event) - a
        dd = len(pop) - a - b - c
        if a and b and c and dd:
            lower = np.exp(np.log(a * dd / (b * c)) - 1.959964 * np.sqrt(1 / a + 1 / b + 1 / c + 1 / dd))
            if lower > 1 and a >= 3:
                return q
    return None


@pytest.mark.parametrize("event", ["TREMOR", "HEADACHE"])
def test_first_ror_quarter_of_a_planted_signal_matches_a_hand_count(planted_con, over_time, event):
    views = {t: planted_con.execute(f"SELECT * FROM {t}").df() for t in ("cases", "case_drugs", "case_reactions")}
    first = over_time.first_signal.set_index("event").at[event, "first_ror"]
    hand = _hand_first_ror(views, event)
    assert hand is not None
    assert first == hand
    if event == "TREMOR":
        assert hand == "2022Q3"  # planted every quarter; the evidence crosses in the third


def test_named_events_and_errors(planted_con, counts):
    two = signals_over_time(planted_con, "Voclosporin", "headache, tremor", counts=counts)
    assert set(two.table["event"]) == {"HEADACHE", "TREMOR"}
    assert set(two.table["series"]) == {"cumulative", "quarter"}
    with pytest.raises(UnknownNameError, match="VOCLOSPORIN"):
        signals_over_time(planted_con, "voclosporine", counts=counts)
    with pytest.raises(UnknownNameError, match="NO SUCH PT"):
        signals_over_time(planted_con, "voclosporin", "no such pt", counts=counts)
    with pytest.raises(ConfigError, match="strata"):
        signals_over_time(planted_con, "voclosporin", definition=CaseDefinition(strata=["sex"]))
    with pytest.raises(ConfigError, match="split"):
        split_quarter("July 2022")


def test_a_definition_restricts_the_quarters(planted_con):
    part = signals_over_time(planted_con, "voclosporin", "headache", definition=CaseDefinition(quarters="2022Q2:2022Q3"))
    assert sorted(set(part.table["period"])) == ["2022Q2", "2022Q3"]


def test_sampled_events_are_every_kth_by_report_count():
    from pvsignal.analysis.trends import sampled_events

    # totals by hand: B 9, A 5, C 5, D 1 → ranked B, A, C, D (ties by name) → every 2nd: B, C
    ev = pd.DataFrame({"event": ["A", "A", "B", "C", "D"], "quarter": ["2022Q1", "2022Q2", "2022Q1", "2022Q2", "2022Q1"],
                       "n": [2, 3, 9, 5, 1]})
    assert sampled_events(ev, 2) == ["B", "C"]
    assert sampled_events(ev, 3) == ["B", "D"]
    assert sampled_events(ev, 1) == ["B", "A", "C", "D"]


@pytest.fixture(scope="module")
def sampled(planted_con):
    return quarter_counts(planted_con, CaseDefinition(), drug="voclosporin", prior_sample=4)


def test_sampled_counts_are_the_exact_counts_restricted(counts, sampled):
    from pvsignal.analysis.trends import sampled_events

    for name in ("drugs", "events", "reports"):
        pd.testing.assert_frame_equal(sampled[name], counts[name], check_dtype=False)
    pairs = counts["pairs"]
    mine = pairs[pairs["drug"] == "VOCLOSPORIN"].reset_index(drop=True)
    pd.testing.assert_frame_equal(sampled["pairs"], mine, check_dtype=False)
    chosen = sampled_events(counts["events"], 4)
    assert 0 < len(chosen) == -(-counts["events"]["event"].nunique() // 4)
    want = pairs[pairs["event"].isin(chosen)].reset_index(drop=True)
    pd.testing.assert_frame_equal(sampled["prior_pairs"], want, check_dtype=False)


def test_a_sampled_prior_changes_only_ebgm(planted_con, over_time, sampled, counts):
    from pvsignal.analysis.trends import sampled_events
    from pvsignal.stats.mgps import ebgm_scores, fit_prior

    fast = signals_over_time(planted_con, "voclosporin", split="2022-07-15", counts=sampled, prior_sample=4)
    assert fast.parameters["prior_sample"] == 4 and fast.parameters["prior_events"] > 0
    a, b = (r.table.sort_values(["series", "period", "event"]).reset_index(drop=True) for r in (over_time, fast))
    same = [c for c in a.columns if c not in ("ebgm", "eb05", "eb95", "flag_ebgm")]
    pd.testing.assert_frame_equal(a[same], b[same])
    # the last cumulative slice by hand: the prior fitted on the sampled events' whole-lake pairs
    pairs = counts["pairs"].groupby(["drug", "event"], as_index=False)["n"].sum()
    nd = counts["drugs"].groupby("drug")["n"].sum()
    ne = counts["events"].groupby("event")["n"].sum()
    N = counts["reports"]["n"].sum()
    part = pairs[pairs["event"].isin(sampled_events(counts["events"], 4))]
    E = nd.loc[part["drug"]].to_numpy() * ne.loc[part["event"]].to_numpy() / N
    prior = fit_prior(part["n"].to_numpy(), E).prior
    last = _last_cumulative(fast)
    ref = ebgm_scores(last["n"].to_numpy(), last["expected"].to_numpy(), prior)
    np.testing.assert_allclose(last["eb05"].to_numpy(), ref["eb05"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(last["ebgm"].to_numpy(), ref["ebgm"].to_numpy(), rtol=1e-12)


def test_prior_sample_mistakes(planted_con):
    with pytest.raises(ConfigError, match="whole number"):
        quarter_counts(planted_con, CaseDefinition(), drug="voclosporin", prior_sample=0)
    with pytest.raises(ConfigError, match="name the drug"):
        quarter_counts(planted_con, CaseDefinition(), prior_sample=4)
    with pytest.raises(UnknownNameError, match="VOCLOSPORIN"):
        signals_over_time(planted_con, "voclosporine", prior_sample=4)
