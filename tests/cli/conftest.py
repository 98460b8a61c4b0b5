"""A small synthetic lake for the CLI tests, and its prepared views as pandas frames."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def cli_lake(tmp_path_factory):
    """Two synthetic quarters (2023Q1, 2023Q2; :func:`pvsignal.synth.synthesize`), ingested."""
    from pvsignal import api
    from pvsignal.synth import synthesize

    root = tmp_path_factory.mktemp("cli-lake")
    api.ingest(synthesize(root / "faers", quarters="2023Q1:2023Q2", reports_per_quarter=600, seed=5).paths,
               lake=root / "lake")
    return root / "lake"


@pytest.fixture(scope="session")
def views(cli_lake):
    """The prepared views as pandas frames: the independent side of every count."""
    from pvsignal.prepare.build import connect

    con = connect(cli_lake)
    try:
        return {t: con.execute(f"SELECT * FROM {t}").df() for t in ("cases", "case_drugs", "case_reactions")}
    finally:
        con.close()


@pytest.fixture
def width(monkeypatch):
    """``width(n)``: both consoles (stdout, stderr) render at ``n`` columns, as on a narrow terminal."""
    from pvsignal.cli import render

    def _set(columns: int) -> None:
        for con in (render.console, render.console_err):
            monkeypatch.setattr(con, "_width", columns)

    return _set


@pytest.fixture
def run(capsys):
    """``run(argv)`` → (exit status, stdout, stderr) of ``pvsignal argv`` through :func:`pvsignal.cli.main`."""
    from pvsignal.cli import main

    def _run(argv: list[str]) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        out = capsys.readouterr()
        return exc.value.code, out.out, out.err

    return _run
