"""The prepared views: deduplicated, normalised case tables defined over the raw lake.

A build (:mod:`pvsignal.prepare.build`) writes these Parquet files:

* ``keys`` — one row per kept case: ``quarter, primaryid, caseid`` of its latest report
  version and the probable-duplicate flags (``probable_duplicate, duplicate_of,
  duplicate_rule``); ≈ 17 M rows for all of FAERS;
* ``ingredient_map`` — each distinct ``(drugname, prod_ai)`` of the lake and its
  ingredient row(s) (:func:`~pvsignal.prepare.drugs.ingredient_map`);
* the case tables ``case_drugs``, ``case_reactions``, ``case_ther``, ``case_indi``,
  ``case_outc`` and ``case_rpsr`` — materialised: signal, interaction and duplicate
  queries read the first two in full (at 5 M reports, counting all pairs through views
  over the raw tables took 39 s instead of 12 s), and queries join the others on
  ``(caseid, drug_seq)``, where a view would let the optimiser pair rows on ``drug_seq``
  alone before the case key (measured: a 20 M-report case series ran out of disk).

``cases`` — the kept DEMO row of each case with its derived columns and duplicate flags
— is materialised too: as a view (raw DEMO joined to ``keys`` on ``(quarter,
primaryid)``) every query on it paid that 20 M-row join, 1.4 s for the demographics of
1,901 cases at 20 M reports against 0.09 s from the file; writing it costs ≈ 14 s per
build. The definitions are Ibis expressions, so DuckDB and Spark run the same ones.
Derived columns: ``age_years`` (FACTS.md §1.3 units; DEC ×10; kept within 0–120),
``wt_kg``, ``receipt_year`` (of ``init_fda_dt``, else ``fda_dt``); ``pt`` is trimmed and
upper-cased.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir

from pvsignal.errors import LakeError
from pvsignal.sources.faers.schema import AGE_FACTORS, TABLES, WT_FACTORS
# What analyses may know of the FAERS source's tables comes through this layer (``analysis``
# imports nothing from ``sources``): canonical columns, code lists and their labels.
from pvsignal.sources.faers.schema import CODE_LABELS, CODES, COLUMNS  # noqa: F401 (re-exported)
from pvsignal.store.engine import Engine, register_raw
from pvsignal.store.lake import Lake

#: Prepared (deduplicated) views over the lake; later analyses read only these.
#:
#: ``cases``           one row per case (latest version): caseid, primaryid, quarter, era,
#:                     every DEMO column, ``age_years``, ``wt_kg``, ``receipt_year``,
#:                     ``probable_duplicate`` (bool)
#: ``case_drugs``      caseid, primaryid, quarter, drug_seq, role_cod, drugname, prod_ai,
#:                     ``ingredient`` (upper case; one row per ingredient of a combination),
#:                     ingredient_source, route, dechal, rechal, dose_vbm, dose_amt, dose_unit
#: ``case_reactions``  caseid, primaryid, ``pt`` (upper case, trimmed), drug_rec_act
#: ``case_ther``       caseid, primaryid, dsg_drug_seq, start_dt, start_dt_prec, end_dt,
#:                     end_dt_prec, dur, dur_cod
#: ``case_indi``       caseid, primaryid, indi_drug_seq, indi_pt
#: ``case_outc``       caseid, primaryid, outc_cod
#: ``case_rpsr``       caseid, primaryid, rpsr_cod
PREPARED_VIEWS = ("cases", "case_drugs", "case_reactions", "case_ther", "case_indi", "case_outc", "case_rpsr")

#: Files a build writes (manifest ``prepared.files`` keys).
PREPARED_FILES = ("keys", "ingredient_map", "cases", "case_drugs", "case_reactions", "case_ther", "case_indi",
                  "case_outc", "case_rpsr")

MAX_AGE_YEARS = 120.0

#: Raw tables the views read (the FAERS source's seven).
RAW_SOURCES = TABLES


def _factor(code: ir.StringValue, table: dict[str, float]) -> ir.FloatingValue:
    return ibis.cases(*((code == k, v) for k, v in table.items()), else_=ibis.null("float64"))


def _with_derived(cases: ir.Table) -> ir.Table:
    age_years = cases.age * _factor(cases.age_cod, AGE_FACTORS)
    age_years = ((age_years >= 0) & (age_years <= MAX_AGE_YEARS)).ifelse(age_years, ibis.null("float64"))
    return cases.mutate(
        age_years=age_years,
        wt_kg=cases.wt * _factor(cases.wt_cod, WT_FACTORS),
        receipt_year=cases.init_fda_dt.coalesce(cases.fda_dt).year().cast("int64"),  # int64 on every engine
    )


def keyed(table: ir.Table, keys: ir.Table) -> ir.Table:
    """Rows of a raw report table belonging to a kept (quarter, primaryid), with its caseid."""
    k = keys.select("quarter", "primaryid", "caseid")
    return table.drop("caseid").join(k, ["quarter", "primaryid"])


def latest_reports(demo: ir.Table, keys: ir.Table) -> ir.Table:
    """The DEMO row of each kept case, in the raw column order."""
    return keyed(demo, keys).select(*demo.columns)


def case_drugs(drug: ir.Table, keys: ir.Table, imap: ir.Table) -> ir.Table:
    """Drug rows of the kept cases, one row per ingredient (``ingredient_source`` 'missing' if unmapped)."""
    d = keyed(drug, keys)
    j = d.left_join(imap, d.drugname.identical_to(imap.drugname) & d.prod_ai.identical_to(imap.prod_ai))
    return j.select(
        "caseid", "primaryid", "quarter", "drug_seq", "role_cod", "drugname", "prod_ai",
        "ingredient", ingredient_source=j.ingredient_source.coalesce("missing"),
        route="route", dechal="dechal", rechal="rechal", dose_vbm="dose_vbm",
        dose_amt="dose_amt", dose_unit="dose_unit",
    )


def case_reactions(reac: ir.Table, keys: ir.Table) -> ir.Table:
    r = keyed(reac, keys)
    return r.select("caseid", "primaryid", pt=r.pt.strip().upper(), drug_rec_act="drug_rec_act")


def case_rows(demo: ir.Table, keys: ir.Table) -> ir.Table:
    """The ``cases`` table: each kept case's DEMO row (raw column order), the derived
    ``age_years``, ``wt_kg``, ``receipt_year`` and the duplicate flags of ``keys``
    (``probable_duplicate, duplicate_of, duplicate_rule``)."""
    flags = keys.select("caseid", "probable_duplicate", "duplicate_of", "duplicate_rule")
    return _with_derived(latest_reports(demo, keys)).join(flags, "caseid")


def case_tables(raw: dict[str, ir.Table], keys: ir.Table, imap: ir.Table) -> dict[str, ir.Table]:
    """The materialised case tables of a build, by name (the views but ``cases``)."""
    return {
        "case_drugs": case_drugs(raw["drug"], keys, imap),
        "case_reactions": case_reactions(raw["reac"], keys),
        "case_ther": keyed(raw["ther"], keys).select(
            "caseid", "primaryid", "dsg_drug_seq", "start_dt", "start_dt_prec", "end_dt", "end_dt_prec", "dur", "dur_cod"),
        "case_indi": keyed(raw["indi"], keys).select("caseid", "primaryid", "indi_drug_seq", "indi_pt"),
        "case_outc": keyed(raw["outc"], keys).select("caseid", "primaryid", "outc_cod"),
        "case_rpsr": keyed(raw["rpsr"], keys).select("caseid", "primaryid", "rpsr_cod"),
    }


def prepared_views(files: dict[str, ir.Table], *, drop_probable_duplicates: bool = False) -> dict[str, ir.Table]:
    """Expressions of every prepared view, by name (:data:`PREPARED_VIEWS`).

    ``files`` are the tables a build wrote (:data:`PREPARED_FILES`); ``keys`` and
    ``cases`` carry the duplicate flags. With ``drop_probable_duplicates`` every view
    leaves out the flagged cases.
    """
    tables = {name: files[name] for name in PREPARED_VIEWS}
    if drop_probable_duplicates:
        keys = files["keys"]
        kept = keys.filter(~keys.probable_duplicate).select("caseid")
        cases = tables["cases"]
        tables = {name: t.semi_join(kept, "caseid") for name, t in tables.items() if name != "cases"}
        tables["cases"] = cases.filter(~cases.probable_duplicate)
    return {name: tables[name] for name in PREPARED_VIEWS}


def is_current(manifest: dict) -> bool:
    """Whether the manifest's prepared build covers its quarters, in the current file layout,
    with the drug dictionary shipped now (a build by an older dictionary — or one that
    recorded none — mapped names differently: stale, so it is rebuilt rather than read)."""
    from pvsignal.prepare.drugs import dictionary_provenance

    prepared = manifest.get("prepared")
    return (bool(prepared) and prepared.get("quarters") == sorted(manifest["quarters"])
            and set(prepared.get("files", {})) == set(PREPARED_FILES)
            and prepared.get("parameters", {}).get("drug_dictionary") == dictionary_provenance())


def prepared_files(lake: Lake | str | Path) -> dict[str, Path]:
    """The files of an up-to-date build (:data:`PREPARED_FILES`), or a :class:`LakeError`."""
    lake = lake if isinstance(lake, Lake) else Lake(Path(lake))
    manifest = lake.require()
    if not is_current(manifest):
        raise LakeError(f"the prepared tables of {lake.root} are missing or stale: run `pvsignal prepare --lake {lake.root}`")
    return {name: lake.root / manifest["prepared"]["files"][name] for name in PREPARED_FILES}


def register_prepared(
    eng: Engine, lake: Lake | str | Path, *, drop_probable_duplicates: bool = False
) -> dict[str, ir.Table]:
    """Create the prepared views in ``eng`` (any engine) and return them by name."""
    paths = prepared_files(lake)
    register_raw(eng, lake, RAW_SOURCES)  # raw_<table>, for SQL users and the raw columns no view carries
    files = {name: eng.read_parquet(f"prepared_{name}", [path]) for name, path in paths.items()}
    exprs = prepared_views(files, drop_probable_duplicates=drop_probable_duplicates)
    return {name: eng.view(name, expr) for name, expr in exprs.items()}


def create_duckdb_views(
    con: duckdb.DuckDBPyConnection, lake: Lake | str | Path, *, drop_probable_duplicates: bool = False
) -> None:
    """The prepared views as plain DuckDB views in ``con`` (for SQL users and DuckDB queries)."""
    eng = Engine("duckdb", ibis.duckdb.from_connection(con))
    register_prepared(eng, lake, drop_probable_duplicates=drop_probable_duplicates)
