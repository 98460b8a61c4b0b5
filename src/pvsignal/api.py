"""The Python API: one function per ``pvsignal`` command, returning pandas/Python objects.

>>> from pvsignal import api
>>> api.ingest(["faers_ascii_2024q1.zip"], lake="lake")      # doctest: +SKIP
>>> api.status("lake")["cases"]                               # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pvsignal.errors import InputFileError
from pvsignal.prepare.build import build as _build
from pvsignal.prepare.build import connect as _connect
from pvsignal.prepare.drugs import build_drugsatfda_map, normalize_names
from pvsignal.prepare.status import lake_status
from pvsignal.report.export import write_table
from pvsignal.store.ingest import IngestReport, Progress
from pvsignal.store.ingest import ingest as _ingest
from pvsignal.store.lake import DEFAULT_LAKE, Lake


@dataclass
class IngestResult(IngestReport):
    tally: dict[str, Any] | None = None


def ingest(
    paths: list[str | Path],
    *,
    lake: str | Path = DEFAULT_LAKE,
    synonyms: list[str | Path] | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest FAERS/AERS quarters into ``lake`` and rebuild the prepared tables."""
    rep = _ingest(paths, lake, progress=progress)
    tally = _build(lake, synonyms=synonyms)
    return IngestResult(rep.lake, rep.ingest_id, rep.quarters, tally)


def prepare(
    lake: str | Path = DEFAULT_LAKE,
    *,
    synonyms: list[str | Path] | None = None,
    strip_salts: bool = True,
    engine: str = "duckdb",
    spark_master: str = "local[*]",
) -> dict[str, Any]:
    """Rebuild the deduplicated, normalised tables (e.g. after adding synonyms), on DuckDB or Spark."""
    return _build(lake, synonyms=synonyms, strip_salts=strip_salts, engine=engine, spark_master=spark_master)


def connect(lake: str | Path = DEFAULT_LAKE, *, drop_probable_duplicates: bool = False):
    """A DuckDB connection with the prepared views (``cases``, ``case_drugs`` …)."""
    return _connect(lake, drop_probable_duplicates=drop_probable_duplicates)


def status(lake: str | Path = DEFAULT_LAKE) -> dict[str, Any]:
    """Quarters, rows, rejects and the deduplication tally (see :func:`lake_status`)."""
    return lake_status(lake)


def rejects(lake: str | Path = DEFAULT_LAKE) -> pd.DataFrame:
    """Every input line that did not land exactly as written, with its reason."""
    lk = Lake(Path(lake))
    lk.require()
    files = lk.files("rejects")
    if not files:
        return pd.DataFrame(columns=["quarter", "table", "file", "line", "action", "reason", "raw"])
    df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return df[["quarter", "table", "file", "line", "action", "reason", "raw"]]


def drugs_build_map(
    drugsatfda: str | Path, *, out: str | Path | None = None, lake: str | Path | None = None
) -> tuple[pd.DataFrame, Path]:
    """Brand → ingredient rows from Drugs@FDA, written to ``out`` or into the lake."""
    df = build_drugsatfda_map(drugsatfda)
    if out is None and lake is None:
        raise InputFileError("say where the map goes: --out FILE.csv or --lake DIR")
    if lake is not None:
        target = Path(lake) / "synonyms" / "drugsatfda.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(target, index=False)
    if out is not None:
        target = write_table(df, out)
    return df, Path(target)


def drugs_normalize(
    file: str | Path,
    *,
    column: str = "drugname",
    out: str | Path | None = None,
    synonyms: list[str | Path] | None = None,
    strip_salts: bool = True,
) -> pd.DataFrame:
    """Map a CSV column of drug names to ingredients; optionally write the result."""
    p = Path(file)
    if not p.is_file():
        raise InputFileError(f"{p} does not exist")
    try:
        names = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read {p} as CSV: {exc}") from exc
    df = normalize_names(names, column, synonyms=synonyms, strip_salts=strip_salts)
    if out is not None:
        write_table(df, out)
    return df


@dataclass
class DemoResult:
    folder: Path
    lake: Path
    signals: pd.DataFrame
    synthetic_truth: Any = None
    profile: Path | None = None


def demo(
    folder: str | Path = "pvsignal-demo",
    *,
    drug: str = "voclosporin",
    quarters: str = "2022Q1:2023Q4",
    reports_per_quarter: int = 5000,
    seed: int = 2026,
    profile: bool = True,
) -> DemoResult:
    """Synthesise a small FAERS set (labelled synthetic), ingest it and score ``drug``'s pairs.

    Writes ``folder/faers`` (quarterly zips), ``folder/lake`` and, with ``profile``,
    ``folder/<drug>-profile.html``.
    """
    from pvsignal.analysis.signals import signals as _signals
    from pvsignal.synth import synthesize

    folder = Path(folder)
    syn = synthesize(folder / "faers", quarters=quarters, reports_per_quarter=reports_per_quarter, seed=seed)
    lake = folder / "lake"
    ingest([folder / "faers"], lake=lake)
    res = _signals(lake, drug=drug, min_count=3)
    out = DemoResult(folder, lake, res.table, getattr(syn, "truth", None))
    if profile:
        from pvsignal.report.profile import build_profile
        from pvsignal.report.render import render

        prof = build_profile(drug, events=["headache", "tremor"], lake=lake)
        out.profile = Path(render(prof, folder / f"{drug}-profile.html"))
    return out


# --- analyses over a lake (each opens the prepared views) ---------------------------------

def signals(lake: str | Path | None = None, **kwargs):
    """Score drug–event pairs (ROR, PRR, χ², IC, EBGM); see :func:`pvsignal.analysis.signals.signals`."""
    from pvsignal.analysis.signals import signals as _signals

    return _signals(lake, **kwargs)


def cases(drug: str, event: str | None = None, *, lake: str | Path = DEFAULT_LAKE, definition=None,
          engine: str = "duckdb", spark_master: str = "local[*]", **kwargs):
    """Case characterisation of a drug (or drug–event pair) under a case definition, on DuckDB
    or Spark; see :func:`pvsignal.analysis.cases.case_series` (``roles``, ``level``, ``top_n`` …)."""
    from pvsignal.analysis.backends import lake_source
    from pvsignal.analysis.cases import case_series

    with lake_source(lake, engine=engine, spark_master=spark_master) as src:
        return case_series(src, drug, event, definition=definition, **kwargs)


def onset(drug: str, event: str | None = None, *, lake: str | Path = DEFAULT_LAKE, definition=None,
          engine: str = "duckdb", spark_master: str = "local[*]", **kwargs):
    """Time to onset with a Weibull fit under a case definition, on DuckDB or Spark; see
    :func:`pvsignal.analysis.onset.time_to_onset`."""
    from pvsignal.analysis.backends import lake_source
    from pvsignal.analysis.onset import time_to_onset

    with lake_source(lake, engine=engine, spark_master=spark_master) as src:
        return time_to_onset(src, drug, event, definition=definition, **kwargs)


def interactions(drug: str, with_: list[str] | str):
    """Label interaction rules for ``drug`` with each partner; see :func:`pvsignal.knowledge.check_interactions`."""
    from pvsignal.knowledge import check_interactions

    return check_interactions(drug, with_=with_)


def interaction_signals(drug: str, perpetrator: str, events=None, *, lake: str | Path = DEFAULT_LAKE, definition=None,
                        engine: str = "duckdb", spark_master: str = "local[*]", **kwargs) -> pd.DataFrame:
    """Ω and stratified ROR for (drug, perpetrator class or drug, event) in a lake, under a case
    definition (default roles ``interacting``), on DuckDB or Spark; see
    :func:`pvsignal.analysis.interactions.interaction_signals`."""
    from pvsignal.analysis.backends import lake_source
    from pvsignal.analysis.interactions import interaction_signals as _sig

    with lake_source(lake, engine=engine, spark_master=spark_master) as src:
        return _sig(src, drug, perpetrator, events, definition=definition, **kwargs)


# --- clinical trials --------------------------------------------------------------------

def trial_incidence(adsl: str | Path, adae: str | Path, **kwargs):
    """TEAE incidence by arm from ADaM files; see :func:`pvsignal.trial.incidence.incidence`."""
    from pvsignal.trial.adam import read_adae, read_adsl
    from pvsignal.trial.incidence import incidence

    return incidence(read_adsl(adsl, arm_var=kwargs.get("arm_var")), read_adae(adae), **kwargs)


def trial_dosing(rules: str | Path, adlb: str | Path, adsl: str | Path | None = None, **kwargs):
    """Replay dose-modification rules over ADLB; see :func:`pvsignal.trial.dosing.dose_modifications`."""
    from pvsignal.trial.adam import read_adlb, read_adsl
    from pvsignal.trial.dosing import dose_modifications
    from pvsignal.trial.rules import load_rules

    return dose_modifications(load_rules(rules), read_adlb(adlb), read_adsl(adsl) if adsl else None, **kwargs)


def egfr(creatinine, age, sex, unit="mg/dL", **kwargs):
    """CKD-EPI 2021 eGFR (mL/min/1.73 m²); see :func:`pvsignal.trial.renal.egfr`."""
    from pvsignal.trial.renal import egfr as _egfr

    return _egfr(creatinine, age, sex, unit, **kwargs)
