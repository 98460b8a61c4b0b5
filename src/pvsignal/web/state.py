"""One lake as the explorer sees it: a long-lived DuckDB connection and caches, renewed with the manifest.

The connection (``api.connect``: in-memory DuckDB whose views read the lake's Parquet) is
opened once and shared; each request works on its own cursor (``con.cursor()``: the same
database and views, safe to use from one thread while others use theirs). Everything
derived from the lake — the scored pairs, the name lists, the status — is cached until
the lake's manifest changes (an ingest or update swaps it in by rename: a new inode), then
the connection is reopened and the caches emptied. Each time, a background thread readies the
per-slice MGPS priors of the lake's stored counts by quarter (read when ``prepare`` stored
them, else fitted: ≈ 20 s at 20 M reports), so the over-time panel does not fit them itself.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pvsignal import api
from pvsignal.errors import PvsignalError

log = logging.getLogger("pvsignal.web")

#: results of per-pair analyses kept per lake (least recently used dropped first)
MAX_CACHED = 256


@dataclass
class Scored:
    """The scored pairs of one event level: the table, its metadata and each drug's rows."""

    table: Any  # pandas DataFrame, every column of ``pvsignal signals``
    metadata: dict[str, Any]
    rows: dict[str, Any] = field(repr=False)  # drug → row positions in ``table``

    def drug(self, name: str):
        """The rows of ``name`` (an ingredient as the table spells it), in the table's order."""
        return self.table.iloc[self.rows[name]].reset_index(drop=True)


class LakeState:
    """A lake folder, its open connection and the caches built from it (thread-safe)."""

    def __init__(self, lake: str | Path, *, meddra: str | Path | None = None, groups: str | Path | None = None,
                 trial: dict[str, Path] | None = None) -> None:
        self.lake = Path(lake)
        self.meddra, self.groups = meddra, groups
        self.trial = {k: v for k, v in (trial or {}).items() if v is not None}
        self._lock = threading.RLock()
        self._keys: dict[Any, threading.Lock] = {}
        self._cache: OrderedDict[Any, Any] = OrderedDict()
        self._signature: tuple | None = None
        self._con = None
        self.reopened = 0

    # ------------------------------------------------------------------ connection
    def _manifest_signature(self) -> tuple:
        try:
            st = (self.lake / "manifest.json").stat()
        except FileNotFoundError:
            raise PvsignalError(f"{self.lake} is not a pvsignal lake (no manifest.json): "
                                "give --lake the folder `pvsignal ingest` wrote") from None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _fresh(self) -> None:
        """Reopen the connection and drop the caches when the manifest changed since the last look."""
        sig = self._manifest_signature()
        if sig == self._signature and self._con is not None:
            return
        with self._lock:
            if sig == self._signature and self._con is not None:
                return
            # a lake made stale while serving (an ingest of new quarters without preparing them,
            # another drug dictionary) is an error page naming the fix: opening it would rebuild
            # its tables, and the explorer never writes
            api.check_current(self.lake, pair_table=False)
            # the old connection is dropped, not closed: a request still reading through one of
            # its cursors is not cut off (the connection closes when its last cursor is gone)
            self._con = api.connect(self.lake)
            self._cache.clear()
            self._keys.clear()
            self._signature = sig
            self.reopened += 1
        threading.Thread(target=self._ready_priors, name="pvsignal-over-time-priors", daemon=True).start()

    def cursor(self):
        """A cursor over the current connection (close it when done)."""
        self._fresh()
        with self._lock:
            return self._con.cursor()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con, self._signature = None, None

    # ------------------------------------------------------------------ cache
    def cached(self, key: Any, compute: Callable[[], Any], *, keep: bool = False) -> Any:
        """``compute()`` once per manifest for ``key`` (concurrent callers wait for the first);
        ``keep``: never evicted (the scored pairs, the names), else one of :data:`MAX_CACHED`."""
        self._fresh()
        sig = self._signature
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            key_lock = self._keys.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._cache:
                    return self._cache[key]
            value = compute()
            with self._lock:
                if self._signature == sig:
                    self._cache[key] = value
                    if not keep:
                        self._evict()
        return value

    def _evict(self) -> None:
        kept = [k for k in self._cache if isinstance(k, tuple) and k and k[0] == "keep"]
        while len(self._cache) - len(kept) > MAX_CACHED:
            for k in self._cache:
                if k not in kept:
                    del self._cache[k]
                    break

    def with_cursor(self, fn: Callable[[Any], Any]) -> Any:
        """``fn(cursor)`` on a fresh cursor, closed afterwards."""
        cur = self.cursor()
        try:
            return fn(cur)
        finally:
            cur.close()

    # ------------------------------------------------------------------ what the pages read
    @property
    def levels(self) -> list[str]:
        """Event levels the drug page offers: PT, and with MedDRA or groups configured, the grouped ones."""
        out = ["pt"]
        if self.meddra:
            out += ["hlt", "hlgt", "soc"]
        if self.groups:
            out += ["group"]
        return out

    def trial_profile_args(self) -> dict[str, Any]:
        """The profile's optional inputs this server was given (ADaM files, rules, MedDRA, groups)."""
        extra = {"meddra": self.meddra, "groups": self.groups}
        return {k: v for k, v in {**self.trial, **extra}.items() if v is not None}

    def status(self) -> dict[str, Any]:
        return self.cached(("keep", "status"), lambda: api.status(self.lake))

    def synthetic(self) -> bool:
        return bool(self.status().get("synthetic"))

    def scored(self, level: str = "pt") -> Scored:
        """Every scored pair at ``level`` under the default case definition: the precomputed
        table (``api.scored_pairs``) when the lake has one, else scored now (``api.signals``) and kept."""
        return self.cached(("keep", "scored", level), lambda: self._score(level))

    def _score(self, level: str) -> Scored:
        import numpy as np

        table = meta = None
        if level == "pt" and hasattr(api, "scored_pairs") and self._has_pair_table():
            try:
                table, meta = api.scored_pairs(self.lake), {"source": {"precomputed": True}}
            except PvsignalError:
                table = None  # an unreadable pair table: score now
        if table is None:
            kwargs: dict[str, Any] = {}
            if level != "pt":
                kwargs["definition"] = api.case_definition(
                    event_level=level, meddra=str(self.meddra) if self.meddra else None,
                    event_groups=str(self.groups) if self.groups else None)
            res = api.signals(self.lake, **kwargs)
            table, meta = res.table, res.metadata
        codes, names = table["drug"].factorize()
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        rows = {str(n): order[bounds[i]:bounds[i + 1]] for i, n in enumerate(names)}
        return Scored(table, meta or {}, rows)

    def over_time_priors(self) -> dict | None:
        """The slice priors of the lake's stored counts by quarter (``api.over_time_priors``), once per
        manifest (a request arriving while the background thread fits them waits for it); None when
        the lake has no stored counts or they could not be read (the panel then fits what it needs)."""
        return self.cached(("keep", "over_time_priors"), self._priors)

    def _priors(self) -> dict | None:
        try:
            return api.over_time_priors(self.lake)
        except Exception:  # noqa: BLE001 — an optional speed-up: never the reason a panel fails
            log.exception("the over-time priors of %s could not be readied", self.lake)
            return None

    def _ready_priors(self) -> None:
        try:
            self.over_time_priors()
        except PvsignalError:  # e.g. the lake went away: the next request says so
            pass

    def _has_pair_table(self) -> bool:
        """Whether the manifest lists a stored pair table (``api.scored_pairs`` would write a missing
        one into the lake: the explorer never writes)."""
        import json

        return bool(json.loads((self.lake / "manifest.json").read_text(encoding="utf-8")).get("pair_table"))

    def names(self) -> dict[str, str]:
        """Searchable names → ingredient: every scored ingredient, and brand names the lake's
        drug-name map sends to one of them (the prepared ``ingredient_map``)."""
        return self.cached(("keep", "names"), self._names)

    def _names(self) -> dict[str, str]:
        ingredients = set(self.scored().rows)
        out = {i.upper(): i for i in ingredients}

        def brands(cur):
            return cur.execute(
                "SELECT DISTINCT upper(trim(drugname)) AS name, ingredient FROM prepared_ingredient_map "
                "WHERE ingredient_source <> 'unmapped' AND drugname IS NOT NULL").df()

        frame = self.with_cursor(brands)
        # a brand that maps to two ingredients (a combination) is not one drug page: left out
        frame = frame[frame["ingredient"].isin(ingredients)]
        single = frame.drop_duplicates("name", keep=False)
        for name, ing in zip(single["name"], single["ingredient"]):
            out.setdefault(name, ing)
        return out
