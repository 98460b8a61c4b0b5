"""Errors reach the user whole: one line each, at any console width, with exit status 2.

A long temporary path (CI runs these tests under one) must not be hard-wrapped: a wrapped
message cannot be matched, copied or grepped (issue 12).
"""

from __future__ import annotations

import pytest

from pvsignal.cli import render


@pytest.fixture
def narrow(width):
    width(40)


def test_user_error_with_a_long_path_is_one_line(tmp_path, narrow, run):
    missing = tmp_path / ("a-folder-with-a-rather-long-name-" * 3) / "faers_ascii_2024q1.zip"
    code, _, err = run(["ingest", str(missing), "--lake", str(tmp_path / "lake")])
    assert code == 2 and "Traceback" not in err
    line = next(x for x in err.splitlines() if x.startswith("error:"))
    assert str(missing) in line  # the whole path on the error line, not wrapped at 40 columns


def test_usage_error_is_plain_and_unwrapped(narrow, run):
    code, _, err = run(["signals", "--top", "not-a-number-but-a-rather-long-piece-of-text"])
    assert code == 2
    assert "╭" not in err and "│" not in err  # no box around the message
    line = next(x for x in err.splitlines() if x.startswith("error:"))
    assert "--top" in line and "integer" in line
    assert "Usage: pvsignal signals" in err


def test_unknown_option_and_missing_argument_exit_2(narrow, run):
    code, _, err = run(["cases", "--no-such-option"])
    assert code == 2 and "--no-such-option" in err
    code, _, err = run(["ingest"])
    assert code == 2 and "PATHS" in err.upper()


def test_bad_years_is_a_usage_error(run):
    code, _, err = run(["signals", "--reports", "x.csv", "--years", "2019-2020"])
    assert code == 2 and "YYYY:YYYY" in err


def test_note_is_unwrapped(capsys, narrow):
    render.print_note("a note that is much longer than forty columns and must stay on one line")
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "must stay on one line" in out
