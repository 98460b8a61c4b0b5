"""Rule files: the shipped voclosporin file and malformed files rejected with line and reason."""

import pytest

from pvsignal.errors import UnknownNameError
from pvsignal.trial import RuleFileError, load_rules, parse_rules, shipped_rule_names

VALID = """\
id: demo
drug: demo
sources:
  - citation: made up for a test
lab:
  parameter: EGFR
dose:
  unit: mg BID
  start: 20
  step: 5
  minimum: 5
  maximum: 20
rules:
  - id: r1
    when: ["value < 60", "fall_pct > 20"]
    action: reduce
  - id: r2
    when: ["fall_pct >= 30"]
    action: discontinue
"""


def test_valid_file_parses():
    rs = parse_rules(VALID)
    assert [r.id for r in rs.rules] == ["r1", "r2"]
    assert str(rs.rules[0].when[1]) == "fall_pct > 20"
    assert rs.rules[0].applies_in == ("full", "reduced")


def test_shipped_voclosporin_matches_the_label():
    assert "voclosporin" in shipped_rule_names()
    rs = load_rules("voclosporin")
    assert (rs.dose.start, rs.dose.step, rs.dose.maximum) == (23.7, 7.9, 23.7)
    assert rs.sources[0].url.endswith("213716s008lbl.pdf")
    by_id = {r.id: r for r in rs.rules}
    assert [str(c) for c in by_id["egfr-lt-60-fall-gt-20-lt-30pct"].when] == ["value < 60", "fall_pct > 20", "fall_pct < 30"]
    assert by_id["egfr-lt-60-fall-ge-30pct"].action == "discontinue"
    assert by_id["discontinued-recovered-ge-80pct"].dose == 7.9
    assert [str(c) for c in rs.baseline[0].when] == ["value <= 45"]


def _bad(old, new, count=1):
    text = VALID.replace(old, new, count)
    assert text != VALID
    with pytest.raises(RuleFileError) as e:
        parse_rules(text, source="bad.yaml")
    return str(e.value)


@pytest.mark.parametrize(
    "old,new,line,reason",
    [
        ("    action: reduce", "    action: reduse", 16, "rules.0.action"),
        ('"fall_pct > 20"]', '"fall_pct >> 20"]', 15, "cannot parse condition 'fall_pct >> 20'"),
        ('"value < 60"', '"egfr < 60"', 15, "unknown quantity 'egfr'"),
        ("  step: 5\n", "  step: -5\n", 10, "dose.step: Input should be greater than 0"),
        ("  maximum: 20\n", "  maximum: 10\n", 7, "minimum ≤ start ≤ maximum"),
        ("    action: discontinue", "    action: reinitiate", 17, "needs 'dose'"),
        ("    action: reduce\n", "    action: reduce\n    threshold: 3\n", 17, "rules.0.threshold: Extra inputs are not permitted"),
        ("  - id: r2", "  - id: r1", 17, "rule id 'r1' is used twice"),
        ("  start: 20\n", "  start: 20\n  start: 25\n", 10, "key 'start' appears twice"),
        ("lab:\n  parameter: EGFR\n", "", 1, "lab: Field required"),
        ("  - citation: made up for a test", "  - citation: [unclosed", 5, "not valid YAML"),
        ("    action: reduce\n", "    action: reduce\n    states: [discontinued]\n", 14, "cannot apply in state(s) ['discontinued']"),
    ],
)
def test_malformed_files_give_line_and_reason(old, new, line, reason):
    msg = _bad(old, new)
    assert msg.startswith(f"bad.yaml, line {line}: "), msg
    assert reason in msg


def test_unknown_shipped_name_and_missing_file(tmp_path):
    with pytest.raises(UnknownNameError, match="shipped: voclosporin"):
        load_rules("voclosporine")
    with pytest.raises(RuleFileError, match="does not exist"):
        load_rules(tmp_path / "x.yaml")
    p = tmp_path / "r.yaml"
    p.write_text(VALID.replace("action: reduce", "action: 3"))
    with pytest.raises(RuleFileError, match=rf"{p.name}, line 16"):
        load_rules(p)
