"""Analyses over a lake: signals, cases, onset, interactions and the compound profile."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

from pvsignal.api._common import DEFAULT_LAKE, Progress, _opened, _steps


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


def drug_slice(drug: str, *, lake: Any = DEFAULT_LAKE, drop_probable_duplicates: bool = False):
    """The cases of ingredient ``drug`` as a lake of their own: an in-memory DuckDB connection
    whose prepared views hold only the rows of the cases reporting it (any role). ``cases``,
    ``onset``, ``case_listing`` and ``co_reported_perpetrators`` of the drug, given it as
    ``lake``, return what they return on the whole lake, much faster on a big one; see
    :mod:`pvsignal.analysis.slices` (which definitions it covers). Close it when done."""
    from pvsignal.analysis.slices import drug_slice as _slice

    with _opened(lake, drop_probable_duplicates) as con:
        return _slice(con, drug)


def cases(drug: str, event: str | None = None, *, lake: Any = DEFAULT_LAKE, definition=None, **kwargs):
    """Case characterisation of a drug (or pair) under ``definition`` (:func:`case_definition`); see
    :func:`pvsignal.analysis.cases.case_series` (and :func:`_on_cases` for ``lake``, ``roles``, ``engine`` …)."""
    from pvsignal.analysis.cases import case_series

    drop = kwargs.get("drop_probable_duplicates") or None  # only a True shortcut changes the definition
    return _on_cases(partial(case_series, definition=definition, drop_probable_duplicates=drop),
                     f"describing the cases of {drug}", lake, drug, event, **kwargs)


def case_listing(drug: str, event: str | None = None, *, lake: Any = DEFAULT_LAKE, definition=None,
                 **kwargs) -> "pd.DataFrame":
    """One row per case of a drug (or pair) under ``definition``: ids, dates, age, sex, weight, country,
    reporter, drugs, indications, PTs, outcomes; see :func:`pvsignal.analysis.listing.case_listing`."""
    from pvsignal.analysis.listing import case_listing as _listing

    drop = kwargs.get("drop_probable_duplicates") or None
    return _on_cases(partial(_listing, definition=definition, drop_probable_duplicates=drop),
                     f"listing the cases of {drug}", lake, drug, event, **kwargs)


def signals_over_time(drug: str, events=None, *, lake: Any = DEFAULT_LAKE, definition=None, engine: str = "duckdb",
                      spark_master: str = "local[*]", progress: Progress | None = None, stored: Any = None,
                      priors: dict | None = None, **kwargs):
    """ROR, PRR, IC and EBGM of a drug's pairs cumulatively by quarter, per quarter and before/after a date,
    with the first quarter each method flags; see :func:`pvsignal.analysis.trends.signals_over_time`.

    Under the default case definition on DuckDB, the counts by quarter and the per-slice priors
    stored with the lake's current pair table (:mod:`pvsignal.analysis.trend_store`) are read
    instead of counted and fitted (the same numbers); ``stored``: the lake folder to look in when
    ``lake`` is an open connection (a folder ``lake`` is looked in itself); ``priors``: the slice
    priors of those counts (:func:`over_time_priors`) when the store holds none. Nothing is written."""
    from pvsignal.analysis.trends import signals_over_time as _over_time

    _steps(progress, 1)(0, f"scoring the pairs of {drug} quarter by quarter")
    folder = stored if stored is not None else (None if hasattr(lake, "execute") or hasattr(lake, "backend") else lake)
    if folder is not None and engine == "duckdb" and "counts" not in kwargs:
        res = _stored_over_time(folder, drug, events, definition, priors, kwargs)
        if res is not None:
            return res
    drop = bool(definition is not None and definition.drop_probable_duplicates)
    with _opened(lake, drop, engine, spark_master) as con:
        return _over_time(con, drug, events, definition=definition, **kwargs)


def _stored_over_time(folder: Any, drug: str, events, definition, priors: dict | None, kwargs: dict):
    """:func:`signals_over_time` from the lake's stored counts by quarter, or None when the
    definition is not the stored one or the lake has no current store."""
    from pvsignal.analysis import trend_store
    from pvsignal.analysis.population import CaseDefinition
    from pvsignal.analysis.trends import signals_over_time as _over_time
    from pvsignal.store.lake import Lake

    d = definition or CaseDefinition()
    lk = Lake(Path(folder))
    if d.to_dict() != CaseDefinition().to_dict() or not lk.exists():
        return None
    snap = lk.snapshot()  # a reader lease: an update meanwhile does not remove the files read
    try:
        names = trend_store.stored_files(snap.manifest())
        if names is None:
            return None
        files = trend_store.paths(snap.root, names)
        cnt, fits, every_pair = trend_store.for_drug(files, drug.strip().upper())
        if not fits and priors and priors.get("counts") == names["quarter_pairs"]:  # fitted on these very counts
            fits = priors["fits"]
        k = int(kwargs.get("prior_sample", 1))
        if k > 1:
            cnt = trend_store.sampled(files, cnt, k)
        return _over_time(None, drug, events, definition=d, counts=cnt, fits=fits, all_pairs=every_pair, **kwargs)
    finally:
        snap.release()


def over_time_priors(lake: Any = DEFAULT_LAKE) -> dict | None:
    """The per-slice MGPS priors of the lake's stored counts by quarter (stored by ``prepare``, else
    fitted now: ≈ 100 fits, ≈ 20 s at 20 M reports), as ``{"counts": file, "fits": …}`` for
    :func:`signals_over_time`'s ``priors``; None without a current store. Nothing is written."""
    from pvsignal.analysis import trend_store
    from pvsignal.store.lake import Lake

    lk = Lake(Path(lake))
    if not lk.exists():
        return None
    snap = lk.snapshot()
    try:
        names = trend_store.stored_files(snap.manifest())
        if names is None:
            return None
        return {"counts": names["quarter_pairs"], "fits": trend_store.fits(trend_store.paths(snap.root, names))}
    finally:
        snap.release()


def plot_over_time(result, path: str | Path, event: str | None = None, **kwargs) -> Path:
    """Cumulative ROR with its CI by quarter (``path`` .png/.svg; ``top``, ``title``, ``dpi``); see
    :func:`pvsignal.report.figures.trend.over_time`."""
    from pvsignal.report.figures import over_time

    return over_time(result, path, event=event, **kwargs)


def validate(reference: Any, groups: Any, *, lake: Any = DEFAULT_LAKE, definition=None, before=None,
             unscorable: str = "exclude", config=None, meddra: str | Path | None = None,
             progress: Progress | None = None):
    """Score every method against a reference set of controls; see :func:`pvsignal.analysis.validation.validate`.

    ``reference``: a CSV path (OMOP 2013, EU-ADR, Harpaz 2014 or the generic layout:
    :func:`pvsignal.knowledge.reference_sets.load_reference_set`) or such a DataFrame;
    ``groups``: a YAML file or a mapping outcome → PTs (:func:`pvsignal.analysis.validation.outcome_groups`:
    PT lists, or SMQs of the MedDRA release ``meddra``); ``before``: a date (``2013-01-01``) or
    ``'label'`` (each pair's label-change date). ``parameters['synthetic']`` says whether the
    lake holds synthetic data.
    """
    import pandas as pd

    from pvsignal.analysis.validation import outcome_groups, validate as _validate
    from pvsignal.knowledge.reference_sets import load_reference_set

    ref = reference if isinstance(reference, pd.DataFrame) else load_reference_set(reference)
    frame = outcome_groups(groups, meddra)
    _steps(progress, 1)(0, f"scoring {len(ref):,} controls")
    cfg = signal_config(config) if not hasattr(config, "thresholds") else config
    drop = bool(definition is not None and definition.drop_probable_duplicates)
    with _opened(lake, drop) as con:
        res = _validate(con, ref, frame, definition=definition, before=before, unscorable=unscorable, config=cfg)
    res.parameters["reference"] = str(reference) if not isinstance(reference, pd.DataFrame) else "(a DataFrame)"
    res.parameters["synthetic"] = _synthetic(lake)
    return res


def plot_roc(result, path: str | Path) -> Path:
    """ROC curves of a validation's scores (``path`` .png/.svg); see :func:`pvsignal.report.validation_plots.roc_plot`."""
    from pvsignal.report.validation_plots import roc_plot

    return roc_plot(result, path)


def _synthetic(lake: Any) -> bool:
    """Whether the lake's manifest says it holds ``pvsignal synth`` output (False for an open source)."""
    if not isinstance(lake, (str, Path)):
        return False
    from pvsignal.errors import PvsignalError
    from pvsignal.prepare.status import lake_status

    try:
        return bool(lake_status(lake).get("synthetic"))
    except PvsignalError:
        return False


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


def interaction_signals(drug: str, perpetrator: "str | list[str]", events=None, *, lake: Any = DEFAULT_LAKE, definition=None,
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
    see :func:`pvsignal.report.profile.assemble.build_profile`. Returns the :class:`Profile`.

    ``progress`` is told of each step: reading the inputs, each registered section as it
    starts (by title), then writing ``out``.
    """
    from pvsignal.report.profile import build_profile
    from pvsignal.report.render import render

    extra = 1 if out is not None else 0
    seen = {"total": 0}

    def step(done: int, total: int, label: str) -> None:
        seen["total"] = total
        if progress:
            progress(done, total + extra, label)

    prof = build_profile(drug, events, lake=lake, progress=step, **kwargs)
    if out is not None:
        step(seen["total"], seen["total"], f"writing {Path(out).name}")
        render(prof, out)
    return prof
