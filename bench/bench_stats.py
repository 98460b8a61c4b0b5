"""Time ROR/PRR/χ²/IC (with intervals) over 1.5 M and 5 M generated drug–event pairs.

Counts are generated to look like FAERS pair tables: N ≈ 20 M reports, drug and event
margins log-normal (long tail), n drawn as Poisson(E·RR) conditioned on n ≥ 1 with a few
per cent of pairs carrying an excess (RR up to 20), so most n are 1 and a few are
thousands. Run: ``.venv/bin/python bench/bench_stats.py [--pairs 1500000 5000000]``.
Target (issue 3): ROR + PRR + χ² + IC with intervals under 0.5 s at 1.5 M pairs on 2 cores.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from pvsignal.stats.bcpnn import ic
from pvsignal.stats.ratios import chi_square, prr, ror
from pvsignal.stats.fisher import fisher_exact


def generate(m: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_total = 20_000_000
    n_drug = np.minimum(np.exp(rng.normal(7.0, 2.0, m)), n_total / 10).astype(np.int64) + 1
    n_event = np.minimum(np.exp(rng.normal(6.5, 1.8, m)), n_total / 20).astype(np.int64) + 1
    e = n_drug * n_event / n_total
    rr = np.where(rng.random(m) < 0.03, rng.uniform(2, 20, m), 1.0)
    lam = e * rr
    # zero-truncated Poisson: draw until ≥ 1 (vectorised rejection)
    n = rng.poisson(lam)
    bad = n == 0
    while bad.any():
        # for tiny λ the truncated Poisson is almost always 1
        n[bad] = np.where(lam[bad] < 0.05, 1, rng.poisson(lam[bad]))
        bad = n == 0
    n = np.minimum(n, np.minimum(n_drug, n_event))
    a, b, c = n, n_drug - n, n_event - n
    d = n_total - n_drug - n_event + n
    return {"a": a, "b": b, "c": c, "d": d, "expected": e}


def timed(label: str, fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    print(f"  {label:<34s} {best:8.3f} s")
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, nargs="+", default=[1_500_000, 5_000_000])
    ap.add_argument("--fisher", action="store_true", help="also time Fisher's exact test")
    args = ap.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    for m in args.pairs:
        x = generate(m)
        a, b, c, d, e = x["a"], x["b"], x["c"], x["d"], x["expected"]
        share1 = np.mean(a == 1)
        print(f"{m:,} pairs: n=1 for {share1:.0%}, max n {a.max():,}, distinct n {np.unique(a).size:,}")
        t = [
            timed("ROR + Woolf CI", lambda: ror(a, b, c, d)),
            timed("PRR + CI", lambda: prr(a, b, c, d)),
            timed("chi-square (plain + Yates, no p)", lambda: chi_square(a, b, c, d, p_values=False)),
            timed("IC + IC025/IC975 (closed form)", lambda: ic(a, e)),
        ]
        print(f"  {'sum of the four':<34s} {sum(t):8.3f} s")
        timed("chi-square with p-values", lambda: chi_square(a, b, c, d))
        timed("IC exact gamma limits", lambda: ic(a, e, method="exact"))
        if args.fisher:
            timed("Fisher exact, greater", lambda: fisher_exact(a, b, c, d), repeat=1)


if __name__ == "__main__":
    main()
