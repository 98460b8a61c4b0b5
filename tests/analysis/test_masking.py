"""Masking ratio and unmasking (Maignen et al., Pharmacoepidemiol Drug Saf 2014;23:195–207):
MR = [c/(c+d)] / [(c − n_me)/(c + d − n_m)], values worked by hand from the table in
tests/background_lake.py; the recount after removal must equal the 2×2 of the same
definition with ``unmask`` (an independent path through the population)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from background_lake import bg_con, bg_lake  # noqa: F401 (fixtures)
from pvsignal import api
from pvsignal.analysis.masking import masking_ratios, unmask_top
from pvsignal.analysis.population import CaseDefinition
from pvsignal.errors import ConfigError


def test_masking_ratio_by_hand_on_a_frame():
    # pair D–E with c = 10, c + d = 100; masker M: 6 of its 20 reports have E → (10/100)/(4/80) = 2
    # masker K: all 10 background E reports → ∞; masker L: 1 of 50 → (0.1)/(9/50) < 1 (not a masker)
    counts = pd.DataFrame({"drug": ["M", "K", "L", "D"], "event": "E", "n": [6, 10, 1, 3], "n_drug": [20, 10, 50, 5]})
    pairs = pd.DataFrame({"drug": ["D"], "event": ["E"], "c": [10], "d": [90]})
    m = masking_ratios(counts, pairs)
    assert m["masker"].tolist() == ["K", "M"]
    assert math.isinf(m["masking_ratio"].iloc[0]) and m["masking_ratio"].iloc[1] == pytest.approx(2.0)
    assert m["rank"].tolist() == [1, 2]


def test_masking_ratios_on_the_lake(bg_lake):
    res = api.signals(bg_lake, drug="AAA", min_count=1)
    m = masking_ratios(res.counts, res.table).set_index(["event", "masker"])["masking_ratio"]
    # AAA–X: c 6, c+d 9. MMM (3 of 4 with X): (6/9)/(3/5) = 10/9; BBB (2 of 4): 5/6 and ZZZ (2 of 3): 1 → not maskers
    # AAA–Y: c 3, c+d 9. BBB (2 of 4 with Y): (3/9)/(1/5) = 5/3
    assert m.to_dict() == {("X", "MMM"): pytest.approx(10 / 9), ("Y", "BBB"): pytest.approx(5 / 3)}


def test_unmask_top_recounts_as_the_unmasked_definition(bg_lake, bg_con):
    res = api.signals(bg_lake, drug="AAA", min_count=1)
    m = unmask_top(bg_con, res, 2).table.set_index("event")
    assert m.loc["X", "maskers"] == "MMM" and m.loc["Y", "maskers"] == "BBB"
    assert m.loc["X", "top_masking_ratio"] == pytest.approx(10 / 9)
    assert m.loc["X", "removed"] == 4  # reports 8–11 name MMM
    # after: X — the 2×2 without MMM's reports (a 3, b 1, c 3, d 3); Y — without BBB's (a 2, b 2, c 1, d 5)
    assert m.loc["X", ["ror_before", "ror_after", "prr_after"]].tolist() == pytest.approx([0.75, 3.0, 1.5])
    assert m.loc["Y", ["ror_before", "ror_after", "prr_after"]].tolist() == pytest.approx([4 / 3, 5.0, 3.0])
    for ev, masker in (("X", "MMM"), ("Y", "BBB")):
        direct = api.signals(bg_lake, drug="AAA", event=ev, min_count=1, definition=CaseDefinition(unmask=masker))
        row = direct.table.iloc[0]
        assert m.loc[ev, "n_after"] == row["n"]
        assert m.loc[ev, ["ror_after", "prr_after", "ic_after"]].tolist() == pytest.approx([row["ror"], row["prr"], row["ic"]])
    assert set(m["signal_change"]) == {"none"}


def test_unmask_top_needs_a_selection_and_the_crude_table(bg_lake, bg_con):
    with pytest.raises(ConfigError, match="--drug"):
        unmask_top(bg_con, api.signals(bg_lake, min_count=1), 1)
    res = api.signals(bg_lake, drug="AAA", min_count=1, definition=CaseDefinition(comparator="BBB"))
    with pytest.raises(ConfigError, match="comparator"):
        unmask_top(bg_con, res, 1)
    with pytest.raises(ConfigError, match="at least 1"):
        unmask_top(bg_con, api.signals(bg_lake, drug="AAA", min_count=1), 0)
