"""Case line listing: one row per case of a drug (or drug–event pair), for case review.

The cases are those of :func:`~pvsignal.analysis.cases.case_series` — the case
definition's population (:func:`~pvsignal.analysis.population.case_population`), cases
reporting the drug's ingredient in one of the definition's roles (and the event at its
level) — so the listing has exactly the case series' ``n_cases`` rows. The selection and
joins are Ibis queries (DuckDB or Spark); only the listed cases' rows come back, and the
per-case text cells are built with pandas.

Columns: ``caseid, primaryid, caseversion``; dates ``event_dt, fda_dt`` (latest FDA
receipt), ``init_fda_dt`` (first receipt), ISO ``YYYY-MM-DD``; ``age_years`` (prepared
``age_years``: unit converted, null outside 0–120), ``sex``, ``weight_kg`` (prepared
``wt_kg``); ``country`` (``occr_country``), ``reporter_country``, ``reporter_type``
(``occp_cod``); then one text cell each, in ``drug_seq`` order:

* ``drugs`` — every drug of the case, any role: ``NAME (ROLE; DOSE UNIT; ROUTE;
  start→end)``, ``NAME`` the ingredient(s) of the row joined by ``+`` (the reported
  name when unmapped); empty parts are left out; therapy periods ``start→end`` (either
  side may be open), several joined by ``,``; drugs separated by ``" | "``;
* ``indications`` — ``NAME: INDICATION, …`` per drug with an indication, ``" | "``;
* ``events`` — every PT (alphabetical), ``"; "``; ``outcomes`` — outcome codes in the
  order DE, LT, HO, DS, CA, RI, OT, ``"; "``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from pvsignal.analysis.backends import staged
from pvsignal.analysis.cases import OUTCOME_ORDER, drug_cases
from pvsignal.analysis.population import UNSET, CaseDefinition, case_population, with_shortcuts
from pvsignal.errors import AnalysisError

LISTING_COLUMNS = (
    "caseid", "primaryid", "caseversion", "event_dt", "fda_dt", "init_fda_dt", "age_years", "sex", "weight_kg",
    "country", "reporter_country", "reporter_type", "drugs", "indications", "events", "outcomes",
)
SEP = " | "


def _iso(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce").dt.strftime("%Y-%m-%d").astype("string")


def _text(s: pd.Series) -> pd.Series:
    """Trimmed text, empty → NA."""
    t = s.astype("string").str.strip()
    return t.mask(t == "")


def _join_parts(frame: pd.DataFrame, cols: Sequence[str], sep: str) -> pd.Series:
    """Row-wise join of the non-empty text cells of ``cols``."""
    out = pd.Series("", index=frame.index, dtype="string")
    for c in cols:  # a loop over the few columns; each step is vectorised over the rows
        v = frame[c].astype("string").fillna("")
        joined = out.where(out == "", out + sep) + v
        out = joined.where(v != "", out)
    return out


def _joined(frame: pd.DataFrame, by: list[str], col: str, sep: str) -> pd.Series:
    """The non-empty ``col`` texts of each ``by`` group joined by ``sep``, in row order, as a
    Series indexed by ``by`` (groups without text left out). ``frame`` must be sorted so that
    each group's rows are contiguous: the groups are cut at key changes (numpy) and joined
    with ``str.join`` on list slices, with no pandas object per group (a listing of 2,000
    cases has ≈ 15,000 drug rows)."""
    v = frame[col].astype("string")
    f = frame.loc[v.notna() & (v != ""), by]
    texts = v[f.index].tolist()
    if not texts:
        return pd.Series([], dtype="string", index=pd.MultiIndex.from_tuples([], names=by) if len(by) > 1
                         else pd.Index([], name=by[0]))
    keys = f.to_numpy()
    change = (keys[1:] != keys[:-1]).any(axis=1)
    starts = np.flatnonzero(np.r_[True, change])
    ends = np.r_[starts[1:], len(texts)]
    out = [sep.join(texts[a:b]) for a, b in zip(starts, ends)]
    first = f.iloc[starts]
    index = pd.MultiIndex.from_frame(first) if len(by) > 1 else pd.Index(first[by[0]], name=by[0])
    return pd.Series(out, index=index, dtype="string")


def _drug_cells(drugs: pd.DataFrame, ther: pd.DataFrame, indi: pd.DataFrame) -> pd.DataFrame:
    """``caseid, drugs, indications`` from the case's drug, therapy and indication rows."""
    drugs = drugs.assign(ingredient=_text(drugs["ingredient"]), drugname=_text(drugs["drugname"]))
    drugs = drugs.sort_values(["caseid", "drug_seq", "ingredient"], kind="stable").reset_index(drop=True)
    per = drugs.groupby(["caseid", "drug_seq"], sort=False).agg(
        role=("role_cod", "first"), drugname=("drugname", "first"), dose_amt=("dose_amt", "first"),
        dose_unit=("dose_unit", "first"), route=("route", "first"))
    names = _joined(drugs.drop_duplicates(["caseid", "drug_seq", "ingredient"]), ["caseid", "drug_seq"],
                    "ingredient", "+")
    per = per.join(names.rename("name")).reset_index()
    per["name"] = per["name"].mask(per["name"] == "", per["drugname"]).fillna("(unnamed)")
    per["dose"] = _join_parts(per.assign(dose_amt=_text(per["dose_amt"]), dose_unit=_text(per["dose_unit"])),
                              ["dose_amt", "dose_unit"], " ")
    t = ther.assign(start=_iso(ther["start_dt"]).fillna(""), end=_iso(ther["end_dt"]).fillna(""))
    t = t[(t["start"] != "") | (t["end"] != "")].sort_values(["caseid", "dsg_drug_seq", "start", "end"])
    t["period"] = t["start"] + "→" + t["end"]
    periods = _joined(t, ["caseid", "dsg_drug_seq"], "period", ", ").rename("therapy")
    per = per.merge(periods, left_on=["caseid", "drug_seq"], right_index=True, how="left")
    per["details"] = _join_parts(per.assign(route=_text(per["route"])), ["role", "dose", "route", "therapy"], "; ")
    per["cell"] = per["name"] + per["details"].where(per["details"] == "", " (" + per["details"] + ")")
    i = indi.assign(indi_pt=_text(indi["indi_pt"]).str.upper()).dropna(subset=["indi_pt"])
    i = i.drop_duplicates(["caseid", "indi_drug_seq", "indi_pt"]).sort_values(["caseid", "indi_drug_seq", "indi_pt"])
    ind = _joined(i, ["caseid", "indi_drug_seq"], "indi_pt", ", ").rename("indi")
    per = per.merge(ind, left_on=["caseid", "drug_seq"], right_index=True, how="left")
    per["indi_cell"] = (per["name"] + ": " + per["indi"]).where(per["indi"].notna())
    per = per.sort_values(["caseid", "drug_seq"], kind="stable")
    return pd.DataFrame({"drugs": _joined(per, ["caseid"], "cell", SEP),
                         "indications": _joined(per, ["caseid"], "indi_cell", SEP)})


def case_listing(con: Any, drug: str, event: str | None = None, *, level: str | None = None,
                 definition: CaseDefinition | None = None, roles: str | Sequence[str] | None = UNSET,
                 drop_probable_duplicates: bool | None = None) -> pd.DataFrame:
    """One row per case of ``drug`` (and ``event`` at ``level``) under ``definition``.

    ``con``: a DuckDB connection with the prepared views, an
    :class:`~pvsignal.store.engine.Engine` or an Ibis backend; the arguments mean what
    they mean for :func:`~pvsignal.analysis.cases.case_series`. Columns:
    :data:`LISTING_COLUMNS` (see the module text), sorted by ``caseid``. Raises
    :class:`UnknownNameError` for an unknown drug or event and :class:`AnalysisError`
    when no case qualifies.
    """
    d = with_shortcuts(definition, roles=roles, drop_probable_duplicates=drop_probable_duplicates)
    sel = drug_cases(case_population(con, d), drug, event, level=level or d.event_level)
    ib = sel.population.backend
    # the case ids once (a temporary table): every query below reads them
    with staged(ib, sel.pop.select("caseid").distinct()) as ids:
        c = sel.population.cases.semi_join(ids, "caseid")
        cases = c.select("caseid", "primaryid", "caseversion", "event_dt", "fda_dt", "init_fda_dt", "age_years",
                         "sex", weight_kg=c.wt_kg, country=c.occr_country, reporter_country=c.reporter_country,
                         reporter_type=c.occp_cod).to_pandas()
        if cases.empty:
            raise AnalysisError(f"no case reports {sel.drug!r}" + (f" with {event!r}" if event else "")
                                + f" under the case definition ({'; '.join(d.describe())})")

        def rows(name: str, *cols: str, distinct: bool = False) -> pd.DataFrame:
            t = ib.table(name).semi_join(ids, "caseid").select(*cols)
            return (t.distinct() if distinct else t).to_pandas()

        drugs = rows("case_drugs", "caseid", "drug_seq", "role_cod", "ingredient", "drugname", "route", "dose_amt",
                     "dose_unit")
        ther = rows("case_ther", "caseid", "dsg_drug_seq", "start_dt", "end_dt")
        indi = rows("case_indi", "caseid", "indi_drug_seq", "indi_pt")
        reac = rows("case_reactions", "caseid", "pt", distinct=True)
        outc = rows("case_outc", "caseid", "outc_cod", distinct=True)
    cells = _drug_cells(drugs, ther, indi)
    reac = reac.dropna().sort_values(["caseid", "pt"])
    events = _joined(reac, ["caseid"], "pt", "; ").rename("events")
    rank = {code: i for i, code in enumerate(OUTCOME_ORDER)}
    outc = outc.dropna().assign(_r=lambda f: f["outc_cod"].map(rank).fillna(len(rank))).sort_values(
        ["caseid", "_r", "outc_cod"])
    outcomes = _joined(outc, ["caseid"], "outc_cod", "; ").rename("outcomes")
    out = cases.set_index("caseid").join([cells, events, outcomes]).reset_index()
    for col in ("event_dt", "fda_dt", "init_fda_dt"):
        out[col] = _iso(out[col])
    for col in ("drugs", "indications", "events", "outcomes"):
        out[col] = out[col].fillna("").astype("string")
    return out[list(LISTING_COLUMNS)].sort_values("caseid").reset_index(drop=True)
