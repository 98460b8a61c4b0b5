"""Score every drug–event pair: ROR, PRR, χ², IC and EBGM with intervals and flags.

One pipeline for two sources:

* a FAERS lake: the case definition (:class:`~pvsignal.analysis.population.CaseDefinition`)
  selects reports, drugs (ingredients) and events (PTs) from the prepared views;
* a generic reports table (``--reports FILE``: CSV or Parquet, one row per
  report × drug × event) — VigiBase extracts, CAERS, company databases.

Counts come from one engine query (:mod:`~pvsignal.analysis.counts`); the statistics are
vectorised numpy over the count table. The MGPS prior is fitted on **all** pairs
(n ≥ 1) before any drug/event/min-count filter, as DuMouchel (1999) intends; the filter
only selects the rows shown. Every parameter is returned in :attr:`SignalResult.config`
(a valid ``--config`` file) and the fit in :attr:`SignalResult.metadata`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pvsignal import __version__
from pvsignal.analysis.comparator import definition_counts
from pvsignal.analysis.counts import execute, pair_counts, pair_counts_from_sets, stratum_counts
from pvsignal.analysis.drug_classes import class_names
from pvsignal.stats.fisher import benjamini_hochberg, fisher_exact
from pvsignal.stats.stratified import stratified_scores
from pvsignal.stats.ratios import classic_scores
from pvsignal.stats.flags import Thresholds, signal_flags
from pvsignal.stats.mgps import GammaMixturePrior, ebgm_scores, fit_prior
from pvsignal.analysis.population import NO_GROUP_EVENT, CaseDefinition, population
from pvsignal.errors import AnalysisError, ConfigError, UnknownNameError
from pvsignal.suggest import close_matches, unknown_name
from pvsignal.store.reports_table import open_reports

#: output columns in the documented order (flags follow)
OUTPUT_COLUMNS = (
    "drug", "event", "n", "expected", "ror", "ror_lower", "ror_upper", "prr", "prr_lower",
    "prr_upper", "chi2", "chi2_yates", "ic", "ic025", "ic975", "ebgm", "eb05", "eb95",
)
SORT_KEYS = ("ror", "prr", "chi2", "ic025", "eb05", "ebgm", "n")


class ReportsColumns(BaseModel):
    """Column names of a generic reports table."""

    model_config = ConfigDict(extra="forbid")
    report_id: str = "report_id"
    drug: str = "drug"
    event: str = "event"
    strata: list[str] = Field(default_factory=list)


class MgpsOptions(BaseModel):
    """MGPS settings; ``prior`` (α1, β1, α2, β2, P) skips the fit (e.g. a published prior)."""

    model_config = ConfigDict(extra="forbid")
    squash: Literal["auto", "always", "never"] = "auto"
    starts: list[list[float]] | None = None
    prior: list[float] | None = Field(None, min_length=5, max_length=5)


class SignalConfig(BaseModel):
    """Every parameter of a signal analysis (the sidecar of a result is one of these)."""

    model_config = ConfigDict(extra="forbid")
    lake: str | None = None
    reports: str | None = None
    reports_columns: ReportsColumns = Field(default_factory=ReportsColumns)
    case_definition: dict[str, Any] = Field(default_factory=dict)
    drug: list[str] | None = None
    event: list[str] | None = None
    min_count: int = Field(3, ge=1)
    level: float = Field(0.95, gt=0, lt=1)
    correction: Literal["haldane"] | None = None
    ic_method: Literal["closed_form", "exact"] = "closed_form"
    thresholds: Thresholds = Field(default_factory=Thresholds)
    mgps: MgpsOptions = Field(default_factory=MgpsOptions)
    sort_by: str = "ror"
    fisher: bool = Field(False, description="add one-sided Fisher p and Benjamini–Hochberg q over all pairs with n ≥ min_count")
    mantel_haenszel: bool = Field(True, description="with strata: add the Mantel–Haenszel ROR and Breslow–Day test")

    def definition(self) -> CaseDefinition:
        known = {k: v for k, v in self.case_definition.items() if k != "role_codes"}
        try:
            return CaseDefinition(**known)
        except TypeError as exc:
            raise ConfigError(f"case_definition: {exc}") from exc


def load_config(path: str | Path) -> SignalConfig:
    """Read an ``analysis.yaml`` (or a result's ``.json`` sidecar); errors name the key."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {p} does not exist")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p} is not valid YAML/JSON: {exc}") from exc
    if isinstance(data, dict) and "config" in data and "metadata" in data:
        data = data["config"]  # a result sidecar
    try:
        return SignalConfig.model_validate(data)
    except ValidationError as exc:
        msgs = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{p}: {msgs}") from exc


@dataclass
class SignalResult:
    """Scored pairs (``table``), the full parameter set (``config``) and run metadata."""

    table: pd.DataFrame
    config: SignalConfig
    metadata: dict[str, Any] = field(default_factory=dict)
    counts: pd.DataFrame | None = field(default=None, repr=False)

    def sidecar(self) -> dict[str, Any]:
        """``{"config": …, "metadata": …}``: reproducible with ``--config`` on this file."""
        return {"config": self.config.model_dump(mode="json"), "metadata": self.metadata}


def _counts_from_lake(cfg: SignalConfig, engine: str, spark_master: str) -> tuple[pd.DataFrame, pd.DataFrame | None, dict]:
    from pvsignal.prepare.build import connect
    from pvsignal.prepare.status import lake_status

    definition = cfg.definition()
    st = lake_status(cfg.lake)
    if engine != "duckdb":
        from pvsignal.analysis.pair_table import pair_table  # noqa: PLC0415 (optional engine)

        counts = pair_table(cfg.lake, definition, engine=engine, spark_master=spark_master, min_count=1)
    long = None
    if engine == "duckdb" or (definition.strata and cfg.mantel_haenszel):
        con = connect(cfg.lake, drop_probable_duplicates=definition.drop_probable_duplicates)
        try:
            if engine == "duckdb":
                counts = execute(definition_counts(con, definition))
            if definition.strata and cfg.mantel_haenszel:
                drugs, events, strata = population(con, definition)
                long = execute(pair_counts_from_sets(drugs, events, strata, definition.strata, cfg.min_count, long=True))
        finally:
            con.close()
    source = {
        "type": "FAERS lake",
        "lake": str(cfg.lake),
        "synthetic": bool(st.get("synthetic")),
        "quarters": st["quarters"],
        "deduplication": st["deduplication"],
        "tally": {k: st[k] for k in ("reports", "cases", "removed_old_versions", "removed_deleted", "probable_duplicates")},
    }
    return counts, long, source


def _counts_from_reports(cfg: SignalConfig) -> tuple[pd.DataFrame, pd.DataFrame | None, dict]:
    rc = cfg.reports_columns
    with open_reports(cfg.reports, report_id=rc.report_id, drug=rc.drug, event=rc.event, strata=rc.strata) as inp:
        counts = execute(pair_counts(inp.table, rc.strata, min_count=1))
        long = execute(stratum_counts(inp.table, rc.strata, cfg.min_count)) if rc.strata and cfg.mantel_haenszel else None
    source = {
        "type": "reports table",
        "reports": str(cfg.reports),
        "sha256": inp.sha256,
        "rows": inp.n_rows,
        "rows_not_used": inp.n_rejected,
        "null_counts": inp.null_counts,
    }
    return counts, long, source


def match_names(values: pd.Series, wanted: list[str], what: str) -> np.ndarray:
    """Rows of ``values`` naming any of ``wanted`` (case-insensitive); an error with close
    matches when none of ``wanted`` is known."""
    keys = values.str.upper()
    want = [w.strip().upper() for w in wanted if w.strip()]
    known = set(keys.unique())
    missing = [w for w in want if w not in known]
    if missing and len(missing) == len(want):
        if len(missing) == 1:  # the wording every analysis uses (pvsignal.suggest)
            raise unknown_name(what, missing[0], known)
        close = list(dict.fromkeys(m for w in missing for m in close_matches(w, known)))
        raise UnknownNameError(f"no {what} named {', '.join(missing)}; close matches: {', '.join(close) or 'none'}")
    return keys.isin(want).to_numpy()


def score_counts(counts: pd.DataFrame, cfg: SignalConfig, long: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict]:
    """Statistics and flags for a pair-count table; the MGPS prior is fitted on all rows.

    Fisher p-values (optional) are adjusted by Benjamini–Hochberg across every pair with
    n ≥ min_count, before the drug/event selection. ``long`` (per-stratum cells) adds the
    Mantel–Haenszel ROR and the Breslow–Day test.
    """
    counts = counts[counts["event"] != NO_GROUP_EVENT].reset_index(drop=True)
    if long is not None:
        long = long[long["event"] != NO_GROUP_EVENT]
    if counts.empty:
        raise AnalysisError("no drug–event pair in the population: check the case definition and filters")
    n = counts["n"].to_numpy()
    E = counts["expected"].to_numpy()
    squash = {"auto": "auto", "always": True, "never": None}[cfg.mgps.squash]
    prior, prior_meta, prior_error = None, {}, None
    if cfg.mgps.prior is not None:
        prior = GammaMixturePrior.from_sequence(cfg.mgps.prior)
        prior_meta = {**prior.to_dict(), "source": "given in the configuration"}
    else:
        try:
            fit = fit_prior(n, E, squash=squash, starts=cfg.mgps.starts)
            prior, prior_meta = fit.prior, fit.to_dict()
        except AnalysisError as exc:  # e.g. too few distinct counts to estimate a prior
            prior_error = str(exc)
            prior_meta = {"error": prior_error}
    fisher_cols = None
    if cfg.fisher:
        big = n >= cfg.min_count
        cells = [counts.loc[big, k].to_numpy() for k in "abcd"]
        p = fisher_exact(*cells, alternative="greater").p_value
        fisher_cols = pd.DataFrame({"fisher_p": np.nan, "fisher_q": np.nan}, index=counts.index)
        fisher_cols.loc[big, "fisher_p"] = p
        fisher_cols.loc[big, "fisher_q"] = benjamini_hochberg(p)
    keep = np.ones(len(counts), dtype=bool)
    if cfg.drug:
        level = "drug class" if (cfg.case_definition or {}).get("drug_level") == "class" else "drug"
        keep &= match_names(counts["drug"].astype(str), cfg.drug, level)
    if cfg.event:
        keep &= match_names(counts["event"].astype(str), cfg.event, "event")
    keep &= n >= cfg.min_count
    sel = counts[keep].reset_index(drop=True)
    scores = classic_scores(sel, level=cfg.level, correction=cfg.correction, ic_method=cfg.ic_method)
    if prior is not None:
        eb = ebgm_scores(sel["n"].to_numpy(), sel["expected"].to_numpy(), prior)[["ebgm", "eb05", "eb95", "qn"]]
        eb["ebgm_reason"] = pd.Series(pd.NA, index=eb.index, dtype="string")
    else:
        eb = pd.DataFrame({k: np.full(len(sel), np.nan) for k in ("ebgm", "eb05", "eb95", "qn")})
        eb["ebgm_reason"] = pd.Series(f"MGPS prior not estimable: {prior_error}", index=eb.index, dtype="string")
    table = pd.concat([scores, eb], axis=1)
    if fisher_cols is not None:
        table = pd.concat([table, fisher_cols[keep].reset_index(drop=True)], axis=1)
    if long is not None and len(long):
        sel_keys = sel[["drug", "event"]]
        lk = long.merge(sel_keys, on=["drug", "event"])
        mh = stratified_scores(lk, level=cfg.level)
        table = table.merge(mh, on=["drug", "event"], how="left")
    table = pd.concat([table, signal_flags(table, cfg.thresholds)], axis=1)
    cells = sel[["a", "b", "c", "d"]].reset_index(drop=True)
    extra = [c for c in table.columns if c not in OUTPUT_COLUMNS]
    table = pd.concat([table[list(OUTPUT_COLUMNS) + extra], cells], axis=1)
    if cfg.sort_by not in SORT_KEYS:
        raise ConfigError(f"sort_by must be one of {', '.join(SORT_KEYS)}; got {cfg.sort_by!r}")
    table = table.sort_values([cfg.sort_by, "n", "drug", "event"], ascending=[False, False, True, True], na_position="last")
    return table.reset_index(drop=True), {"mgps_prior": prior_meta, "pairs_in_prior_fit": int(len(counts))}


def signals(
    lake: str | Path | None = None,
    *,
    reports: str | Path | None = None,
    drug: str | list[str] | None = None,
    event: str | list[str] | None = None,
    min_count: int | None = None,
    definition: CaseDefinition | None = None,
    config: SignalConfig | str | Path | None = None,
    engine: str = "duckdb",
    spark_master: str = "local[*]",
    progress: Callable[[int, int, str], None] | None = None,
    **overrides: Any,
) -> SignalResult:
    """Score drug–event pairs from a lake or a reports table.

    ``config`` (a :class:`SignalConfig` or a YAML/JSON path) sets every parameter; the
    keyword arguments override it. ``drug``/``event`` select rows (case-insensitive;
    comma-separated names allowed); ``min_count`` drops pairs with fewer reports.
    ``progress(done, total, label)`` is called as each step starts (counting, scoring).
    """
    cfg = load_config(config) if isinstance(config, (str, Path)) else (config or SignalConfig())
    upd: dict[str, Any] = dict(overrides)
    if lake is not None:
        upd["lake"] = str(lake)
    if reports is not None:
        upd["reports"] = str(reports)
    if drug is not None:
        upd["drug"] = [d.strip() for d in ([drug] if isinstance(drug, str) else drug) for d in d.split(",")]
    if event is not None:
        upd["event"] = [e.strip() for e in ([event] if isinstance(event, str) else event) for e in e.split(",")]
    if min_count is not None:
        upd["min_count"] = min_count
    if definition is not None:
        upd["case_definition"] = definition.to_dict()
    try:
        cfg = SignalConfig.model_validate({**cfg.model_dump(), **upd})
    except ValidationError as exc:
        raise ConfigError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc
    if (cfg.lake is None) == (cfg.reports is None):
        raise ConfigError("give exactly one data source: a lake (--lake DIR) or a reports table (--reports FILE)")
    comparator = (cfg.case_definition or {}).get("comparator")
    if comparator and cfg.drug and comparator.strip().upper() in {d.upper() for d in cfg.drug}:
        raise ConfigError(f"{comparator} is the active comparator: it cannot also be the drug compared with it")
    if progress:
        progress(0, 2, "counting drug–event pairs")
    notes: list[str] = []
    if cfg.lake is not None:
        definition = cfg.definition()
        cfg.case_definition = definition.to_dict()
        if cfg.drug and definition.drug_level == "class":  # the drugs are classes: a brand becomes its class
            cfg.drug, notes = class_names(cfg.drug, definition.drug_classes)
        counts, long, source = _counts_from_lake(cfg, engine, spark_master)
    else:
        counts, long, source = _counts_from_reports(cfg)
    if progress:
        progress(1, 2, f"fitting the MGPS prior and scoring {len(counts):,} pairs")
    table, fit_meta = score_counts(counts, cfg, long)
    n_total = int(counts["n_total"].iloc[0]) if len(counts) else 0
    meta = {
        "software": f"pvsignal {__version__}",
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "engine": engine,
        "source": source,
        "population_reports": n_total,
        "pairs_scored": int(len(table)),
        **({"notes": notes} if notes else {}),
        **fit_meta,
        "methods": {
            "ror": "Woolf log CI (van Puijenbroek 2002)",
            "prr": "log CI; chi-square with and without Yates (Evans 2001)",
            "ic": f"Norén 2013 shrinkage IC = log2((n+0.5)/(E+0.5)), {cfg.ic_method} limits",
            "ebgm": "MGPS two-gamma prior by maximum marginal likelihood over all pairs (DuMouchel 1999)",
        },
    }
    return SignalResult(table, cfg, meta, counts)
