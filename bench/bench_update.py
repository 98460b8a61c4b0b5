"""``pvsignal update`` of one 400 000-report quarter onto the 20 M-report lake, against a full rebuild.

    python bench/bench_update.py --lake /tmp/pvbench/lake-20000000 --work /tmp/update-bench [--compare]

The lake (from ``bench_pipeline.py``, quarters 2012Q3–2024Q4) is never written: each run
works on a hard-linked copy (``cp -al``; pvsignal writes new files and replaces the
manifest by rename, so the shared files are never modified). The extra quarter, 2025Q1,
is generated once by :func:`pvsignal.synth.synthesize` as ``bench_pipeline.py`` generates
its quarters (400 000 reports, synthetic, same vocabulary); it is drawn as the second
quarter of a fresh 2024Q4:2025Q1 corpus, so its case ids overlap the lake's: most of its
reports arrive as later versions of existing cases (an update heavier than a real quarter,
where about a third are follow-ups), and its deleted list names existing cases.

Stages, each in a fresh process (wall-clock and CPU seconds; peak RSS of the process):

* ``pairs``  — the starting point: the persisted pair table of the 20 M lake (counts of
  every pair + scoring), as ``pvsignal prepare`` now writes it;
* ``update`` — ``api.update``: ingest 2025Q1, the prepared tables for the touched cases,
  the pair counts by difference and every pair rescored (the step log is kept);
* ``full``   — the same quarter the old way: ingest, full ``prepare`` (dedup, drug names,
  duplicates) and the pair table counted from scratch.

``--compare`` then checks that both lakes hold the same prepared tables (row count and
the order-free sum of row hashes) and the same pair table (exactly).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

QUARTER = "2025Q1"
REPORTS = 400_000


def _generate(work: Path) -> Path:
    from pvsignal.synth import synthesize

    out = work / "zips"
    zips = sorted(out.glob(f"*{QUARTER[2:4]}q{QUARTER[-1]}.zip"))
    if not zips:
        synthesize(out, quarters=f"2024Q4:{QUARTER}", reports_per_quarter=REPORTS, seed=20261130)
        zips = sorted(out.glob(f"*{QUARTER[2:4]}q{QUARTER[-1]}.zip"))
    return zips[0]


def _copy(lake: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    subprocess.run(["cp", "-al", str(lake), str(dest)], check=True)
    return dest


def _has_pairs(lake: Path) -> bool:
    from pvsignal.analysis.pair_store import is_current
    from pvsignal.store.lake import Lake

    return Lake(lake).exists() and is_current(Lake(lake).manifest())


def _stage(name: str, lake: Path, quarter_zip: Path) -> dict:
    """Run one stage in this (fresh) process; the build's step log is returned."""
    steps: list[tuple[str, float]] = []

    class _Steps(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            msg = record.getMessage()
            if msg.startswith("prepare: "):
                label, secs = msg[len("prepare: "):].rsplit(" ", 2)[:2]
                steps.append((label, float(secs)))

    log = logging.getLogger("pvsignal.prepare")
    log.setLevel(logging.INFO)
    log.addHandler(_Steps())
    from pvsignal import api

    t = time.perf_counter()
    res: dict = {"stage": name}
    if name == "pairs":
        from pvsignal.analysis.pair_store import write_pair_table

        res["pairs"] = write_pair_table(lake)["pairs"]
    elif name == "update":
        r = api.update([quarter_zip], lake=lake)
        res.update(mode=r.mode, reason=r.reason, touched_cases=r.touched_cases, pairs=r.pairs, cases=r.tally["cases"],
                   parts=r.seconds)
    else:
        r = api.ingest([quarter_zip], lake=lake)
        res.update(cases=r.tally["cases"])
    res["seconds"] = time.perf_counter() - t
    res["steps"] = steps
    use = resource.getrusage(resource.RUSAGE_SELF)
    res["cpu_seconds"] = use.ru_utime + use.ru_stime  # all threads of the process: steadier on a shared machine
    res["max_rss_mib"] = round(use.ru_maxrss / 1024)
    return res


def _run(name: str, lake: Path, quarter_zip: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "_stage", name, str(lake), str(quarter_zip)],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _compare(a: Path, b: Path) -> dict:
    """Per prepared table, whether both lakes hold the same rows (count and the sum of row
    hashes, order-free); the pair tables compared exactly."""
    import duckdb
    import pandas as pd

    from pvsignal.prepare.views import prepared_files
    from pvsignal.store.lake import Lake

    out = {}
    fa, fb = prepared_files(a), prepared_files(b)
    con = duckdb.connect(config={"memory_limit": "2GB", "enable_progress_bar": False})
    for name in fa:
        q = "SELECT count(*), sum(hash(*COLUMNS(*))::HUGEINT) FROM read_parquet('{}')"
        out[name] = "same" if con.execute(q.format(fa[name])).fetchall() == con.execute(q.format(fb[name])).fetchall() \
            else "DIFFERENT"
    pa, pb = (pd.read_parquet(x / Lake(x).manifest()["pair_table"]["file"]) for x in (a, b))
    out["pairs"] = "same" if pa.equals(pb) else "DIFFERENT"
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_stage":
        print(json.dumps(_stage(argv[1], Path(argv[2]), Path(argv[3]))))
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lake", type=Path, required=True, help="the prepared 20 M lake (read only; copied by hard links)")
    p.add_argument("--work", type=Path, required=True, help="scratch folder on the same file system (never commit)")
    p.add_argument("--stages", nargs="+", default=["update", "full"], choices=["update", "full"])
    p.add_argument("--compare", action="store_true", help="check that both lakes hold the same tables")
    p.add_argument("--json", type=Path, help="also write the results here")
    a = p.parse_args(argv)
    a.work.mkdir(parents=True, exist_ok=True)
    quarter_zip = _generate(a.work)
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()}}
    base = a.work / "base"
    if not _has_pairs(base):  # the starting point once: the lake with its pair table (reused after)
        _copy(a.lake, base)
        results["pairs"] = _run("pairs", base, quarter_zip)
        print(json.dumps(results["pairs"]), flush=True)
    for stage in a.stages:
        lake = _copy(base, a.work / f"lake-{stage}")
        results[stage] = _run(stage, lake, quarter_zip)
        results[stage]["load_after"] = os.getloadavg()
        print(json.dumps(results[stage]), flush=True)
    if a.compare:
        results["differing_rows"] = _compare(a.work / "lake-update", a.work / "lake-full")
        print(json.dumps(results["differing_rows"]), flush=True)
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
