"""Drug slices for the event page's case panels: built once per drug, in the background as its page opens.

A pair's case series, time to onset, line listing and co-reported perpetrators read only
the drug's cases. On a 20 M-report lake each of their queries scans whole tables (seconds
a panel); on the drug's slice (:func:`pvsignal.api.drug_slice`: those cases' rows in an
in-memory DuckDB database) the same analyses answer in tens of milliseconds with the same
result. The drug page asks for its drug's slice (:meth:`Slices.warm`), so by the time a
user opens one of its events the panels read the slice; a panel of a drug whose slice is
still being built waits for it.

Builds run one at a time (on two cores, parallel builds only slow each other); of the
warm-ups only the latest waits in the queue. At most :data:`KEEP` slices and
:data:`MEMORY_BUDGET` bytes are kept (least recently used dropped) and a drug with more than
:data:`MAX_CASES` cases gets none: its panels run on the lake. The :class:`Slices` object
lives in the lake state's cache, so a new manifest (an ingest, an update) drops every slice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from pvsignal import api

log = logging.getLogger("pvsignal.web")

#: slices kept per lake (the least recently used is closed first)
KEEP = 6
#: and at most this much memory in all (DuckDB's own count of each slice; measured at 20 M
#: reports: 198 MiB for a drug of 53 k cases, 1,343 MiB for one of 398 k); the slice built
#: last is kept even when it alone is over
MEMORY_BUDGET = 2 * 1024**3
#: drugs with more cases (suspect roles, from the scored pairs) than this get no slice: a
#: slice holds every row of the drug's cases, ≈ 10 rows per case over the seven views
MAX_CASES = 400_000


class Slices:
    """The slices of one lake state (its current manifest)."""

    def __init__(self, state: Any, *, keep: int = KEEP, max_cases: int = MAX_CASES,
                 memory_budget: int = MEMORY_BUDGET) -> None:
        self.state, self.keep, self.max_cases, self.memory_budget = state, keep, max_cases, memory_budget
        self.memory: dict[str, int] = {}  # drug → bytes its slice holds
        self._lock = threading.Lock()
        self._slices: OrderedDict[str, Future] = OrderedDict()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pvsignal-slice")
        self.built: dict[str, float] = {}  # drug → seconds its build took
        self._warm_only: set[str] = set()  # queued by warm(), no panel waiting for them yet

    def cases_of(self, drug: str) -> int:
        """Cases of ``drug`` in the scored pairs (a + b of any of its rows: n of the drug), 0 if unscored."""
        scored = self.state.scored()
        if drug not in scored.rows:
            return 0
        row = scored.table.iloc[scored.rows[drug][0]]
        return int(row["a"] + row["b"])

    def sliced(self, drug: str) -> bool:
        """Whether ``drug``'s panels read a slice (scored, and not over :attr:`max_cases`)."""
        return 0 < self.cases_of(drug) <= self.max_cases

    def warm(self, drug: str) -> None:
        """Queue ``drug``'s slice (unless built, queued or not sliced). Only the latest warm-up
        waits in the queue: an older one that has not started and no panel waits for is
        dropped, so a burst of drug pages (a crawler, a load test) leaves no backlog."""
        if not self.sliced(drug):
            return
        with self._lock:
            for other in [d for d in self._warm_only if d != drug]:
                fut = self._slices.get(other)
                if fut is not None and fut.cancel():
                    del self._slices[other]
                self._warm_only.discard(other)
            if drug not in self._slices:
                self._warm_only.add(drug)
            self._get(drug)

    def _future(self, drug: str, *, wanted: bool = False) -> Future:
        with self._lock:
            if wanted:
                self._warm_only.discard(drug)
            return self._get(drug)

    def _get(self, drug: str) -> Future:
        """The build of ``drug`` (submitted if absent); the caller holds the lock."""
        fut = self._slices.get(drug)
        if fut is None:
            fut = self._slices[drug] = self._pool.submit(self._build, drug)
            self._evict()
        self._slices.move_to_end(drug)
        return fut

    def _build(self, drug: str):
        t0 = time.perf_counter()
        con = self.state.with_cursor(lambda cur: api.drug_slice(drug, lake=cur))
        self.built[drug] = time.perf_counter() - t0
        self.memory[drug] = int(con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchall()[0][0] or 0)
        log.info("slice of %s built in %.1f s (%.0f MiB)", drug, self.built[drug], self.memory[drug] / 2**20)
        with self._lock:
            self._evict()
        return con

    def _over(self) -> bool:
        held = sum(self.memory.get(d, 0) for d in self._slices)
        return len(self._slices) > self.keep or (held > self.memory_budget and len(self._slices) > 1)

    def _evict(self) -> None:
        """Close least recently used slices while more than :attr:`keep` or over the memory budget
        (never the last one, nor one being built); the caller holds the lock."""
        while self._over():
            old_drug, old = next(iter(self._slices.items()))
            if not old.done():
                break  # never drop a slice being built (its waiters hold it)
            del self._slices[old_drug]
            self._warm_only.discard(old_drug)
            self.memory.pop(old_drug, None)
            if not old.cancelled() and old.exception() is None:
                old.result().close()

    def run(self, drug: str, fn: Callable[[Any], Any]) -> Any:
        """``fn(source)`` on a cursor of ``drug``'s slice (waiting for its build), or on the lake
        when the drug gets no slice."""
        if not self.sliced(drug):
            return self.state.with_cursor(fn)
        con = self._future(drug, wanted=True).result()
        try:
            cur = con.cursor()
        except Exception:  # noqa: BLE001 — evicted and closed between the lookup and here: use the lake
            return self.state.with_cursor(fn)
        try:
            return fn(cur)
        finally:
            cur.close()


def slices(state: Any) -> Slices:
    """The :class:`Slices` of ``state``'s current manifest (made on first use)."""
    return state.cached(("keep", "slices"), lambda: Slices(state), keep=True)
