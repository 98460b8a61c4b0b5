"""Pipeline benchmark at FAERS scale: ingest, dedup, all-pair counts and statistics, DuckDB vs Spark.

    python bench/bench_pipeline.py --data /big/disk/pvbench --reports 1000000 5000000 20000000 \\
        [--engines duckdb spark] [--spark-master 'local[*]'] [--json results.json] [--tail]

For each size N the script writes (once, then reuses) synthetic FAERS quarters of
≈ 400 000 reports each (the real size of a recent quarter) ending at 2024Q4, so 20 M
reports span 2012Q3–2024Q4 (both AERS and FAERS layouts, follow-up versions, deleted
cases from 2019Q1), ingests them into ``DATA/lake-N`` (once; its time is kept in
``DATA/lake-N/bench-ingest.json``) and then, per engine, times in a fresh subprocess:

* ``prepare`` — deduplication + drug normalisation (:func:`pvsignal.prepare.build.build`),
  writing the prepared Parquet tables;
* ``counts``  — case definition (suspect drugs, all quarters) and the count table of
  every reported drug–event pair (:func:`pvsignal.analysis.pair_table.pair_table`);
  only the count table comes back to the driver;
* ``stats``   — ROR, PRR, χ², IC (:func:`~pvsignal.stats.ratios.classic_scores`)
  and the MGPS prior fit + EBGM/EB05/EB95 for every pair (numpy; engine-independent,
  run on each engine's count table).

Each stage reports wall time (engine start-up for Spark shown apart) and peak memory:
``peak_tree_mib`` = the largest sum of RSS over the stage's process tree (Python driver
+ Spark JVM), sampled every 0.2 s from /proc; ``max_rss_mib`` = the largest single
process (``wait4`` rusage). The count tables of the engines are compared (integer
columns must be identical). Generated data never goes into the repository.

``--tail`` generates the corpus with the calibrated long tail of rare drugs and rare
events (:data:`pvsignal.synth.tail.FAERS_TAIL`: 2 000 tail ingredients, 20 000 tail PTs,
the other ``Plan.tail_*`` at their defaults), so that the count query meets a realistic
number of pairs: about 2 million distinct (suspect ingredient, PT) pairs at 20 M reports
(≈ 163 000 without it), about half of them with one or two cases, for 0.26 more drug rows
and 0.24 more PTs per report. Its data live apart: ``DATA/zips-N-tail``,
``DATA/lake-N-tail`` and ``DATA/results/counts-N-tail-ENGINE.parquet``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

QUARTER_SIZE = 400_000
LAST_QUARTER = "2024Q4"
#: "-tail" under --tail: the generated folders and result files of a tail corpus get names of their own
SUFFIX = ""


def _tagged(n: int) -> str:
    return f"{n}{SUFFIX}"


# ----------------------------------------------------------------------------- memory


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as fh:
                stat = fh.read()
            ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    return kids


def _tree_rss(pid: int) -> int:
    """Sum of VmRSS (bytes) of ``pid`` and all its descendants."""
    kids, todo, total = _children(), [pid], 0
    while todo:
        p = todo.pop()
        todo.extend(kids.get(p, []))
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total


def run_measured(args: list[str]) -> dict:
    """Run ``python bench_pipeline.py _stage …`` and return its JSON plus memory figures."""
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.2)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    th.join()
    if proc.returncode != 0:
        raise RuntimeError(f"stage {args} failed with exit code {proc.returncode}")
    res = json.loads(out.strip().splitlines()[-1])
    res["peak_tree_mib"] = round(peak / 2**20)
    res["max_rss_mib"] = round(usage.ru_maxrss / 1024)  # kilobytes on Linux
    return res


# ----------------------------------------------------------------------------- stages (children)


def _quarters(n_reports: int) -> tuple[str, int]:
    k = max(1, math.ceil(n_reports / QUARTER_SIZE))
    per = math.ceil(n_reports / k)
    y, q = int(LAST_QUARTER[:4]), int(LAST_QUARTER[-1])
    idx = y * 4 + q - 1 - (k - 1)
    return f"{idx // 4}Q{idx % 4 + 1}:{LAST_QUARTER}", per


def stage_generate(data: Path, n: int) -> dict:
    from pvsignal.synth import Plan, synthesize
    from pvsignal.synth.tail import FAERS_TAIL

    out = data / f"zips-{_tagged(n)}"
    marker = out / "truth.json"
    quarters, per = _quarters(n)
    tail = bool(SUFFIX)
    if marker.exists():
        return {"stage": "generate", "reused": True, "quarters": quarters, "per_quarter": per, "tail": tail}
    t = time.perf_counter()
    synthesize(out, quarters=quarters, reports_per_quarter=per, seed=20261125, plan=Plan(**FAERS_TAIL) if tail else None)
    return {"stage": "generate", "seconds": time.perf_counter() - t, "quarters": quarters, "per_quarter": per,
            "tail": tail}


def stage_ingest(data: Path, n: int) -> dict:
    from pvsignal.sources.faers.source import FAERS
    from pvsignal.store.ingest import ingest

    lake = data / f"lake-{_tagged(n)}"
    record = lake / "bench-ingest.json"
    if record.exists():
        return {**json.loads(record.read_text()), "reused": True}
    zips = sorted((data / f"zips-{_tagged(n)}").glob("*.zip"))
    t = time.perf_counter()
    ingest(zips, lake, source=FAERS)
    res = {"stage": "ingest", "engine": "duckdb", "seconds": time.perf_counter() - t, "quarters": len(zips)}
    record.write_text(json.dumps(res))
    return res


def _engine(name: str, master: str):
    from pvsignal.store.engine import open_engine

    t = time.perf_counter()
    cfg = json.loads(os.environ.get("PVBENCH_DUCKDB_CONFIG", "{}"))
    eng = open_engine(name, spark_master=master, duckdb_config=cfg)
    return eng, time.perf_counter() - t


def stage_prepare(data: Path, n: int, engine: str, master: str) -> dict:
    import logging

    from pvsignal.prepare.build import build

    steps: dict[str, float] = {}

    class _Steps(logging.Handler):  # the build logs "prepare: <step> <seconds> s" per step
        def emit(self, record: logging.LogRecord) -> None:
            step, secs = record.args
            steps[str(step)] = round(float(secs), 1)

    log = logging.getLogger("pvsignal.prepare")
    log.setLevel(logging.INFO)
    log.addHandler(_Steps())
    eng, start = _engine(engine, master)
    try:
        t = time.perf_counter()
        tally = build(data / f"lake-{_tagged(n)}", engine=eng)
        secs = time.perf_counter() - t
    finally:
        eng.close()
    return {"stage": "prepare", "engine": engine, "startup": start, "seconds": secs,
            "reports": tally["reports"], "cases": tally["cases"], "steps": steps}


def stage_counts(data: Path, n: int, engine: str, master: str) -> dict:
    from pvsignal.analysis.pair_table import pair_table
    from pvsignal.analysis.population import CaseDefinition

    eng, start = _engine(engine, master)
    try:
        t = time.perf_counter()
        counts = pair_table(data / f"lake-{_tagged(n)}", CaseDefinition(), engine=eng)
        secs = time.perf_counter() - t
    finally:
        eng.close()
    out = data / "results" / f"counts-{_tagged(n)}-{engine}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    counts.to_parquet(out, index=False)
    return {"stage": "counts", "engine": engine, "startup": start, "seconds": secs, "pairs": len(counts),
            "population": int(counts["n_total"].iloc[0]) if len(counts) else 0}


def stage_stats(data: Path, n: int, engine: str) -> dict:
    import pandas as pd

    from pvsignal.stats.ratios import classic_scores
    from pvsignal.stats.mgps import ebgm_scores, fit_prior

    counts = pd.read_parquet(data / "results" / f"counts-{_tagged(n)}-{engine}.parquet")
    t = time.perf_counter()
    classic = classic_scores(counts)
    t_classic = time.perf_counter() - t
    n_, e_ = counts["n"].to_numpy(), counts["expected"].to_numpy()
    fit = fit_prior(n_, e_)
    t_fit = time.perf_counter() - t - t_classic
    eb = ebgm_scores(n_, e_, fit.prior)
    secs = time.perf_counter() - t
    return {"stage": "stats", "engine": engine, "seconds": secs, "classic_seconds": t_classic,
            "mgps_fit_seconds": t_fit, "ebgm_seconds": secs - t_classic - t_fit, "pairs": len(counts),
            "signals_ror": int((classic["ror_lower"] > 1).sum()), "signals_eb05": int((eb["eb05"] > 2).sum())}


def compare(data: Path, n: int, engines: list[str]) -> dict:
    import pandas as pd

    frames = {e: pd.read_parquet(data / "results" / f"counts-{_tagged(n)}-{e}.parquet") for e in engines}
    base = frames[engines[0]]
    ints = [c for c in base.columns if c not in ("expected", "expected_crude")]
    out = {}
    for e in engines[1:]:
        other = frames[e]
        same = len(other) == len(base) and base[ints].equals(other[ints])
        out[e] = {"identical_counts": bool(same),
                  "max_rel_diff_expected": float(((base.expected - other.expected).abs() / base.expected).max())
                  if same else None}
    return out


# ----------------------------------------------------------------------------- driver


def _fmt(r: dict) -> str:
    if r.get("reused"):
        return "(reused)"
    s = f"{r['seconds']:.1f} s"
    if r.get("startup"):
        s += f" (+{r['startup']:.1f} s start)"
    return s


def main(argv: list[str] | None = None) -> int:
    global SUFFIX
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_stage":
        p = argparse.ArgumentParser()
        p.add_argument("stage")
        p.add_argument("data", type=Path)
        p.add_argument("n", type=int)
        p.add_argument("--engine", default="duckdb")
        p.add_argument("--master", default="local[*]")
        p.add_argument("--tail", action="store_true")
        a = p.parse_args(argv[1:])
        SUFFIX = "-tail" if a.tail else ""
        fn = {
            "generate": lambda: stage_generate(a.data, a.n),
            "ingest": lambda: stage_ingest(a.data, a.n),
            "prepare": lambda: stage_prepare(a.data, a.n, a.engine, a.master),
            "counts": lambda: stage_counts(a.data, a.n, a.engine, a.master),
            "stats": lambda: stage_stats(a.data, a.n, a.engine),
        }[a.stage]
        print(json.dumps(fn()), flush=True)
        return 0

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, help="folder for generated zips and lakes (reused; never commit)")
    p.add_argument("--reports", type=int, nargs="+", default=[1_000_000], help="lake sizes in DEMO rows (e.g. 1000000 5000000 20000000)")
    p.add_argument("--engines", nargs="+", default=["duckdb", "spark"], choices=["duckdb", "spark"])
    p.add_argument("--spark-master", default="local[*]")
    p.add_argument("--json", type=Path, help="also write every result as JSON here")
    p.add_argument("--duckdb-memory-limit", help="DuckDB memory_limit for prepare/counts (e.g. 6GB; spills under DATA/duckdb-tmp)")
    p.add_argument("--stages", nargs="+", default=["prepare", "counts", "stats"], choices=["prepare", "counts", "stats"])
    p.add_argument("--tail", action="store_true",
                   help="corpus with the calibrated long tail of rare drugs and events (~2 M pairs at 20 M reports); "
                        "data in DATA/zips-N-tail, DATA/lake-N-tail")
    a = p.parse_args(argv)
    SUFFIX = "-tail" if a.tail else ""
    tail_arg = ["--tail"] if a.tail else []
    a.data.mkdir(parents=True, exist_ok=True)
    if a.duckdb_memory_limit:
        os.environ["PVBENCH_DUCKDB_CONFIG"] = json.dumps(
            {"memory_limit": a.duckdb_memory_limit, "temp_directory": str(a.data / "duckdb-tmp")})
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "platform": platform.platform()},
               "duckdb_memory_limit": a.duckdb_memory_limit, "tail": a.tail, "runs": []}
    for n in a.reports:
        run = {"reports_requested": n, "stages": []}
        for stage in ("generate", "ingest"):
            r = run_measured(["_stage", stage, str(a.data), str(n), *tail_arg])
            run["stages"].append(r)
            print(f"N={n:>10,} {stage:<8} {_fmt(r):<28} peak {r['peak_tree_mib']:>6} MiB", flush=True)
        for engine in a.engines:
            for stage in a.stages:
                args = ["_stage", stage, str(a.data), str(n), "--engine", engine, "--master", a.spark_master, *tail_arg]
                r = run_measured(args)
                run["stages"].append(r)
                extra = {k: r[k] for k in ("reports", "cases", "pairs", "population") if k in r}
                print(f"N={n:>10,} {stage:<8} {engine:<6} {_fmt(r):<28} peak {r['peak_tree_mib']:>6} MiB "
                      f"(largest process {r['max_rss_mib']} MiB) {extra}", flush=True)
        if len(a.engines) > 1 and "counts" in a.stages:
            run["parity"] = compare(a.data, n, a.engines)
            print(f"N={n:>10,} parity {run['parity']}", flush=True)
        results["runs"].append(run)
        if a.json:
            a.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
