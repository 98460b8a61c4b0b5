"""``pvsignal cases --listing`` and ``pvsignal trends`` from the command line: the API's numbers,
the files written, and user mistakes as one-line errors (exit 2)."""

from __future__ import annotations

import json

import openpyxl

from pvsignal import api


def test_cases_listing_json_has_one_row_per_case(run, cli_lake):
    code, out, err = run(["cases", "--drug", "voclosporin", "--lake", str(cli_lake), "--listing", "--json"])
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == api.cases("voclosporin", lake=cli_lake).n_cases
    assert all("VOCLOSPORIN (" in r["drugs"] for r in rows)


def test_cases_listing_xlsx_is_filterable(run, cli_lake, tmp_path):
    path = tmp_path / "listing.xlsx"
    code, out, err = run(["cases", "--drug", "voclosporin", "--lake", str(cli_lake), "--listing", "--sex", "F",
                          "--out", str(path)])
    assert code == 0, err
    ws = openpyxl.load_workbook(path)["results"]
    n = len(api.case_listing("voclosporin", lake=cli_lake, definition=api.case_definition(sex="F")))
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:") and ws.max_row == n + 1
    assert "cases (first" in out


def test_trends_json_plot_and_out(run, cli_lake, tmp_path):
    png, xlsx = tmp_path / "ror.png", tmp_path / "trends.xlsx"
    code, out, err = run(["trends", "--drug", "voclosporin", "--lake", str(cli_lake), "--split", "2023-04-01",
                          "--json", "--plot", str(png), "--out", str(xlsx)])
    assert code == 0, err
    payload = json.loads(out)
    ref = api.signals(cli_lake, drug="voclosporin", min_count=1).table.set_index("event")
    last = [r for r in payload["table"] if r["series"] == "cumulative" and r["period"] == "2023Q2"]
    assert len(last) == len(ref)
    assert all(r["n"] == ref.at[r["event"], "n"] for r in last)
    assert {r["series"] for r in payload["table"]} == {"cumulative", "quarter", "before", "after"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "first_signal" in openpyxl.load_workbook(xlsx).sheetnames


def test_trends_screen_names_the_first_quarters(run, cli_lake):
    code, out, err = run(["trends", "--drug", "voclosporin", "--event", "headache", "--lake", str(cli_lake)])
    assert code == 0, err
    assert "first cumulative quarter" in out and "HEADACHE" in out and "cumulative" in out


def test_trends_mistakes_exit_2(run, cli_lake):
    code, _, err = run(["trends", "--drug", "voclosporine", "--lake", str(cli_lake)])
    assert code == 2 and "VOCLOSPORIN" in err and "Traceback" not in err
    code, _, err = run(["trends", "--drug", "voclosporin", "--lake", str(cli_lake), "--split", "someday"])
    assert code == 2 and "split" in err
