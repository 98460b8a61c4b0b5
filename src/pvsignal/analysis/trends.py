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
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from pvsignal.analysis.population import NO_GROUP_EVENT, CaseDefinition, Population, population
from pvsignal.analysis.backends import backend_of, staged
from pvsignal.errors import AnalysisError, ConfigError, UnknownNameError
from pvsignal.quarters import index_quarter, parse_quarter, quarter_index
from pvsignal.stats.flags import Thresholds, signal_flags
from pvsignal.stats.mgps import ebgm_scores, fit_prior
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


def quarter_counts(con: Any, definition: CaseDefinition, *, drug: str | None = None,
                   prior_sample: int = 1) -> dict[str, pd.DataFrame]:
    """Counts by quarter of the definition's population: ``pairs`` (drug, event, quarter, n),
    ``drugs`` (drug, quarter, n), ``events`` (event, quarter, n), ``reports`` (quarter, n).
    The population: reports with a drug in the definition's roles and an event, as for
    :func:`~pvsignal.analysis.counts.pair_counts_from_sets`. The distinct (report, event) and
    (report, drug, quarter) sets are staged once (the second restricted to reports with an
    event); each count is then one GROUP BY … quarter on them, a report's quarter being its
    drug rows' (its case's).

    ``prior_sample = 1``: ``pairs`` holds every pair (exact; the join of all report–drug and
    report–event rows, the costly step). ``prior_sample = k > 1`` (needs ``drug``): ``pairs``
    holds only ``drug``'s pairs, and ``prior_pairs`` the pairs of every k-th event ranked by
    report count (ties by name) — a frequency-stratified 1/k sample of events, deterministic on
    every engine — on which the MGPS priors are fitted; the join shrinks about k-fold."""
    if prior_sample < 1 or int(prior_sample) != prior_sample:
        raise ConfigError(f"prior_sample must be a whole number ≥ 1; got {prior_sample!r}")
    if prior_sample > 1 and drug is None:
        raise ConfigError("a sampled prior counts one drug's pairs: name the drug")
    if definition.comparator:  # per-drug margins (analysis.comparator) are not split by quarter
        raise ConfigError("signals over time do not take an active comparator (--comparator) yet")
    _, events, _ = population(con, definition)
    ib = backend_of(con)
    dr = Population(ib, definition).drug_rows  # case_drugs rows carry their case's quarter: no join with cases
    re0 = events.filter(events.report_id.notnull() & events.event.notnull()).select("report_id", "event").distinct()
    with staged(ib, re0) as re:
        rd0 = dr.filter(dr.caseid.notnull()).select(report_id=dr.caseid, drug=dr.ingredient, quarter=dr.quarter)
        with staged(ib, rd0.distinct().semi_join(re.select("report_id").distinct(), "report_id")) as rd:
            rq = rd.select("report_id", "quarter").distinct()  # one quarter per report (its case's)
            rqe = re.join(rq, "report_id")
            out = {
                "drugs": rd.group_by(["drug", "quarter"]).aggregate(n=rd.count()).to_pandas(),
                "events": rqe.group_by(["event", "quarter"]).aggregate(n=rqe.count()).to_pandas(),
                "reports": rq.group_by("quarter").aggregate(n=rq.count()).to_pandas(),
            }

            def pairs_of(left: Any, right: Any) -> pd.DataFrame:
                p = left.join(right, "report_id")  # the quarter is the drug row's (its case's)
                return p.group_by(["drug", "event", "quarter"]).aggregate(n=p.count()).to_pandas()

            if prior_sample == 1:
                out["pairs"] = pairs_of(rd, re)
            else:
                out["pairs"] = pairs_of(rd.filter(rd.drug == drug.strip().upper()), re)
                chosen = sampled_events(out["events"], int(prior_sample))
                out["prior_pairs"] = pairs_of(rd, re.filter(re.event.isin(chosen)))
    for name, keys in (("pairs", ["drug", "event"]), ("prior_pairs", ["drug", "event"]), ("drugs", ["drug"]),
                       ("events", ["event"]), ("reports", [])):
        if name in out:  # the same order on every engine
            out[name] = out[name].sort_values([*keys, "quarter"]).reset_index(drop=True)
    return out


def sampled_events(events: pd.DataFrame, k: int) -> list[str]:
    """Every ``k``-th event (the first, the (k+1)-th …) ranked by its total report count,
    descending, ties by name: a sample stratified over event frequency."""
    tot = events[events["event"] != NO_GROUP_EVENT].groupby("event", sort=True)["n"].sum().reset_index()
    ranked = tot.sort_values(["n", "event"], ascending=[False, True], kind="mergesort")["event"]
    return ranked.iloc[::k].tolist()


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


def _ebgm(allp: _AllPairs, w: np.ndarray, prior_fixed, sel_rows: pd.DataFrame, fit_cache: dict) -> tuple[pd.DataFrame, dict]:
    """EBGM of ``sel_rows`` (n, expected) with the prior of this slice (fitted, or ``prior_fixed``)."""
    meta: dict[str, Any] = {}
    prior = prior_fixed
    if isinstance(prior, str):  # the final prior could not be fitted: the reason
        meta, prior = {"error": prior}, None
    elif prior is None:
        key = tuple(np.flatnonzero(w))
        if key not in fit_cache:
            n, E = allp.slice(w)
            keep = n >= 1
            try:
                fit_cache[key] = fit_prior(n[keep], E[keep])
            except AnalysisError as exc:
                fit_cache[key] = str(exc)
        fit = fit_cache[key]
        if isinstance(fit, str):
            meta = {"error": fit}
        else:
            prior, meta = fit.prior, {**fit.prior.to_dict(), "pairs": fit.n_points, "converged": fit.converged}
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
) -> OverTime:
    """Score the pairs of ``drug`` (all its events, or ``events``) slice by slice (module text).

    ``split``: a date or quarter; adds a ``before`` (quarters before its quarter) and an
    ``after`` (its quarter on) slice. ``thresholds``: the flag criteria (defaults of
    :class:`~pvsignal.stats.flags.Thresholds`). ``counts``: the output of
    :func:`quarter_counts` when already computed. ``prior_sample = k > 1``: count only this
    drug's pairs and fit the MGPS priors on the pairs of every k-th event by report count
    (:func:`quarter_counts`; ROR, PRR, χ², IC and the margins unchanged, EBGM from a prior
    estimated on a 1/k sample of events; about k times less counting). Raises :class:`UnknownNameError` for a
    drug or event not in the population, :class:`ConfigError` for strata or a bad split.
    """
    d = definition or CaseDefinition()
    if d.strata:
        raise ConfigError("signals over time use crude expected counts: leave out the strata")
    if prior not in ("refit", "final"):
        raise ConfigError(f"prior must be refit or final; got {prior!r}")
    key = drug.strip().upper()
    cnt = counts if counts is not None else quarter_counts(con, d, drug=key, prior_sample=prior_sample)
    pq = cnt["pairs"][cnt["pairs"]["event"] != NO_GROUP_EVENT]
    if cnt["drugs"].empty or (pq.empty and "prior_pairs" not in cnt):
        raise AnalysisError("no drug–event pair in the population: check the case definition and filters")
    drug_names = pd.Index(sorted(cnt["drugs"]["drug"].unique()))
    if key not in drug_names:
        raise unknown_name("ingredient", key, list(drug_names))
    event_names = pd.Index(sorted(cnt["events"]["event"].unique()))
    first, last = cnt["reports"]["quarter"].min(), cnt["reports"]["quarter"].max()
    quarters = [index_quarter(i) for i in range(quarter_index(first), quarter_index(last) + 1)]
    qpos = {q: i for i, q in enumerate(quarters)}
    split_q = split_quarter(split) if split is not None else None
    labels, W = _slices(quarters, split_q)

    pair_index, n_all = _pair_matrix(pq, qpos)
    dm = _matrix(cnt["drugs"], _codes(cnt["drugs"]["drug"], drug_names), len(drug_names), qpos).toarray()
    em = _matrix(cnt["events"], _codes(cnt["events"]["event"], event_names), len(event_names), qpos).toarray()
    nq = np.zeros(len(quarters))
    nq[cnt["reports"]["quarter"].map(qpos).to_numpy()] = cnt["reports"]["n"].to_numpy()
    pair_drug = _codes(pair_index["drug"], drug_names)
    pair_event = _codes(pair_index["event"], event_names)

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
    n_sel = n_all[idx].toarray() @ W.T
    nd = dm[pair_drug[idx]] @ W.T
    ne = em[pair_event[idx]] @ W.T
    ntot = np.broadcast_to(W @ nq, n_sel.shape)
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

    if "prior_pairs" in cnt:  # the priors' pairs: a sample of events (quarter_counts)
        prior_index, n_prior = _pair_matrix(cnt["prior_pairs"][cnt["prior_pairs"]["event"] != NO_GROUP_EVENT], qpos)
        allp = _AllPairs(n_prior, dm, em, nq, _codes(prior_index["drug"], drug_names),
                         _codes(prior_index["event"], event_names))
        sample_meta = {"prior_sample": int(prior_sample), "prior_events": int(prior_index["event"].nunique()),
                       "prior_pairs": len(prior_index)}
    else:
        allp, sample_meta = _AllPairs(n_all, dm, em, nq, pair_drug, pair_event), {"prior_sample": 1}
    fixed, fixed_meta = None, {}
    if prior == "final":
        try:
            fixed = fit_prior(*allp.slice(np.ones(len(quarters)))).prior
            fixed_meta = {"mgps_prior": fixed.to_dict()}
        except AnalysisError as exc:  # e.g. too few pairs to estimate a prior: EBGM left out
            fixed, fixed_meta = str(exc), {"mgps_prior": {"error": str(exc)}}
    eb = pd.DataFrame(index=rows.index, columns=["ebgm", "eb05", "eb95"], dtype=np.float64)
    prior_rows, cache = [], {}
    for s in np.unique(rows["slice"]):  # one prior per slice (a loop over slices, never over pairs)
        at = np.flatnonzero(rows["slice"].to_numpy() == s)
        part, meta = _ebgm(allp, W[s], fixed, rows.iloc[at], cache)
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
