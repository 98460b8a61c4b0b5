"""Cost of signals over time for every pair of a drug on a prepared lake (DuckDB).

    python bench/bench_trends.py LAKE [--drug voclosporin] [--sample 8] [--no-exact] [--no-signals] > result.json
    python bench/bench_trends.py LAKE --stored [--panels 3] [--no-exact] > result.json

Times, each on the same connection: opening the prepared views; **fast** — the drug's pairs ×
quarter, the drug/event/report margins by quarter and the pairs of every K-th event (the
priors' sample; ``quarter_counts(drug=…, prior_sample=K)``), scoring with one prior per slice
(``refit``) and with the whole lake's (``final``), and the whole call end to end; **exact**
(unless ``--no-exact``) — pairs × quarter for every pair, then the same scoring; and
``signals()`` on the whole lake (unless ``--no-signals``), checking that the last cumulative
quarter equals it (n, ROR, PRR, IC exactly; EBGM/EB05 exactly for the exact counts, as the
largest relative difference for the sampled prior).

``--stored`` times instead what reads the counts by quarter and slice priors stored with the
pair table (:mod:`pvsignal.analysis.trend_store`): ``pvsignal trends DRUG`` as a fresh process
(cold, imports included), ``api.signals_over_time`` in this process, and (unless
``--no-exact``) the same analysis counted and fitted on a connection, checking the two agree
(every column: the others exactly, the largest relative difference of the float ones); with
``--panels K``, the explorer's over-time panel of K pairs of the drug, each cold (first
request) on a ``pvsignal serve`` started for it.
"""
import argparse, json, resource, time
import warnings; warnings.filterwarnings("ignore")

import numpy as np

from pvsignal.prepare.build import connect
from pvsignal.analysis.population import CaseDefinition
from pvsignal.analysis.trends import quarter_counts, signals_over_time
from pvsignal.analysis.signals import signals

ap = argparse.ArgumentParser()
ap.add_argument("lake"); ap.add_argument("--drug", default="voclosporin"); ap.add_argument("--sample", type=int, default=8)
ap.add_argument("--no-exact", action="store_true"); ap.add_argument("--no-signals", action="store_true")
ap.add_argument("--stored", action="store_true"); ap.add_argument("--panels", type=int, default=3)
a = ap.parse_args()
T = time.perf_counter
C = time.process_time  # CPU seconds of every thread of this process (DuckDB's included): steadier on a shared machine


def stored_bench() -> dict:
    """The stored path (module text): CLI, API, counted-and-fitted comparison, explorer panels."""
    import os, subprocess, sys
    import pandas as pd
    from pvsignal import api

    res = {"drug": a.drug, "load_before": os.getloadavg()}
    t0 = T(); subprocess.run([sys.executable, "-m", "pvsignal", "trends", "--drug", a.drug, "--lake", a.lake], check=True,
                             stdout=subprocess.DEVNULL); res["cli_trends_cold"] = T() - t0
    t0 = T(); got = api.signals_over_time(a.drug, lake=a.lake); res["api_stored"] = T() - t0
    res["rows"] = len(got.table)
    if not a.no_exact:
        con = connect(a.lake)
        t0, c0 = T(), C(); want = api.signals_over_time(a.drug, lake=con)  # a connection: counted and fitted
        res["api_counted"], res["api_counted_cpu"] = T() - t0, C() - c0
        worst, differ = 0.0, []
        for col in got.table.columns:
            x, y = got.table[col], want.table[col]
            if x.dtype.kind == "f":
                ok = y.notna() & (y != 0)
                worst = max(worst, float((x[ok] / y[ok] - 1).abs().max() or 0.0))
                differ += [col] if not x.isna().equals(y.isna()) else []
            elif not x.equals(y):
                differ.append(col)
        res.update(max_rel_diff=worst, differing_columns=differ, first_signal_equal=got.first_signal.equals(want.first_signal))
    if a.panels:
        res["panels"] = panel_times(got.first_signal.sort_values("n", ascending=False)["event"].head(a.panels).tolist())
    res["load_after"] = os.getloadavg()
    return res


def panel_times(events: list[str]) -> dict:
    """Seconds of the explorer's over-time panel of (drug, event), each the first request of its URL."""
    import subprocess, sys
    from urllib.parse import urlencode
    import httpx
    from bench_serve import _wait
    from pvsignal.web.load import free_port

    port = free_port(); base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "pvsignal", "serve", "--lake", a.lake, "--port", str(port)],
                            stdout=subprocess.DEVNULL)
    out = {}
    try:
        out["server_first_page"] = _wait(base, proc, 3600)
        for ev in events:
            q = urlencode({"drug": a.drug.upper(), "event": ev, "level": "pt", "panel": "trend"})
            t0 = T(); r = httpx.get(f"{base}/event/panel?{q}", headers={"X-Panel": "1"}, timeout=3600)
            out[ev] = (T() - t0, r.status_code)
    finally:
        proc.terminate(); proc.wait(timeout=60)
    return out


if a.stored:
    print(json.dumps(stored_bench(), indent=1, default=str))
    raise SystemExit(0)
t0 = T(); con = connect(a.lake); out = {"open": T() - t0, "drug": a.drug, "prior_sample": a.sample}
runs = {}
for label, k in (("fast", a.sample), *(() if a.no_exact else (("exact", 1),))):
    t0, c0 = T(), C(); cnt = quarter_counts(con, CaseDefinition(), drug=a.drug, prior_sample=k)
    out[f"{label}_counts"], out[f"{label}_counts_cpu"] = T() - t0, C() - c0
    out[f"{label}_pair_quarter_rows"] = len(cnt.get("prior_pairs", cnt["pairs"]))
    for prior in ("final", "refit"):
        t0 = T(); r = signals_over_time(con, a.drug, counts=cnt, prior=prior, prior_sample=k)
        out[f"{label}_score_{prior}"] = T() - t0
    out["rows"], out["drug_pairs"], out["quarters"] = len(r.table), int(r.first_signal.shape[0]), r.parameters["quarters"]
    out[f"{label}_prior_events"] = r.parameters.get("prior_events")
    runs[label] = r
t0, c0 = T(), C(); runs["fast"] = signals_over_time(con, a.drug, prior="refit", prior_sample=a.sample)
out["fast_end_to_end_refit"], out["fast_end_to_end_refit_cpu"] = T() - t0, C() - c0
if not a.no_signals:
    t0 = T(); s = signals(a.lake, drug=a.drug, min_count=1); out["signals_whole"] = T() - t0
    ref = s.table.sort_values("event").reset_index(drop=True)
    for label, r in runs.items():
        last = r.series("cumulative"); last = last[last.period == last.period.max()].sort_values("event").reset_index(drop=True)
        out[f"{label}_identical_n_ror_prr_ic"] = bool(all((last[c].fillna(-1).to_numpy() == ref[c].fillna(-1).to_numpy()).all()
                                                      for c in ("n", "ror", "prr", "ic", "ic025")))
        out[f"{label}_eb05_max_rel_diff"] = float(np.nanmax(np.abs(last["eb05"] / ref["eb05"] - 1)))
        out[f"{label}_ebgm_max_rel_diff"] = float(np.nanmax(np.abs(last["ebgm"] / ref["ebgm"] - 1)))
out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out, indent=1))
