"""A synthetic lake for the listing and over-time tests: four quarters, voclosporin common enough
(5 % of new reports) that its planted headache and tremor signals emerge within the year."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def planted_lake(tmp_path_factory):
    """2022Q1–2022Q4, 800 reports a quarter (:func:`pvsignal.synth.synthesize`, seed 11), ingested."""
    from pvsignal import api
    from pvsignal.synth import Plan, synthesize

    root = tmp_path_factory.mktemp("planted-lake")
    out = synthesize(root / "faers", quarters="2022Q1:2022Q4", reports_per_quarter=800, seed=11,
                     plan=Plan(voclosporin_rate=0.05))
    api.ingest(out.paths, lake=root / "lake")
    return root / "lake"


@pytest.fixture(scope="module")
def planted_con(planted_lake):
    """Its prepared views on DuckDB."""
    from pvsignal.prepare.build import connect

    con = connect(planted_lake)
    yield con
    con.close()
