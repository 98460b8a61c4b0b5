"""The persisted all-pair table: every drug–event pair of the default case definition, scored.

Written when a lake is prepared (and brought up to date by ``pvsignal update``) at
``LAKE/pairs/scored-<run>.parquet``: one row per (suspect ingredient, PT) pair with
n ≥ 1 under the default :class:`~pvsignal.analysis.population.CaseDefinition` (roles PS
and SS, every quarter, probable duplicates kept), with the 2×2 cells ``a, b, c, d`` (so
the margins n_drug = a + b, n_event = a + c, N = a + b + c + d) and every column
:func:`~pvsignal.analysis.signals.signals` gives (ROR, PRR, χ², IC/IC025, EBGM/EB05/EB95,
flags), scored by the same :func:`~pvsignal.analysis.signals.score_counts` with the MGPS
prior fitted on all pairs. Rows are sorted by drug, event in row groups of
:data:`ROW_GROUP` rows, so reading one drug touches a few row groups (Parquet min/max
statistics). The manifest's ``pair_table`` entry names the file and the prepared build it
was computed from; :func:`scored_pairs` reads it.

'pvsignal update`` adds a new quarter without recounting: the counts by quarter stored
beside the table (:mod:`pvsignal.analysis.trend_store`) become old counts − the touched
cases' old contributions + their new ones (counts are sums over cases, so they add), the
table's counts are their totals, and every pair is rescored (the prior is refitted on the
new table).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pvsignal.analysis import trend_store
from pvsignal.analysis.counts import execute, pair_counts_from_sets
from pvsignal.analysis.population import CaseDefinition, case_population
from pvsignal.analysis.signals import SignalConfig, match_names, score_counts
from pvsignal.errors import LakeError
from pvsignal.store.lake import Lake, new_id

PAIR_DIR = "pairs"
ROW_GROUP = 8192
#: count-table columns (:data:`pvsignal.analysis.counts.PAIR_COLUMNS`) in the stored order
COUNT_COLUMNS = ["drug", "event", "n", "n_drug", "n_event", "n_total", "a", "b", "c", "d", "expected"]


def _config(**changes: Any) -> SignalConfig:
    """The default signal configuration, every pair kept (``min_count`` 1)."""
    return SignalConfig(case_definition=CaseDefinition().to_dict(), min_count=1, **changes)


def _pair_counts(con: duckdb.DuckDBPyConnection):
    """The count expression of the default definition over ``case_drugs`` and ``case_reactions``
    (no case filter: ``cases`` is not read)."""
    pop = case_population(con, CaseDefinition(), whole_lake=True)
    return pair_counts_from_sets(pop.drugs, pop.events(), min_count=1)


def count_lake(lake: str | Path) -> pd.DataFrame:
    """Counts of every pair of the default definition, as ``signals`` makes them, from the
    lake's prepared files (the staged ones inside a write, so a build and its pair table
    commit together)."""
    from pvsignal.prepare.views import prepared_files

    files = prepared_files(Lake(Path(lake)))
    return _subset_counts(files["case_drugs"], files["case_reactions"], sort=True)


def _subset_counts(drugs_file: Path, reactions_file: Path, *, sort: bool = False) -> pd.DataFrame:
    """Pair counts with margins of the cases in a ``case_drugs`` and a ``case_reactions`` file."""
    with trend_store.case_views(drugs_file, reactions_file) as con:
        return execute(_pair_counts(con), sort=sort)


def score(counts: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every pair of ``counts`` scored as ``signals`` scores them; rows sorted by drug, event."""
    counts = counts.sort_values(["drug", "event"]).reset_index(drop=True)
    table, meta = score_counts(counts, _config())
    return table.sort_values(["drug", "event"]).reset_index(drop=True), meta


def write_table(lake: Lake, table: pd.DataFrame, meta: dict[str, Any], prepared_run_id: str,
                files: dict[str, str] | None = None) -> dict[str, Any]:
    """Write ``table`` under ``LAKE/pairs/`` (row groups by drug); the manifest entry (not committed),
    listing ``files`` (the stored counts by quarter, :func:`pvsignal.analysis.trend_store.write`)."""
    path = lake.root / PAIR_DIR / f"scored-{new_id()}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    pq.write_table(arrow, path, row_group_size=ROW_GROUP, compression="zstd")
    return {"file": str(path.relative_to(lake.root)), "prepared_run_id": prepared_run_id, "pairs": len(table),
            "definition": CaseDefinition().to_dict(), **meta, **({"files": files} if files else {})}


def is_current(manifest: dict[str, Any]) -> bool:
    """Whether the manifest's pair table was computed from its current prepared build."""
    from pvsignal.prepare.views import is_current as prepared_current

    entry, prepared = manifest.get("pair_table"), manifest.get("prepared")
    return bool(entry and prepared_current(manifest) and entry.get("prepared_run_id") == prepared.get("run_id"))


def write_pair_table(lake_dir: str | Path, *, wait: bool = False) -> dict[str, Any]:
    """Count every pair of the prepared lake by quarter (:mod:`pvsignal.analysis.trend_store`),
    score the totals, write the table and the counts by quarter and commit their entry."""
    from pvsignal.prepare.views import prepared_files
    from pvsignal.store.lock import lake_lock

    lake = Lake(Path(lake_dir))
    with lake_lock(lake.root, "pair table", wait=wait):
        files = prepared_files(lake)
        by_quarter = trend_store.count(files["case_drugs"], files["case_reactions"])
        table, meta = score(trend_store.totals(by_quarter))
        manifest = lake.manifest()
        manifest["pair_table"] = write_table(lake, table, meta, manifest["prepared"]["run_id"],
                                             trend_store.write(lake, by_quarter))
        lake.write_manifest(manifest)  # the commit at the lock's release sweeps the replaced table
    return manifest["pair_table"]


def _path(lake: Lake) -> Path:
    manifest = lake.require()
    if not is_current(manifest):
        write_pair_table(lake.root)
        manifest = lake.manifest()
    return lake.root / manifest["pair_table"]["file"]


def read_pairs(lake: str | Path, drugs: list[str] | None = None) -> pd.DataFrame:
    """Stored pairs (all, or of ``drugs``: exact upper-case ingredient names), sorted by drug, event."""
    filters = [("drug", "in", drugs)] if drugs else None
    return pq.read_table(_path(Lake(Path(lake))), filters=filters).to_pandas()


def scored_pairs(lake: str | Path, drug: str | list[str] | None = None, *, min_count: int = 3) -> pd.DataFrame:
    """What ``signals(lake, drug=drug)`` returns for the default definition, from the stored table.

    ``drug``: names (case-insensitive; comma-separated allowed) as ``signals`` takes them; an
    unknown name raises the same error. Pairs with n ≥ ``min_count``, sorted by ROR (then n,
    drug, event) as ``signals`` sorts them. The table is written first if missing or stale.
    """
    cfg = _config()
    wanted = None
    if drug is not None:
        wanted = [d.strip().upper() for d in ([drug] if isinstance(drug, str) else drug) for d in d.split(",")]
        wanted = [w for w in wanted if w]
    t = read_pairs(lake, wanted)
    if wanted and set(wanted) - set(t["drug"]):  # the wording and suggestions of signals
        known = pq.read_table(_path(Lake(Path(lake))), columns=["drug"])["drug"].unique().to_pandas()
        match_names(pd.Series(known, dtype=str), wanted, "drug")
    t = t[t["n"] >= min_count]
    for c in t.columns[t.dtypes == object]:  # Parquet gives None where the scores held NaN
        t[c] = t[c].where(t[c].notna(), np.nan)
    t = t.sort_values([cfg.sort_by, "n", "drug", "event"], ascending=[False, False, True, True], na_position="last")
    return t.reset_index(drop=True)


def stored_meta(lake: str | Path) -> dict[str, Any]:
    """The manifest entry of the pair table (file, prepared build, MGPS prior), or a LakeError."""
    entry = Lake(Path(lake)).manifest().get("pair_table")
    if not entry:
        raise LakeError(f"{lake} has no pair table: run `pvsignal prepare --lake {lake}`")
    return entry
