"""A batch of synthetic reports held as numpy columns: one DEMO row per report plus child rows.

Child tables (drug, reac, outc, rpsr, ther, indi) carry ``rep``, the report's position in
the batch, and stay sorted by it, so selecting or copying reports (follow-up versions) is
a vectorised gather with no Python loop over reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Batch:
    """``demo``: per-report columns (equal length); ``rows``: child tables keyed by name."""

    demo: dict[str, np.ndarray]
    rows: dict[str, dict[str, np.ndarray]]

    @property
    def n(self) -> int:
        return len(self.demo["caseid"])

    def offsets(self, table: str) -> np.ndarray:
        """CSR offsets: rows of report ``i`` are ``offsets[i]:offsets[i+1]``."""
        counts = np.bincount(self.rows[table]["rep"], minlength=self.n)
        return np.concatenate(([0], np.cumsum(counts)))


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s+c)`` for each pair, vectorised."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    before = np.cumsum(counts) - counts
    return np.repeat(starts - before, counts) + np.arange(total)


def take(batch: Batch, idx: np.ndarray) -> Batch:
    """A new batch with the reports ``idx`` (in that order) and all their child rows."""
    idx = np.asarray(idx, dtype=np.int64)
    demo = {k: v[idx] for k, v in batch.demo.items()}
    rows = {}
    for name, cols in batch.rows.items():
        off = batch.offsets(name)
        counts = off[idx + 1] - off[idx]
        sel = ranges(off[idx], counts)
        new = {k: v[sel] for k, v in cols.items()}
        new["rep"] = np.repeat(np.arange(len(idx)), counts)
        rows[name] = new
    return Batch(demo, rows)


def concat(batches: list[Batch]) -> Batch:
    """Stack batches; child ``rep`` values are shifted so they stay sorted."""
    batches = [b for b in batches if b.n]
    if len(batches) == 1:
        return batches[0]
    demo = {k: np.concatenate([b.demo[k] for b in batches]) for k in batches[0].demo}
    rows = {}
    for name in batches[0].rows:
        shift = np.cumsum([0] + [b.n for b in batches[:-1]])
        cols = {}
        for k in batches[0].rows[name]:
            parts = [b.rows[name][k] + (s if k == "rep" else 0) for b, s in zip(batches, shift)]
            cols[k] = np.concatenate(parts)
        rows[name] = cols
    return Batch(demo, rows)


def sort_rows(cols: dict[str, np.ndarray], *keys: str) -> dict[str, np.ndarray]:
    """Child rows sorted by ``rep`` then the given keys (stable)."""
    order = np.lexsort(tuple(cols[k] for k in reversed(("rep", *keys))))
    return {k: v[order] for k, v in cols.items()}


def add_rows(batch: Batch, table: str, new: dict[str, np.ndarray], *keys: str) -> None:
    """Append child rows to ``table`` and restore the sort by ``rep`` (then ``keys``)."""
    cols = batch.rows[table]
    merged = {k: np.concatenate([cols[k], new[k].astype(cols[k].dtype)]) for k in cols}
    batch.rows[table] = sort_rows(merged, *keys)


def any_per_report(batch: Batch, table: str, mask: np.ndarray) -> np.ndarray:
    """Boolean per report: does any of its ``table`` rows satisfy ``mask``?"""
    out = np.zeros(batch.n, dtype=bool)
    out[batch.rows[table]["rep"][mask]] = True
    return out
