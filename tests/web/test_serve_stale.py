"""``pvsignal serve`` over a lake whose prepared tables or pair table are stale: one line, exit 2,
nothing written (was: the explorer rebuilt them on its first page, a write and a long wait)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest


def _tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the hash of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture
def stale_lake(tmp_path) -> Path:
    """One synthetic quarter ingested by the store alone (no prepare): quarters but no prepared tables."""
    from pvsignal.sources.faers.source import FaersSource
    from pvsignal.store.ingest import ingest
    from pvsignal.synth import synthesize

    paths = synthesize(tmp_path / "faers", quarters="2023Q1", reports_per_quarter=150, seed=3).paths
    ingest(paths, tmp_path / "lake", source=FaersSource())
    return tmp_path / "lake"


@pytest.fixture
def no_server(monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    return calls


def test_serve_refuses_a_stale_lake_and_writes_nothing(stale_lake, run, no_server):
    from pvsignal import api

    before = _tree(stale_lake)
    code, out, err = run(["serve", "--lake", str(stale_lake)])
    assert code == 2 and no_server == [] and "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "the prepared tables are missing or stale" in lines[0]
    assert f"run `pvsignal prepare --lake {stale_lake}`" in err.replace("\n", "")
    assert _tree(stale_lake) == before  # the explorer never writes into the lake
    api.prepare(stale_lake)
    assert run(["serve", "--lake", str(stale_lake)])[0] == 0 and len(no_server) == 1


def test_serve_refuses_a_pair_table_older_than_the_prepared_tables(stale_lake, run, no_server):
    from pvsignal import api
    from pvsignal.errors import LakeError

    api.prepare(stale_lake)
    api.check_current(stale_lake)
    manifest = stale_lake / "manifest.json"
    m = json.loads(manifest.read_text())
    m["pair_table"]["prepared_run_id"] = "an-older-build"
    manifest.write_text(json.dumps(m))
    with pytest.raises(LakeError, match="scored pair table is missing or older than the prepared tables"):
        api.check_current(stale_lake)
    before = _tree(stale_lake)
    code, _, err = run(["serve", "--lake", str(stale_lake)])
    assert code == 2 and no_server == [] and "pvsignal prepare --lake" in err.replace("\n", "")
    assert _tree(stale_lake) == before


def test_a_lake_made_stale_while_serving_is_an_error_page_and_no_write(tmp_path):
    """The explorer opened a current lake; then its quarters change without a prepare (here: the
    manifest's prepared quarters no longer match, as after an ingest of the store alone). The next
    page names the fix instead of rebuilding the tables."""
    from starlette.testclient import TestClient

    from pvsignal import api
    from pvsignal.synth import synthesize
    from pvsignal.web import create_app

    paths = synthesize(tmp_path / "faers", quarters="2023Q1", reports_per_quarter=150, seed=4).paths
    lake = tmp_path / "lake"
    api.ingest(paths, lake=lake)
    app = create_app(lake)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/").status_code == 200
        manifest = json.loads((lake / "manifest.json").read_text())
        manifest["prepared"]["quarters"] = ["2022Q4"]
        tmp = lake / "manifest.json.new"
        tmp.write_text(json.dumps(manifest))
        tmp.replace(lake / "manifest.json")  # a new inode, as every commit makes
        before = _tree(lake)
        r = c.get("/about")
        assert r.status_code == 422 and "the prepared tables are missing or stale" in r.text
        assert "pvsignal prepare --lake" in r.text
        assert _tree(lake) == before
