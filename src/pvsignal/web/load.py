"""Serving the explorer in a background thread, and a load test of it over loopback.

``bench/bench_serve.py`` (20 clients, 30 s) and the suite's bounded version (a few
seconds) both use :func:`live_server` and :func:`load_test`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@contextmanager
def live_server(app, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """``app`` served by uvicorn in a daemon thread; yields its base URL, stops it on exit."""
    import uvicorn

    port = port or free_port(host)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the explorer did not start on {host}:{port}")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@dataclass
class LoadResult:
    """Latencies (seconds) by page kind (a URL's first request apart: ``"<kind> (first)"``), errors
    (status ≥ 400 or a failed request) and the wall time."""

    seconds: float
    clients: int
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set, repr=False)

    def summary(self) -> dict[str, dict[str, float]]:
        """Per kind (and ``all``): requests, p50 and p95 in milliseconds, requests per second."""
        import numpy as np

        kinds = {**self.latencies, "all": [x for v in self.latencies.values() for x in v]}
        out = {}
        for kind, xs in kinds.items():
            a = np.asarray(xs) * 1000
            out[kind] = {"requests": len(xs), "p50_ms": float(np.percentile(a, 50)) if len(a) else float("nan"),
                         "p95_ms": float(np.percentile(a, 95)) if len(a) else float("nan"),
                         "per_s": len(xs) / self.seconds if self.seconds else float("nan")}
        return out


async def _client(client, urls: Sequence[tuple[str, str]], start: int, stop_at: float, res: LoadResult) -> None:
    import httpx

    async with client:
        i = start
        while time.monotonic() < stop_at:
            kind, url = urls[i % len(urls)]
            i += 1
            if url not in res.seen:  # the first request of a URL computes what later ones find cached
                res.seen.add(url)
                kind = f"{kind} (first)"
            t0 = time.perf_counter()
            try:
                r = await client.get(url)
                if r.status_code >= 400:
                    res.errors.append(f"{r.status_code} {url}")
            except httpx.HTTPError as exc:
                res.errors.append(f"{type(exc).__name__} {url}")
            res.latencies.setdefault(kind, []).append(time.perf_counter() - t0)


def load_test(base: str, urls: Sequence[tuple[str, str]], *, clients: int = 20, seconds: float = 30.0) -> LoadResult:
    """``clients`` concurrent clients, each requesting ``urls`` ((kind, path) pairs) in turn from its own
    starting point, for ``seconds``; every request's latency is kept (a request started before the end
    is waited for)."""
    res = LoadResult(seconds=seconds, clients=clients)

    async def main() -> None:
        import httpx

        pool = [httpx.AsyncClient(base_url=base, timeout=600) for _ in range(clients)]  # made before the clock starts
        stop_at = time.monotonic() + seconds
        await asyncio.gather(*(_client(c, urls, k * len(urls) // clients, stop_at, res) for k, c in enumerate(pool)))

    t0 = time.monotonic()
    asyncio.run(main())
    res.seconds = max(time.monotonic() - t0, seconds)
    return res
