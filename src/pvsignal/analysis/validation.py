"""Method validation: every disproportionality method scored against a reference set of controls.

A reference set (:func:`~pvsignal.knowledge.reference_sets.load_reference_set`) lists drug–
outcome pairs known to be associated (positive controls) or not (negative controls). Here:

1. **Drugs** are normalised to ingredients by the lake's own rules
   (:func:`~pvsignal.prepare.drugs.normalize_names`); **outcomes** are matched (case and
   blanks ignored) to the names of PT groups (a groups YAML ``groups: {outcome: [PT, ...]}``,
   the file ``--groups`` takes): a report has the outcome when any PT of its group is
   among its reactions (Harpaz et al., Clin Pharmacol Ther 2013;93:539–546, did the same with
   custom event terms).
2. Counts over the case definition's population at the group level (reports without a
   grouped PT stay in N), optionally **time-indexed**: only cases first received by FDA
   (``init_fda_dt``, else ``fda_dt``) *before* a cut-off date — one date for all pairs, or each
   pair's label-change date (pairs without one, the negative controls of Harpaz et al.
   2014, take the earliest label date of the set so that no control sees later data than a
   positive). One count query per distinct date: a loop over dates, never over pairs.
3. ROR, PRR, χ², IC and EBGM as :func:`~pvsignal.analysis.signals.signals` computes them; the
   MGPS prior is fitted on every PT-level pair of the same population (the database the
   outcome pairs are shrunk towards), falling back to the outcome-level pairs when that fit
   fails (recorded in :attr:`Validation.parameters`).
4. **Unscorable pairs** — outcome not mapped, drug or outcome absent from the population,
   or no report of the pair (n = 0) — are counted and listed with their reason.
   ``unscorable='exclude'`` (default) leaves them out of every metric, as the metrics are
   those of the methods on the pairs the data can score; ``'no-signal'`` keeps them as
   pairs each method ranks below every scored pair and never flags (the database's
   sensitivity, not only the method's). A score that is undefined for a scored pair (e.g.
   ROR with b = 0) is treated the same way, per method.
5. For each score (:data:`SCORES`): AUC with DeLong's 95 % CI and the ROC curve
   (:mod:`pvsignal.stats.roc`); for each rule (:func:`rules`, the usual thresholds of
   :class:`~pvsignal.stats.flags.Thresholds`): sensitivity, specificity, PPV and NPV.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Literal

import ibis
import numpy as np
import pandas as pd

from pvsignal.analysis.backends import backend_of
from pvsignal.analysis.counts import execute, pair_counts_from_sets
from pvsignal.analysis.population import NO_GROUP_EVENT, CaseDefinition, Population
from pvsignal.analysis.signals import SignalConfig, score_counts
from pvsignal.errors import AnalysisError, ConfigError, InputFileError
from pvsignal.stats.flags import Thresholds, ebgm_flag, ic_flag, prr_flag, ror_flag
from pvsignal.stats.mgps import fit_prior
from pvsignal.stats.roc import auc_delong, confusion, roc_curve

#: score column → its name in tables and plots (higher = stronger signal)
SCORES: dict[str, str] = {
    "ror_lower": "ROR lower limit", "ror": "ROR", "prr_lower": "PRR lower limit", "prr": "PRR",
    "ic025": "IC025", "ic": "IC", "eb05": "EB05", "ebgm": "EBGM",
}
UNSCORABLE = ("exclude", "no-signal")
STATUS_SCORED = "scored"


def rules(t: Thresholds) -> list[tuple[str, str, Callable[[pd.DataFrame], np.ndarray]]]:
    """The signal rules evaluated: (score column, rule text, calls over a scored table).

    The classic criteria with ``t``'s values (ROR lower limit with and without its n, Evans'
    PRR, IC025, EB05) and the point estimates at their usual cut-offs (ROR ≥ 2, PRR ≥ 2,
    IC > 0, EBGM ≥ 2; PRR lower limit > 1). NaN never calls a signal.
    """
    chi = "chi2_yates" if t.prr_chi2 == "yates" else "chi2"

    def v(x: pd.DataFrame, col: str) -> np.ndarray:  # NaN compares False: never a signal
        return x[col].to_numpy(dtype=float)

    return [
        ("ror_lower", f"ROR lower limit > {t.ror_lower_gt:g}, n ≥ {t.ror_min_n}",
         lambda x: ror_flag(x["n"].to_numpy(), v(x, "ror_lower"), t)),
        ("ror_lower", f"ROR lower limit > {t.ror_lower_gt:g}", lambda x: v(x, "ror_lower") > t.ror_lower_gt),
        ("ror", "ROR ≥ 2", lambda x: v(x, "ror") >= 2),
        ("prr", f"PRR ≥ {t.prr_min:g}, χ² ≥ {t.prr_chi2_min:g}, n ≥ {t.prr_min_n} (Evans)",
         lambda x: prr_flag(x["n"].to_numpy(), v(x, "prr"), v(x, chi), t)),
        ("prr", f"PRR ≥ {t.prr_min:g}", lambda x: v(x, "prr") >= t.prr_min),
        ("prr_lower", "PRR lower limit > 1", lambda x: v(x, "prr_lower") > 1),
        ("ic025", f"IC025 > {t.ic025_gt:g}", lambda x: ic_flag(x["n"].to_numpy(), v(x, "ic025"), t)),
        ("ic", "IC > 0", lambda x: v(x, "ic") > 0),
        ("eb05", f"EB05 ≥ {t.eb05_min:g}", lambda x: ebgm_flag(x["n"].to_numpy(), v(x, "eb05"), t)),
        ("ebgm", "EBGM ≥ 2", lambda x: v(x, "ebgm") >= 2),
    ]


@dataclass
class Validation:
    """A method validation.

    ``pairs``: one row per control — the reference's ``drug, outcome, control, label_date``,
    then ``ingredient``, ``event`` (the PT group), ``cutoff`` (reports received before it;
    NaT = all), ``status`` (``scored`` or why not), counts, cells and every score;
    ``metrics``: one row per rule (sensitivity, specificity, PPV, NPV, TP/FP/FN/TN) with its
    score's AUC; ``auc``: one row per score (AUC, SE, 95 % CI, positives, negatives,
    ``undefined``: scored pairs whose score is undefined); ``roc``: the ROC curve of
    every score (``score, threshold, fpr, tpr``); ``parameters``: every setting and tally.
    """

    pairs: pd.DataFrame
    metrics: pd.DataFrame
    auc: pd.DataFrame
    roc: pd.DataFrame
    parameters: dict[str, Any] = field(default_factory=dict)


def outcome_groups(groups: Any, meddra: Any = None) -> pd.DataFrame:
    """The PTs of each outcome: rows ``(pt, group_name)``, ``group_name`` the outcome.

    ``groups``: a mapping ``{outcome: [PT, ...]}``, or a YAML file with ``groups:`` (that
    mapping; LLT or verbatim terms are mapped to PTs through ``meddra`` when given) and/or
    ``smqs: {outcome: SMQ name}`` with ``smq_scope: narrow`` (default) or ``broad`` — the SMQ's
    active PTs in the user's MedDRA release ``meddra`` (:meth:`~pvsignal.prepare.meddra.MedDRA.smq_terms`).
    """
    from pvsignal.prepare.meddra import load_groups_yaml, load_meddra, read_groups_file
    from pvsignal.suggest import unknown_name

    if isinstance(groups, dict):
        rows = [(str(pt).strip().upper(), str(name)) for name, pts in groups.items() for pt in pts]
        return pd.DataFrame(rows, columns=["pt", "group_name"])
    path = Path(groups)
    doc = read_groups_file(path)
    doc = doc if isinstance(doc, dict) else {}
    smqs = doc.get("smqs") or {}
    if not doc.get("groups") and not smqs:
        raise ConfigError(f"{path} must map outcomes to PTs ('groups: {{outcome: [PT, ...]}}') or to SMQs "
                          "('smqs: {outcome: SMQ name}', with --meddra)")
    release = load_meddra(meddra) if meddra else None
    frames = [load_groups_yaml(path, release)[["pt", "group_name"]]] if doc.get("groups") else []
    if smqs:
        if release is None:
            raise ConfigError(f"{path} maps outcomes to SMQs: give your MedDRA release (--meddra DIR)")
        scope = str(doc.get("smq_scope", "narrow"))
        terms = release.smq_terms(scope=scope)
        names = dict(zip(_key(terms["smq_name"]), terms["smq_name"]))
        for outcome, smq in smqs.items():
            name = names.get(_key(pd.Series([str(smq)])).iloc[0])
            if name is None:
                raise unknown_name("SMQ", str(smq), terms["smq_name"].unique())
            pts = terms.loc[terms["smq_name"] == name, "pt"]
            frames.append(pd.DataFrame({"pt": pts.to_numpy(), "group_name": str(outcome)}))
    return pd.concat(frames, ignore_index=True).drop_duplicates()


def _key(s: pd.Series) -> pd.Series:
    return s.astype(str).str.strip().str.replace(r"\s+", " ", regex=True).str.upper()


def _cutoffs(ref: pd.DataFrame, before: str | date | None) -> pd.Series:
    """Each pair's cut-off date (NaT: all data): ``before``, or ``'label'`` for the label dates."""
    if before is None:
        return pd.Series(pd.NaT, index=ref.index, dtype="datetime64[ns]")
    if str(before).strip().lower() == "label":
        dates = pd.to_datetime(ref["label_date"])
        if dates.isna().all():
            raise ConfigError("--before label needs label-change dates in the reference set (a label_change_date "
                              "column); give a date instead, e.g. --before 2013-01-01")
        return dates.fillna(dates.min())
    try:
        when = pd.Timestamp(date.fromisoformat(str(before).strip()[:10]))
    except ValueError:
        raise ConfigError(f"before must be a date such as 2013-01-01, or 'label'; got {before!r}") from None
    return pd.Series(when, index=ref.index, dtype="datetime64[ns]")


def _counts(pop: Population, cutoff: pd.Timestamp | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(group-level, PT-level) pair counts of the population, cases received before ``cutoff``."""
    drugs, pts, grouped = pop.drugs, pop.events(), pop.events("group")
    if cutoff is not None and not pd.isna(cutoff):
        c = pop.cases
        keep = c.filter(c.init_fda_dt.coalesce(c.fda_dt) < cutoff.date()).select(report_id=c.caseid)
        drugs, pts, grouped = (t.semi_join(keep, "report_id") for t in (drugs, pts, grouped))
    others = pts.select("report_id").distinct().anti_join(grouped, "report_id")
    events = grouped.union(others.mutate(event=ibis.literal(NO_GROUP_EVENT)))
    return execute(pair_counts_from_sets(drugs, events)), execute(pair_counts_from_sets(drugs, pts))


def _score(group_counts: pd.DataFrame, pt_counts: pd.DataFrame, cfg: SignalConfig) -> tuple[pd.DataFrame, dict]:
    """Scores of every outcome-level pair, the MGPS prior fitted on the PT-level pairs."""
    meta: dict[str, Any] = {}
    cfg = cfg.model_copy(update={"min_count": 1, "drug": None, "event": None})
    if cfg.mgps.prior is None and len(pt_counts):
        try:
            fit = fit_prior(pt_counts["n"].to_numpy(), pt_counts["expected"].to_numpy(),
                            squash={"auto": "auto", "always": True, "never": None}[cfg.mgps.squash], starts=cfg.mgps.starts)
            cfg = cfg.model_copy(update={"mgps": cfg.mgps.model_copy(update={"prior": fit.prior.theta.tolist()})})
            meta["mgps_prior"] = {**fit.to_dict(), "fitted_on": f"{len(pt_counts):,} PT-level pairs"}
        except AnalysisError as exc:
            meta["mgps_prior_pt_error"] = f"{exc}; prior fitted on the outcome-level pairs instead"
    groups = group_counts[group_counts["event"] != NO_GROUP_EVENT]
    if groups.empty:
        return pd.DataFrame(columns=["drug", "event"]), meta
    table, fit_meta = score_counts(group_counts, cfg)
    meta.setdefault("mgps_prior", fit_meta["mgps_prior"])
    return table, meta


def _margins(counts: pd.DataFrame) -> tuple[pd.Series, pd.Series, int]:
    n_drug = counts.groupby("drug")["n_drug"].first()
    n_event = counts[counts["event"] != NO_GROUP_EVENT].groupby("event")["n_event"].first()
    return n_drug, n_event, int(counts["n_total"].iloc[0]) if len(counts) else 0


def score_controls(con: Any, reference: pd.DataFrame, groups: pd.DataFrame, *, definition: CaseDefinition | None = None,
                   before: str | date | None = None, config: SignalConfig | None = None) -> tuple[pd.DataFrame, dict]:
    """Each control of ``reference`` with its ingredient, outcome group, cut-off, status and scores.

    ``groups``: rows ``(pt, group_name)`` (:func:`~pvsignal.prepare.meddra.load_groups_yaml`),
    registered as the ``pt_groups`` view on ``con`` (a DuckDB connection or an Ibis DuckDB
    backend). Returns the pairs table and metadata (priors, population sizes per cut-off).
    """
    from pvsignal.prepare.drugs import normalize_names
    from pvsignal.prepare.meddra import register_pt_groups

    cfg = config or SignalConfig()
    d = (definition or CaseDefinition()).replace(event_level="pt", event_groups=None)
    ib = backend_of(con)
    if ib.name != "duckdb":
        raise ConfigError("validate runs on DuckDB (--engine duckdb)")
    register_pt_groups(ib.con, groups.assign(level="group"))
    ref = reference.reset_index(drop=True).copy()
    ref["ingredient"] = normalize_names(ref[["drug"]], "drug")["ingredient"].fillna("").str.upper()
    names = pd.Series(groups["group_name"].unique())
    by_key = dict(zip(_key(names), names))
    ref["event"] = _key(ref["outcome"]).map(by_key)
    if ref["event"].isna().all():
        raise InputFileError(f"no outcome of the reference set is a group of the groups file (outcomes: "
                             f"{', '.join(ref['outcome'].unique()[:6])}; groups: {', '.join(names[:6])}); "
                             "name each group as the outcome it defines")
    ref["cutoff"] = _cutoffs(ref, before)
    pop = Population(ib, d)
    parts, meta = [], {"cutoffs": []}
    for cutoff, rows in ref.groupby(ref["cutoff"].fillna(pd.Timestamp.max), sort=True):
        cut = None if cutoff == pd.Timestamp.max else cutoff
        gc, pc = _counts(pop, cut)
        table, m = _score(gc, pc, cfg)
        n_drug, n_event, n_total = _margins(gc)
        keyed = rows.merge(table.rename(columns={"drug": "ingredient"}), on=["ingredient", "event"], how="left")
        keyed.index = rows.index
        keyed["n_drug"] = rows["ingredient"].map(n_drug).fillna(0).astype("int64")
        keyed["n_event"] = rows["event"].map(n_event).fillna(0).astype("int64")
        keyed["n_total"] = n_total
        parts.append(keyed)
        meta["cutoffs"].append({"before": None if cut is None else str(cut.date()), "pairs": len(rows),
                                "reports": n_total, **m})
    out = pd.concat(parts).sort_index()
    for c in ("n", *SCORES, "expected", "a", "b", "c", "d", "chi2", "chi2_yates"):
        if c not in out.columns:  # no outcome-level pair in the data at all
            out[c] = np.nan
    out["n"] = out["n"].fillna(0).astype("int64")
    out[["a", "b", "c", "d"]] = out[["a", "b", "c", "d"]].astype("Int64")
    out["status"] = np.select(
        [out["event"].isna(), out["n_drug"] == 0, out["n_event"] == 0, out["n"] == 0],
        ["outcome not mapped", "drug not in the data", "outcome not in the data", "no report of the pair"],
        STATUS_SCORED)
    first = [*reference.columns, "ingredient", "event", "cutoff", "status", "n", "n_drug", "n_event", "n_total",
             "a", "b", "c", "d", "expected"]
    first = list(dict.fromkeys(c for c in first if c in out.columns))
    return out[first + [c for c in out.columns if c not in first]].reset_index(drop=True), meta


def _evaluated(pairs: pd.DataFrame, score: str, unscorable: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(rows evaluated, their scores with −inf for 'no signal', scored pairs whose score is undefined)."""
    scored = (pairs["status"] == STATUS_SCORED).to_numpy()
    s = pairs[score].to_numpy(dtype=float)
    undefined = int((scored & np.isnan(s)).sum())
    if unscorable == "exclude":
        return scored & ~np.isnan(s), s, undefined
    return np.ones(len(pairs), dtype=bool), np.where(scored & ~np.isnan(s), s, -np.inf), undefined


def evaluate(pairs: pd.DataFrame, thresholds: Thresholds | None = None, *,
             unscorable: Literal["exclude", "no-signal"] = "exclude") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(metrics, auc, roc)`` of every score and rule over a pairs table (:func:`score_controls`).

    Needs columns ``control`` (1/0), ``status``, ``n`` and the score columns of
    :data:`SCORES`. A score whose evaluated pairs lack a positive or a negative gets NaN AUC
    and no ROC curve; its rules still get their 2×2 counts.
    """
    if unscorable not in UNSCORABLE:
        raise ConfigError(f"unscorable must be one of {', '.join(UNSCORABLE)}; got {unscorable!r}")
    t = thresholds or Thresholds()
    truth = pairs["control"].to_numpy() == 1
    aucs, curves, kept = [], [], {}
    for score, name in SCORES.items():
        rows, s, undefined = _evaluated(pairs, score, unscorable)
        kept[score] = rows
        row = {"score": score, "method": name, "positives": int(truth[rows].sum()),
               "negatives": int((~truth[rows]).sum()), "undefined": undefined}
        if row["positives"] and row["negatives"]:
            est = auc_delong(s[rows], truth[rows])
            row.update(auc=est.auc[0], auc_se=est.se[0], auc_lower=est.lower[0], auc_upper=est.upper[0])
            curve = roc_curve(s[rows], truth[rows])
            curves.append(curve.assign(score=score)[["score", "threshold", "fpr", "tpr"]])
        else:
            row.update(auc=np.nan, auc_se=np.nan, auc_lower=np.nan, auc_upper=np.nan)
        aucs.append(row)
    auc = pd.DataFrame(aucs)
    metrics = []
    for score, text, call in rules(t):
        rows = kept[score]
        sub = pairs[rows]
        called = call(sub) if len(sub) else np.zeros(0, dtype=bool)
        m = confusion(called, truth[rows]).to_dict("records")[0]
        metrics.append({"score": score, "rule": text, **m})
    metrics = pd.DataFrame(metrics).merge(auc[["score", "auc", "auc_lower", "auc_upper"]], on="score", how="left")
    roc = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=["score", "threshold", "fpr", "tpr"])
    return metrics, auc, roc


def validate(con: Any, reference: pd.DataFrame, groups: pd.DataFrame, *, definition: CaseDefinition | None = None,
             before: str | date | None = None, unscorable: Literal["exclude", "no-signal"] = "exclude",
             config: SignalConfig | None = None) -> Validation:
    """Score the controls of ``reference`` (:func:`score_controls`) and evaluate every method
    (:func:`evaluate`); see the module doc for the choices made."""
    if unscorable not in UNSCORABLE:
        raise ConfigError(f"unscorable must be one of {', '.join(UNSCORABLE)}; got {unscorable!r}")
    cfg = config or SignalConfig()
    pairs, meta = score_controls(con, reference, groups, definition=definition, before=before, config=cfg)
    metrics, auc, roc = evaluate(pairs, cfg.thresholds, unscorable=unscorable)
    status = pairs["status"].value_counts()
    params = {
        "controls": int(len(pairs)), "positive_controls": int((pairs["control"] == 1).sum()),
        "negative_controls": int((pairs["control"] == 0).sum()),
        "scored": int(status.get(STATUS_SCORED, 0)),
        "unscorable": {k: int(v) for k, v in status.items() if k != STATUS_SCORED},
        "unmapped_outcomes": sorted(pairs.loc[pairs["status"] == "outcome not mapped", "outcome"].astype(str).unique()),
        "unused_groups": sorted(set(groups["group_name"]) - set(pairs["event"].dropna())),
        "unscorable_treatment": unscorable, "before": None if before is None else str(before),
        "case_definition": (definition or CaseDefinition()).to_dict(),
        "thresholds": cfg.thresholds.model_dump(), "level": cfg.level, **meta,
    }
    return Validation(pairs=pairs, metrics=metrics, auc=auc, roc=roc, parameters=params)
