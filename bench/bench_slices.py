"""A drug's slice (``api.drug_slice``) against the whole lake: build time, size, and the case panels on each.

    python bench/bench_slices.py --lake /tmp/pvbench/lake-20000000 [--drugs 4]

Picks drugs at spread quantiles of their case counts (suspect roles, from the lake), each
with its most reported event; for each: the slice's build time and rows, then the case
series, time to onset, line listing and co-reported perpetrators of the pair on the slice
and on the lake (each run once cold, one at a time), and whether both give the same result.
Prints a Markdown table for BENCHMARKS.md with the load average.
"""

from __future__ import annotations

import argparse
import os
import time

import pandas as pd

from pvsignal import api
from pvsignal.analysis.slices import slice_size

ANALYSES = {
    "cases": lambda d, e, src: api.cases(d, e, lake=src),
    "onset": lambda d, e, src: api.onset(d, e, lake=src),
    "listing": lambda d, e, src: api.case_listing(d, e, lake=src),
    "co-reported": lambda d, e, src: api.co_reported_perpetrators(d, lake=src),
}


def _same(a, b) -> bool:
    if isinstance(a, pd.DataFrame):
        return a.equals(b)
    if hasattr(a, "long"):
        return a.long().equals(b.long())
    if hasattr(a, "by_drug"):
        return a.by_drug.equals(b.by_drug) and a.by_class.equals(b.by_class)
    return a.to_dict() == b.to_dict()


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lake", default="/tmp/pvbench/lake-20000000")
    ap.add_argument("--drugs", type=int, default=4)
    args = ap.parse_args()
    con = api.connect(args.lake)
    sizes = con.execute("SELECT ingredient, count(DISTINCT caseid) AS n FROM case_drugs WHERE role_cod IN ('PS','SS') "
                        "AND ingredient IS NOT NULL GROUP BY 1 ORDER BY n, 1").df()
    picks = sizes.iloc[[int(q * (len(sizes) - 1)) for q in pd.Series(range(args.drugs)) / max(args.drugs - 1, 1)]]
    api.co_reported_perpetrators(picks["ingredient"].iloc[0], lake=con)  # load the knowledge once, untimed
    rows = []
    for drug, n in zip(picks["ingredient"], picks["n"]):
        event = con.execute("SELECT r.pt FROM case_drugs d JOIN case_reactions r USING (caseid) WHERE d.ingredient = ? "
                            "AND d.role_cod IN ('PS','SS') GROUP BY 1 ORDER BY count(DISTINCT caseid) DESC, 1 LIMIT 1",
                            [drug]).fetchall()[0][0]
        sl, build = _timed(lambda: api.drug_slice(drug, lake=con))
        n_rows = sum(slice_size(sl).values())
        for name, fn in ANALYSES.items():
            on_slice, t_slice = _timed(lambda: fn(drug, event, sl))
            on_lake, t_lake = _timed(lambda: fn(drug, event, con))
            rows.append((f"{drug} ({n:,} cases) – {event}", f"{build:.1f} s, {n_rows:,} rows", name,
                         t_slice, t_lake, _same(on_slice, on_lake)))
        sl.close()
    load = os.getloadavg()
    print(f"lake {args.lake}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    print("| pair | slice build | analysis | on the slice | on the lake | equal |\n|---|---|---|---:|---:|---|")
    for pair, build, name, ts, tl, eq in rows:
        print(f"| {pair} | {build} | {name} | {ts:.2f} s | {tl:.2f} s | {'yes' if eq else 'NO'} |")


if __name__ == "__main__":
    main()
