"""A small synthetic lake with hostile names for the explorer's tests, and the app over it.

Two synthetic quarters (:func:`pvsignal.synth.synthesize`) in which every "Nausea" PT is
renamed ``<script>alert('pt')</script>`` (names come from the public: the pages must show
them as text) and every "Fatigue" PT ``=HYPERLINK("http://x","y")`` (a formula: exports
must neutralise it).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

HOSTILE_PT = "<script>alert('pt')</script>"
FORMULA_PT = '=HYPERLINK("http://x","y")'


def _rename_pts(zip_path: Path) -> None:
    with zipfile.ZipFile(zip_path) as zf:
        members = {m: zf.read(m) for m in zf.namelist()}
    for m in members:
        if "/REAC" in m:
            members[m] = (members[m].replace(b"$Nausea", b"$" + HOSTILE_PT.encode())
                          .replace(b"$Fatigue", b"$" + FORMULA_PT.encode()))
    with zipfile.ZipFile(zip_path, "w") as zf:
        for m, data in members.items():
            zf.writestr(m, data)


@pytest.fixture(scope="session")
def web_lake(tmp_path_factory) -> Path:
    from pvsignal import api
    from pvsignal.synth import synthesize

    root = tmp_path_factory.mktemp("web-lake")
    paths = synthesize(root / "faers", quarters="2023Q1:2023Q2", reports_per_quarter=600, seed=5).paths
    for p in paths:
        _rename_pts(Path(p))
    api.ingest(paths, lake=root / "lake")
    return root / "lake"


@pytest.fixture(scope="session")
def web_app(web_lake):
    from pvsignal.web import create_app

    return create_app(web_lake)


@pytest.fixture(scope="session")
def client(web_app):
    """An httpx client over the ASGI app (Starlette's TestClient); server errors become 500 pages."""
    from starlette.testclient import TestClient

    with TestClient(web_app, raise_server_exceptions=False, follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="session")
def scored(web_lake):
    """``pvsignal signals`` on the lake: the independent side of the drug page's numbers."""
    from pvsignal import api

    return api.signals(web_lake).table


@pytest.fixture(scope="session")
def hostile_drug(scored) -> str:
    """A drug with the hostile PT among its scored pairs (the one with most reports of it)."""
    t = scored[scored["event"].str.upper() == HOSTILE_PT.upper()]
    assert len(t), "the hostile PT must be scored"
    return str(t.sort_values("n", ascending=False)["drug"].iloc[0])


@pytest.fixture(scope="session")
def onset_pair(web_lake, scored) -> tuple[str, str]:
    """A scored (drug, event) with at least 3 onset times (few synthetic cases carry both dates)."""
    from pvsignal import api

    for drug in scored["drug"].value_counts().index[:20]:
        by_event = api.onset_by_event(drug, lake=web_lake, min_cases=3)
        hits = by_event[by_event["event"].isin(scored.loc[scored["drug"] == drug, "event"])]
        if len(hits):
            return str(drug), str(hits["event"].iloc[0])
    raise AssertionError("no scored pair with 3 onset times in the test lake")


from cli.conftest import run, width  # noqa: E402, F401  (the CLI tests' runner and narrow console)
