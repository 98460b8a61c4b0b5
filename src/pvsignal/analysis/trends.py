"""Signals over time: a drug's pairs scored cumulatively by quarter, per quarter and before/after a date.

A report's time is the quarter of its case's kept (latest) version (``cases.quarter``, the
quarter the case definition's ``quarters`` filter reads). One engine query per margin
(a GROUP BY … quarter over the staged report–drug and report–event sets, never a query per
quarter) counts the case definition's population by quarter — pairs × quarter for **every**
pair (the MGPS priors need them), drugs × quarter, events × quarter, reports × quarter — on
DuckDB or Spark. With ``prior_sample = k`` only the drug's pairs and those of every k-th
event by report count are joined (:func:`quarter_counts`): ROR, PRR, χ² and IC are
unchanged, EBGM uses priors fitted on that 1/k sample of events. A *slice* is a set of quarters: each cumulative slice (first quarter up
to q), each single quarter, and, with ``split``, the quarters before the split date's
quarter and from it on. Slice counts are sums of the quarter counts (a 0/1 weight matrix
W, slices × quarters: counts @ Wᵀ), so the cumulative slice at the last quarter is the
whole population and equals :func:`~pvsignal.analysis.signals.signals` exactly.

On every (pair, slice) row at once: the 2×2 cells a = n, b = n_drug − n, c = n_event − n,
d = N − n_drug − n_event + n, E = n_drug·n_event/N (crude; strata are not supported
here), then :func:`~pvsignal.stats.ratios.classic_scores` (ROR, PRR, χ², IC) and
:func:`~pvsignal.stats.flags.signal_flags`. EBGM: ``prior='refit'`` (default) fits the
MGPS prior on all pairs with n ≥ 1 of each slice (DuMouchel 1999: the prior describes the
database it shrinks; one fit per slice, a loop over slices, not over pairs);
``prior='final'`` fits once on the whole population and applies that prior to every
slice (cheaper; later data then inform early estimates). Rows where the slice lacks the
drug or the event (E = 0) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Literal, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from pvsignal.analysis.population import NO_GROUP_EVENT, CaseDefinition
from pvsignal.analysis.trend_counts import quarter_counts, sampled_events  # noqa: F401 (sampled_events: re-exported)
from pvsignal.errors import AnalysisError, ConfigError, UnknownNameError
from pvsignal.quarters import index_quarter, parse_quarter, quarter_index
from pvsignal.stats.flags import Thresholds, signal_flags
from pvsignal.stats.mgps import GammaMixturePrior, ebgm_scores, fit_prior
from pvsignal.stats.ratios import classic_scores
from pvsignal.suggest import unknown_name

FLAGS = {"flag_ror": "ror", "flag_prr": "prr", "flag_ic": "ic", "flag_ebgm": "ebgm"}


@dataclass
class OverTime:
    """Scores of a drug's pairs by slice.

    ``table``: one row per (pair, slice): ``drug, event, series`` (``cumulative``,
    ``quarter``, ``before``, ``after``), ``period`` (the quarter, or ``first:last``),
    counts, cells, E and every score and flag of :func:`~pvsignal.analysis.signals.signals`.
    ``first_signal``: per pair, the first cumulative quarter each method flags
    (``first_ror`` … ``first_ebgm``; empty when never) and the final ``n``.
    """

    table: pd.DataFrame
    first_signal: pd.DataFrame
    parameters: dict[str, Any]
    priors: pd.DataFrame = field(repr=False)

    def series(self, name: str) -> pd.DataFrame:
        return self.table[self.table["series"] == name].reset_index(drop=True)

    def metadata(self) -> dict[str, Any]:
        return dict(self.parameters)


def split_quarter(split: str | date) -> str:
    """The quarter of a date (``2023-05-10`` → ``2023Q2``) or a quarter name."""
    text = str(split).strip()
    try:
        return parse_quarter(text)
    except Exception:  # noqa: BLE001 — not a quarter name: try a date
        pass
    try:
        d = date.fromisoformat(text[:10])
    except ValueError:
        raise ConfigError(f"split must be a date (2023-05-10) or a quarter (2023Q2); got {split!r}") from None
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def _slices(quarters: list[str], split_q: str | None) -> tuple[pd.DataFrame, np.ndarray]:
    """Slice labels (series, period) and the 0/1 weight matrix W (slices × quarters)."""
    k = len(quarters)
    tri = np.tril(np.ones((k, k)))
    labels = [("cumulative", q) for q in quarters] + [("quarter", q) for q in quarters]
    w = [tri, np.eye(k)]
    if split_q is not None:
        before = np.array([quarter_index(q) < quarter_index(split_q) for q in quarters])
        for name, mask in (("before", before), ("after", ~before)):
            if mask.any():
                sel = [q for q, m in zip(quarters, mask) if m]
                labels.append((name, f"{sel[0]}:{sel[-1]}"))
                w.append(mask[None, :].astype(float))
    return pd.DataFrame(labels, columns=["series", "period"]), np.vstack(w)


def _codes(values: pd.Series, categories: pd.Index) -> np.ndarray:
    return pd.Categorical(values, categories=categories).codes


def _matrix(frame: pd.DataFrame, row_codes: np.ndarray, n_rows: int, qpos: dict[str, int]) -> sparse.csr_matrix:
    cols = frame["quarter"].map(qpos).to_numpy()
    return sparse.csr_matrix((frame["n"].to_numpy(dtype=np.float64), (row_codes, cols)), shape=(n_rows, len(qpos)))


def _pair_matrix(frame: pd.DataFrame, qpos: dict[str, int]) -> tuple[pd.DataFrame, sparse.csr_matrix]:
    """(the pairs sorted by drug and event, their counts as a sparse pairs × quarters matrix)."""
    index = frame[["drug", "event"]].drop_duplicates().sort_values(["drug", "event"]).reset_index(drop=True)
    pid = pd.MultiIndex.from_frame(index).get_indexer(pd.MultiIndex.from_frame(frame[["drug", "event"]]))
    return index, _matrix(frame, pid, len(index), qpos)


@dataclass
class _AllPairs:
    """Every pair's quarter counts (sparse, pairs × quarters) and the margins by quarter."""

    n: sparse.csr_matrix
    drug_q: np.ndarray
    event_q: np.ndarray
    reports_q: np.ndarray
    pair_drug: np.ndarray
    pair_event: np.ndarray

    def slice(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, E) of every pair in the slice of weights ``w`` (E = n_drug·n_event/N, crude)."""
        nd, ne = (self.drug_q @ w)[self.pair_drug], (self.event_q @ w)[self.pair_event]
        return self.n @ w, nd * ne / float(self.reports_q @ w)


@dataclass
class _Margins:
    """The quarters first–last of the counts and the margins by quarter (dense: names × quarters)."""

    quarters: list[str]
    qpos: dict[str, int]
    drug_names: pd.Index
    event_names: pd.Index
    dm: np.ndarray
    em: np.ndarray
    nq: np.ndarray

    @classmethod
    def of(cls, cnt: dict[str, pd.DataFrame]) -> _Margins:
        drug_names = pd.Index(sorted(cnt["drugs"]["drug"].unique()))
        event_names = pd.Index(sorted(cnt["events"]["event"].unique()))
        first, last = cnt["reports"]["quarter"].min(), cnt["reports"]["quarter"].max()
        quarters = [index_quarter(i) for i in range(quarter_index(first), quarter_index(last) + 1)]
        qpos = {q: i for i, q in enumerate(quarters)}
        dm = _matrix(cnt["drugs"], _codes(cnt["drugs"]["drug"], drug_names), len(drug_names), qpos).toarray()
        em = _matrix(cnt["events"], _codes(cnt["events"]["event"], event_names), len(event_names), qpos).toarray()
        nq = np.zeros(len(quarters))
        nq[cnt["reports"]["quarter"].map(qpos).to_numpy()] = cnt["reports"]["n"].to_numpy()
        return cls(quarters, qpos, drug_names, event_names, dm, em, nq)

    def pairs(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, _AllPairs]:
        """The pairs of ``frame`` (drug, event, quarter, n; the no-group placeholder left out) and their counts."""
        index, n = _pair_matrix(frame[frame["event"] != NO_GROUP_EVENT], self.qpos)
        return index, _AllPairs(n, self.dm, self.em, self.nq, _codes(index["drug"], self.drug_names),
                                _codes(index["event"], self.event_names))

    def key(self, w: np.ndarray) -> tuple[str, str]:
        """The slice of weights ``w`` as (first quarter, last quarter): every slice is a run of quarters."""
        at = np.flatnonzero(w)
        return self.quarters[at[0]], self.quarters[at[-1]]


PRIOR_KEYS = ("alpha1", "beta1", "alpha2", "beta2", "p")


def fit_slice(allp: _AllPairs, w: np.ndarray) -> dict[str, Any] | str:
    """The MGPS prior fitted on every pair with n ≥ 1 of the slice ``w``: the hyperparameters,
    ``pairs`` (points fitted) and ``converged``; or why it could not be fitted."""
    with np.errstate(invalid="ignore", divide="ignore"):  # a slice without reports: no E, no pair kept
        n, E = allp.slice(w)
    keep = n >= 1
    try:
        fit = fit_prior(n[keep], E[keep])
    except AnalysisError as exc:
        return str(exc)
    return {**fit.prior.to_dict(), "pairs": fit.n_points, "converged": fit.converged}


def slice_fits(cnt: dict[str, pd.DataFrame]) -> dict[tuple[str, str], dict[str, Any] | str]:
    """The per-slice priors ``prior='refit'`` uses, for every cumulative and every one-quarter
    slice of :func:`quarter_counts` output ``cnt`` (every pair), keyed by (first, last quarter):
    the fits :func:`signals_over_time` makes, computed once (e.g. when the counts are stored)."""
    m = _Margins.of(cnt)
    _, allp = m.pairs(cnt["pairs"])
    _, W = _slices(m.quarters, None)
    fits: dict[tuple[str, str], dict[str, Any] | str] = {}
    for w in W:  # a loop over slices, never over pairs
        key = m.key(w)
        if key not in fits:
            fits[key] = fit_slice(allp, w)
    return fits


def _ebgm(allp: Callable[[], _AllPairs], w: np.ndarray, key: tuple[str, str], prior_fixed, sel_rows: pd.DataFrame,
          fits: dict) -> tuple[pd.DataFrame, dict]:
    """EBGM of ``sel_rows`` (n, expected) with the prior of this slice (``fits[key]``, fitted
    on ``allp()`` when missing; or ``prior_fixed``)."""
    meta: dict[str, Any] = {}
    prior = prior_fixed
    if isinstance(prior, str):  # the final prior could not be fitted: the reason
        meta, prior = {"error": prior}, None
    elif prior is None:
        if key not in fits:
            fits[key] = fit_slice(allp(), w)
        fit = fits[key]
        if isinstance(fit, str):
            meta = {"error": fit}
        else:
            prior, meta = GammaMixturePrior.from_sequence([fit[k] for k in PRIOR_KEYS]), dict(fit)
    if prior is not None:
        try:
            eb = ebgm_scores(sel_rows["n"].to_numpy(), sel_rows["expected"].to_numpy(), prior)
            return eb[["ebgm", "eb05", "eb95"]], meta
        except RuntimeError as exc:  # a degenerate prior (on its bounds) of a small slice
            meta = {**meta, "error": f"EB quantiles not computed: {exc}"}
    nan = np.full(len(sel_rows), np.nan)
    return pd.DataFrame({"ebgm": nan, "eb05": nan, "eb95": nan}), meta


def signals_over_time(
    con: Any,
    drug: str,
    events: str | Sequence[str] | None = None,
    *,
    definition: CaseDefinition | None = None,
    split: str | date | None = None,
    prior: Literal["refit", "final"] = "refit",
    thresholds: Thresholds | None = None,
    level: float = 0.95,
    ic_method: Literal["closed_form", "exact"] = "closed_form",
    counts: dict[str, pd.DataFrame] | None = None,
    prior_sample: int = 1,
    fits: dict[tuple[str, str], dict[str, Any] | str] | None = None,
    all_pairs: Callable[[], pd.DataFrame] | None = None,
) -> OverTime:
    """Score the pairs of ``drug`` (all its events, or ``events``) slice by slice (module text).

    ``split``: a date or quarter; adds a ``before`` (quarters before its quarter) and an
    ``after`` (its quarter on) slice. ``thresholds``: the flag criteria (defaults of
    :class:`~pvsignal.stats.flags.Thresholds`). ``counts``: the output of
    :func:`quarter_counts` when already computed. ``prior_sample = k > 1``: count only this
    drug's pairs and fit the MGPS priors on the pairs of every k-th event by report count
    (:func:`quarter_counts`; ROR, PRR, χ², IC and the margins unchanged, EBGM from a prior
    estimated on a 1/k sample of events; about k times less counting). ``fits``: priors
    already fitted on these counts (:func:`slice_fits`, e.g. stored with them), used for
    the slices they cover; ``all_pairs``: when ``counts['pairs']`` holds only ``drug``'s
    pairs, a function giving every pair's (read only if a prior must still be fitted).
    Raises :class:`UnknownNameError` for a drug or event not in the population,
    :class:`ConfigError` for strata or a bad split.
    """
    d = definition or CaseDefinition()
    if d.strata:
        raise ConfigError("signals over time use crude expected counts: leave out the strata")
    if prior not in ("refit", "final"):
        raise ConfigError(f"prior must be refit or final; got {prior!r}")
    key = drug.strip().upper()
    cnt = counts if counts is not None else quarter_counts(con, d, drug=key, prior_sample=prior_sample)
    pq = cnt["pairs"][cnt["pairs"]["event"] != NO_GROUP_EVENT]
    if cnt["drugs"].empty or (pq.empty and "prior_pairs" not in cnt and all_pairs is None):
        raise AnalysisError("no drug–event pair in the population: check the case definition and filters")
    m = _Margins.of(cnt)
    if key not in m.drug_names:
        raise unknown_name("ingredient", key, list(m.drug_names))
    quarters = m.quarters
    split_q = split_quarter(split) if split is not None else None
    labels, W = _slices(quarters, split_q)

    pair_index, pairs_here = m.pairs(cnt["pairs"])
    pair_drug, pair_event = pairs_here.pair_drug, pairs_here.pair_event
    sel = (pair_index["drug"] == key).to_numpy()
    if events is not None:
        wanted = [e.strip().upper() for e in ([events] if isinstance(events, str) else events) for e in e.split(",")]
        have = set(pair_index.loc[sel, "event"])
        missing = [e for e in wanted if e not in have]
        if missing:
            raise UnknownNameError(f"no report of {key} with {', '.join(missing)} in the population")
        sel = sel & pair_index["event"].isin(wanted).to_numpy()
    idx = np.flatnonzero(sel)
    # (selected pair × slice) rows, all at once: counts @ Wᵀ
    n_sel = pairs_here.n[idx].toarray() @ W.T
    nd = m.dm[pair_drug[idx]] @ W.T
    ne = m.em[pair_event[idx]] @ W.T
    ntot = np.broadcast_to(W @ m.nq, n_sel.shape)
    rows = pd.DataFrame({
        "drug": np.repeat(pair_index["drug"].to_numpy()[idx], len(labels)),
        "event": np.repeat(pair_index["event"].to_numpy()[idx], len(labels)),
        "series": np.tile(labels["series"].to_numpy(), len(idx)),
        "period": np.tile(labels["period"].to_numpy(), len(idx)),
        "slice": np.tile(np.arange(len(labels)), len(idx)),
        "n": n_sel.ravel().astype(np.int64), "n_drug": nd.ravel().astype(np.int64),
        "n_event": ne.ravel().astype(np.int64), "n_total": ntot.ravel().astype(np.int64),
    })
    rows = rows[(rows["n_drug"] > 0) & (rows["n_event"] > 0)].reset_index(drop=True)
    rows = rows.assign(a=rows["n"], b=rows["n_drug"] - rows["n"], c=rows["n_event"] - rows["n"],
                       d=rows["n_total"] - rows["n_drug"] - rows["n_event"] + rows["n"],
                       expected=rows["n_drug"].astype(np.float64) * rows["n_event"] / rows["n_total"])
    scores = classic_scores(rows, level=level, ic_method=ic_method).drop(columns=["drug", "event", "n", "expected"])

    held: list[_AllPairs] = []
    sample_meta: dict[str, Any] = {"prior_sample": 1}
    if "prior_pairs" in cnt:  # the priors' pairs: a sample of events (quarter_counts)
        prior_index, sampled = m.pairs(cnt["prior_pairs"])
        held.append(sampled)
        sample_meta = {"prior_sample": int(prior_sample), "prior_events": int(prior_index["event"].nunique()),
                       "prior_pairs": len(prior_index)}
    elif all_pairs is None:
        held.append(pairs_here)

    def prior_pairs() -> _AllPairs:  # every pair's counts, read when a prior is fitted here
        if not held:
            held.append(m.pairs(all_pairs())[1])
        return held[0]

    fits = dict(fits or {}) if "prior_pairs" not in cnt else {}  # fits of every pair: not the sampled prior's
    fixed, fixed_meta = None, {}
    if prior == "final":
        whole = (quarters[0], quarters[-1])
        fit = fits[whole] if whole in fits else fit_slice(prior_pairs(), np.ones(len(quarters)))
        if isinstance(fit, str):  # e.g. too few pairs to estimate a prior: EBGM left out
            fixed, fixed_meta = fit, {"mgps_prior": {"error": fit}}
        else:
            fixed = GammaMixturePrior.from_sequence([fit[k] for k in PRIOR_KEYS])
            fixed_meta = {"mgps_prior": fixed.to_dict()}
    eb = pd.DataFrame(index=rows.index, columns=["ebgm", "eb05", "eb95"], dtype=np.float64)
    prior_rows = []
    for s in np.unique(rows["slice"]):  # one prior per slice (a loop over slices, never over pairs)
        at = np.flatnonzero(rows["slice"].to_numpy() == s)
        part, meta = _ebgm(prior_pairs, W[s], m.key(W[s]), fixed, rows.iloc[at], fits)
        eb.iloc[at] = part.to_numpy()
        prior_rows.append({"series": labels.at[s, "series"], "period": labels.at[s, "period"], **meta})
    table = pd.concat([rows.drop(columns="slice"), scores, eb], axis=1)
    table = pd.concat([table, signal_flags(table, thresholds)], axis=1)
    params = {"drug": key, "events": None if events is None else sorted(set(table["event"])),
              "case_definition": d.to_dict(), "split": None if split is None else str(split), "split_quarter": split_q,
              "prior": prior, "quarters": f"{quarters[0]}:{quarters[-1]}", "level": level, "ic_method": ic_method,
              "thresholds": (thresholds or Thresholds()).model_dump(), "time": "quarter of the case's kept version",
              **sample_meta, **fixed_meta}
    return OverTime(table, _first_signal(table), params, pd.DataFrame(prior_rows))


def _first_signal(table: pd.DataFrame) -> pd.DataFrame:
    """Per pair: the first cumulative quarter each method flags (empty if never) and the final n."""
    cum = table[table["series"] == "cumulative"].sort_values(["drug", "event", "period"])
    g = cum.groupby(["drug", "event"], sort=True)
    out = g["n"].last().rename("n").to_frame()
    for flag, name in FLAGS.items():
        hit = cum[cum[flag]].groupby(["drug", "event"])["period"].first()
        out[f"first_{name}"] = hit.reindex(out.index).fillna("").astype("string")
    return out.reset_index()
