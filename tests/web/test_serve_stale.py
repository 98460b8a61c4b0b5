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
