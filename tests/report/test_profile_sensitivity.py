"""The profile's sensitivity-analyses section: the duplicates-dropped run and the masking check
of the events of interest, with the numbers worked by hand in tests/analysis/test_sensitivity.py
and test_masking.py (lake: tests/background_lake.py); the methods text states the background."""

from __future__ import annotations

import pytest

from background_lake import bg_lake  # noqa: F401 (fixture)
from pvsignal.analysis.population import CaseDefinition
from pvsignal.report.profile import build_profile


def _rows(table):
    return [dict(zip(table.columns, r)) for r in table.rows]


def test_section_shows_both_checks(bg_lake):
    p = build_profile("aaa", ["x", "y"], lake=bg_lake, figures=False)
    sec = p.section("sensitivity")
    assert sec.available and sec.data["duplicates"] == {"appears": 0, "disappears": 0, "kept": 0}
    dup, mask = sec.tables
    x = next(r for r in _rows(dup) if r["event"] == "X")
    assert (x["ROR kept"], x["ROR dropped"]) == (pytest.approx(0.75), pytest.approx(0.9))
    by_event = {r["event"]: r for r in _rows(mask)}
    assert by_event["X"]["masker removed"] == "MMM" and by_event["Y"]["masker removed"] == "BBB"
    assert by_event["X"]["ROR after"] == pytest.approx(3.0) and by_event["Y"]["ROR after"] == pytest.approx(5.0)
    assert [s.key for s in p.sections].index("sensitivity") == 1  # right after the signals


def test_with_a_comparator_the_masking_check_says_why_not(bg_lake):
    p = build_profile("aaa", ["x"], lake=bg_lake, figures=False, definition=CaseDefinition(comparator="BBB"))
    sec = p.section("sensitivity")
    assert any("Masking check: not available" in t and "comparator" in t for t in sec.paragraphs)
    assert "Active comparator BBB" in str(p.methods)
