"""Duplicates-dropped sensitivity run and the pair-by-pair comparison of two runs.

The lake (tests/background_lake.py): report 13 is a probable duplicate of report 14 (same
drug ZZZ, PT X, event date, age, sex and country; 14 has the larger primaryid and is
kept). Dropping it changes the AAA–X table from (a 3, b 2, c 6, d 3) to (3, 2, 5, 3):
ROR 0.75 → 0.9, and ZZZ–X from n 2 to 1 — worked by hand.
"""

from __future__ import annotations

import pandas as pd
import pytest

from background_lake import bg_lake  # noqa: F401 (fixture)
from pvsignal import api
from pvsignal.analysis.population import CaseDefinition
from pvsignal.analysis.sensitivity import compare_runs, signal_change


def test_signal_change_reads_any_flag():
    before = pd.DataFrame({"f1": [False, True, True, False, None], "f2": [False, False, False, False, None]})
    after = pd.DataFrame({"f1": [True, False, False, False, True], "f2": [False, False, True, False, None]})
    assert signal_change(before, after).tolist() == ["appears", "disappears", "kept", "none", "appears"]


def test_compare_runs_outer_joins_and_sorts_changes_first():
    def run(rows):
        t = pd.DataFrame(rows, columns=["drug", "event", "n", "ror", "flag_ror"])
        return t.assign(ror_lower=t["ror"] / 2, ic025=0.0, eb05=1.0, flag_prr=False, flag_ic=False, flag_ebgm=False)

    main = run([("D", "A", 10, 3.0, True), ("D", "B", 5, 1.0, False), ("D", "C", 4, 2.5, True)])
    other = run([("D", "A", 9, 2.8, True), ("D", "B", 5, 2.2, True), ("D", "E", 3, 4.0, True)])
    t = compare_runs(main, other, labels=("kept", "dropped"))
    assert t[["event", "change"]].values.tolist() == [["B", "appears"], ["E", "appears"], ["C", "disappears"],
                                                      ["A", "kept"]]
    c = t.set_index("event")
    assert pd.isna(c.loc["C", "n_dropped"]) and pd.isna(c.loc["E", "n_kept"])
    assert c.loc["A", ["n_kept", "n_dropped", "ror_kept", "ror_dropped"]].tolist() == [10, 9, 3.0, 2.8]


def test_duplicates_sensitivity_on_the_lake(bg_lake):
    main = api.signals(bg_lake, min_count=1)
    s = api.duplicates_sensitivity(main)
    assert s.labels == ("kept", "dropped")
    t = s.table.set_index(["drug", "event"])
    assert t.loc[("AAA", "X"), ["ror_kept", "ror_dropped"]].tolist() == pytest.approx([0.75, 0.9])
    assert t.loc[("ZZZ", "X"), ["n_kept", "n_dropped"]].tolist() == [2, 1]
    assert s.other.config.case_definition["drop_probable_duplicates"] is True
    assert s.summary() == {"appears": 0, "disappears": 0, "kept": 0}
    # a main run that drops them is compared with one that keeps them
    flipped = api.duplicates_sensitivity(api.signals(bg_lake, min_count=1,
                                                     definition=CaseDefinition(drop_probable_duplicates=True)))
    assert flipped.labels == ("dropped", "kept")
    assert flipped.table.set_index(["drug", "event"]).loc[("ZZZ", "X"), ["n_dropped", "n_kept"]].tolist() == [1, 2]
