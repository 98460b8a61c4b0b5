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
