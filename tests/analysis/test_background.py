"""Restricted backgrounds (indication, active comparator, unmasking) of the case definition.

Every expected 2×2 is worked by hand from the 14-report table in tests/background_lake.py
(reports numbered by caseid). ROR = ad/(bc), PRR = [a/(a+b)]/[c/(c+d)] (van Puijenbroek et
al., Pharmacoepidemiol Drug Saf 2002;11:3–10; Evans et al., ibid. 2001;10:483–486).
"""

from __future__ import annotations

import pytest

from background_lake import bg_con, bg_lake  # noqa: F401 (fixtures)
from pvsignal import api
from pvsignal.analysis.cases import case_series
from pvsignal.analysis.comparator import definition_counts
from pvsignal.analysis.counts import execute
from pvsignal.analysis.population import CaseDefinition
from pvsignal.errors import ConfigError, UnknownNameError


def _pair(lake, definition, drug="AAA", event="X"):
    t = api.signals(lake, drug=drug, event=event, min_count=1, definition=definition).table
    assert len(t) == 1
    return t.iloc[0]


def _cells(row):
    return tuple(int(row[k]) for k in "abcd")


def test_default_background_is_every_other_report(bg_lake):
    # AAA: reports 1,2,3,4,11; X: 1,2,4,5,8,9,10,13,14; N = 14 → a 3, b 2, c 6, d 3
    r = _pair(bg_lake, CaseDefinition())
    assert _cells(r) == (3, 2, 6, 3)
    assert r["ror"] == pytest.approx(3 * 3 / (2 * 6))
    assert r["prr"] == pytest.approx((3 / 5) / (6 / 9))


def test_indication_keeps_the_reports_listing_it(bg_lake):
    # HYPERTENSION: reports 1–6, 13, 14 (N 8); AAA 1–4 (a 3: 1, 2, 4); X 1,2,4,5,13,14 → c 3, d 1
    r = _pair(bg_lake, CaseDefinition(indication="hypertension"))
    assert _cells(r) == (3, 1, 3, 1)
    assert r["ror"] == pytest.approx(1.0)
    assert r["expected"] == pytest.approx(4 * 6 / 8)


def test_active_comparator_compares_with_the_comparator_reports_only(bg_lake):
    # AAA∖BBB: 1,2,3,11 (X: 1,2); BBB∖AAA: 5,6,7 (X: 5); report 4 names both: left out
    r = _pair(bg_lake, CaseDefinition(comparator="bbb"))
    assert _cells(r) == (2, 2, 1, 2)
    assert (r["n"], r["expected"]) == (2, pytest.approx(4 * 3 / 7))
    assert r["ror"] == pytest.approx(2.0)
    assert r["prr"] == pytest.approx((2 / 4) / (1 / 3))
    # MMM against BBB: MMM 8,9,10,11 (X 8,9,10), BBB 4,5,6,7 (X 4,5): a 3, b 1, c 2, d 2
    assert _cells(_pair(bg_lake, CaseDefinition(comparator="BBB"), drug="MMM")) == (3, 1, 2, 2)


def test_comparator_table_has_no_row_of_its_own_and_per_drug_margins(bg_con):
    counts = execute(definition_counts(bg_con, CaseDefinition(comparator="BBB")))
    assert "BBB" not in set(counts["drug"])
    n_total = counts.groupby("drug")["n_total"].first().to_dict()
    # N = |X∖C| + |C∖X|: AAA 4 + 3, MMM 4 + 4, ZZZ 3 + 4
    assert n_total == {"AAA": 7, "MMM": 8, "ZZZ": 7}


def test_unmask_leaves_out_the_reports_naming_the_masking_drug(bg_lake):
    # without MMM's reports 8–11: N 10; AAA 1–4 (a 3); X 1,2,4,5,13,14 → c 3, d 3
    r = _pair(bg_lake, CaseDefinition(unmask="mmm"))
    assert _cells(r) == (3, 1, 3, 3)
    assert r["ror"] == pytest.approx(3.0)
    assert r["prr"] == pytest.approx(1.5)


def test_case_series_follow_the_background(bg_con):
    n = lambda drug, **kw: case_series(bg_con, drug, definition=CaseDefinition(**kw)).n_cases  # noqa: E731
    assert n("AAA") == 5
    assert n("AAA", comparator="BBB") == 4  # report 4 (AAA and BBB) is not an AAA-only report
    assert n("BBB", comparator="BBB") == 4  # the comparator keeps all its reports
    assert n("AAA", indication="DIABETES") == 1  # report 11
    assert n("AAA", unmask="MMM") == 4


def test_names_are_checked_with_close_matches(bg_lake):
    for kw, word in (({"comparator": "BBX"}, "BBB"), ({"indication": "HYPERTENSIO"}, "HYPERTENSION"),
                     ({"unmask": "MMN"}, "MMM")):
        with pytest.raises(UnknownNameError, match=word):
            api.signals(bg_lake, min_count=1, definition=CaseDefinition(**kw))


def test_values_are_normalised_and_validated():
    d = CaseDefinition(indication=" hypertension ", comparator="bbb", unmask="mmm, zzz")
    assert (d.indication, d.comparator, d.unmask) == ("HYPERTENSION", "BBB", ["MMM", "ZZZ"])
    assert d.filters_cases
    assert not CaseDefinition(comparator="bbb").filters_cases  # the comparator changes drugs, not cases
    assert CaseDefinition(**{k: v for k, v in d.to_dict().items() if k != "role_codes"}) == d
    with pytest.raises(ConfigError, match="cannot also be unmasked"):
        CaseDefinition(comparator="BBB", unmask=["BBB"])
    with pytest.raises(ConfigError, match="strata"):
        CaseDefinition(comparator="BBB", strata=["sex"])


def test_comparator_is_an_ingredient(bg_con):
    with pytest.raises(ConfigError, match="ingredient level"):
        definition_counts(bg_con, CaseDefinition(comparator="BBB", drug_level="class"))


def test_describe_says_what_each_background_does():
    text = " ".join(CaseDefinition(indication="hypertension", comparator="bbb", unmask=["mmm"]).describe())
    assert "Only reports listing HYPERTENSION as the indication of at least one drug" in text
    assert "Active comparator BBB" in text and "reports naming both are left out" in text
    assert "Reports naming MMM in the counted roles are left out (unmasking" in text
    assert "comparator" not in " ".join(CaseDefinition().describe()).lower()


def test_over_time_refuses_a_comparator(bg_con):
    from pvsignal.analysis.trends import quarter_counts

    with pytest.raises(ConfigError, match="comparator"):
        quarter_counts(bg_con, CaseDefinition(comparator="BBB"))
