"""``signals --reports`` on a generic reports table against a plain DuckDB count + open-altio.

    python bench/bench_reports.py --data /big/disk/pvbench-reports [--rows 5000000]
        [--formats csv parquet] [--repeat 3] [--altio-python /tmp/altio-venv/bin/python] [--json out.json]

1. **generate** (once, reused): ``DATA/reports-ROWS.csv`` and ``.parquet``, one row per
   report × drug × event (columns ``report_id, drug, event, sex``), FAERS-like: each
   report has 1 + Poisson(0.5) drugs and 1 + Poisson(1.0) events (so ≈ 3 rows per
   report: 5 M rows ≈ 1.7 M reports); drugs drawn from 4 000 names and events from
   6 000 PT-like names with Zipf-like weights (rank^−1.1), so a few drugs/events are
   frequent and most are rare; 30 % of a report's events are drawn from 25 events tied
   to its first drug (so reporting ratios vary, as in real data); sex F/M/blank (55/40/5 %); 0.01 % of rows have a blank
   drug (the rejects path is exercised).
2. **pvsignal**, in a fresh process per format: ``pvsignal.api.signals(reports=FILE)``
   end to end, split into read + count (``_counts_from_reports``: validation, null
   accounting, sha256, pair/margin counts into pandas) and statistics
   (``score_counts``: ROR/PRR/χ²/IC, MGPS fit + EBGM/EB05/EB95, flags, sort); then the
   CLI command ``pvsignal signals --reports FILE --out OUT.parquet`` timed as a subprocess.
3. **peer**, in a fresh process of the open-altio venv (when ``--altio-python`` exists):
   one plain DuckDB SQL query giving a, b, c, d per (drug, event) pair (distinct
   report × drug and report × event sets, join, group by) into pandas, then
   open-altio's statistics on those counts (its ``ror``, ``prr``, ``ic`` and ``ebgm``
   functions, imported from the installed package; nothing of it is copied here).

Both sides start from the same file in the same run; with ``--repeat N`` the sides run N
times, interleaved, and the best run of each is shown (all runs are in the JSON). open-altio is never a dependency
of pvsignal: install it in a separate venv (``python3.12 -m venv /tmp/altio-venv &&
/tmp/altio-venv/bin/pip install open-altio==1.0.0``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_DRUGS, N_EVENTS = 4_000, 6_000
AFFINITY, TIED_SHARE = 25, 0.3
ROWS_PER_REPORT = 3.0  # E[(1+Poisson(0.5))·(1+Poisson(1.0))] = 1.5·2 = 3


def _zipf_weights(n: int, s: float = 1.1) -> np.ndarray:
    w = np.arange(1, n + 1, dtype=float) ** -s
    return w / w.sum()


def generate(folder: Path, rows: int, seed: int = 12) -> dict[str, Path]:
    """Write the reports table as CSV and Parquet (once; reused when present)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out = {"csv": folder / f"reports-{rows}.csv", "parquet": folder / f"reports-{rows}.parquet"}
    if all(p.exists() for p in out.values()):
        return out
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_reports = int(rows / ROWS_PER_REPORT)
    kd = 1 + rng.poisson(0.5, n_reports)
    ke = 1 + rng.poisson(1.0, n_reports)
    drug_names = np.array([f"DRUG{i:05d}" for i in range(N_DRUGS)], dtype=object)
    event_names = np.array([f"Event term {i:05d}" for i in range(N_EVENTS)], dtype=object)
    rid = np.repeat(np.arange(n_reports), kd)  # one entry per (report, drug slot)
    drugs = rng.choice(N_DRUGS, size=len(rid), p=_zipf_weights(N_DRUGS))
    # each drug slot is crossed with all of its report's events
    ke_per_slot = ke[rid]
    row_report = np.repeat(rid, ke_per_slot)
    row_drug = np.repeat(drugs, ke_per_slot)
    ev_start = np.concatenate([[0], np.cumsum(ke)[:-1]])
    report_events = rng.choice(N_EVENTS, size=int(ke.sum()), p=_zipf_weights(N_EVENTS, 1.0))
    # drug-specific reactions: a third of a report's events come from a small set of
    # events tied to its first drug, so reporting ratios vary as in real data
    affinity = rng.choice(N_EVENTS, size=(N_DRUGS, AFFINITY), p=_zipf_weights(N_EVENTS, 0.5))
    first_drug = drugs[np.cumsum(kd) - kd]
    tied = rng.random(len(report_events)) < TIED_SHARE
    owner = np.repeat(first_drug, ke)[tied]
    report_events[tied] = affinity[owner, rng.integers(0, AFFINITY, tied.sum())]
    # position of each row within its slot → its event index in the report's event list
    slot_start = np.repeat(np.cumsum(ke_per_slot) - ke_per_slot, ke_per_slot)
    within = np.arange(len(row_report)) - slot_start
    row_event = report_events[ev_start[row_report] + within]
    sex = rng.choice(np.array(["F", "M", ""], dtype=object), size=n_reports, p=[0.55, 0.40, 0.05])
    drug_col = drug_names[row_drug]
    drug_col[rng.random(len(drug_col)) < 1e-4] = ""
    table = pa.table({
        "report_id": pa.array(row_report + 10_000_000, pa.int64()),
        "drug": pa.array(drug_col, pa.string()),
        "event": pa.array(event_names[row_event], pa.string()),
        "sex": pa.array(sex[row_report], pa.string()),
    })
    order = rng.permutation(len(table))  # files are not sorted by report in real life
    table = table.take(order)
    pq.write_table(table, out["parquet"])
    pacsv.write_csv(table, out["csv"])
    return out


# ----------------------------------------------------------------------------- pvsignal side


class _Clock:
    """Wall and CPU seconds (all threads of this process) since the last ``lap``."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._t, self._c = time.perf_counter(), self._cpu()

    @staticmethod
    def _cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    def lap(self, name: str) -> float:
        t, c = time.perf_counter(), self._cpu()
        self.laps[f"{name}_s"], self.laps[f"{name}_cpu_s"] = t - self._t, c - self._c
        self._t, self._c = t, c
        return self.laps[f"{name}_s"]


def run_pvsignal(path: str) -> dict:
    """Time ``api.signals(reports=path)`` and its two halves (read + count, statistics)."""
    clock = _Clock()
    from pvsignal import api
    from pvsignal.analysis import signals as sig

    clock.lap("import")
    cfg = sig.SignalConfig(reports=path)
    counts, long, source = sig._counts_from_reports(cfg)
    clock.lap("read_count")
    table, _ = sig.score_counts(counts, cfg, long)
    clock.lap("stats")
    res = api.signals(reports=path)
    clock.lap("api_total")
    return {
        **clock.laps,
        "pairs": int(len(counts)), "pairs_scored": int(len(res.table)),
        "rows": source["rows"], "rows_not_used": source["rows_not_used"],
        "population_reports": int(counts["n_total"].iloc[0]),
        "checksum_n": int(counts["n"].sum()), "checksum_d": int(counts["d"].sum()),
    }


def run_cli(path: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(sys.executable).with_name("pvsignal")
        cmd = [str(exe), "signals", "--reports", path, "--out", str(Path(tmp) / "out.parquet")]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        dt = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        return {"cli_s": None, "cli_error": proc.stderr[-2000:]}
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"cli_s": dt, "cli_cpu_s": cpu}


# ----------------------------------------------------------------------------- peer side

PEER_SQL = """
with t as (select * from {reader} where report_id is not null and drug is not null and trim(drug) <> ''
           and event is not null and trim(event) <> ''),
rd as (select distinct report_id, drug from t),
re as (select distinct report_id, event from t),
nd as (select drug, count(*) as n_drug from rd group by drug),
ne as (select event, count(*) as n_event from re group by event),
tot as (select count(distinct report_id) as n_total from rd),
pairs as (select drug, event, count(*) as a from rd join re using (report_id) group by drug, event)
select drug, event, a, n_drug - a as b, n_event - a as c, n_total - n_drug - n_event + a as d
from pairs join nd using (drug) join ne using (event), tot
"""


def run_peer(path: str) -> dict:
    """Plain DuckDB a/b/c/d query, then open-altio's ROR, PRR, IC, EBGM on the counts."""
    import duckdb

    reader = f"read_parquet('{path}')" if path.endswith(".parquet") else f"read_csv('{path}', all_varchar = true)"
    clock = _Clock()
    counts = duckdb.sql(PEER_SQL.format(reader=reader)).df()
    clock.lap("count")
    stats = _altio_stats(counts)
    clock.lap("stats")
    total = {"total_s": clock.laps["count_s"] + clock.laps["stats_s"],
             "total_cpu_s": clock.laps["count_cpu_s"] + clock.laps["stats_cpu_s"]}
    return {
        **clock.laps, **total, "pairs": int(len(counts)),
        "checksum_n": int(counts["a"].sum()), "checksum_d": int(counts["d"].sum()), **stats,
    }


def _altio_stats(counts) -> dict:
    """open-altio 1.0.0's own calls: ``stats.disproportionality.measures`` (PRR + χ², ROR + CI,
    RRR, IC + IC025) and ``stats.ebgm`` (expected_counts → unseen_cells → fit_prior → score:
    EBGM, EB05, EB95) on one stratum (no stratification, as pvsignal's default)."""
    import pandas as pd
    from open_altio.stats import disproportionality as dp
    from open_altio.stats import ebgm

    t0 = time.perf_counter()
    dp.measures(counts["a"], counts["b"], counts["c"], counts["d"])
    t_classic = time.perf_counter() - t0
    t0 = time.perf_counter()
    n_total = int(counts["a"].iloc[0] + counts["b"].iloc[0] + counts["c"].iloc[0] + counts["d"].iloc[0])
    pairs = {"product": counts["drug"], "event": counts["event"], "n": counts["a"]}
    drugs = counts.drop_duplicates("drug")
    events = counts.drop_duplicates("event")
    prod = pd.DataFrame({"product": drugs["drug"], "stratum": 0, "n": drugs["a"] + drugs["b"]})
    ev = pd.DataFrame({"event": events["event"], "stratum": 0, "n": events["a"] + events["c"]})
    strata = {"stratum": [0], "n": [n_total]}
    ne = ebgm.expected_counts(pairs, prod, ev, strata)
    unseen = ebgm.unseen_cells(pairs, prod, ev, strata, ebgm.settings()["squash_bins_per_decade"])
    status = "fitted"
    try:
        prior = ebgm.fit_prior(ne["N"], ne["E"], *unseen).prior
    except ebgm.FitError as exc:  # open-altio refuses a fit its starts do not agree on
        status = f"FitError: {exc}; scored with the best start"
        best = min(exc.starts, key=lambda s: s["neg_log_lik"] if np.isfinite(s["neg_log_lik"]) else np.inf)
        prior = ebgm.Prior(**best["estimate"])
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    ebgm.score(prior, ne["N"], ne["E"])
    t_score = time.perf_counter() - t0
    return {"classic_s": t_classic, "ebgm_fit_s": t_fit, "ebgm_score_s": t_score, "prior": prior.as_dict(), "fit": status}


# ----------------------------------------------------------------------------- driver


def _child(role: str, path: str) -> dict:
    py = sys.executable if role in ("pvsignal", "cli") else os.environ["ALTIO_PYTHON"]
    cmd = [py, __file__, "--child", role, path]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{role} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path)
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--formats", nargs="+", default=["csv", "parquet"], choices=["csv", "parquet"])
    ap.add_argument("--altio-python", default="/tmp/altio-venv/bin/python")
    ap.add_argument("--no-cli", action="store_true")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each side, interleaved; the best is shown")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--child", nargs=2, metavar=("ROLE", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        role, path = args.child
        fn = {"pvsignal": run_pvsignal, "cli": run_cli, "peer": run_peer}[role]
        print(json.dumps(fn(path)))
        return 0
    if args.data is None:
        ap.error("--data is required")
    t0 = time.perf_counter()
    files = generate(args.data, args.rows)
    print(f"data: {files['csv'].stat().st_size / 2**20:.0f} MiB CSV, "
          f"{files['parquet'].stat().st_size / 2**20:.0f} MiB Parquet ({time.perf_counter() - t0:.0f} s)")
    os.environ["ALTIO_PYTHON"] = args.altio_python
    has_peer = Path(args.altio_python).exists()
    results = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}, "rows": args.rows}
    for fmt in args.formats:
        path = str(files[fmt])
        roles = ["pvsignal", *([] if args.no_cli else ["cli"]), *(["peer"] if has_peer else [])]
        runs: dict[str, list[dict]] = {role: [] for role in roles}
        for _ in range(args.repeat):  # interleaved, so load on a shared machine hits both sides alike
            for role in roles:
                runs[role].append(_child(role, path))
        key = {"pvsignal": "api_total_s", "cli": "cli_s", "peer": "total_s"}
        r = {role: min(rs, key=lambda x: x.get(key[role]) or float("inf")) for role, rs in runs.items()}
        results[fmt] = {**r, "runs": runs}
        p = r["pvsignal"]
        line = (f"{fmt:8s} pvsignal: read+count {p['read_count_s']:.1f} s, stats {p['stats_s']:.1f} s, "
                f"api {p['api_total_s']:.1f} s ({p['api_total_cpu_s']:.1f} s CPU)")
        if "cli" in r and r["cli"].get("cli_s"):
            line += f", CLI {r['cli']['cli_s']:.1f} s"
        if has_peer:
            q = r["peer"]
            line += (f" | peer: count {q['count_s']:.1f} s, stats {q['stats_s']:.1f} s, "
                     f"total {q['total_s']:.1f} s ({q['total_cpu_s']:.1f} s CPU)")
            line += (f" | speed-up {q['total_s'] / p['api_total_s']:.2f}× wall, "
                     f"{q['total_cpu_s'] / p['api_total_cpu_s']:.2f}× CPU")
            assert (q["pairs"], q["checksum_n"], q["checksum_d"]) == (p["pairs"], p["checksum_n"], p["checksum_d"]), (p, q)
        print(line, flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
