"""What a lake holds: quarters, rows per table, rejects, and the deduplication tally."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from pvsignal.prepare.build import build
from pvsignal.store.lake import Lake
from pvsignal.sources.faers.schema import TABLES


def lake_status(lake_dir: str | Path) -> dict[str, Any]:
    """Summary of a lake (builds the prepared tables first when they are stale).

    Keys: ``quarters`` (list), ``reports`` (DEMO rows landed), ``cases`` (after
    deduplication), ``removed_old_versions``, ``removed_deleted``,
    ``probable_duplicates``, ``rows`` (table → rows landed), ``rejects`` (table →
    lines rejected), ``issues`` (table → action → count, every line that did not land
    exactly as written), ``deleted_caseids`` (listed on Deleted files), ``drugs``.
    """
    lake = Lake(Path(lake_dir))
    manifest = lake.require()
    if not manifest.get("prepared") or manifest["prepared"].get("quarters") != sorted(manifest["quarters"]):
        build(lake_dir)
        manifest = lake.manifest()
    rows: dict[str, int] = defaultdict(int)
    rejects: dict[str, int] = defaultdict(int)
    issues: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    deleted = 0
    per_quarter = {}
    for q, entry in sorted(manifest["quarters"].items()):
        for t, n in entry["rows"].items():
            rows[t] += n
        for t, acts in entry["issues"].items():
            for a, n in acts.items():
                issues[t][a] += n
                if a == "rejected":
                    rejects[t] += n
        deleted += entry.get("deleted", 0)
        per_quarter[q] = {"era": entry["era"], "source": entry["source"], "rows": entry["rows"], "ingested_at": entry["ingested_at"]}
    for t in (*TABLES, "deleted"):
        rejects.setdefault(t, 0)
    tally = manifest["prepared"]["tally"]
    return {
        "lake": str(lake.root),
        "quarters": sorted(manifest["quarters"]),
        "reports": tally["reports"],
        "cases": tally["cases"],
        "removed_old_versions": tally["removed_old_versions"],
        "removed_deleted": tally["removed_deleted"],
        "probable_duplicates": tally["probable_duplicates"],
        "cases_in_both_eras": tally["cases_in_both_eras"],
        "deleted_caseids": deleted,
        "rows": dict(rows),
        "rejects": dict(rejects),
        "issues": {t: dict(a) for t, a in issues.items() if a},
        "drugs": {
            "rows_by_ingredient_source": tally["drug_rows_by_ingredient_source"],
            "unmapped_drug_names": tally["unmapped_drug_names"],
        },
        "per_quarter": per_quarter,
        "synthetic": any(e.get("synthetic") for e in manifest["quarters"].values()),
        "deduplication": manifest["prepared"]["parameters"],
    }
