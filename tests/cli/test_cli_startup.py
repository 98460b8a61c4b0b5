"""The front door stays light: help and version load no analysis library (structural, not timed).

Start-up time is dominated by imports (BENCHMARKS.md, "Start-up"): pandas, DuckDB, Ibis,
SciPy and Matplotlib cost about 1.1 s together, so none may be imported until a command runs.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("scipy", "ibis", "matplotlib", "pandas", "duckdb", "pyarrow", "numpy")

PROBE = """
import json, sys
from pvsignal.cli import main
try:
    main({argv!r})
except SystemExit as exc:
    code = exc.code
print(json.dumps({{"code": code, "heavy": sorted(m for m in {heavy!r} if m in sys.modules)}}))
"""


def _probe(argv: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)], capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["version"], ["signals", "--help"], ["cases", "--help"], ["profile", "--help"], ["trial", "dosing", "--help"]],
    ids=" ".join,
)
def test_help_and_version_import_no_heavy_module(argv):
    res = _probe(argv)
    assert res["code"] == 0
    assert res["heavy"] == [], f"`pvsignal {' '.join(argv)}` imported {res['heavy']}"


def test_api_import_is_light():
    code = "import sys, pvsignal.api; print(sorted(m for m in %r if m in sys.modules))" % (HEAVY,)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_default_lake_matches_the_store():
    from pvsignal import api
    from pvsignal.cli import options
    from pvsignal.store.lake import DEFAULT_LAKE

    assert api.DEFAULT_LAKE == options.DEFAULT_LAKE == DEFAULT_LAKE


def test_flags_show_as_flags_in_help(capsys):
    from pvsignal.cli import main

    for argv in (["signals", "--help"], ["synth", "--help"], ["status", "--help"], ["onset", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert "<bool>" not in out and "BOOLEAN" not in out, out
    with pytest.raises(SystemExit):
        main(["synth", "--help"])
    assert "--zip / --no-zip" in capsys.readouterr().out


@pytest.mark.parametrize("group", [[], ["trial"], ["drugs"], ["meddra"]])
def test_command_lists_are_not_cut_at_80_columns(group):
    # Click shortens a command's help to fit the line ("Read FAERS/AERS quarters or ..."):
    # every command carries a short help that fits beside its name at 80 columns
    env = {"COLUMNS": "80", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "pvsignal", *group, "--help"], capture_output=True, text=True,
                         env=env, check=True).stdout
    commands = out.split("Commands:")[1].splitlines()
    assert commands and not [line for line in commands if line.rstrip().endswith("...")]
