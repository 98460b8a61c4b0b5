"""Benchmark: MGPS prior fit and EBGM/EB05/EB95 scoring at 1.5 M and 5 M pairs.

Generates (n, E) with a realistic shape (FACTS-2 §7: most pairs have n = 1, long tail; E
log-normal; a planted 3 % of pairs with λ > 1) and times, on the same input in the same
run, pvsignal and — when importable — the Python peers `vigipy` (its GPS fit) and
`open-altio` (run in its own Python 3.12 venv, given by --altio-python). Every tool's
estimate is scored under the same likelihood (truncated at N* = 1, all unsquashed pairs).

    .venv/bin/python bench/bench_mgps.py [--sizes 1500000 5000000] [--peers]

Peers are benchmark-only; they are never imported by pvsignal.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from pvsignal.stats.mgps import ebgm_scores, fit_prior, neg_log_likelihood


def make_pairs(size: int, seed: int = 20251125) -> tuple[np.ndarray, np.ndarray]:
    """(n ≥ 1, E) pairs: λ from a two-gamma truth (97 % near 1, 3 % planted λ ≈ 2–20)."""
    rng = np.random.default_rng(seed)
    m = int(size * 4)  # draw more, keep the non-zero counts
    E = np.exp(rng.normal(-1.6, 1.5, m))
    planted = rng.random(m) < 0.03
    lam = np.where(planted, rng.gamma(2.0, 4.0, m) + 1.0, rng.gamma(1.5, 1 / 1.4, m))
    n = rng.poisson(lam * E)
    keep = np.flatnonzero(n > 0)
    if keep.size < size:
        raise RuntimeError("generator produced too few non-zero pairs; raise the oversampling")
    keep = keep[:size]
    return n[keep].astype(np.int64), E[keep]


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


def run_pvsignal(n, E):
    fit, t_fit = timed(fit_prior, n, E)
    scores, t_score = timed(ebgm_scores, n, E, fit.prior)
    return {
        "tool": "pvsignal",
        "fit_s": round(t_fit, 3),
        "score_s": round(t_score, 3),
        "theta": [float(v) for v in fit.theta],
        "loglik_full": fit.loglik_full,
        "loglik_mixture_truncated": loglik_mixture_truncated(fit.theta, n, E),
        "loglik_squashed": fit.loglik,
        "fit_points": fit.n_fit_points,
        "converged": fit.converged,
        "n_agree": fit.n_agree,
        "eb05_ge_2": int((scores["eb05"] >= 2).sum()),
    }


# Each peer runs in its own interpreter (its own venv) on the same pairs, saved as .npy.
_VIGIPY = r"""
import json, sys, time, numpy as np
from vigipy.GPS.GPS import _optimize_gps_priors   # the GPS prior fit used by vigipy.gps()
n = np.load(sys.argv[1]); E = np.load(sys.argv[2])
init = np.array([0.2041, 0.05816, 1.415, 1.838, 0.0969])  # vigipy's default prior_init
t = time.perf_counter()
theta, msg = _optimize_gps_priors(None, init, True, 1, n.astype(float), E, int(n.sum()),
                                  "Nelder-Mead", None, None)
print(json.dumps({"fit_s": time.perf_counter() - t, "theta": [float(v) for v in theta],
                  "message": str(msg)}))
"""

_ALTIO = r"""
import json, sys, time, numpy as np
from open_altio.stats import ebgm
n = np.load(sys.argv[1]); E = np.load(sys.argv[2])
cfg = dict(ebgm.settings()); cfg["fit_on"] = "seen_pairs"  # the pairs seen, N >= 1, as here
t = time.perf_counter(); fit = ebgm.fit_prior(n, E, config=cfg); t_fit = time.perf_counter() - t
t = time.perf_counter(); sc = ebgm.score(fit.prior, n, E); t_score = time.perf_counter() - t
p = fit.prior
print(json.dumps({"fit_s": t_fit, "score_s": t_score,
                  "theta": [p.alpha1, p.beta1, p.alpha2, p.beta2, p.p],
                  "eb05_ge_2": int((sc["EB05"] >= 2).sum())}))
"""


def run_peer(tool: str, python: str, code: str, n, E, tmp: str) -> dict:
    if not os.path.exists(python):
        return {"tool": tool, "skipped": f"no interpreter at {python}"}
    fn, fe = os.path.join(tmp, "n.npy"), os.path.join(tmp, "E.npy")
    np.save(fn, n)
    np.save(fe, E)
    t0 = time.perf_counter()
    proc = subprocess.run([python, "-c", code, fn, fe], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"tool": tool, "error": proc.stderr.strip().splitlines()[-1:]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["tool"] = tool
    out["wall_s_incl_start"] = round(wall, 2)
    out["loglik_full"] = loglik(out["theta"], n, E)
    out["loglik_mixture_truncated"] = loglik_mixture_truncated(out["theta"], n, E)
    return out


def loglik(theta, n, E) -> float:
    """openEBGM's likelihood (negLL, N* = 1): each negative binomial truncated at n ≥ 1."""
    return -neg_log_likelihood(theta, n, E, n_star=1)


def loglik_mixture_truncated(theta, n, E) -> float:
    """The other convention (used by vigipy and, it seems, open-altio): the mixture
    P f1 + (1−P) f2 conditioned as a whole on n ≥ 1 (DuMouchel 1999's marginal given n ≥ 1)."""
    from scipy import special

    a1, b1, a2, b2, P = theta
    logs = []
    for a, b in ((a1, b1), (a2, b2)):
        L = np.log1p(E / b)
        logs.append(special.gammaln(a + n) - special.gammaln(a) - special.gammaln(n + 1.0)
                    + n * (np.log(E) - np.log(b)) - (a + n) * L)
    mix = np.logaddexp(np.log(P) + logs[0], np.log1p(-P) + logs[1])
    p0 = P * np.exp(-a1 * np.log1p(E / b1)) + (1 - P) * np.exp(-a2 * np.log1p(E / b2))
    return float(np.sum(mix - np.log1p(-p0)))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_500_000, 5_000_000])
    ap.add_argument("--vigipy-python", default="/tmp/vigienv/bin/python")
    ap.add_argument("--altio-python", default="/tmp/altioenv/bin/python")
    ap.add_argument("--vigipy-max", type=int, default=1_500_000,
                    help="largest table given to vigipy (its Nelder-Mead fit is slow)")
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            n, E = make_pairs(size)
            rows = [run_pvsignal(n, E)]
            if not args.no_peers:
                rows.append(run_peer("open-altio", args.altio_python, _ALTIO, n, E, tmp))
                if size <= args.vigipy_max:
                    rows.append(run_peer("vigipy", args.vigipy_python, _VIGIPY, n, E, tmp))
            for row in rows:
                row["pairs"] = size
                print(json.dumps(row), flush=True)
            results.extend(rows)
    return results


if __name__ == "__main__":
    main()
