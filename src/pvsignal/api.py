"""The Python API: one function per ``pvsignal`` command, returning pandas/Python objects.

>>> from pvsignal import api
>>> api.ingest(["faers_ascii_2024q1.zip"], lake="lake")      # doctest: +SKIP
>>> api.status("lake")["cases"]                               # doctest: +SKIP

Importing this module is cheap (no pandas, DuckDB, Ibis, SciPy or Matplotlib): each
function imports what it needs when called, so the command line starts fast.

Long steps accept ``progress(done, total, label)`` (as :func:`ingest` does), called as each
step starts; the command line draws it with Rich.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pvsignal.errors import InputFileError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: the default lake folder (:data:`pvsignal.store.lake.DEFAULT_LAKE`; not imported here: it loads DuckDB)
DEFAULT_LAKE = Path("pvsignal-lake")

Progress = Callable[[int, int, str], None]


def _steps(progress: Progress | None, total: int) -> Callable[[int, str], None]:
    """``step(i, label)`` → ``progress(i, total, label)`` (a no-op without ``progress``)."""
    return (lambda i, label: progress(i, total, label)) if progress else (lambda i, label: None)


@contextmanager
def _opened(lake: Any, drop_probable_duplicates: bool = False, engine: Any = "duckdb",
            spark_master: str = "local[*]") -> Iterator[Any]:
    """The prepared views: ``lake`` if already open (connection, Engine, Ibis backend), else opened
    (and closed) on the folder: a DuckDB connection, or an Engine for ``engine='spark'``."""
    if hasattr(lake, "execute") or hasattr(lake, "backend"):
        yield lake
        return
    from pvsignal.analysis.backends import lake_source

    with lake_source(lake, engine=engine, spark_master=spark_master,
                     drop_probable_duplicates=drop_probable_duplicates) as src:
        yield src


def write_table(df: "pd.DataFrame", path: str | Path, *, metadata: dict | None = None, sheets: dict | None = None) -> Path:
    """Write a result table (.csv, .parquet or .xlsx; + .json sidecar); see :func:`pvsignal.report.export.write_table`."""
    from pvsignal.report.export import write_table as _write

    return _write(df, path, metadata=metadata, sheets=sheets)


@dataclass
class IngestResult:
    """What :func:`ingest` did: the store's report (lake, ingest id, quarters) and the preparation's tally."""

    lake: Path
    ingest_id: str
    quarters: list = field(default_factory=list)
    tally: dict[str, Any] | None = None


def ingest(paths: list[str | Path], *, lake: str | Path = DEFAULT_LAKE, synonyms: list[str | Path] | None = None,
           progress: Progress | None = None) -> IngestResult:
    """Ingest FAERS/AERS quarters into ``lake`` and rebuild the prepared tables."""
    from pvsignal.prepare.build import build
    from pvsignal.sources.faers.source import FAERS
    from pvsignal.store.ingest import ingest as _ingest

    rep = _ingest(paths, lake, source=FAERS, progress=progress)
    if progress:
        progress(len(rep.quarters), len(rep.quarters), "deduplicating and normalising drug names")
    tally = build(lake, synonyms=synonyms)
    return IngestResult(rep.lake, rep.ingest_id, rep.quarters, tally)


def prepare(lake: str | Path = DEFAULT_LAKE, *, synonyms: list[str | Path] | None = None, strip_salts: bool = True,
            engine: str = "duckdb", spark_master: str = "local[*]", progress: Progress | None = None) -> dict[str, Any]:
    """Rebuild the deduplicated, normalised tables (e.g. after adding synonyms), on DuckDB or Spark."""
    from pvsignal.prepare.build import build

    _steps(progress, 1)(0, f"deduplicating and normalising drug names on {engine}")
    return build(lake, synonyms=synonyms, strip_salts=strip_salts, engine=engine, spark_master=spark_master)


def connect(lake: str | Path = DEFAULT_LAKE, *, drop_probable_duplicates: bool = False):
    """A DuckDB connection with the prepared views (``cases``, ``case_drugs`` …)."""
    from pvsignal.prepare.build import connect as _connect

    return _connect(lake, drop_probable_duplicates=drop_probable_duplicates)


def status(lake: str | Path = DEFAULT_LAKE) -> dict[str, Any]:
    """Quarters, rows, rejects and the deduplication tally (see :func:`pvsignal.prepare.status.lake_status`)."""
    from pvsignal.prepare.status import lake_status

    return lake_status(lake)


def rejects(lake: str | Path = DEFAULT_LAKE) -> "pd.DataFrame":
    """Every input line that did not land exactly as written, with its reason."""
    import pandas as pd

    from pvsignal.store.lake import Lake

    lk = Lake(Path(lake))
    lk.require()
    files = lk.files("rejects")
    if not files:
        return pd.DataFrame(columns=["quarter", "table", "file", "line", "action", "reason", "raw"])
    df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return df[["quarter", "table", "file", "line", "action", "reason", "raw"]]


def drugs_build_map(
    drugsatfda: str | Path, *, out: str | Path | None = None, lake: str | Path | None = None
) -> tuple["pd.DataFrame", Path]:
    """Brand → ingredient rows from Drugs@FDA, written to ``out`` or into the lake."""
    from pvsignal.prepare.drugs import build_drugsatfda_map

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
) -> "pd.DataFrame":
    """Map a CSV column of drug names to ingredients; optionally write the result."""
    import pandas as pd

    from pvsignal.prepare.drugs import normalize_names

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
    signals: "pd.DataFrame"
    synthetic_truth: Any = None
    profile: Path | None = None
    trial: Any = None  # the synthetic trial (:class:`pvsignal.synth.trial.TrialSynthResult`)


def demo(
    folder: str | Path = "pvsignal-demo",
    *,
    drug: str = "voclosporin",
    quarters: str = "2022Q1:2023Q4",
    reports_per_quarter: int = 5000,
    seed: int = 2026,
    profile: bool = True,
    progress: Progress | None = None,
) -> DemoResult:
    """Synthesise a small FAERS set and a clinical trial (both labelled synthetic), ingest the
    FAERS set and score ``drug``'s pairs.

    Writes ``folder/faers`` (quarterly zips), ``folder/lake``, ``folder/trial`` (ADSL, ADAE,
    ADLB as SAS transport and ``truth.json``: :func:`pvsignal.synth.trial.synthesize_trial`)
    and, with ``profile``, ``folder/<drug>-profile.html`` whose trial and dose-rule sections
    use the synthetic trial.
    """
    from pvsignal.analysis.signals import signals as _signals
    from pvsignal.synth import synthesize
    from pvsignal.synth.trial import synthesize_trial

    folder, step = Path(folder), _steps(progress, 4)
    step(0, "synthesising FAERS quarters (SYNTHETIC)")
    syn = synthesize(folder / "faers", quarters=quarters, reports_per_quarter=reports_per_quarter, seed=seed)
    trial = synthesize_trial(folder / "trial", seed=seed)
    lake = folder / "lake"
    step(1, "ingesting and deduplicating")
    ingest([folder / "faers"], lake=lake)
    step(2, f"scoring the pairs of {drug}")
    res = _signals(lake, drug=drug, min_count=3)
    out = DemoResult(folder, lake, res.table, getattr(syn, "truth", None), trial=trial)
    if profile:
        step(3, f"writing the profile of {drug}")
        from pvsignal.report.profile import build_profile
        from pvsignal.report.render import render

        # the synthetic trial is of voclosporin: it fills the trial sections of that drug's profile only
        on_trial = drug.strip().lower() == "voclosporin"
        trial_inputs = dict(adsl=trial.adsl, adae=trial.adae, adlb=trial.adlb, control_arm=trial.truth["control"],
                            trial_synthetic=True) if on_trial else {}
        prof = build_profile(drug, events=["headache", "tremor"], lake=lake, **trial_inputs)
        out.profile = Path(render(prof, folder / f"{drug}-profile.html"))
    return out


# --- analyses over a lake (each opens the prepared views) ---------------------------------

def case_definition(**fields: Any):
    """A :class:`~pvsignal.analysis.population.CaseDefinition` from its fields (roles, quarters,
    sex, age_groups, years, drop_probable_duplicates, strata, event_level …); derived keys
    such as ``role_codes`` (in a saved configuration) are ignored."""
    from pvsignal.analysis.population import CaseDefinition

    return CaseDefinition(**{k: v for k, v in fields.items() if k != "role_codes"})


def signal_config(path: str | Path | None = None):
    """The signal configuration in ``path`` (analysis.yaml or a result's .json sidecar), or the defaults."""
    from pvsignal.analysis.signals import SignalConfig, load_config

    return load_config(path) if path else SignalConfig()


def signals(lake: str | Path | None = None, *, progress: Progress | None = None, **kwargs):
    """Score drug–event pairs (ROR, PRR, χ², IC, EBGM); see :func:`pvsignal.analysis.signals.signals`.

    ``progress`` is told of each step: counting pairs, fitting the MGPS prior, scoring.
    """
    from pvsignal.analysis.signals import signals as _signals

    return _signals(lake, progress=progress, **kwargs)


def role_codes(roles: str | list[str] | tuple[str, ...] | None):
    """Role codes of a set name or codes (``PS,SS,I``); ``None``: suspect (see analysis.population.role_codes)."""
    from pvsignal.analysis.population import role_codes as _codes

    return _codes("suspect" if roles is None else roles)


def _on_cases(fn, label: str, lake: Any, *args, roles: str | None = None, meddra: str | Path | None = None,
              groups: str | Path | None = None, progress: Progress | None = None, drop_probable_duplicates: bool = False,
              engine: str = "duckdb", spark_master: str = "local[*]", **kwargs):
    """``fn(con, *args, **kwargs)`` on the lake (a folder or an open source: :func:`_opened`), its event
    groups registered from ``meddra``/``groups``; ``roles``, when given, changes the case definition."""
    from pvsignal.prepare.meddra import register_event_groups

    _steps(progress, 1)(0, label)
    with _opened(lake, drop_probable_duplicates, engine, spark_master) as con:
        register_event_groups(con, kwargs.get("level", "pt"), meddra=meddra, groups=groups)
        return fn(con, *args, **({"roles": roles} if roles is not None else {}), **kwargs)


def cases(drug: str, event: str | None = None, *, lake: Any = DEFAULT_LAKE, definition=None, **kwargs):
    """Case characterisation of a drug (or pair) under ``definition`` (:func:`case_definition`); see
    :func:`pvsignal.analysis.cases.case_series` (and :func:`_on_cases` for ``lake``, ``roles``, ``engine`` …)."""
    from pvsignal.analysis.cases import case_series

    drop = kwargs.get("drop_probable_duplicates") or None  # only a True shortcut changes the definition
    return _on_cases(partial(case_series, definition=definition, drop_probable_duplicates=drop),
                     f"describing the cases of {drug}", lake, drug, event, **kwargs)


def onset(drug: str, event: str | None = None, *, lake: Any = DEFAULT_LAKE, definition=None, **kwargs):
    """Time to onset with a Weibull fit under ``definition``; see :func:`pvsignal.analysis.onset.time_to_onset`."""
    from pvsignal.analysis.onset import time_to_onset

    return _on_cases(partial(time_to_onset, definition=definition), f"time to onset for {drug}", lake, drug, event,
                     **kwargs)


def onset_by_event(drug: str, *, lake: Any = DEFAULT_LAKE, **kwargs) -> "pd.DataFrame":
    """Time to onset per event (PT or group); see :func:`pvsignal.analysis.onset.onset_by_event` (and :func:`cases`)."""
    from pvsignal.analysis.onset import onset_by_event as _by_event

    return _on_cases(_by_event, f"time to onset for each event of {drug}", lake, drug, **kwargs)


def plot(result, path: str | Path) -> Path:
    """Figures of a result: an onset histogram with its Weibull density (``path`` .png/.svg), or
    a case series' outcome and age bars (``path`` a folder: outcomes.png, age.png)."""
    from pvsignal.report import plots

    if hasattr(result, "weibull"):
        return plots.onset_histogram(result, path)
    plots.outcome_bars(result, Path(path) / "outcomes.png")
    plots.age_bars(result, Path(path) / "age.png")
    return Path(path)


def interactions(drug: str, with_: list[str] | str, **kwargs):
    """Label interaction rules for ``drug`` with each partner; see :func:`pvsignal.knowledge.check_interactions`."""
    from pvsignal.knowledge import check_interactions

    return check_interactions(drug, with_=with_, **kwargs)


def interaction_signals(drug: str, perpetrator: str, events=None, *, lake: Any = DEFAULT_LAKE, definition=None,
                        engine: str = "duckdb", spark_master: str = "local[*]", **kwargs) -> "pd.DataFrame":
    """Ω and stratified ROR for (drug, perpetrator, event) under ``definition`` (default roles ``interacting``),
    on DuckDB or Spark; see :func:`pvsignal.analysis.interactions.interaction_signals`."""
    from pvsignal.analysis.interactions import interaction_signals as _sig

    with _opened(lake, engine=engine, spark_master=spark_master) as con:
        return _sig(con, drug, perpetrator, events, definition=definition, **kwargs)


def co_reported_perpetrators(drug: str, *, lake: Any = DEFAULT_LAKE, **kwargs):
    """Perpetrator classes and drugs co-reported with ``drug``; see :func:`pvsignal.analysis.interactions.co_reported_perpetrators`."""
    from pvsignal.analysis.interactions import co_reported_perpetrators as _co

    with _opened(lake) as con:
        return _co(con, drug, **kwargs)


def profile(drug: str, events=None, *, lake: str | Path | None = None, out: str | Path | None = None,
            progress: Progress | None = None, **kwargs):
    """Build the compound safety profile (and write it to ``out``: .html, .md, .pdf or .json);
    see :func:`pvsignal.report.profile.assemble.build_profile`. Returns the :class:`Profile`."""
    from pvsignal.report.profile import build_profile
    from pvsignal.report.render import render

    step = _steps(progress, 2)
    step(0, f"building the profile of {drug}")
    prof = build_profile(drug, events, lake=lake, **kwargs)
    if out is not None:
        step(1, f"writing {Path(out).name}")
        render(prof, out)
    return prof


# --- synthetic data and MedDRA -------------------------------------------------------------

def synth(outdir: str | Path, quarters: str = "2023Q1:2024Q4", reports_per_quarter: int = 10_000, seed: int = 0,
          zip_: bool = True, *, quirks: bool = True, progress: Progress | None = None):
    """Write SYNTHETIC FAERS/AERS quarters with planted signals; see :func:`pvsignal.synth.synthesize`."""
    from pvsignal.quarters import quarter_range
    from pvsignal.synth import synthesize

    n = len(quarter_range(quarters))
    done = iter(range(1, n + 1))
    on_quarter = (lambda q, i: progress(next(done), n, q)) if progress else None
    return synthesize(outdir, quarters, reports_per_quarter, seed, zip_, quirks=quirks, on_quarter=on_quarter)


def meddra(folder: str | Path):
    """Load a licensed MedDRA release (MedAscii folder); see :func:`pvsignal.prepare.meddra.load_meddra`."""
    from pvsignal.prepare.meddra import load_meddra

    return load_meddra(folder)


def meddra_map(folder: str | Path, terms: list[str]) -> "pd.DataFrame":
    """Map LLT/PT/verbatim terms to their PT and its primary HLT, HLGT and SOC."""
    m = meddra(folder)
    return m.to_pt(terms).merge(m.hierarchy()[["pt", "hlt", "hlgt", "soc"]], on="pt", how="left")


# --- clinical trials --------------------------------------------------------------------

def trial_incidence(adsl: str | Path, adae: str | Path, **kwargs):
    """TEAE incidence by arm from ADaM files; see :func:`pvsignal.trial.incidence.incidence`."""
    from pvsignal.trial.adam import read_adae, read_adsl
    from pvsignal.trial.incidence import incidence

    return incidence(read_adsl(adsl, arm_var=kwargs.get("arm_var")), read_adae(adae), **kwargs)


def trial_dosing(rules: str | Path, adlb: str | Path, adsl: str | Path | None = None, **kwargs):
    """Replay dose-modification rules over ADLB; see :func:`pvsignal.trial.dosing.dose_modifications`."""
    from pvsignal.trial.adam import read_adlb, read_dataset
    from pvsignal.trial.dosing import dose_modifications
    from pvsignal.trial.rules import load_rules

    adsl_df = read_dataset(adsl, name="ADSL") if adsl else None  # only AGE and SEX are used
    return dose_modifications(load_rules(rules), read_adlb(adlb), adsl_df, **kwargs)


def trial_rules(name: str | Path | None = None):
    """The shipped rule-set names (no ``name``), or the validated rule set ``name`` (shipped or YAML)."""
    from pvsignal.trial.rules import load_rules, shipped_rule_names

    return shipped_rule_names() if name is None else load_rules(name)


def egfr(creatinine, age, sex, unit="mg/dL", **kwargs):
    """CKD-EPI 2021 eGFR (mL/min/1.73 m²); see :func:`pvsignal.trial.renal.egfr`."""
    from pvsignal.trial.renal import egfr as _egfr

    return _egfr(creatinine, age, sex, unit, **kwargs)


def creatinine_warning(value: float, unit: str) -> str:
    """A warning when one creatinine value is implausible for ``unit`` ('' when plausible)."""
    from pvsignal.trial.units import creatinine_warning as _warning

    return _warning(value, unit)


def kdigo_category(egfr_value: float):
    """KDIGO G category of an eGFR; see :func:`pvsignal.trial.renal.kdigo_category`."""
    from pvsignal.trial.renal import kdigo_category as _kdigo

    return _kdigo(egfr_value)
