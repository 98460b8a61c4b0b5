"""What a new user met at 80 columns on the README's demo lake: options silently ignored,
unlabelled synthetic results, blank cells without their reason, a listing of ids and dates,
paths and hints that lost what the user typed, single lines longer than the terminal.

The lake is the small synthetic one of tests/cli/conftest.py (``cli_lake``); expected
numbers come from :mod:`pvsignal.api` called directly, one perpetrator at a time.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pandas as pd
import pytest

from pvsignal import api

DRUG = "voclosporin"


@pytest.fixture
def narrow(width):
    width(80)


def _header(screen: str) -> list[str]:
    """The words of a Rich table's header rows (lines between ┏ and ┡)."""
    lines = screen.splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith("┏"))
    end = next(i for i, x in enumerate(lines) if x.startswith("┡"))
    return " ".join(lines[start + 1:end]).replace("┃", " ").split()


def _top_perpetrators(lake, n: int = 3) -> list[str]:
    return list(api.co_reported_perpetrators(DRUG, lake=lake).by_drug["ingredient"].head(n))


# --- 1. interactions --event without --class: Ω against the top co-reported perpetrators -----------

def test_event_alone_scores_the_drug_against_its_top_co_reported_perpetrators(cli_lake, run):
    perps = _top_perpetrators(cli_lake)
    assert len(perps) == 3
    code, out, err = run(["interactions", "--lake", str(cli_lake), "--drug", DRUG, "--event", "headache", "--json"])
    assert code == 0, err
    got = json.loads(out)
    assert got["n_drug_cases"] == 5 and "most often co-reported" in got["perpetrators_chosen"]
    rows = {r["perpetrator"]: r for r in got["signals"]}
    assert sorted(rows) == sorted(p.lower() for p in perps)
    for perp in perps:  # each as if asked alone with --class PERP
        (want,) = api.interaction_signals(DRUG, perp, ["headache"], lake=cli_lake).to_dict(orient="records")
        row = rows[perp.lower()]
        assert row["event"] == "HEADACHE"
        assert [row[k] for k in ("n111", "n11_", "n101", "n10_", "n011", "n01_", "n001", "n00_")] == \
               [want[k] for k in ("n111", "n11_", "n101", "n10_", "n011", "n01_", "n001", "n00_")]
        assert row["reason"] == want["reason"] and row["ror_reason"] == want["ror_reason"]
        if want["reason"]:  # Ω undefined (this small lake: itraconazole's perpetrator-alone stratum is empty)
            assert row["omega_lower"] is None and pd.isna(want["omega_lower"])
        else:
            assert row["omega_lower"] == pytest.approx(want["omega_lower"], abs=1e-6)
    assert {r["reason"] for r in rows.values()} == {"", "empty stratum"}


def test_event_alone_says_which_perpetrators_it_chose(cli_lake, run, narrow):
    code, out, err = run(["interactions", "--lake", str(cli_lake), "--drug", DRUG, "--event", "headache"])
    assert code == 0, err
    text = " ".join(out.split())
    assert "against the 3 perpetrators most often co-reported with voclosporin" in text
    assert "co-reported perpetrators, by drug" in text and "Ω and stratified ROR" in text
    assert all(p.lower() in text for p in _top_perpetrators(cli_lake))
    itraconazole = next(x for x in out.splitlines() if x.startswith("│ itraconazole"))
    assert "— (empty stratum)" in itraconazole  # Ω's reason in its blank cell


def test_with_on_a_lake_names_the_perpetrators(cli_lake, run):
    code, out, err = run(["interactions", "--lake", str(cli_lake), "--drug", DRUG, "--with", "clarithromycin,itraconazole",
                          "--event", "headache", "--json"])
    assert code == 0, err
    rows = json.loads(out)
    assert sorted(r["perpetrator"] for r in rows) == ["clarithromycin", "itraconazole"]


@pytest.mark.parametrize("extra", [["--event", "tremor"], ["--class", "cyp3a4-inhibitor"], ["--sex", "F"],
                                   ["--min-cases", "2"]])
def test_a_lake_option_without_a_lake_is_an_error(extra, run):
    code, out, err = run(["interactions", DRUG, "--with", "ketoconazole", *extra])
    assert code == 2 and out == "" and extra[0] in err and "need --lake" in " ".join(err.split())


def test_an_option_not_used_is_said_on_stderr(cli_lake, run):
    code, out, err = run(["interactions", "--lake", str(cli_lake), "--drug", DRUG, "--min-cases", "2", "--json"])
    assert code == 0 and "not used here: --min-cases" in err
    assert json.loads(out)["n_drug_cases"] == 5  # stdout stays one JSON document


# --- 2. the synthetic label ------------------------------------------------------------------------

@pytest.mark.parametrize("extra", [[], ["--event", "headache"], ["--class", "cyp3a4-inhibitor", "--min-cases", "1"]])
def test_interactions_on_a_synthetic_lake_say_so(cli_lake, run, extra):
    code, out, err = run(["interactions", "--lake", str(cli_lake), "--drug", DRUG, *extra])
    assert code == 0, err
    assert "SYNTHETIC DATA: built from pvsignal synth output" in out


# --- 3. a blank value says why; no always-empty column ---------------------------------------------

def test_a_blank_ror_shows_its_reason_and_no_empty_note_column(cli_lake, run, narrow, tmp_path):
    want = api.interaction_signals(DRUG, "cyp3a4-inhibitor", None, lake=cli_lake, min_n111=1)
    undefined = want[want["ror_both_vs_drug"].isna()]
    assert len(undefined) == 2 and set(undefined["ror_reason"]) == {"zero cell"}
    assert (want["reason"] == "").all()  # Ω is defined everywhere: its reason column is empty
    out_csv = tmp_path / "omega.csv"
    code, out, err = run(["interactions", "--lake", str(cli_lake), "--drug", DRUG, "--class", "cyp3a4-inhibitor",
                          "--min-cases", "1", "--out", str(out_csv)])
    assert code == 0, err
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.startswith("│")}
    for event in undefined["event"]:
        assert "— (zero cell)" in rows[event]
    for r in want[want["ror_both_vs_drug"].notna()].itertuples():
        assert f"{r.ror_both_vs_drug:.2f} ({r.ror_both_vs_drug_lower:.2f}–{r.ror_both_vs_drug_upper:.2f})" in rows[r.event]
    assert "note" not in _header(out) and "note" not in out.split("┘")[-1]
    written = pd.read_csv(out_csv, keep_default_na=False)  # the file keeps every column, reasons by their names
    assert {"reason", "ror_reason"} <= set(written.columns)
    assert set(written.loc[written["ror_both_vs_drug"] == "", "ror_reason"]) == {"zero cell"}


# --- 4. the listing at 80 columns, and --rows --------------------------------------------------------

def test_listing_at_80_columns_shows_what_a_reviewer_reads_first(cli_lake, run, narrow):
    code, out, err = run(["cases", "--lake", str(cli_lake), "--drug", DRUG, "--listing"])
    assert code == 0, err
    header = _header(out)
    assert header[:6] == ["caseid", "age", "sex", "events", "drugs", "outcomes"], header
    assert "event_dt" not in header and "primaryid" not in header
    table = api.case_listing(DRUG, lake=cli_lake)
    first = table.iloc[0]
    assert str(first["caseid"]) in out
    assert first["drugs"].split(" (")[0] in out  # the first drug's ingredient


@pytest.mark.parametrize("rows, shown", [("2", 2), ("0", 5)])
def test_listing_rows_sets_the_cases_on_screen(cli_lake, run, narrow, rows, shown):
    code, out, err = run(["cases", "--lake", str(cli_lake), "--drug", DRUG, "--listing", "--rows", rows])
    assert code == 0, err
    ids = list(api.case_listing(DRUG, lake=cli_lake)["caseid"].astype(str))
    assert len(ids) == 5
    body = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")]
    assert [b for b in body if b] == ids[:shown]


def test_rows_is_documented_and_needs_listing(cli_lake, run):
    code, out, _ = run(["cases", "--help"])
    assert code == 0 and "--rows" in out
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "--listing --rows" in readme
    code, _, err = run(["cases", "--lake", str(cli_lake), "--drug", DRUG, "--rows", "3"])
    assert code == 2 and "--listing" in err


# --- 5. paths and hints keep what the user typed ------------------------------------------------------

def test_signals_out_names_the_real_sidecar_path(cli_lake, run, tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    code, out, err = run(["signals", "--lake", str(cli_lake), "--drug", DRUG, "--out", "../x.csv"])
    assert code == 0, err
    assert "written: ../x.csv and ../x.csv.json" in out
    assert (tmp_path / "x.csv.json").is_file()


def test_ingest_and_prepare_hint_names_the_lake(run, tmp_path, narrow, monkeypatch):
    from pvsignal.synth import synthesize

    monkeypatch.chdir(tmp_path)
    paths = synthesize(Path("zips"), quarters="2023Q1", reports_per_quarter=60, seed=1).paths
    for argv in (["ingest", *map(str, paths), "--lake", "my lake"], ["prepare", "--lake", "my lake"]):
        code, out, err = run(argv)
        assert code == 0, err
        assert "`pvsignal status --lake 'my lake' --rejects`" in out  # quoted: it pastes as typed
        assert "reports →" in out and max(len(x) for x in out.splitlines()) <= 80


# --- 6. the demo's folder is ignored by git -----------------------------------------------------------

def test_gitignore_ignores_the_demo_folder():
    from pvsignal.cli.demo_commands import demo

    folder = inspect.signature(demo).parameters["folder"].default
    lines = (Path(__file__).resolve().parents[2] / ".gitignore").read_text().splitlines()
    assert f"/{folder}/" in lines


# --- 7. single lines fit 80 columns, content kept ------------------------------------------------------

def test_a_long_command_hint_breaks_before_options_and_still_pastes(capsys, narrow):
    import shlex

    from pvsignal.cli.render import print_command

    argv = ["pvsignal", "trial", "incidence", "--adsl", "pvsignal-demo/trial/adsl.xpt", "--adae",
            "pvsignal-demo/trial/adae.xpt", "--control", "Placebo arm"]
    print_command(argv)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(len(x) <= 80 for x in lines)
    assert lines[0].endswith(" \\") and lines[1].lstrip().startswith("--adae")
    assert shlex.split(" ".join(x.removesuffix("\\") for x in lines)) == argv


def test_status_and_mgps_lines_fit_80_columns(cli_lake, run, narrow):
    code, out, err = run(["status", "--lake", str(cli_lake)])
    assert code == 0, err
    st = api.status(cli_lake)
    tally = [x for x in out.splitlines() if not x.startswith(("┃", "│", "┏", "┡", "└")) and len(x.strip())]
    assert all(len(x) <= 80 for x in tally), tally
    text = " ".join(out.split())
    for part in (f"reports {st['reports']:,}", f"removed deleted {st['removed_deleted']:,}",
                 f"removed older versions {st['removed_old_versions']:,}", f"cases {st['cases']:,}",
                 f"probable duplicates (flagged) {st['probable_duplicates']:,}",
                 f"cases in both eras {st['cases_in_both_eras']:,}"):
        assert part in text
    code, out, err = run(["signals", "--lake", str(cli_lake), "--drug", DRUG])
    assert code == 0, err
    mgps = [x for x in out.splitlines() if x.startswith("MGPS prior") or "(log L" in x]
    assert len(mgps) == 2 and all(len(x) <= 80 for x in mgps)
    assert all(len(x) <= 80 for x in out.split("MGPS prior")[1].splitlines())  # and the note on its bound
    assert "converged True" in " ".join(mgps) or "converged False" in " ".join(mgps)


@pytest.mark.slow
def test_the_demo_prints_no_line_wider_than_80(run, tmp_path, narrow, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["demo", "--folder", "pvsignal-demo", "--reports-per-quarter", "300"])
    assert code == 0, err
    assert max(len(x) for x in out.splitlines()) <= 80
    assert "pvsignal trial incidence --adsl" in out and "--control Placebo" in " ".join(out.split())
