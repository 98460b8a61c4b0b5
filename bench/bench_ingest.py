"""Ingest benchmark: one realistic FAERS quarter, against two references in the same run.

    python bench/bench_ingest.py --reports 400000 --work bench/data/ingest

Writes (once, reused) a synthetic FAERS 2014Q3+ quarter of ``--reports`` reports as an
extracted folder, then times, each in a fresh subprocess (wall time and peak RSS):

* floor  — DuckDB converting every table file to Parquet with no checks at all
           (``read_csv(delim='$', quote='', all_varchar, ignore_errors)`` → ``COPY … TO parquet``:
           malformed lines are silently dropped, which is exactly what pvsignal must not do);
* pandas — ``pandas.read_csv(sep='$', dtype=str)`` of the same files, nothing written;
* pvsignal ingest — validated, typed, with rejects and the lake written (no dedup);
* pvsignal prepare — deduplication and drug normalisation of the ingested lake.

Results print as a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

FLOOR = r"""
import duckdb, sys, pathlib
src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
con = duckdb.connect()
for f in sorted(src.rglob('*.txt')):
    if f.name.upper().startswith(('DEMO','DRUG','REAC','OUTC','RPSR','THER','INDI')):
        con.execute(f"COPY (SELECT * FROM read_csv('{f}', delim='$', quote='', escape='', header=true, all_varchar=true, strict_mode=false, null_padding=true, ignore_errors=true)) TO '{out / (f.stem + '.parquet')}' (FORMAT parquet)")
"""
PANDAS = r"""
import pandas as pd, sys, pathlib, csv
src = pathlib.Path(sys.argv[1])
n = 0
for f in sorted(src.rglob('*.txt')):
    if f.name.upper().startswith(('DEMO','DRUG','REAC','OUTC','RPSR','THER','INDI')):
        n += len(pd.read_csv(f, sep='$', dtype=str, quoting=csv.QUOTE_NONE, keep_default_na=False, index_col=False, on_bad_lines='skip', encoding_errors='replace'))
print(n)
"""
INGEST = r"""
import sys
from pvsignal.sources.faers.source import FAERS
from pvsignal.store.ingest import ingest
r = ingest([sys.argv[1]], sys.argv[2], source=FAERS)
print(sum(r.quarters[0].rows.values()))
"""
PREPARE = r"""
import sys
from pvsignal.prepare.build import build
print(build(sys.argv[1])['cases'])
"""


def run(code: str, *args: str) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB, VmHWM of the child) and stdout of ``python -c code args`` in a subprocess."""
    wrapper = (
        "import time, sys\n"
        f"t=time.perf_counter()\nexec(compile({code!r}, 'bench', 'exec'))\n"
        "hwm=[l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "sys.stderr.write('\\nBENCH %f %f\\n' % (time.perf_counter()-t, int(hwm)/1024))\n"
    )
    p = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(f"benchmark step failed:\n{p.stderr[-3000:]}")
    line = [x for x in p.stderr.splitlines() if x.startswith("BENCH ")][-1].split()
    return float(line[1]), float(line[2]), p.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=400_000)
    ap.add_argument("--work", type=Path, default=Path("bench/data/ingest"))
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    src = a.work / f"quarter-{a.reports}"
    if not src.exists():
        from pvsignal.synth import synthesize

        t = time.perf_counter()
        synthesize(src, quarters="2024Q1", reports_per_quarter=a.reports, seed=7, zipped=False)
        print(f"generated {src} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    files = [f for f in src.rglob("*.txt") if f.name[:4].upper() in ("DEMO", "DRUG", "REAC", "OUTC", "RPSR", "THER", "INDI")]
    size = sum(f.stat().st_size for f in files)
    lines = {f.name: sum(1 for _ in f.open("rb")) - 1 for f in files}
    rows = {}
    for _ in range(a.repeat):
        for name, code, args in (
            ("floor: DuckDB CSV→Parquet, no checks", FLOOR, [str(src), str(a.work / "floor")]),
            ("pandas.read_csv (read only)", PANDAS, [str(src)]),
            ("pvsignal ingest (validated, typed, rejects, lake)", INGEST, [str(src), str(a.work / "lake")]),
            ("pvsignal prepare (dedup + drug names)", PREPARE, [str(a.work / "lake")]),
        ):
            if name.startswith("pvsignal ingest"):
                shutil.rmtree(a.work / "lake", ignore_errors=True)
            secs, rss, _ = run(code, *args)
            rows.setdefault(name, []).append((secs, rss))
    best = {k: min(v) for k, v in rows.items()}
    floor = best["floor: DuckDB CSV→Parquet, no checks"][0]
    pandas_t = best["pandas.read_csv (read only)"][0]
    print(f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"Input: {a.reports:,} reports, {sum(lines.values()):,} lines, {size / 1e6:.0f} MB in {len(files)} files")
    print(json.dumps(lines))
    print("\n| stage | seconds | × floor | peak RSS MiB |\n|---|---:|---:|---:|")
    for k, (s, m) in best.items():
        print(f"| {k} | {s:.2f} | {s / floor:.2f} | {m:.0f} |")
    ing = best["pvsignal ingest (validated, typed, rejects, lake)"][0]
    print(f"\npandas read / pvsignal ingest = {pandas_t / ing:.2f}×")


if __name__ == "__main__":
    main()
