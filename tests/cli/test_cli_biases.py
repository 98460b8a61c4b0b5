"""Restricted backgrounds, masking, the duplicates sensitivity run and the onset comparison
from the command line at 80 columns: the API's (hand-checked) numbers on screen, files
written, and user mistakes as one-line errors (exit 2). Lake: tests/background_lake.py."""

from __future__ import annotations

import json

import openpyxl

from background_lake import bg_lake  # noqa: F401 (fixture)


def test_comparator_and_indication_change_the_table(run, width, bg_lake):
    width(80)
    code, out, err = run(["signals", "--lake", str(bg_lake), "--drug", "aaa", "--event", "x", "--min-count", "1",
                          "--comparator", "bbb"])
    assert code == 0, err
    # a 2, b 2, c 1, d 2: ROR 2, Woolf SE √2.5 → 2·exp(∓1.96·1.5811) = 0.09–44.35
    assert "2.00 (0.09–44.35)" in out and "against BBB: N per drug" in out
    code, out, err = run(["signals", "--lake", str(bg_lake), "--drug", "aaa", "--event", "x", "--min-count", "1",
                          "--indication", "hypertension"])
    assert code == 0, err
    assert "population 8 reports" in out and "1.00 (" in out


def test_unmask_and_unmask_top(run, width, bg_lake, tmp_path):
    width(80)
    code, out, err = run(["signals", "--lake", str(bg_lake), "--drug", "aaa", "--event", "x", "--min-count", "1",
                          "--unmask", "mmm"])
    assert code == 0, err
    assert "population 10 reports" in out and "3.00 (" in out
    xlsx = tmp_path / "s.xlsx"
    code, out, err = run(["signals", "--lake", str(bg_lake), "--drug", "aaa", "--min-count", "1", "--unmask-top", "1",
                          "--out", str(xlsx)])
    assert code == 0, err
    assert "Masking check" in out and "MMM" in out and "BBB" in out and "1.11" in out and "1.67" in out
    book = openpyxl.load_workbook(tmp_path / "s-masking.xlsx")
    assert "maskers" in book.sheetnames


def test_duplicates_sensitivity_side_by_side(run, width, bg_lake):
    width(80)
    code, out, err = run(["signals", "--lake", str(bg_lake), "--drug", "zzz", "--min-count", "1",
                          "--duplicates-sensitivity"])
    assert code == 0, err
    assert "probable duplicates kept → dropped" in out and "0 signal(s) appear" in out


def test_onset_compare_screen_json_and_plot(run, width, bg_lake, tmp_path):
    width(80)
    code, out, err = run(["onset-compare", "--lake", str(bg_lake), "--drug", "aaa", "--vs-drug", "bbb"])
    assert code == 0, err
    assert "Kolmogorov–Smirnov D = 1.000, p = 0.05714" in out and "log-rank Z = -2.574" in out
    svg = tmp_path / "o.svg"
    code, out, err = run(["onset-compare", "--lake", str(bg_lake), "--drug", "aaa", "--event", "x", "--vs-event", "y",
                          "--json", "--plot", str(svg)])
    assert code == 0, err
    d = json.loads(out)
    assert [g["median_days"] for g in d["groups"]] == [15, 35]
    assert d["kolmogorov_smirnov"]["p"] == 1 / 3 or abs(d["kolmogorov_smirnov"]["p"] - 1 / 3) < 1e-12
    assert svg.read_bytes().startswith(b"<?xml")


def test_mistakes_are_one_line_errors(run, bg_lake):
    for argv, words in (
        (["signals", "--comparator", "bbx"], "close matches: BBB"),
        (["signals", "--indication", "hypertensio"], "HYPERTENSION"),
        (["signals", "--comparator", "bbb", "--unmask", "bbb"], "cannot also be unmasked"),
        (["signals", "--unmask-top", "1"], "--drug"),
        (["onset-compare", "--drug", "aaa"], "not both and not neither"),
        (["trends", "--drug", "aaa", "--comparator", "bbb"], "comparator"),
    ):
        code, out, err = run([*argv, "--lake", str(bg_lake)])
        assert code == 2, (argv, out, err)
        assert words in err and "Traceback" not in err
