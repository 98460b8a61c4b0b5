"""Load test of the explorer (``pvsignal serve``) over loopback: p50/p95 latency of drug and event pages.

    python bench/bench_serve.py --lake /tmp/pvbench/lake-20000000 --clients 20 --seconds 30

Starts ``pvsignal serve`` as a subprocess (the server and the clients do not share a GIL),
times its first page (the scored pairs read or computed), collects drug-page and
event-page URLs from the app itself (the most-scored drugs, each drug's top events),
then runs ``--clients`` concurrent httpx clients for ``--seconds`` on drug pages, and
again on event pages. A URL's first request (cold: the event's analyses run) is reported
apart from repeats (served from the per-lake cache). Prints a Markdown table for
BENCHMARKS.md with the load average; exits 1 on any error response.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from html import unescape

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


PANELS = ("cases", "onset", "listing", "interactions", "trend")


def _panels(base: str, urls: list[tuple[str, str]]) -> list[tuple[str, list[float]]]:
    """Seconds of each panel of these event pages, requested one after another."""
    from urllib.parse import parse_qs, urlsplit

    out = []
    for _, u in urls:
        q = parse_qs(urlsplit(u).query)
        secs = []
        for p in PANELS:
            t0 = time.perf_counter()
            r = httpx.get(f"{base}/event/panel?{urlsplit(u).query}&panel={p}", headers={"X-Panel": "1"}, timeout=3600)
            secs.append(time.perf_counter() - t0)
            if r.status_code >= 400:
                print(f"panel {p} of {u}: {r.status_code}", file=sys.stderr)
        out.append((f"{q['drug'][0]} – {q['event'][0]}", secs))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lake", default="/tmp/pvbench/lake-20000000")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--drugs", type=int, default=30, help="distinct drug pages")
    ap.add_argument("--events", type=int, default=4, help="event pages per drug")
    ap.add_argument("--panels", type=int, default=3, help="event pages whose panels are timed cold, one at a time")
    args = ap.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "pvsignal", "serve", "--lake", args.lake, "--port", str(port)],
                            stdout=subprocess.DEVNULL)
    try:
        first = _wait(base, proc, 3600)
        drug_urls, event_urls = _urls(base, args.drugs, args.events)
        rows = []
        errors = []
        for name, urls in (("drug pages", drug_urls), ("event pages", event_urls)):
            res = load_test(base, urls, clients=args.clients, seconds=args.seconds)
            errors += res.errors
            for kind, s in sorted(res.summary().items()):
                rows.append((name, kind, s))
        panels = _panels(base, event_urls[:: max(1, len(event_urls) // max(args.panels, 1))][: args.panels])
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
        print("\nEvent-page panels, cold (first request, one client; later requests are cached):\n")
        print("| pair | " + " | ".join(PANELS) + " |\n|---|" + "---:|" * len(PANELS))
        for pair, secs in panels:
            print(f"| {pair} | " + " | ".join(f"{x:.1f} s" for x in secs) + " |")
    if errors:
        print("\nerrors:", *errors[:20], sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
