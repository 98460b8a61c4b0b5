"""Load test of the explorer (``pvsignal serve``) over loopback: p50/p95 latency of drug and event pages.

    python bench/bench_serve.py --lake /tmp/pvbench/lake-20000000 --clients 20 --seconds 30

Starts ``pvsignal serve`` as a subprocess (the server and the clients do not share a GIL),
times its first page (the scored pairs read or computed), collects drug-page and
event-page URLs from the app itself (the most-scored drugs, each drug's top events),
then runs ``--clients`` concurrent httpx clients for ``--seconds`` on drug pages, and
again on event pages. A URL's first request is reported apart from repeats (served from
the per-lake cache). Then, on drugs those phases never opened, the browse phase times an
event page's five panels cold (requested at once, as the page does): after the drug's page
was opened ``--think`` seconds before (its slice built meanwhile), and from a permalink
(the slice built on demand). Prints Markdown tables for BENCHMARKS.md with the load
average; exits 1 on any error response.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from html import unescape
from urllib.parse import urlencode

import httpx

from pvsignal.web.load import free_port, load_test


def _wait(base: str, proc: subprocess.Popen, timeout: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"pvsignal serve exited with {proc.returncode}")
        try:
            r = httpx.get(base + "/", timeout=timeout)
            r.raise_for_status()
            return time.monotonic() - t0
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("pvsignal serve did not answer in time")


def _urls(base: str, drugs: int, events: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    home = httpx.get(base + "/", timeout=600).text
    drug_urls = [unescape(u) for u in re.findall(r'<li><a href="(/drug\?drug=[^"]+)"', home)][:drugs]
    event_urls = []
    for u in drug_urls:
        page = httpx.get(base + u, timeout=600).text
        event_urls += [unescape(e) for e in re.findall(r'href="(/event\?[^"]+)"', page)][:events]
    return [("drug", u) for u in drug_urls], [("event", u) for u in event_urls]


def _fresh_pairs(base: str, k: int) -> list[tuple[str, str]]:
    """One pair each of the last ``k`` drugs of the home page's list (the load phases leave them
    out), its most-reported event, read from the signals export (the drug page itself would
    start building the drug's slice)."""
    import csv
    import io

    home = httpx.get(base + "/", timeout=600).text
    drugs = [unescape(d) for d in re.findall(r'<li><a href="/drug\?drug=([^"]+)"', home)][-k:] if k else []
    out = []
    for d in drugs:
        from urllib.parse import unquote_plus

        name = unquote_plus(d)
        rows = list(csv.DictReader(io.StringIO(httpx.get(base + "/drug/export?" + urlencode({"drug": name}),
                                                         timeout=600).text)))
        top = max(rows, key=lambda r: (float(r["n"]), r["event"]))
        out.append(("event", "/event?" + urlencode({"drug": name, "event": top["event"], "level": "pt"})))
    return out


PANELS = ("cases", "onset", "listing", "interactions", "trend")
FIRST = ("cases", "onset", "listing")  # the page loads these first (web/static/app.js), then the rest


def _panels(base: str, query: str) -> list[float]:
    """Seconds of each panel of one event page (query string), requested as the page's script
    does: the drug's-own-cases panels at once, then the whole-lake ones at once; each timed
    from the common start to its own answer."""
    from concurrent.futures import ThreadPoolExecutor

    def one(p: str) -> float:
        r = httpx.get(f"{base}/event/panel?{query}&panel={p}", headers={"X-Panel": "1"}, timeout=3600)
        if r.status_code >= 400:
            print(f"panel {p} of {query}: {r.status_code}", file=sys.stderr)
        return time.perf_counter() - t0

    t0 = time.perf_counter()
    out = {}
    with ThreadPoolExecutor(len(PANELS)) as pool:
        for wave in (FIRST, [p for p in PANELS if p not in FIRST]):
            out.update(zip(wave, pool.map(one, wave)))
    return [out[p] for p in PANELS]


def _browse(base: str, urls: list[tuple[str, str]], think: float) -> list[tuple[str, str, list[float]]]:
    """The issue's path, on drugs the load phases did not touch: for each pair, its drug page,
    ``think`` seconds (reading it, sorting, choosing an event), then the event page and its
    panels at once; and, for another pair, the event page opened cold from a permalink."""
    from urllib.parse import parse_qs, urlsplit

    out = []
    for i, (_, u) in enumerate(urls):
        query = urlsplit(u).query
        q = parse_qs(query)
        label = f"{q['drug'][0]} – {q['event'][0]}"
        if i % 2 == 0:
            httpx.get(base + "/drug?" + urlencode({"drug": q["drug"][0]}), timeout=600)
            time.sleep(think)
            how = f"after its drug page (+{think:.0f} s)"
        else:
            how = "permalink, drug never opened"
        httpx.get(base + u, timeout=600)
        out.append((label, how, _panels(base, query)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lake", default="/tmp/pvbench/lake-20000000")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--drugs", type=int, default=30, help="distinct drug pages")
    ap.add_argument("--events", type=int, default=4, help="event pages per drug")
    ap.add_argument("--panels", type=int, default=4, help="event pages whose panels are timed cold (browse phase)")
    ap.add_argument("--think", type=float, default=10.0, help="seconds between a drug page and its event page")
    args = ap.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "pvsignal", "serve", "--lake", args.lake, "--port", str(port)],
                            stdout=subprocess.DEVNULL)
    try:
        first = _wait(base, proc, 3600)
        fresh = _fresh_pairs(base, args.panels)  # the home page lists 30 drugs: the last few kept fresh
        drug_urls, event_urls = _urls(base, min(args.drugs, 30 - args.panels), args.events)
        rows = []
        errors = []
        for name, urls in (("drug pages", drug_urls), ("event pages", event_urls)):
            res = load_test(base, urls, clients=args.clients, seconds=args.seconds)
            errors += res.errors
            for kind, s in sorted(res.summary().items()):
                rows.append((name, kind, s))
        panels = _browse(base, fresh, args.think)
        load = os.getloadavg()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    print(f"lake {args.lake}; {args.clients} clients × {args.seconds:.0f} s per phase; "
          f"{len(drug_urls)} drug pages, {len(event_urls)} event pages; first page (scored pairs ready) {first:.1f} s; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; errors {len(errors)}\n")
    print("| phase | requests of | n | p50 ms | p95 ms | per s |\n|---|---|---:|---:|---:|---:|")
    for name, kind, s in rows:
        print(f"| {name} | {kind} | {s['requests']} | {s['p50_ms']:.0f} | {s['p95_ms']:.0f} | {s['per_s']:.1f} |")
    if panels:
        print("\nEvent-page panels, cold (first request; as the page asks: cases, onset, listing at once, then the "
              "other two; seconds from the first request; cached afterwards):\n")
        print("| pair | opened | " + " | ".join(PANELS) + " | all |\n|---|---|" + "---:|" * (len(PANELS) + 1))
        for pair, how, secs in panels:
            print(f"| {pair} | {how} | " + " | ".join(f"{x:.2f} s" for x in secs) + f" | {max(secs):.2f} s |")
    if errors:
        print("\nerrors:", *errors[:20], sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
