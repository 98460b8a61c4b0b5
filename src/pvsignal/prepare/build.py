"""Build the prepared (deduplicated, normalised) tables of a lake and open them.

:func:`build` runs deduplication (:mod:`~pvsignal.prepare.dedup`) and drug
normalisation (:mod:`~pvsignal.prepare.drugs`) once and writes, as Parquet under
``LAKE/prepared/``, the kept-case keys with their duplicate flags, the ingredient map and
every case table (:mod:`~pvsignal.prepare.views`); the manifest records the files with the deduplication
tally and the parameters used. :func:`connect` returns a DuckDB connection with the
views; :func:`open_prepared` an :class:`~pvsignal.store.engine.Engine` (DuckDB or Spark)
with the same views. The same Ibis expressions run on either engine.
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
from pvsignal.prepare.drugs import DEFAULT_SALTS, dictionary_provenance, ingredient_map, load_synonyms
from pvsignal.prepare.views import (
    RAW_SOURCES,
    case_rows,
    case_tables,
    create_duckdb_views,
    is_current,
    latest_reports,
    register_prepared,
)
from pvsignal.store.engine import (
    DEFAULT_ENGINE,
    DEFAULT_SPARK_MASTER,
    Engine,
    default_memory_limit,
    open_engine,
    register_raw,
)
from pvsignal.store.lake import Lake, hold, new_id
from pvsignal.store.lock import lake_lock

log = logging.getLogger("pvsignal.prepare")


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


class PreparedWriter:
    """``write(name, expr)``: one prepared table of run ``run_id`` written to
    ``LAKE/prepared/<name>-<run_id>.parquet``, recorded in ``files`` (manifest paths) and
    read back as a table."""

    def __init__(self, eng: Engine, lake: Lake, run_id: str, scratch: Path, clock: _Clock) -> None:
        self.eng, self.lake, self.run_id, self.scratch, self.clock = eng, lake, run_id, scratch, clock
        self.files: dict[str, str] = {}

    def __call__(self, name: str, expr: ir.Table) -> ir.Table:
        path = self.lake.root / "prepared" / f"{name}-{self.run_id}.parquet"
        self.eng.write_parquet(expr, path, scratch=self.scratch)
        self.files[name] = str(path.relative_to(self.lake.root))
        self.clock(name)
        return self.eng.read_parquet(f"_prepared_{name}", [path])


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
    wait: bool = False,
) -> dict[str, Any]:
    """Deduplicate and normalise the lake; write the prepared tables; return the tally.

    Holds the lake's lock while it runs (:mod:`pvsignal.store.lock`: another writer →
    ``LakeBusy``, or with ``wait`` queue behind it).

    Synonym tables: the shipped one, every ``LAKE/synonyms/*.csv`` (e.g. written by
    ``pvsignal drugs build-map --lake``), then ``synonyms`` (later ones win).
    ``engine`` is ``duckdb`` (default), ``spark`` (a session on ``spark_master`` is
    started and stopped) or an open :class:`~pvsignal.store.engine.Engine` (left
    open); every engine runs the same Ibis expressions and writes the same tables.
    """
    lake = Lake(Path(lake_dir))
    lake.require()
    with lake_lock(lake.root, "prepare", wait=wait):
        return _build_locked(lake, synonyms, strip_salts, engine, spark_master)


def _build_locked(lake: Lake, synonyms, strip_salts: bool, engine, spark_master: str) -> dict[str, Any]:
    manifest = lake.require()
    synonyms = [*sorted((lake.root / "synonyms").glob("*.csv")), *(synonyms or [])]
    syn_frame = load_synonyms(synonyms)  # bad synonym files fail before an engine starts
    run_id = new_id()
    eng, owned = _open(engine, spark_master)
    try:
        scratch = lake.scratch(run_id)
        if eng.name == "duckdb" and owned:  # spill inside the lake, never into the working folder
            eng.backend.raw_sql(f"SET temp_directory = '{str(scratch).replace(chr(39), chr(39) * 2)}'")
        if eng.name == "duckdb":  # row order of the prepared files is not part of their meaning:
            # unordered writes run in parallel (measured: 24 % faster Parquet writes)
            eng.backend.raw_sql("SET preserve_insertion_order = false")
        try:
            files, tally = _build(eng, lake, run_id, scratch, syn_frame, strip_salts)
        finally:
            if eng.name == "duckdb":
                eng.backend.raw_sql("RESET preserve_insertion_order")
    finally:
        if owned:
            eng.close()
    manifest["prepared"] = prepared_record(run_id, files, tally, strip_salts, synonyms, manifest["quarters"])
    lake.write_manifest(manifest)  # committed when the lock is released
    return tally


def _build(
    eng: Engine, lake: Lake, run_id: str, scratch: Path, syn_frame, strip_salts: bool
) -> tuple[dict[str, str], dict[str, Any]]:
    """The prepared files of ``lake`` written by ``eng``: (manifest file map, tally).

    The engine holds only narrow tables (the kept report keys, the ingredient map, the
    duplicate candidates); the case tables stream from the raw Parquet into their files,
    and the duplicate pass reads the drug and reaction files back.
    """
    clock = _Clock()
    raw = register_raw(eng, lake, (*RAW_SOURCES, "deleted"))
    if "deleted" not in raw:  # an older lake without the deleted table: nothing deleted
        raw["deleted"] = ibis.memtable({"caseid": []}, schema={"caseid": "int64"})

    demo = raw["demo"]
    kept_demo = without_deleted(demo, raw["deleted"])
    keys = eng.stage("latest_keys", latest_versions(kept_demo.select(*_KEY_COLUMNS)).select(
        "quarter", "primaryid", "caseid"), scratch=scratch)
    clock("kept report keys")

    write = PreparedWriter(eng, lake, run_id, scratch, clock)
    files = write.files
    imap = write("ingredient_map", ingredient_map(raw["drug"], ibis.memtable(syn_frame),
                                                  salts=DEFAULT_SALTS if strip_salts else None))
    written_tables = {name: write(name, expr) for name, expr in case_tables(raw, keys, imap).items()}
    drugs, reactions = written_tables["case_drugs"], written_tables["case_reactions"]
    flags = probable_duplicates(latest_reports(demo, keys), drugs, reactions,
                                stage=lambda name, e: eng.stage(name, e, scratch=scratch))
    written = write("keys", keys.join(flags, "caseid"))
    write("cases", case_rows(demo, written))

    tally = build_tally(eng, demo, kept_demo, written, drugs)
    clock("tally")
    return files, tally


def prepared_record(run_id: str, files: dict[str, str], tally: dict[str, Any], strip_salts: bool,
                    synonyms: list, quarters) -> dict[str, Any]:
    """The manifest's ``prepared`` entry of a build (full or incremental)."""
    return {
        "run_id": run_id,
        "files": files,
        "tally": tally,
        "parameters": {
            "deduplication": "drop deleted caseids; per caseid keep FAERS over AERS, then latest fda_dt, then largest primaryid",
            "probable_duplicates": "flagged: same event_dt, age, sex, reporter_country, ingredient set and PT set; or same mfr_num and mfr_sndr",
            "strip_salts": strip_salts,
            "synonym_files": [str(p) for p in synonyms],
            "drug_dictionary": dictionary_provenance(),
        },
        "quarters": sorted(quarters),
    }


def build_tally(eng: Engine, demo: ir.Table, kept_demo: ir.Table, written: ir.Table, drugs: ir.Table) -> dict[str, Any]:
    """The deduplication tally: raw DEMO rows, the kept-case ``keys`` and ``case_drugs`` as written."""
    counts = ibis.memtable({"k": [0]}).select(
        reports=demo.count().as_scalar(),
        after_deleted=kept_demo.count().as_scalar(),
        cases=written.count().as_scalar(),
        probable_duplicates=written.count(where=written.probable_duplicate).as_scalar(),
    )
    n = eng.backend.execute(counts).iloc[0]
    faers = demo.filter(demo.era == "faers").select("caseid").distinct()
    aers = demo.filter(demo.era != "faers").select("caseid").distinct()
    eras = eng.backend.execute(faers.semi_join(aers, "caseid").count())
    src = eng.backend.execute(drugs.group_by("ingredient_source").aggregate(n=drugs.count()))
    unmapped = drugs.filter(drugs.ingredient_source == "unmapped")
    unmapped_names = eng.backend.execute(unmapped.drugname.nunique())
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
    return tally


def connect(
    lake_dir: str | Path,
    *,
    drop_probable_duplicates: bool = False,
    database: str = ":memory:",
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the prepared views (built first if missing or stale).

    With ``drop_probable_duplicates`` every view leaves out the flagged cases. The
    connection reads the state the lake had when it was opened, as long as it lives
    (a reader lease keeps its files: :mod:`pvsignal.store.readers`).
    """
    return _connect(lake_dir, drop_probable_duplicates, database)[0]


def _connect(lake_dir: str | Path, drop_probable_duplicates: bool = False,
             database: str = ":memory:") -> tuple[duckdb.DuckDBPyConnection, Lake]:
    lake = _current(lake_dir)
    config = {"memory_limit": default_memory_limit()}
    spill = lake.spill_dir()  # spill inside the lake, never into the working folder (DuckDB's default is ./.tmp)
    if spill is not None:  # (a read-only lake: DuckDB's default place)
        config["temp_directory"] = spill
    con = duckdb.connect(database, config=config)
    hold(con, lake)
    create_duckdb_views(con, lake, drop_probable_duplicates=drop_probable_duplicates)
    return con, lake


def _current(lake_dir: str | Path, engine: str | Engine = DEFAULT_ENGINE) -> Lake:
    """The lake pinned at a manifest with current prepared tables (built first when stale),
    with a reader lease on its files (:meth:`~pvsignal.store.lake.Lake.snapshot`)."""
    lake = Lake(Path(lake_dir)).snapshot()
    if not is_current(lake.require()):
        lake.release()
        build(lake_dir, engine=engine)
        lake = Lake(Path(lake_dir)).snapshot()
    return lake


class LakeReader:
    """A long-lived reader (e.g. a web explorer): :meth:`connection` is a DuckDB connection
    with the prepared views, re-opened on the new state after a writer commits.

    A connection still in use elsewhere keeps reading its own state until it is dropped
    (its reader lease ends with it).
    """

    def __init__(self, lake_dir: str | Path, **connect_kwargs: Any) -> None:
        self.lake_dir, self.kwargs = Path(lake_dir), connect_kwargs
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lake: Lake | None = None

    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._lake is None or self._lake.changed():
            self._con, self._lake = _connect(self.lake_dir, **self.kwargs)
        return self._con


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
    Lake(Path(lake_dir)).require()  # no lake: an error before an engine starts
    eng, owned = _open(engine, spark_master)
    try:
        lake = _current(lake_dir, engine=eng)
        hold(eng, lake)
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
