"""The stored counts by quarter of the default case definition and its per-slice MGPS priors.

Written beside the pair table (:mod:`pvsignal.analysis.pair_store`) when a lake is prepared
and kept current by ``pvsignal update``, so that signals over time
(:func:`~pvsignal.analysis.trends.signals_over_time`) of the default definition read one
drug's rows instead of counting every pair × quarter and refitting a prior per slice:

* ``LAKE/pairs/quarter-pairs-<run>.parquet`` — ``drug, event, quarter, n`` for every pair,
  sorted by drug, event, quarter in row groups (reading one drug touches a few);
* ``LAKE/pairs/quarter-margins-<run>.parquet`` — ``margin`` (``drugs``, ``events``,
  ``reports``), ``name``, ``quarter``, ``n``;
* ``LAKE/pairs/slice-priors-<run>.parquet`` (written by ``prepare``, not by ``update``) —
  per cumulative and one-quarter slice (``first``, ``last`` quarter) the prior
  ``prior='refit'`` fits (:func:`~pvsignal.analysis.trends.slice_fits`: α1, β1, α2, β2, P,
  ``pairs``, ``converged``) or the ``error`` that kept it from being fitted.

They are the tables :func:`~pvsignal.analysis.trend_counts.quarter_counts` gives for
``CaseDefinition()`` (tested equal), listed in the manifest's ``pair_table`` entry
(``files``), so they are current exactly when the pair table is. A case has one kept
version, hence one quarter: after an update the counts are the old ones minus the touched
cases' old contributions plus their new ones (:func:`updated`), as for the pair table. An
update does not refit the slice priors (≈ 100 MGPS fits, ≈ 17 s at 20 M reports, would take
``update`` past its 60 s budget): they are left out until the next ``prepare``, and whoever
needs them fits them from the stored counts (:func:`fits`; the explorer once per lake
version, in the background). The pair table's counts are these summed over quarters
(:func:`totals`).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pvsignal.analysis.population import CaseDefinition
from pvsignal.analysis.trend_counts import KEYS, quarter_counts
from pvsignal.analysis.trends import PRIOR_KEYS, slice_fits
from pvsignal.store.lake import Lake, new_id

#: the manifest's ``pair_table.files`` names and the file name stems (``slice_priors`` optional)
FILES = {"quarter_pairs": "quarter-pairs", "quarter_margins": "quarter-margins", "slice_priors": "slice-priors"}
COUNT_FILES = ("quarter_pairs", "quarter_margins")
MARGINS = ("drugs", "events", "reports")
ROW_GROUP = 65_536
Fits = dict[tuple[str, str], dict[str, Any] | str]


@contextmanager
def case_views(drugs_file: Path, reactions_file: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection whose ``case_drugs`` and ``case_reactions`` read these files (the
    default definition reads nothing else)."""
    con = duckdb.connect()
    try:
        for name, path in (("case_drugs", drugs_file), ("case_reactions", reactions_file)):
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')")
        yield con
    finally:
        con.close()


def count(drugs_file: Path, reactions_file: Path) -> dict[str, pd.DataFrame]:
    """:func:`quarter_counts` of the default definition over the cases of these two files."""
    with case_views(drugs_file, reactions_file) as con:
        return quarter_counts(con, CaseDefinition())


def updated(old: dict[str, pd.DataFrame], delta: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """The counts after an update: ``old`` minus the touched cases' old rows
    (``delta['old_case_drugs']`` …) plus their new ones, every table; rows that fall to 0 go."""
    before = count(delta["old_case_drugs"], delta["old_case_reactions"])
    after = count(delta["new_case_drugs"], delta["new_case_reactions"])
    out = {}
    for name in ("pairs", "drugs", "events", "reports"):
        keys = [*KEYS[name], "quarter"]
        parts = [old[name], before[name].assign(n=-before[name]["n"]), after[name]]
        t = pd.concat([p[[*keys, "n"]] for p in parts], ignore_index=True).groupby(keys, sort=False, as_index=False)["n"].sum()
        out[name] = t[t["n"] > 0].astype({"n": "int64"}).sort_values(keys).reset_index(drop=True)
    return out


def totals(qc: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The pair table's count table (:data:`pvsignal.analysis.pair_store.COUNT_COLUMNS`, sorted by
    drug, event) from the counts by quarter: every count is a sum over quarters."""
    pairs = qc["pairs"].groupby(["drug", "event"], sort=True, as_index=False)["n"].sum()
    n_drug = qc["drugs"].groupby("drug")["n"].sum()
    n_event = qc["events"].groupby("event")["n"].sum()
    out = pairs.assign(n_drug=pairs["drug"].map(n_drug), n_event=pairs["event"].map(n_event),
                       n_total=int(qc["reports"]["n"].sum()))
    out = out.astype({c: "int64" for c in ("n", "n_drug", "n_event", "n_total")})
    out = out.assign(a=out["n"], b=out["n_drug"] - out["n"], c=out["n_event"] - out["n"],
                     d=out["n_total"] - out["n_drug"] - out["n_event"] + out["n"])
    out["expected"] = out["n_drug"].astype("float64") * out["n_event"] / out["n_total"]
    return out.reset_index(drop=True)


def _margin_frame(qc: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = [qc[m].rename(columns={KEYS[m][0]: "name"}) if KEYS[m] else qc[m].assign(name="") for m in MARGINS]
    return pd.concat([p.assign(margin=m)[["margin", "name", "quarter", "n"]] for m, p in zip(MARGINS, parts)],
                     ignore_index=True)


def _prior_frame(fits: Fits) -> pd.DataFrame:
    rows = [{"first": lo, "last": hi, **({"error": f} if isinstance(f, str) else {**f, "error": None})}
            for (lo, hi), f in fits.items()]
    cols = ["first", "last", *PRIOR_KEYS, "pairs", "converged", "error"]
    t = pd.DataFrame(rows).reindex(columns=cols)
    return t.astype({**{k: "float64" for k in PRIOR_KEYS}, "pairs": "Int64", "converged": "boolean", "error": "string"})


def write(lake: Lake, qc: dict[str, pd.DataFrame], *, priors: bool = True) -> dict[str, str]:
    """Write the counts ``qc`` (and, with ``priors``, their slice priors) under ``LAKE/pairs/``;
    the file names (relative to the lake) for the manifest's ``pair_table.files``."""
    frames = {"quarter_pairs": qc["pairs"][["drug", "event", "quarter", "n"]], "quarter_margins": _margin_frame(qc)}
    if priors:
        frames["slice_priors"] = _prior_frame(slice_fits(qc))
    out, run = {}, new_id()
    for name, frame in frames.items():
        path = lake.root / "pairs" / f"{FILES[name]}-{run}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=ROW_GROUP,
                       compression="zstd")
        out[name] = str(path.relative_to(lake.root))
    return out


def stored_files(manifest: dict[str, Any]) -> dict[str, str] | None:
    """The stored files of a manifest whose pair table is current and has them, else None."""
    from pvsignal.prepare.views import is_current

    entry, prepared = manifest.get("pair_table") or {}, manifest.get("prepared") or {}
    files = entry.get("files") or {}
    current = is_current(manifest) and entry.get("prepared_run_id") == prepared.get("run_id")
    complete = set(COUNT_FILES) <= set(files) <= set(FILES)
    return files if current and complete and entry.get("definition") == CaseDefinition().to_dict() else None


def paths(root: Path, files: dict[str, str]) -> dict[str, Path]:
    """The stored files (as :func:`stored_files` names them) as paths."""
    return {name: root / rel for name, rel in files.items()}


def read(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """Every stored count table (``pairs`` of every pair, margins): the input of :func:`updated`."""
    out = _read_margins(files)
    out["pairs"] = pq.read_table(files["quarter_pairs"]).to_pandas()
    return out


def _read_margins(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    t = pq.read_table(files["quarter_margins"]).to_pandas()
    out = {}
    for m in MARGINS:
        part = t[t["margin"] == m].reset_index(drop=True)
        out[m] = part[["quarter", "n"]] if not KEYS[m] else part.rename(columns={"name": KEYS[m][0]})[[*KEYS[m], "quarter", "n"]]
    return out


def _read_fits(files: dict[str, Path]) -> Fits:
    t = pq.read_table(files["slice_priors"]).to_pandas()
    fits: Fits = {}
    for row in t.to_dict(orient="records"):  # one per slice (≈ 2 × quarters), never per pair
        key = (row["first"], row["last"])
        fits[key] = str(row["error"]) if not pd.isna(row["error"]) else {
            **{k: float(row[k]) for k in PRIOR_KEYS}, "pairs": int(row["pairs"]), "converged": bool(row["converged"])}
    return fits


def for_drug(files: dict[str, Path], drug: str) -> tuple[dict[str, pd.DataFrame], Fits, Callable[[], pd.DataFrame]]:
    """What :func:`~pvsignal.analysis.trends.signals_over_time` takes to score ``drug`` from the
    store: the counts (``pairs`` of that drug only, every margin), the slice priors, and a
    function reading every pair (needed only for a prior not stored, e.g. a split's)."""
    cnt = _read_margins(files)
    cnt["pairs"] = pq.read_table(files["quarter_pairs"], filters=[("drug", "=", drug)]).to_pandas()
    stored = _read_fits(files) if "slice_priors" in files else {}
    return cnt, stored, lambda: pq.read_table(files["quarter_pairs"]).to_pandas()


def fits(files: dict[str, Path]) -> Fits:
    """The slice priors of the stored counts: stored, or fitted now from every pair (≈ 0.2 s a slice at 20 M)."""
    return _read_fits(files) if "slice_priors" in files else slice_fits(read(files))


def sampled(files: dict[str, Path], cnt: dict[str, pd.DataFrame], k: int) -> dict[str, pd.DataFrame]:
    """``cnt`` with ``prior_pairs``: the stored pairs of every ``k``-th event by report count, as
    :func:`quarter_counts` gives them with ``prior_sample=k``."""
    from pvsignal.analysis.trend_counts import sampled_events

    chosen = sampled_events(cnt["events"], k)
    t = pq.read_table(files["quarter_pairs"], filters=[("event", "in", chosen)]).to_pandas()
    return {**cnt, "prior_pairs": t.sort_values(["drug", "event", "quarter"]).reset_index(drop=True)}


def after_update(lake: Lake, kept: dict[str, Path], delta: dict[str, Path],
                 prepared: dict[str, str]) -> dict[str, pd.DataFrame]:
    """The counts after an update: the kept ones (``kept``: the previous build's files) brought
    up to date by ``delta`` (:func:`updated`), or, when the previous pair table had none,
    counted from the new prepared files (``prepared``: name → file relative to the lake)."""
    if all(name in kept for name in COUNT_FILES):
        return updated(read(kept), delta)
    return count(lake.root / prepared["case_drugs"], lake.root / prepared["case_reactions"])
