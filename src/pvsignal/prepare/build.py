"""Build the prepared (deduplicated, normalised) tables of a lake and open them.

:func:`build` runs deduplication (:mod:`~pvsignal.prepare.dedup`) and drug
normalisation (:mod:`~pvsignal.prepare.drugs`) once, writes the results as Parquet
under ``LAKE/prepared/`` and records them, with the deduplication tally and the
parameters used, in the manifest. :func:`connect` returns a DuckDB connection with
the views listed in :data:`pvsignal.store.schema.PREPARED_VIEWS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir

from pvsignal.prepare.dedup import latest_versions, probable_duplicates, without_deleted
from pvsignal.prepare.drugs import DEFAULT_SALTS, ingredient_map, load_synonyms
from pvsignal.store.lake import Lake, new_id, sql_list
from pvsignal.store.schema import PREPARED_VIEWS

AGE_FACTORS = {"DEC": 10.0, "YR": 1.0, "YEAR": 1.0, "MON": 1 / 12, "WK": 1 / 52, "WEEK": 1 / 52,
               "DY": 1 / 365, "DAY": 1 / 365, "HR": 1 / 8760, "HOUR": 1 / 8760}
WT_FACTORS = {"KG": 1.0, "LBS": 0.45359237, "GMS": 0.001}
MAX_AGE_YEARS = 120.0


def _factor(code: ir.StringValue, table: dict[str, float]) -> ir.FloatingValue:
    return ibis.cases(*((code == k, v) for k, v in table.items()), else_=ibis.null("float64"))


def _with_derived(cases: ir.Table) -> ir.Table:
    """Add ``age_years`` (FACTS.md §1.3 units; DEC ×10), ``wt_kg`` and ``receipt_year``."""
    age_years = cases.age * _factor(cases.age_cod, AGE_FACTORS)
    age_years = ((age_years >= 0) & (age_years <= MAX_AGE_YEARS)).ifelse(age_years, ibis.null("float64"))
    return cases.mutate(
        age_years=age_years,
        wt_kg=cases.wt * _factor(cases.wt_cod, WT_FACTORS),
        receipt_year=cases.init_fda_dt.coalesce(cases.fda_dt).year(),
    )


def _keyed(table: ir.Table, keys: ir.Table) -> ir.Table:
    """Rows of a report table belonging to the kept (quarter, primaryid), with the caseid."""
    j = table.drop("caseid").join(keys, ["quarter", "primaryid"])
    return j


def build(
    lake_dir: str | Path,
    *,
    synonyms: list[str | Path] | None = None,
    strip_salts: bool = True,
) -> dict[str, Any]:
    """Deduplicate and normalise the lake; write the prepared tables; return the tally.

    Synonym tables: the shipped one, every ``LAKE/synonyms/*.csv`` (e.g. written by
    ``pvsignal drugs build-map --lake``), then ``synonyms`` (later ones win).
    """
    lake = Lake(Path(lake_dir))
    manifest = lake.require()
    run_id = new_id()
    con = ibis.duckdb.connect()
    raw = {}
    for t in ("demo", "drug", "reac", "outc", "rpsr", "ther", "indi", "deleted"):
        raw[t] = con.read_parquet([str(p) for p in lake.files(t)], table_name=f"raw_{t}")

    salts = DEFAULT_SALTS if strip_salts else None
    demo = raw["demo"]
    kept_demo = without_deleted(demo, raw["deleted"])
    latest = con.create_table("latest", latest_versions(kept_demo), temp=True)
    keys = latest.select("quarter", "primaryid", "caseid")

    drug = _keyed(raw["drug"], keys)
    synonyms = [*sorted((lake.root / "synonyms").glob("*.csv")), *(synonyms or [])]
    syn = ibis.memtable(load_synonyms(synonyms))
    imap = con.create_table("imap", ingredient_map(raw["drug"], syn, salts=salts), temp=True)
    drugs = drug.left_join(imap, (drug.drugname.identical_to(imap.drugname)) & (drug.prod_ai.identical_to(imap.prod_ai)))
    drugs = drugs.select(
        "caseid", "primaryid", "quarter", "drug_seq", "role_cod", "drugname", "prod_ai",
        "ingredient", ingredient_source=drugs.ingredient_source.coalesce("missing"),
        route="route", dechal="dechal", rechal="rechal", dose_vbm="dose_vbm",
    )
    case_drugs = con.create_table("case_drugs_t", drugs, temp=True)
    reac = _keyed(raw["reac"], keys)
    reac = reac.mutate(pt=reac.pt.strip().upper())
    case_reactions = con.create_table("case_reactions_t", reac.select("caseid", "primaryid", "pt", "drug_rec_act"), temp=True)

    dups = probable_duplicates(latest, case_drugs, case_reactions)
    cases = _with_derived(latest).join(dups, "caseid")

    out: dict[str, ir.Table] = {
        "cases": cases,
        "case_drugs": case_drugs,
        "case_reactions": case_reactions,
        "case_ther": _keyed(raw["ther"], keys).select("caseid", "primaryid", "dsg_drug_seq", "start_dt", "start_dt_prec", "end_dt", "end_dt_prec", "dur", "dur_cod"),
        "case_indi": _keyed(raw["indi"], keys).select("caseid", "primaryid", "indi_drug_seq", "indi_pt"),
        "case_outc": _keyed(raw["outc"], keys).select("caseid", "primaryid", "outc_cod"),
        "case_rpsr": _keyed(raw["rpsr"], keys).select("caseid", "primaryid", "rpsr_cod"),
    }
    files: dict[str, str] = {}
    for name, expr in out.items():
        path = lake.root / "prepared" / f"{name}-{run_id}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        con.to_parquet(expr, str(path), compression="zstd")
        files[name] = str(path.relative_to(lake.root))

    n_reports = demo.count().execute()
    n_after_deleted = kept_demo.count().execute()
    n_cases = latest.count().execute()
    dc = con.raw_sql(
        f"SELECT count(*) FILTER (WHERE probable_duplicate), count(*) FROM read_parquet('{lake.root / files['cases']}')"
    ).fetchall()[0]
    eras = con.raw_sql("SELECT count(*) FROM (SELECT caseid FROM raw_demo GROUP BY caseid HAVING count(DISTINCT era) = 2)").fetchall()[0][0]
    src = dict(con.raw_sql("SELECT ingredient_source, count(*) FROM case_drugs_t GROUP BY 1").fetchall())
    unmapped_names = con.raw_sql("SELECT count(DISTINCT drugname) FROM case_drugs_t WHERE ingredient_source = 'unmapped'").fetchall()[0][0]
    tally = {
        "reports": int(n_reports),
        "removed_deleted": int(n_reports - n_after_deleted),
        "removed_old_versions": int(n_after_deleted - n_cases),
        "cases": int(n_cases),
        "probable_duplicates": int(dc[0]),
        "cases_in_both_eras": int(eras),
        "drug_rows_by_ingredient_source": {k: int(v) for k, v in src.items()},
        "unmapped_drug_names": int(unmapped_names),
    }
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
    con.disconnect()
    return tally


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
    con = duckdb.connect(database)
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


def tally(lake_dir: str | Path) -> dict[str, Any] | None:
    """The deduplication tally recorded by the last :func:`build`, if any."""
    prepared = Lake(Path(lake_dir)).manifest().get("prepared")
    return prepared["tally"] if prepared else None
