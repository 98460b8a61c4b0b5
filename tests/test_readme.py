"""README's test command is exactly what CI runs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    cmd = 'python3 -m venv .venv && .venv/bin/pip install -q -e ".[test,spark,pdf]" && .venv/bin/python -m pytest'
    assert cmd in readme and cmd in ci
    assert "pvsignal demo" in readme
