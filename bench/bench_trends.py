"""Cost of signals over time for every pair of voclosporin on a prepared lake (DuckDB).

    python bench/bench_trends.py LAKE > result.json

Times: opening the prepared views; the four quarter counts (pairs × quarter for every pair,
drugs × quarter, events × quarter, reports × quarter); scoring voclosporin's pairs on every
slice with the whole lake's MGPS prior (``final``) and with one prior refitted per slice
(``refit``); the whole thing end to end; and ``signals()`` on the whole lake for comparison,
checking that the last cumulative quarter equals it (n, ROR, PRR, IC, EBGM, EB05).
"""
import sys, time, json, resource
import warnings; warnings.filterwarnings("ignore")
from pvsignal.prepare.build import connect
from pvsignal.analysis.population import CaseDefinition
from pvsignal.analysis.trends import quarter_counts, signals_over_time
from pvsignal.analysis.signals import signals
lake = sys.argv[1]
t0 = time.perf_counter(); con = connect(lake); t_open = time.perf_counter() - t0
t0 = time.perf_counter(); cnt = quarter_counts(con, CaseDefinition()); t_counts = time.perf_counter() - t0
out = {"open": t_open, "counts": t_counts, "pair_quarter_rows": len(cnt["pairs"]),
       "pairs": int(cnt["pairs"][["drug", "event"]].drop_duplicates().shape[0]), "quarters": len(cnt["reports"]),
       "reports": int(cnt["reports"]["n"].sum())}
for prior in ("final", "refit"):
    t0 = time.perf_counter(); r = signals_over_time(con, "voclosporin", counts=cnt, prior=prior)
    out[f"score_{prior}"] = time.perf_counter() - t0
    out[f"rows_{prior}"] = len(r.table); out["voc_pairs"] = int(r.first_signal.shape[0])
t0 = time.perf_counter(); r = signals_over_time(con, "voclosporin", prior="refit"); out["end_to_end_refit"] = time.perf_counter() - t0
t0 = time.perf_counter(); s = signals(lake, drug="voclosporin", min_count=1); out["signals_whole"] = time.perf_counter() - t0
last = r.series("cumulative"); last = last[last.period == last.period.max()].sort_values("event").reset_index(drop=True)
ref = s.table.sort_values("event").reset_index(drop=True)
out["identical_last_quarter"] = bool(all((last[c].fillna(-1).to_numpy() == ref[c].fillna(-1).to_numpy()).all() for c in ("n", "ror", "prr", "ic", "ebgm", "eb05")))
out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out, indent=1))
