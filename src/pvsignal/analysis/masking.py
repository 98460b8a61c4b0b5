"""Masking: find the drugs that hide a drug–event signal and score the pair without them.

A masking drug m is one reported so often with an event e that it inflates the
background rate of e and so lowers the disproportionality of every other drug with e
(Maignen F, Hauben M, Hung E, Van Holle L, Dogné JM. Pharmacoepidemiol Drug Saf
2014;23:195–207 and 208–217, "masking ratio").

**Masking ratio.** For a pair (d, e) with background cells c (other reports with e) and
c + d (other reports), and a candidate m ≠ d reported with e in n_me reports out of its
n_m reports:

    MR = [c / (c + d)] / [(c − n_me) / (c + d − n_m)]

the factor by which removing m's reports raises the background proportion of e, i.e.
PRR_after / PRR_before for d (exact when no report names both d and m; a report naming
both is counted in m's margins all the same). MR > 1: m masks (d, e); the larger, the
stronger. MR = ∞ when every background report of e names m. Only drugs reported with e
and outside the analysed drugs are candidates.

**Unmasking.** For each pair, the top ``k`` maskers by MR (ties: more reports with e,
then name) are removed — every report naming one of them leaves the population (also
the drug's own reports naming it, as in Maignen 2014) — and the 2×2 is counted again in
the engine (one query, DuckDB or Spark). ROR, PRR, IC and EBGM are computed before and
after by the one scoring pipeline (:func:`~pvsignal.analysis.signals.score_counts`);
EBGM after uses the prior fitted before (refitting the whole database per pair would
change every prior a little and hide the effect of the removal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd

from pvsignal.analysis.backends import backend_of, staged
from pvsignal.analysis.counts import with_cells
from pvsignal.analysis.population import population
from pvsignal.analysis.sensitivity import FLAGS, signal_change
from pvsignal.analysis.signals import SignalResult, score_counts
from pvsignal.errors import ConfigError

MEASURES = ("n", "ror", "ror_lower", "prr", "ic", "ic025", "ebgm", "eb05")


def masking_ratios(counts: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Every candidate masker of each pair in ``pairs`` (drug, event, c, d) with its MR.

    ``counts``: the count table of all pairs (drug, event, n, n_drug) that ``pairs`` was
    scored from. Returns ``drug, event, masker, n_masker_event, n_masker, masking_ratio``
    for the candidates with MR > 1, sorted by pair then MR (descending), with ``rank``
    (1 = strongest) per pair. Vectorised (one merge).
    """
    cand = counts[["drug", "event", "n", "n_drug"]].rename(
        columns={"drug": "masker", "n": "n_masker_event", "n_drug": "n_masker"})
    cand = cand[~cand["masker"].isin(pairs["drug"].unique())]
    m = pairs[["drug", "event", "c", "d"]].merge(cand, on="event")
    c, total = m["c"].to_numpy(float), (m["c"] + m["d"]).to_numpy(float)
    left_e, left_n = c - m["n_masker_event"].to_numpy(float), total - m["n_masker"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mr = np.where(left_e > 0, (c / total) / (left_e / left_n), np.inf)
    m = m.assign(masking_ratio=mr)[mr > 1].drop(columns=["c", "d"])
    m = m.sort_values(["drug", "event", "masking_ratio", "n_masker_event", "masker"],
                      ascending=[True, True, False, False, True], kind="mergesort")
    m["rank"] = m.groupby(["drug", "event"]).cumcount() + 1
    return m.reset_index(drop=True)


def _removed_counts(source: Any, definition: Any, masks: pd.DataFrame) -> pd.DataFrame:
    """Per pair: reports of the population naming one of its maskers (``removed``), and
    those among the drug's, the event's and the pair's reports (one engine query each)."""
    drugs, events, _ = population(source, definition)
    rd0 = drugs.filter(drugs.report_id.notnull() & drugs.drug.notnull()).select("report_id", "drug").distinct()
    re0 = events.filter(events.report_id.notnull() & events.event.notnull()).select("report_id", "event").distinct()
    rd = rd0.semi_join(re0.select("report_id").distinct(), "report_id")
    re = re0.semi_join(rd.select("report_id").distinct(), "report_id")
    mk = ibis.memtable(masks[["drug", "event", "masker"]].rename(columns={"drug": "of_drug", "event": "of_event"}))
    removed = rd.join(mk, rd.drug == mk.masker).select("report_id", "of_drug", "of_event").distinct()
    keys = ["of_drug", "of_event"]
    with staged(backend_of(source), removed) as r:  # one pass over the maskers' reports for the four counts
        in_drug = r.join(rd, (r.report_id == rd.report_id) & (r.of_drug == rd.drug)).select(*r.columns)
        in_event = r.join(re, (r.report_id == re.report_id) & (r.of_event == re.event)).select(*r.columns)
        in_pair = in_drug.join(re, (in_drug.report_id == re.report_id) & (in_drug.of_event == re.event)).select(
            *r.columns)
        out = None
        for name, t in (("removed", r), ("removed_drug", in_drug), ("removed_event", in_event),
                        ("removed_pair", in_pair)):
            df = t.group_by(keys).aggregate(**{name: t.count()}).to_pandas()
            out = df if out is None else out.merge(df, on=keys, how="outer")
    return out.rename(columns={"of_drug": "drug", "of_event": "event"})


@dataclass
class MaskingResult:
    """``table``: one row per pair, measures before → after; ``maskers``: the removed drugs."""

    table: pd.DataFrame
    maskers: pd.DataFrame
    parameters: dict[str, Any] = field(default_factory=dict)


def unmask_top(source: Any, result: SignalResult, k: int = 1) -> MaskingResult:
    """Remove the top ``k`` maskers (by masking ratio) of each scored pair of ``result`` and
    score the pair again: ``n``, ROR, PRR, IC, EBGM (and their flags) before and after.

    ``source``: the prepared views ``result`` was computed from (a DuckDB connection, an
    Engine or an Ibis backend). ``result`` must come from a lake, with its crude 2×2 (no
    strata, no comparator), and hold a drug or event selection (``--drug``/``--event``).
    """
    cfg = result.config
    if cfg.lake is None or result.counts is None:
        raise ConfigError("the masking check needs a FAERS lake result (signals --lake …)")
    definition = cfg.definition()
    if definition.strata or definition.comparator:
        raise ConfigError("the masking check recounts the crude 2×2: drop --strata and --comparator")
    if not (cfg.drug or cfg.event):
        raise ConfigError("name the pairs to check with --drug and/or --event (the check recounts each pair)")
    if int(k) < 1:
        raise ConfigError(f"unmask-top must be at least 1; got {k}")
    pairs = result.table
    ratios = masking_ratios(result.counts, pairs)
    top = ratios[ratios["rank"] <= int(k)]
    before = pairs[["drug", "event", *MEASURES, *FLAGS]]
    base = result.counts.merge(pairs[["drug", "event"]], on=["drug", "event"])
    if top.empty:
        after = base.assign(removed=0)
    else:
        rem = _removed_counts(source, definition, top)
        after = base.merge(rem, on=["drug", "event"], how="left").fillna(
            {c: 0 for c in ("removed", "removed_drug", "removed_event", "removed_pair")})
        after = after.assign(n=after.n - after.removed_pair, n_drug=after.n_drug - after.removed_drug,
                             n_event=after.n_event - after.removed_event, n_total=after.n_total - after.removed)
        cells = ibis.memtable(after[["drug", "event", "n", "n_drug", "n_event", "n_total", "removed"]])
        after = with_cells(cells).to_pandas()  # same cell and E formulas as every count table
    prior = result.metadata.get("mgps_prior", {})
    theta = [prior[k] for k in ("alpha1", "beta1", "alpha2", "beta2", "p")] if "alpha1" in prior else None
    acfg = cfg.model_copy(update={"drug": None, "event": None, "min_count": 1,
                                  "mgps": cfg.mgps.model_copy(update={"prior": theta}), "fisher": False})
    scored, _ = score_counts(after.drop(columns=["removed"]), acfg)
    if theta is None:  # no prior before: a prior fitted on these few rows would not be comparable
        scored[["ebgm", "eb05", "eb95"]] = np.nan
        scored["flag_ebgm"] = False
    scored = scored.merge(after[["drug", "event", "removed"]], on=["drug", "event"])
    table = before.merge(scored[["drug", "event", "removed", *MEASURES, *FLAGS]], on=["drug", "event"],
                         suffixes=("_before", "_after"))
    names = top.groupby(["drug", "event"])["masker"].agg(", ".join).rename("maskers")
    mr = top[top["rank"] == 1].set_index(["drug", "event"])["masking_ratio"].rename("top_masking_ratio")
    table = table.join(names, on=["drug", "event"]).join(mr, on=["drug", "event"])
    table["maskers"] = table["maskers"].fillna("")
    table["signal_change"] = signal_change(table[[f"{f}_before" for f in FLAGS]], table[[f"{f}_after" for f in FLAGS]])
    lead = ["drug", "event", "maskers", "top_masking_ratio", "removed", "signal_change"]
    table = table[lead + [c for c in table.columns if c not in lead]]
    params = {"k": int(k), "masking_ratio": "Maignen et al. 2014: [c/(c+d)] / [(c−n_me)/(c+d−n_m)]",
              "ebgm_after": "prior fitted before the removal" if theta else "not computed (no prior)"}
    return MaskingResult(table.reset_index(drop=True), top.reset_index(drop=True), params)

