"""Build the prepared (deduplicated, normalised) tables of a lake and open them.

:func:`build` runs deduplication (:mod:`~pvsignal.prepare.dedup`) and drug
normalisation (:mod:`~pvsignal.prepare.drugs`) once, writes the results as Parquet
under ``LAKE/prepared/`` and records them, with the deduplication tally and the
parameters used, in the manifest. :func:`connect` returns a DuckDB connection with
the views listed in :data:`pvsignal.store.schema.PREPARED_VIEWS`; :func:`open_prepared`
an :class:`~pvsignal.store.engine.Engine` (DuckDB or Spark) with the same views.
The same Ibis expressions run on either engine.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir

from pvsignal.prepare.dedup import latest_versions, probable_duplicates, without_deleted
from pvsignal.prepare.drugs import DEFAULT_SALTS, ingredient_map, load_synonyms
from pvsignal.store.engine import (
    DEFAULT_ENGINE,
    DEFAULT_SPARK_MASTER,
    Engine,
    default_memory_limit,
    open_engine,
    register_prepared,
    register_raw,
)
from pvsignal.store.lake import Lake, new_id, sql_list
from pvsignal.store.schema import PREPARED_VIEWS

AGE_FACTORS = {"DEC": 10.0, "YR": 1.0, "YEAR": 1.0, "MON": 1 / 12, "WK": 1 / 52, "WEEK": 1 / 52,
               "DY": 1 / 365, "DAY": 1 / 365, "HR": 1 / 8760, "HOUR": 1 / 8760}
WT_FACTORS = {"KG": 1.0, "LBS": 0.45359237, "GMS": 0.001}
MAX_AGE_YEARS = 120.0

log = logging.getLogger("pvsignal.prepare")


def _factor(code: ir.StringValue, table: dict[str, float]) -> ir.FloatingValue:
    return ibis.cases(*((code == k, v) for k, v in table.items()), else_=ibis.null("float64"))


def _with_derived(cases: ir.Table) -> ir.Table:
    """Add ``age_years`` (FACTS.md §1.3 units; DEC ×10), ``wt_kg`` and ``receipt_year``."""
    age_years = cases.age * _factor(cases.age_cod, AGE_FACTORS)
    age_years = ((age_years >= 0) & (age_years <= MAX_AGE_YEARS)).ifelse(age_years, ibis.null("float64"))
    return cases.mutate(
        age_years=age_years,
        wt_kg=cases.wt * _factor(cases.wt_cod, WT_FACTORS),
        receipt_year=cases.init_fda_dt.coalesce(cases.fda_dt).year().cast("int64"),  # int64 on every engine
    )


def _keyed(table: ir.Table, keys: ir.Table) -> ir.Table:
    """Rows of a report table belonging to the kept (quarter, primaryid), with the caseid."""
    return table.drop("caseid").join(keys, ["quarter", "primaryid"])


#: DEMO columns the choice of the kept version needs (:func:`~pvsignal.prepare.dedup.latest_versions`).
_KEY_COLUMNS = ("quarter", "primaryid", "caseid", "era", "fda_dt")


class _Clock:
    """Logs the seconds each build step took (``pvsignal.prepare`` logger, INFO)."""

    def __init__(self) -> None:
        self.t = time.perf_counter()

    def __call__(self, step: str) -> None:
        now = time.perf_counter()
        log.info("prepare: %s %.1f s", step, now - self.t)
        self.t = now


def _open(engine: str | Engine, spark_master: str) -> tuple[Engine, bool]:
    if isinstance(engine, Engine):
        return engine, False
    return open_engine(engine, spark_master=spark_master), True


def build(
    lake_dir: str | Path,
    *,
    synonyms: list[str | Path] | None = None,
    strip_salts: bool = True,
    engine: str | Engine = DEFAULT_ENGINE,
    spark_master: str = DEFAULT_SPARK_MASTER,
) -> dict[str, Any]:
    """Deduplicate and normalise the lake; write the prepared tables; return the tally.

    Synonym tables: the shipped one, every ``LAKE/synonyms/*.csv`` (e.g. written by
    ``pvsignal drugs build-map --lake``), then ``synonyms`` (later ones win).
    ``engine`` is ``duckdb`` (default), ``spark`` (a session on ``spark_master`` is
    started and stopped) or an open :class:`~pvsignal.store.engine.Engine` (left
    open); every engine runs the same Ibis expressions and writes the same tables.
    """
    lake = Lake(Path(lake_dir))
    manifest = lake.require()
    synonyms = [*sorted((lake.root / "synonyms").glob("*.csv")), *(synonyms or [])]
    syn_frame = load_synonyms(synonyms)  # bad synonym files fail before an engine starts
    run_id = new_id()
    eng, owned = _open(engine, spark_master)
    try:
        scratch = lake.scratch(run_id)
        if eng.name == "duckdb" and owned:  # spill inside the lake, never into the working folder
            eng.backend.raw_sql(f"SET temp_directory = '{str(scratch).replace(chr(39), chr(39) * 2)}'")
        files, tally = _build(eng, lake, run_id, scratch, syn_frame, strip_salts)
    finally:
        if owned:
            eng.close()
    manifest["prepared"] = {
        "run_id": run_id,
        "files": files,
        "tally": tally,
        "parameters": {
            "deduplication": "drop deleted caseids; per caseid keep FAERS over AERS, then latest fda_dt, then largest primaryid",
            "probable_duplicates": "flagged: same event_dt, age, sex, reporter_country, ingredient set and PT set; or same mfr_num and mfr_sndr",
            "strip_salts": strip_salts,
            "synonym_files": [str(p) for p in synonyms],
        },
        "quarters": sorted(manifest["quarters"]),
    }
    lake.write_manifest(manifest)
    lake.sweep()
    return tally


def _build(
    eng: Engine, lake: Lake, run_id: str, scratch: Path, syn_frame, strip_salts: bool
) -> tuple[dict[str, str], dict[str, Any]]:
    """The prepared tables of ``lake`` written by ``eng``: (manifest file map, tally).

    Only narrow tables are held by the engine (the kept report keys, the ingredient map,
    the duplicate flags); every wide table streams from the raw Parquet into its prepared
    file, and the probable-duplicate pass reads the drug and reaction files just written.
    Nothing grows with the lake beyond the keys (≈ 17 M rows at full FAERS scale), so a
    20 M-report lake is prepared without spilling.
    """
    clock = _Clock()
    raw = register_raw(eng, lake, ("demo", "drug", "reac", "outc", "rpsr", "ther", "indi", "deleted"))
    if "deleted" not in raw:  # an older lake without the deleted table: nothing deleted
        raw["deleted"] = ibis.memtable({"caseid": []}, schema={"caseid": "int64"})

    salts = DEFAULT_SALTS if strip_salts else None
    demo = raw["demo"]
    kept_demo = without_deleted(demo, raw["deleted"])
    keys = eng.stage("latest_keys", latest_versions(kept_demo.select(*_KEY_COLUMNS)).select(
        "quarter", "primaryid", "caseid"), scratch=scratch)
    clock("kept report keys")

    syn = ibis.memtable(syn_frame)
    imap = eng.stage("imap", ingredient_map(raw["drug"], syn, salts=salts), scratch=scratch)
    clock("ingredient map")

    files: dict[str, str] = {}

    def write(name: str, expr: ir.Table) -> ir.Table:
        path = lake.root / "prepared" / f"{name}-{run_id}.parquet"
        eng.write_parquet(expr, path, scratch=scratch)
        files[name] = str(path.relative_to(lake.root))
        clock(name)
        return eng.read_parquet(f"_prepared_{name}", [path])

    drug = _keyed(raw["drug"], keys)
    drugs = drug.left_join(imap, (drug.drugname.identical_to(imap.drugname)) & (drug.prod_ai.identical_to(imap.prod_ai)))
    case_drugs = write("case_drugs", drugs.select(
        "caseid", "primaryid", "quarter", "drug_seq", "role_cod", "drugname", "prod_ai",
        "ingredient", ingredient_source=drugs.ingredient_source.coalesce("missing"),
        route="route", dechal="dechal", rechal="rechal", dose_vbm="dose_vbm",
    ))
    reac = _keyed(raw["reac"], keys)
    case_reactions = write("case_reactions", reac.select("caseid", "primaryid", pt=reac.pt.strip().upper(), drug_rec_act="drug_rec_act"))
    write("case_ther", _keyed(raw["ther"], keys).select("caseid", "primaryid", "dsg_drug_seq", "start_dt", "start_dt_prec", "end_dt", "end_dt_prec", "dur", "dur_cod"))
    write("case_indi", _keyed(raw["indi"], keys).select("caseid", "primaryid", "indi_drug_seq", "indi_pt"))
    write("case_outc", _keyed(raw["outc"], keys).select("caseid", "primaryid", "outc_cod"))
    write("case_rpsr", _keyed(raw["rpsr"], keys).select("caseid", "primaryid", "rpsr_cod"))

    latest = _keyed(demo, keys)
    latest = latest.select(*demo.columns)  # the raw column order, caseid from the keys
    dups = eng.stage("duplicate_flags", probable_duplicates(latest, case_drugs, case_reactions), scratch=scratch)
    clock("probable duplicates")
    written = write("cases", _with_derived(latest).join(dups, "caseid"))

    counts = ibis.memtable({"k": [0]}).select(
        reports=demo.count().as_scalar(),
        after_deleted=kept_demo.count().as_scalar(),
        cases=keys.count().as_scalar(),
        probable_duplicates=written.count(where=written.probable_duplicate).as_scalar(),
    )
    n = eng.backend.execute(counts).iloc[0]
    faers = demo.filter(demo.era == "faers").select("caseid").distinct()
    aers = demo.filter(demo.era != "faers").select("caseid").distinct()
    eras = eng.backend.execute(faers.semi_join(aers, "caseid").count())
    by_src = case_drugs.group_by("ingredient_source").aggregate(n=case_drugs.count())
    src = eng.backend.execute(by_src)
    unmapped = case_drugs.filter(case_drugs.ingredient_source == "unmapped")
    unmapped_names = eng.backend.execute(unmapped.drugname.nunique())
    clock("tally")
    tally = {
        "reports": int(n["reports"]),
        "removed_deleted": int(n["reports"] - n["after_deleted"]),
        "removed_old_versions": int(n["after_deleted"] - n["cases"]),
        "cases": int(n["cases"]),
        "probable_duplicates": int(n["probable_duplicates"]),
        "cases_in_both_eras": int(eras),
        "drug_rows_by_ingredient_source": {str(k): int(v) for k, v in zip(src["ingredient_source"], src["n"])},
        "unmapped_drug_names": int(unmapped_names),
    }
    return files, tally


def connect(
    lake_dir: str | Path,
    *,
    drop_probable_duplicates: bool = False,
    database: str = ":memory:",
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the prepared views (built first if missing or stale).

    With ``drop_probable_duplicates`` every view leaves out the flagged cases.
    """
    lake = Lake(Path(lake_dir))
    manifest = lake.require()
    prepared = manifest.get("prepared")
    if not prepared or prepared.get("quarters") != sorted(manifest["quarters"]):
        build(lake_dir)
        prepared = lake.manifest()["prepared"]
    con = duckdb.connect(database, config={"memory_limit": default_memory_limit()})
    for name in PREPARED_VIEWS:
        path = str(lake.root / prepared["files"][name])
        sel = f"SELECT * FROM read_parquet({sql_list([path])})"
        if drop_probable_duplicates:
            if name == "cases":
                sel += " WHERE NOT probable_duplicate"
            else:
                cases_path = sql_list([str(lake.root / prepared["files"]["cases"])])
                sel += f" WHERE caseid IN (SELECT caseid FROM read_parquet({cases_path}) WHERE NOT probable_duplicate)"
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sel}")
    return con


def open_prepared(
    lake_dir: str | Path,
    *,
    engine: str | Engine = DEFAULT_ENGINE,
    spark_master: str = DEFAULT_SPARK_MASTER,
    drop_probable_duplicates: bool = False,
) -> Engine:
    """An :class:`~pvsignal.store.engine.Engine` with the prepared views registered.

    The tables are built first (on the same engine) when missing or stale. The caller
    closes the returned engine (``with open_prepared(lake, engine='spark') as eng:``);
    an engine passed in is returned as it is, with the views added.
    """
    lake = Lake(Path(lake_dir))
    manifest = lake.require()
    prepared = manifest.get("prepared")
    eng, owned = _open(engine, spark_master)
    try:
        if not prepared or prepared.get("quarters") != sorted(manifest["quarters"]):
            build(lake_dir, engine=eng)
        register_prepared(eng, lake, drop_probable_duplicates=drop_probable_duplicates)
    except BaseException:
        if owned:
            eng.close()
        raise
    return eng


def tally(lake_dir: str | Path) -> dict[str, Any] | None:
    """The deduplication tally recorded by the last :func:`build`, if any."""
    prepared = Lake(Path(lake_dir)).manifest().get("prepared")
    return prepared["tally"] if prepared else None
