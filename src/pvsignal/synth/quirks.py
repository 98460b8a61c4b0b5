"""Render a table's lines, with the parser-breaking quirks of real files (FACTS.md §1.4).

Quirks (each in about 2 rows per 100 000, at least one per file that can carry it):

- ``embedded_dollar``: a ``$`` inside DEMO ``mfr_num`` (as ``JP-CUBIST-$E2B0000000182``
  in DEMO12Q1), so the line has one field too many;
- ``control_char``: a 0x08 (control-H) inside a DRUG ``drugname``;
- ``missing_trailing_fields``: DEMO/DRUG lines whose empty trailing fields are cut off,
  so the line has fewer ``$`` than the header;
- ``collapsed_lines`` (legacy DRUG only): two records on one line, the line break
  between them missing.

Every quirk is recorded with its file line number (1-based; the header is line 1) and
the clean values, so an ingest test can check the repair or the reject.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

RATE = 2e-5


def _count(rows: int) -> int:
    return max(1, int(round(rows * RATE))) if rows >= 10 else 0


def _choose(rng, cand: np.ndarray, k: int, used: set[int]) -> list[int]:
    if used:
        cand = cand[~np.isin(cand, np.fromiter(used, dtype=np.int64, count=len(used)), kind="sort")]
    if len(cand) == 0 or k == 0:
        return []
    out = sorted(int(x) for x in rng.choice(cand, min(k, len(cand)), replace=False))
    used.update(out)
    return out


def _replace(arr: pa.Array, rows: list[int], values: list[str]) -> pa.Array:
    mask = np.zeros(len(arr), dtype=bool)
    mask[rows] = True
    order = np.argsort(rows)
    return pc.replace_with_mask(arr, pa.array(mask), pa.array([values[i] for i in order], type=pa.string()))


def render_lines(rng, table: str, header: list[str], cols: list[pa.Array], legacy: bool,
                 quirks: bool, key_name: str) -> tuple[pa.Array, list[dict]]:
    """The data lines of a table (no line ends) and the quirk records (with ``row``)."""
    names = [h.lower() for h in header]
    rows = len(cols[0])
    recs: list[dict] = []
    used: set[int] = set()
    first = cols[0]

    def key(i: int) -> int:
        return int(first[i].as_py())

    if quirks and table == "demo" and "mfr_num" in names:
        j = names.index("mfr_num")
        cand = np.flatnonzero(pc.greater(pc.utf8_length(cols[j]), 8).to_numpy(zero_copy_only=False))
        picked = _choose(rng, cand, _count(rows), used)
        vals = [cols[j][i].as_py() for i in picked]
        dirty = [v[: v.index("-", 3) + 1] + "$" + v[v.index("-", 3) + 1:] for v in vals]
        if picked:
            cols[j] = _replace(cols[j], picked, dirty)
        recs += [{"kind": "embedded_dollar", "row": i, "field": header[j], "written": w, "intended": v,
                  key_name: key(i)} for i, v, w in zip(picked, vals, dirty)]
    if quirks and table == "drug":
        j = names.index("drugname")
        picked = _choose(rng, np.arange(rows), _count(rows), used)
        vals = [cols[j][i].as_py() for i in picked]
        dirty = [v[: len(v) // 2] + "\x08" + v[len(v) // 2:] for v in vals]
        if picked:
            cols[j] = _replace(cols[j], picked, dirty)
        recs += [{"kind": "control_char", "row": i, "field": header[j], "char": "0x08", "written": w,
                  "intended": v, key_name: key(i)} for i, v, w in zip(picked, vals, dirty)]

    parts = cols + ([pa.array([""] * rows, type=pa.string())] if legacy else [])
    lines = pc.binary_join_element_wise(*parts, "$") if rows else pa.array([], type=pa.string())

    if quirks and table in ("demo", "drug") and rows:
        trailing = np.zeros(rows, dtype=np.int64)
        still = np.ones(rows, dtype=bool)
        for c in reversed(cols):
            still &= pc.equal(c, "").to_numpy(zero_copy_only=False)
            trailing += still
        picked = _choose(rng, np.flatnonzero(trailing >= 2), _count(rows), used)
        vals = [lines[i].as_py() for i in picked]
        cut = [v[: len(v) - int(trailing[i])] for i, v in zip(picked, vals)]
        if picked:
            lines = _replace(lines, picked, cut)
        recs += [{"kind": "missing_trailing_fields", "row": i, "fields_written": len(header) - int(trailing[i]),
                  "fields_expected": len(header), key_name: key(i)} for i in picked]
    if quirks and table == "drug" and legacy and rows >= 10:
        picked = []
        for i in rng.choice(rows - 1, min(rows - 1, 4 * _count(rows)), replace=False):
            i = int(i)
            if len(picked) == _count(rows):
                break
            if i in used or i + 1 in used or i - 1 in used:
                continue
            used.update((i, i + 1))
            picked.append(i)
        picked.sort()
        if picked:
            merged = [lines[i].as_py() + lines[i + 1].as_py() for i in picked]
            lines = _replace(lines, picked, merged)
            drop = np.zeros(rows, dtype=bool)
            drop[[i + 1 for i in picked]] = True
            lines = lines.filter(pa.array(~drop))
        recs += [{"kind": "collapsed_lines", "row": i, "records": 2,
                  key_name: [key(i), key(i + 1)],
                  "drug_seq": [int(cols[1][i].as_py()), int(cols[1][i + 1].as_py())]} for i in picked]
    # file line numbers: header is line 1; each collapse removes one line after it
    collapsed = np.array(sorted(r["row"] + 1 for r in recs if r["kind"] == "collapsed_lines"), dtype=np.int64)
    for r in recs:
        row = r.pop("row")
        r["line"] = int(row + 2 - np.searchsorted(collapsed, row, side="left"))
    return lines, recs
