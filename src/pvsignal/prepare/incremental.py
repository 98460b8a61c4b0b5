"""Bring the prepared tables up to date after new quarters, recomputing only the cases they touch.

A new quarter changes the deduplicated lake only through its **touched cases**: the
caseids of its DEMO rows (new cases and follow-up versions of earlier ones) and of its
deleted-case list. Every other case keeps its kept version, its case-table rows and (see
below) its probable-duplicate flag. :func:`update_prepared` therefore writes, for each
prepared table, the old rows of the untouched cases plus the rows of the touched cases
recomputed from the raw lake with the same expressions a full build uses
(:func:`~pvsignal.prepare.dedup.latest_versions`, :func:`~pvsignal.prepare.views.case_tables`).
The result equals a full :func:`~pvsignal.prepare.build.build` (tested table by table).

* **Ingredient map** — rebuilt in full (distinct drug names only: ≈ 1 s at 20 M reports).
  A name's ingredients depend only on the name and the synonym tables, so untouched rows
  keep their ingredient; a name's ``ingredient_source`` may turn from ``unmapped`` to
  ``name`` when a new quarter brings that ingredient in ``prod_ai``, and those rows are
  re-labelled. If any old name maps to other ingredients (the synonym tables changed),
  the update is refused (``None``): a full build is needed.
* **Probable duplicates** — a case's flag depends on its groups (same event date, age,
  sex, country, drug and PT sets; or same manufacturer number and sender). The groups a
  touched case belongs to, before or after, are recomputed in full (every case sharing
  their demographic key or manufacturer key, found in the raw DEMO rows); other groups are
  unchanged, so their cases keep their flags.

Nothing here commits: the caller writes the manifest (with the pair table,
:mod:`pvsignal.analysis.pair_store`) once both are ready.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from pvsignal.prepare.build import _KEY_COLUMNS, PreparedWriter, _Clock, build_tally, prepared_record
from pvsignal.prepare.dedup import latest_versions, probable_duplicates, without_deleted
from pvsignal.prepare.drugs import DEFAULT_SALTS, ingredient_map, load_synonyms
from pvsignal.prepare.views import PREPARED_FILES, RAW_SOURCES, case_rows, case_tables, is_current, latest_reports
from pvsignal.store.engine import Engine, open_engine, register_raw
from pvsignal.store.lake import Lake, new_id

log = logging.getLogger("pvsignal.prepare")

#: folder (inside the lake, outside what :meth:`Lake.sweep` cleans) holding the previous
#: build's files, hard-linked, while an update runs
KEEP_DIR = ".update"
DEMO_KEYS = ["event_dt", "age", "sex", "reporter_country"]
MFR_KEYS = ["mfr_num", "mfr_sndr"]
#: the touched cases' rows, before and after, of the tables the pair counts read
DELTA_TABLES = ("case_drugs", "case_reactions")


@dataclass
class Kept:
    """The previous build's files, hard-linked under ``folder`` (they survive the ingest's sweep)."""

    folder: Path
    files: dict[str, Path]
    prepared: dict[str, Any]

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Updated:
    """An incremental build, not yet committed: the manifest's ``prepared`` entry and where
    the touched cases' old and new rows of :data:`DELTA_TABLES` are (``old_<t>``, ``new_<t>``)."""

    record: dict[str, Any]
    delta: dict[str, Path]
    touched: int


def discard_leftovers(lake: Lake) -> None:
    """Remove what an interrupted update left (its kept links)."""
    shutil.rmtree(lake.root / KEEP_DIR, ignore_errors=True)


def keep_prepared(lake: Lake, extra: dict[str, Path] | None = None) -> Kept | None:
    """Hard-link the current build's files (and ``extra`` files) aside; ``None`` without a current build."""
    manifest = lake.manifest()
    if not manifest.get("quarters") or not is_current(manifest):
        return None
    folder = lake.root / KEEP_DIR / new_id()
    folder.mkdir(parents=True)
    files = {}
    sources = {name: lake.root / rel for name, rel in manifest["prepared"]["files"].items()}
    for name, src in {**sources, **(extra or {})}.items():
        files[name] = folder / f"{name}.parquet"
        try:
            os.link(src, files[name])
        except OSError:  # a file system without hard links: a copy
            shutil.copyfile(src, files[name])
    return Kept(folder, files, manifest["prepared"])


def _duckdb(lake: Lake, scratch: Path) -> Engine:
    eng = open_engine("duckdb")
    eng.backend.raw_sql(f"SET temp_directory = '{str(scratch).replace(chr(39), chr(39) * 2)}'")
    eng.backend.raw_sql("SET preserve_insertion_order = false")  # row order carries no meaning
    return eng


def update_prepared(lake: Lake, kept: Kept, new_quarters: list[str]) -> Updated | None:
    """The prepared tables of ``lake`` (new quarters already ingested) from ``kept``, the build
    before them; ``None`` when only a full build can give the right result (synonyms changed)."""
    params = kept.prepared["parameters"]
    synonyms = [*sorted((lake.root / "synonyms").glob("*.csv"))]
    if [str(p) for p in synonyms] != params.get("synonym_files"):
        return None
    syn_frame = load_synonyms(synonyms)
    run_id = new_id()
    scratch = lake.scratch(run_id)
    eng = _duckdb(lake, scratch)
    try:
        return _update(eng, lake, kept, new_quarters, run_id, scratch, syn_frame, params["strip_salts"])
    finally:
        eng.close()


def _update(eng: Engine, lake: Lake, kept: Kept, new_quarters: list[str], run_id: str, scratch: Path,
            syn_frame: pd.DataFrame, strip_salts: bool) -> Updated | None:
    clock = _Clock()
    stage = lambda name, e: eng.stage(name, e, scratch=scratch)  # noqa: E731
    raw = register_raw(eng, lake, (*RAW_SOURCES, "deleted"))
    if "deleted" not in raw:
        raw["deleted"] = ibis.memtable({"caseid": []}, schema={"caseid": "int64"})
    old = {name: eng.read_parquet(f"_old_{name}", [path]) for name, path in kept.files.items()}
    new_ids = [eng.read_parquet(f"_new_{t}", files).select("caseid")
               for t in ("demo", "deleted") if (files := lake.files(t, new_quarters))]
    touched = stage("touched", new_ids[0].union(*new_ids[1:]).distinct())
    demo = raw["demo"]
    keys_t = stage("keys_touched", latest_versions(
        without_deleted(demo.semi_join(touched, "caseid"), raw["deleted"]).select(*_KEY_COLUMNS)
    ).select("quarter", "primaryid", "caseid"))
    keys = stage("latest_keys", old["keys"].anti_join(touched, "caseid").select("quarter", "primaryid", "caseid")
                 .union(keys_t))
    clock("touched cases and their kept versions")

    write = PreparedWriter(eng, lake, run_id, scratch, clock)
    files = write.files
    imap = write("ingredient_map", ingredient_map(raw["drug"], ibis.memtable(syn_frame),
                                                  salts=DEFAULT_SALTS if strip_salts else None))
    relabel = _relabelled(eng.backend.execute(old["ingredient_map"]), eng.backend.execute(imap))
    if relabel is None:
        return None
    quarters_t = eng.backend.execute(keys_t.select("quarter").distinct())["quarter"].tolist()
    raw_t = {t: (eng.read_parquet(f"_touched_{t}", fs) if (fs := lake.files(t, quarters_t)) else raw[t])
             for t in RAW_SOURCES}
    delta: dict[str, Path] = {}
    written = {}
    for name, expr in case_tables(raw_t, keys_t, imap).items():
        rows_t = stage(f"{name}_touched", expr)
        rest = old[name].anti_join(touched, "caseid")
        if name == "case_drugs" and len(relabel):
            rest = _with_sources(rest, ibis.memtable(relabel))
        if name in DELTA_TABLES:
            for side, e in (("old", old[name].semi_join(touched, "caseid")), ("new", rows_t)):
                delta[f"{side}_{name}"] = kept.folder / f"{side}_{name}.parquet"
                eng.write_parquet(e, delta[f"{side}_{name}"], scratch=scratch)
        written[name] = write(name, rest.union(rows_t))
    flags = _duplicate_flags(eng, stage, demo, old["keys"], keys, keys_t, touched,
                             written["case_drugs"], written["case_reactions"])
    keys_out = write("keys", flags)
    write("cases", case_rows(demo, keys_out))  # every case: the flags of untouched ones may have changed
    tally = build_tally(eng, demo, without_deleted(demo, raw["deleted"]), keys_out, written["case_drugs"])
    clock("tally")
    n_touched = int(eng.backend.execute(touched.count()))
    record = prepared_record(run_id, files, tally, strip_salts, kept.prepared["parameters"]["synonym_files"],
                             lake.manifest()["quarters"])
    record["update"] = {"quarters": sorted(new_quarters), "touched_cases": n_touched,
                        "from_run_id": kept.prepared["run_id"]}
    assert set(files) == set(PREPARED_FILES)
    return Updated(record, delta, n_touched)


def _relabelled(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame | None:
    """Map rows of names the old map had whose ``ingredient_source`` changed (``drugname,
    prod_ai, ingredient, new_source``); ``None`` if an old name's ingredients changed."""
    names = ["drugname", "prod_ai"]
    triple = [*names, "ingredient"]
    new_old_names = new.merge(old[names].drop_duplicates(), on=names)
    a = old[triple].drop_duplicates().sort_values(triple, na_position="first").reset_index(drop=True)
    b = new_old_names[triple].drop_duplicates().sort_values(triple, na_position="first").reset_index(drop=True)
    if not a.equals(b):
        return None
    m = new_old_names.drop_duplicates().merge(old.drop_duplicates(), on=triple, suffixes=("", "_old"))
    m = m[m["ingredient_source"] != m["ingredient_source_old"]]
    return m[[*triple, "ingredient_source"]].rename(columns={"ingredient_source": "new_source"}).drop_duplicates()


def _with_sources(drugs: ir.Table, relabel: ir.Table) -> ir.Table:
    """``case_drugs`` rows with ``ingredient_source`` replaced where ``relabel`` names it."""
    r = relabel.select(_dn="drugname", _pa="prod_ai", _ing="ingredient", _src="new_source")
    j = drugs.left_join(r, drugs.drugname.identical_to(r._dn) & drugs.prod_ai.identical_to(r._pa)
                        & drugs.ingredient.identical_to(r._ing))
    return j.select(*(j._src.coalesce(j.ingredient_source).name(c) if c == "ingredient_source" else j[c]
                      for c in drugs.columns))


def _duplicate_flags(eng: Engine, stage, demo: ir.Table, old_keys: ir.Table, keys: ir.Table, keys_t: ir.Table,
                     touched: ir.Table, drugs: ir.Table, reactions: ir.Table) -> ir.Table:
    """``keys`` with the probable-duplicate flags: recomputed for every case of a group a
    touched case was or is in (whole groups: all cases sharing their demographic or
    manufacturer key), kept from ``old_keys`` for every other case."""
    def with_key(cols: list[str], wanted: ir.Table) -> ir.Table:  # kept cases whose latest report has the key
        return latest_reports(demo.semi_join(wanted, cols), keys)

    def key_values(t: ir.Table, cols: list[str]) -> ir.Table:
        return t.filter([t[c].notnull() for c in cols]).select(*cols).distinct()

    before = latest_reports(demo, old_keys.semi_join(touched, "caseid").select("quarter", "primaryid", "caseid"))
    vals = stage("touched_values", before.union(latest_reports(demo, keys_t)).select(*DEMO_KEYS, *MFR_KEYS))
    hit = stage("groups_touched", with_key(DEMO_KEYS, key_values(vals, DEMO_KEYS))
                .union(with_key(MFR_KEYS, key_values(vals, MFR_KEYS)), distinct=True))
    whole = stage("groups_whole", with_key(DEMO_KEYS, key_values(hit, DEMO_KEYS))
                  .union(with_key(MFR_KEYS, key_values(hit, MFR_KEYS)), distinct=True))
    fresh = stage("flags_touched", probable_duplicates(whole, drugs, reactions, stage=stage)
                  .semi_join(hit.select("caseid"), "caseid"))
    # every case keeps its old row and flags, but the touched ones and those of the groups recomputed
    kept = old_keys.anti_join(touched, "caseid").anti_join(fresh, "caseid")
    redone = keys.semi_join(fresh.select("caseid").union(keys_t.select("caseid")), "caseid")
    j = redone.left_join(fresh, "caseid")
    redone = j.select("quarter", "primaryid", "caseid", probable_duplicate=j.probable_duplicate.coalesce(False),
                      duplicate_of=j.duplicate_of, duplicate_rule=j.duplicate_rule)
    return kept.select(*redone.columns).union(redone)
