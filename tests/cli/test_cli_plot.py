"""``pvsignal plot forest|volcano|trend``: the figure holds the API's events, the default file
name, user mistakes as one-line errors (exit 2), and the help fits 80 columns."""

from __future__ import annotations

from pvsignal import api


def test_plot_forest_svg_holds_the_top_events(run, cli_lake, tmp_path, width):
    width(80)
    out = tmp_path / "f.svg"
    code, stdout, err = run(["plot", "forest", "--drug", "voclosporin", "--lake", str(cli_lake), "--min-count", "1",
                             "--top", "5", "--out", str(out)])
    assert code == 0, err
    assert f"written: {out}" in stdout.replace("\n", "") and "SYNTHETIC" in stdout
    t = api.signals(cli_lake, drug="voclosporin", min_count=1).table
    top = t.sort_values(["ic025", "n", "event"], ascending=[False, False, True]).head(5)
    svg = out.read_text()
    assert all(f"<!-- {e} (n = {n}) -->" in svg for e, n in zip(top["event"], top["n"]))
    assert sum(f"<!-- {e} (n = " in svg for e in t["event"]) == 5


def test_plot_volcano_variants_and_default_name(run, cli_lake, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for argv, name in ((["--p", "fisher"], "VOCLOSPORIN-volcano.svg"), (["--eb05"], "VOCLOSPORIN-eb05.svg")):
        code, _, err = run(["plot", "volcano", "--drug", "voclosporin", "--lake", str(cli_lake), "--min-count", "1",
                            *argv])
        assert code == 0, err
        assert (tmp_path / name).read_text().startswith("<?xml")
    assert "Fisher" in (tmp_path / "VOCLOSPORIN-volcano.svg").read_text()
    assert "EB05" in (tmp_path / "VOCLOSPORIN-eb05.svg").read_text()


def test_plot_trend_png(run, cli_lake, tmp_path):
    out = tmp_path / "t.png"
    code, _, err = run(["plot", "trend", "--drug", "voclosporin", "--event", "headache", "--lake", str(cli_lake),
                        "--out", str(out)])
    assert code == 0, err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_mistakes_exit_2(run, cli_lake, tmp_path):
    code, _, err = run(["plot", "forest", "--drug", "voclosporin", "--lake", str(cli_lake), "--min-count", "1",
                        "--out", str(tmp_path / "f.pdf")])
    assert code == 2 and "png or .svg" in err and "Traceback" not in err
    code, _, err = run(["plot", "volcano", "--drug", "voclosporin", "--lake", str(cli_lake), "--p", "z"])
    assert code == 2 and "chi2 or fisher" in err
    code, _, err = run(["plot", "forest", "--drug", "voclosporin", "--lake", str(cli_lake), "--sort-by", "x",
                        "--min-count", "1", "--out", str(tmp_path / "f.svg")])
    assert code == 2 and "sort the forest" in err


def test_plot_help_is_not_cut_at_80_columns():
    import subprocess
    import sys

    for argv in (["--help"], ["plot", "--help"]):
        out = subprocess.run([sys.executable, "-m", "pvsignal", *argv], capture_output=True, text=True, check=True,
                             env={"COLUMNS": "80", "PATH": "/usr/bin:/bin"}).stdout
        commands = out.split("Commands:")[1].splitlines()
        assert not [line for line in commands if line.rstrip().endswith("...")], out
        assert "plot" in out


def test_trends_prior_sample_changes_only_ebgm(run, cli_lake):
    import json

    code, out, err = run(["trends", "--drug", "voclosporin", "--lake", str(cli_lake), "--prior", "final", "--json"])
    assert code == 0, err
    exact = json.loads(out)
    code, out, err = run(["trends", "--drug", "voclosporin", "--lake", str(cli_lake), "--prior", "final",
                          "--prior-sample", "2", "--json"])
    assert code == 0, err
    fast = json.loads(out)
    assert exact["parameters"]["prior_sample"] == 1 and fast["parameters"]["prior_sample"] == 2
    key = lambda r: (r["event"], r["series"], r["period"])  # noqa: E731
    a, b = sorted(exact["table"], key=key), sorted(fast["table"], key=key)
    assert [(key(r), r["n"], r["ror"], r["ic025"]) for r in a] == [(key(r), r["n"], r["ror"], r["ic025"]) for r in b]


def test_plot_forest_takes_the_case_definition(run, cli_lake, tmp_path):
    out = tmp_path / "f.svg"
    code, _, err = run(["plot", "forest", "--drug", "voclosporin", "--lake", str(cli_lake), "--min-count", "1",
                        "--sex", "female", "--top", "3", "--out", str(out)])
    assert code == 0, err
    t = api.signals(cli_lake, drug="voclosporin", min_count=1, definition=api.case_definition(sex="female")).table
    top = t.sort_values(["ic025", "n", "event"], ascending=[False, False, True]).head(3)
    svg = out.read_text()
    assert all(f"<!-- {e} (n = {n}) -->" in svg for e, n in zip(top["event"], top["n"]))
    code, _, err = run(["plot", "forest", "--drug", "voclosporin", "--lake", str(cli_lake), "--years", "20x"])
    assert code == 2 and "years" in err
