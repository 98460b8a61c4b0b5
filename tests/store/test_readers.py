"""Readers under a writer: reader leases, one commit per command, a full disk.

The process tests start real ``pvsignal`` writers and Python readers on one lake.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pvsignal import api
from pvsignal.api.lake import commits_made
from pvsignal.prepare.build import LakeReader, connect
from pvsignal.prepare.views import is_current
from pvsignal.store.lake import Lake, connect_raw, manifest_files
from pvsignal.store.readers import READERS, owner_prefix

HEAD = "data/faers-samples/faers_2020q3_head"
SAMPLE = "data/faers-samples/faers_ascii_2017q2.zip"

#: a reader: connect, wait a random moment (a writer may commit meanwhile), then count and
#: score; one JSON line per round ({"error": …} when a round fails); ``once``: one round
READER = r"""
import json, os, random, sys, time
from pvsignal import api
from pvsignal.api.lake import commits_made
from pvsignal.prepare.build import connect

lake, stop, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(seed)

def state():
    con = connect(lake)
    time.sleep(rng.uniform(0, 0.3))
    out = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("cases", "case_drugs", "case_reactions")}
    out["quarters"] = [r[0] for r in con.execute("SELECT DISTINCT quarter FROM case_drugs ORDER BY 1").fetchall()]
    out["pairs"] = con.execute("SELECT count(DISTINCT (ingredient, pt)) FROM case_drugs JOIN case_reactions USING (caseid)").fetchone()[0]
    if rounds % 3 == 1:  # scoring is slower: every third round
        sig = api.signals(lake).table
        out["signals"] = sorted(map(list, zip(sig["drug"], sig["event"], sig["n"].astype(int).tolist())))
    return out

rounds = 0
while True:
    rounds += 1
    try:
        res = state()
    except Exception as exc:
        res = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(res), flush=True)
    if stop == "once" or os.path.exists(stop):
        break
"""


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from pvsignal.cli import main; main()", *args]


def _reader_once(lake: Path) -> dict:
    res = subprocess.run([sys.executable, "-c", READER, str(lake), "once", "0"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def _files(lake: Path) -> dict[str, bytes]:
    """The lake's data: the manifest and every Parquet file (scratch, lock and leases aside)."""
    return {str(p.relative_to(lake)): p.read_bytes() for p in sorted(lake.rglob("*"))
            if p.is_file() and (p.suffix == ".parquet" or p.name == "manifest.json")}


@pytest.mark.parametrize("cycles", [1, pytest.param(3, marks=pytest.mark.slow)])
def test_readers_in_a_loop_see_the_state_before_or_after_every_write_never_an_error(shared_dir, tmp_path, cycles):
    """Two readers open the lake, wait up to 0.3 s, then count and score, in a loop, while a
    writer ingests a quarter and prepares, ``cycles`` times (each re-ingest replaces its files).
    (With the leases disabled by hand, readers fail: ``No files found that match …parquet``.)"""
    lake = tmp_path / "lake"
    subprocess.run(_cli("ingest", str(shared_dir / SAMPLE), "--lake", str(lake)), check=True, capture_output=True)
    before = _reader_once(lake)
    stop = tmp_path / "stop"
    logs = [tmp_path / f"reader{seed}.jsonl" for seed in (1, 2)]
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(lake), str(stop), str(seed)],
                                stdout=log.open("w"), stderr=subprocess.PIPE, text=True) for seed, log in zip((1, 2), logs)]

    def lines() -> list[int]:
        return [len(log.read_text().splitlines()) for log in logs]

    def one_more_round(seen: list[int]) -> None:  # each reader has begun a round since ``seen``
        end = time.monotonic() + 120
        while any(n <= s + 1 for n, s in zip(lines(), seen)) and time.monotonic() < end:
            time.sleep(0.05)

    one_more_round([-1, -1])
    writes = [("ingest", str(shared_dir / HEAD), "--allow-partial"), ("prepare",)] * cycles
    for cmd in writes:
        seen = lines()
        res = subprocess.run(_cli(*cmd, "--lake", str(lake)), capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        one_more_round(seen)
    stop.touch()
    for r in readers:
        _, err = r.communicate(timeout=120)
        assert r.returncode == 0, err
    rounds = [json.loads(line) for log in logs for line in log.read_text().splitlines()]
    after = _reader_once(lake)
    assert before["quarters"] == ["2017Q2"] and after["quarters"] == ["2017Q2", "2020Q3"]
    assert after["cases"] > before["cases"] == 100
    errors = [r for r in rounds if "error" in r]
    assert not errors, errors[:3]
    # the counts come from one connection, the signals from api.signals' own: each is whole
    parts = [({k: v for k, v in r.items() if k != "signals"}, r.get("signals")) for r in rounds]
    states = [({k: v for k, v in s.items() if k != "signals"}, s["signals"]) for s in (before, after)]
    assert all(p[0] in (states[0][0], states[1][0]) for p in parts), [p[0] for p in parts]
    scored = [p[1] for p in parts if p[1] is not None]
    assert all(sig in (states[0][1], states[1][1]) for sig in scored), scored
    n_before = sum(p[0] == states[0][0] for p in parts)
    print(f"{len(rounds)} reader rounds during {len(writes)} writes: {n_before} counted the state before, "
          f"{len(rounds) - n_before} after; {len(scored)} scored ({sum(s == states[0][1] for s in scored)} before)")
    assert 0 < n_before < len(rounds) and len(rounds) >= 2 * (len(writes) + 1) and len(scored) >= 2
    # the readers have ended: the next writer removes what their leases kept
    subprocess.run(_cli("prepare", "--lake", str(lake)), check=True, capture_output=True)
    m = Lake(lake).manifest()
    on_disk = {str(p.relative_to(lake)) for p in lake.rglob("*.parquet")}
    assert on_disk == manifest_files(m) and not list((lake / READERS).glob("*.json"))


def test_a_connection_keeps_reading_its_state_after_a_commit(shared_dir, tmp_path):
    lake = tmp_path / "lake"
    api.ingest([shared_dir / SAMPLE], lake=lake)
    con = connect(lake)
    raw = connect_raw(lake)
    kept = manifest_files(Lake(lake).manifest())
    leases = list((lake / READERS).glob(f"{owner_prefix()}-*.json"))
    assert len(leases) == 2 and set(json.loads(leases[0].read_text())["files"]) <= kept
    api.ingest([shared_dir / SAMPLE], lake=lake)  # the same quarter again: every file replaced
    new = manifest_files(Lake(lake).manifest())
    assert not kept & new and all((lake / f).is_file() for f in kept | new)  # the old files stay for con
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 100
    assert raw.execute("SELECT count(*) FROM raw_demo").fetchone()[0] == 100
    del con, raw  # leases end with their connections
    assert not list((lake / READERS).glob("*.json"))
    api.prepare(lake)
    assert not any((lake / f).exists() for f in kept)


def test_a_long_lived_reader_reopens_after_a_commit(shared_dir, tmp_path):
    lake = tmp_path / "lake"
    api.ingest([shared_dir / SAMPLE], lake=lake)
    reader = LakeReader(lake)
    first = reader.connection()
    assert reader.connection() is first  # nothing committed: the same connection
    api.ingest([shared_dir / HEAD], lake=lake, allow_partial=True)
    second = reader.connection()
    assert second is not first
    assert [r[0] for r in second.execute("SELECT DISTINCT quarter FROM case_drugs ORDER BY 1").fetchall()] == [
        "2017Q2", "2020Q3"]
    assert [r[0] for r in first.execute("SELECT DISTINCT quarter FROM case_drugs").fetchall()] == ["2017Q2"]


def test_stale_leases_and_scratch_of_dead_processes_are_removed_others_kept(shared_dir, tmp_path):
    lake = tmp_path / "lake"
    api.ingest([shared_dir / SAMPLE], lake=lake)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = f"{owner_prefix().rsplit('-', 1)[0]}-{int(gone.stdout)}-20261130T000000-0123abcd"
    alive = f"{owner_prefix().rsplit('-', 1)[0]}-1-20261130T000000-0123abcd"  # pid 1 runs
    other = "elsewhere.example-42-20261130T000000-0123abcd"
    old = sorted(manifest_files(Lake(lake).manifest()))
    (lake / READERS).mkdir(exist_ok=True)
    for name in (dead, alive, other):
        (lake / READERS / f"{name}.json").write_text(json.dumps({"files": old, "pid": 0, "host": "x"}))
        (lake / ".tmp" / name).mkdir(parents=True)
    api.ingest([shared_dir / SAMPLE], lake=lake)  # replaces every file; live leases keep the old ones
    assert {p.stem for p in (lake / READERS).glob("*.json")} == {alive, other}
    assert {p.name for p in (lake / ".tmp").iterdir()} == {alive, other}
    assert all((lake / f).is_file() for f in old)
    for name in (alive, other):
        (lake / READERS / f"{name}.json").unlink()
    api.prepare(lake)
    assert not any((lake / f).exists() for f in old)


def test_ingest_is_one_commit(shared_dir, tmp_path):
    lake = tmp_path / "lake"
    api.ingest([shared_dir / SAMPLE], lake=lake)
    gen = Lake(lake).manifest()["generation"]
    before = commits_made()
    api.ingest([shared_dir / HEAD], lake=lake, allow_partial=True)
    m = Lake(lake).manifest()
    assert len(commits_made()) == len(before) + 1 and m["generation"] == gen + 1
    assert is_current(m) and sorted(m["quarters"]) == ["2017Q2", "2020Q3"]


def _limited(limit: int):
    def preexec() -> None:  # files over ``limit`` bytes fail with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return preexec


@pytest.mark.parametrize("cmd", [("ingest", HEAD, "--allow-partial"), ("prepare",)])
def test_a_full_disk_is_one_line_naming_the_path_and_the_lake_is_unchanged(shared_dir, tmp_path, cmd):
    lake = tmp_path / "lake"
    subprocess.run(_cli("ingest", str(shared_dir / SAMPLE), "--lake", str(lake)), check=True, capture_output=True)
    before = _files(lake)
    args = [str(shared_dir / a) if a == HEAD else a for a in cmd]
    res = subprocess.run(_cli(*args, "--lake", str(lake)), capture_output=True, text=True,
                         preexec_fn=_limited(2000), env={**os.environ, "COLUMNS": "200"})
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert "File too large" in res.stderr and str(lake) in res.stderr and ".parquet" in res.stderr
    assert _files(lake) == before
    assert api.status(lake)["quarters"] == ["2017Q2"]


def test_a_commit_between_reading_the_manifest_and_publishing_the_lease_makes_the_reader_pin_again(
        shared_dir, tmp_path, monkeypatch):
    from pvsignal.store import readers

    lake = tmp_path / "lake"
    api.ingest([shared_dir / SAMPLE], lake=lake)
    gen = Lake(lake).manifest()["generation"]
    real, calls = readers.register, []

    def register(root, files, generation, run_id):
        calls.append(generation)
        if len(calls) == 1:  # a writer commits after the reader read the manifest
            api.prepare(lake)
        return real(root, files, generation, run_id)

    monkeypatch.setattr(readers, "register", register)
    snap = Lake(lake).snapshot()
    assert calls == [gen, gen + 1] and snap.manifest()["generation"] == gen + 1
    leases = list((lake / READERS).glob("*.json"))
    assert len(leases) == 1 and json.loads(leases[0].read_text())["generation"] == gen + 1
    assert not snap.changed()
    snap.release()
    assert not list((lake / READERS).glob("*.json"))


def test_a_reader_that_cannot_register_reads_without_a_lease(shared_dir, tmp_path):
    lake = tmp_path / "lake"
    api.ingest([shared_dir / SAMPLE], lake=lake)
    if (lake / READERS).is_dir():
        (lake / READERS).rmdir()
    (lake / READERS).write_text("not a folder")  # as a lake the reader may not write to
    con = connect(lake)
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 100
