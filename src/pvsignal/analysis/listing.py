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

import pandas as pd

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


def _drug_cells(drugs: pd.DataFrame, ther: pd.DataFrame, indi: pd.DataFrame) -> pd.DataFrame:
    """``caseid, drugs, indications`` from the case's drug, therapy and indication rows."""
    drugs = drugs.assign(ingredient=_text(drugs["ingredient"]), drugname=_text(drugs["drugname"]))
    rows = drugs.sort_values(["caseid", "drug_seq", "ingredient"]).groupby(["caseid", "drug_seq"], sort=False)
    per = rows.agg(role=("role_cod", "first"), drugname=("drugname", "first"), dose_amt=("dose_amt", "first"),
                   dose_unit=("dose_unit", "first"), route=("route", "first"),
                   name=("ingredient", lambda s: "+".join(dict.fromkeys(s.dropna())))).reset_index()
    per["name"] = per["name"].mask(per["name"] == "", per["drugname"]).fillna("(unnamed)")
    per["dose"] = _join_parts(per.assign(dose_amt=_text(per["dose_amt"]), dose_unit=_text(per["dose_unit"])),
                              ["dose_amt", "dose_unit"], " ")
    t = ther.assign(start=_iso(ther["start_dt"]).fillna(""), end=_iso(ther["end_dt"]).fillna(""))
    t = t[(t["start"] != "") | (t["end"] != "")].sort_values(["caseid", "dsg_drug_seq", "start", "end"])
    t["period"] = t["start"] + "→" + t["end"]
    periods = t.groupby(["caseid", "dsg_drug_seq"])["period"].agg(", ".join).rename("therapy")
    per = per.merge(periods, left_on=["caseid", "drug_seq"], right_index=True, how="left")
    per["details"] = _join_parts(per.assign(route=_text(per["route"])), ["role", "dose", "route", "therapy"], "; ")
    per["cell"] = per["name"] + per["details"].map(lambda d: f" ({d})" if d else "")
    i = indi.assign(indi_pt=_text(indi["indi_pt"]).str.upper()).dropna(subset=["indi_pt"])
    i = i.drop_duplicates(["caseid", "indi_drug_seq", "indi_pt"]).sort_values(["caseid", "indi_drug_seq", "indi_pt"])
    ind = i.groupby(["caseid", "indi_drug_seq"])["indi_pt"].agg(", ".join).rename("indi")
    per = per.merge(ind, left_on=["caseid", "drug_seq"], right_index=True, how="left")
    per["indi_cell"] = (per["name"] + ": " + per["indi"]).where(per["indi"].notna())
    per = per.sort_values(["caseid", "drug_seq"])
    return pd.DataFrame({
        "drugs": per.groupby("caseid")["cell"].agg(SEP.join),
        "indications": per.groupby("caseid")["indi_cell"].agg(lambda s: SEP.join(s.dropna())),
    })


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
    ids = sel.pop.select("caseid").distinct()
    c = sel.population.cases.semi_join(ids, "caseid")
    cases = c.select("caseid", "primaryid", "caseversion", "event_dt", "fda_dt", "init_fda_dt", "age_years", "sex",
                     weight_kg=c.wt_kg, country=c.occr_country, reporter_country=c.reporter_country,
                     reporter_type=c.occp_cod).to_pandas()
    if cases.empty:
        raise AnalysisError(f"no case reports {sel.drug!r}" + (f" with {event!r}" if event else "")
                            + f" under the case definition ({'; '.join(d.describe())})")
    cd = ib.table("case_drugs").semi_join(ids, "caseid")
    raw = ib.table("raw_drug").select("quarter", "primaryid", "drug_seq", "dose_amt", "dose_unit")
    j = cd.left_join(raw, ["quarter", "primaryid", "drug_seq"])
    drugs = j.select("caseid", "drug_seq", "role_cod", "ingredient", "drugname", "route", "dose_amt",
                     "dose_unit").to_pandas()
    ther = ib.table("case_ther").semi_join(ids, "caseid").select("caseid", "dsg_drug_seq", "start_dt", "end_dt")
    indi = ib.table("case_indi").semi_join(ids, "caseid").select("caseid", "indi_drug_seq", "indi_pt")
    reac = ib.table("case_reactions").semi_join(ids, "caseid").select("caseid", "pt").distinct().to_pandas()
    outc = ib.table("case_outc").semi_join(ids, "caseid").select("caseid", "outc_cod").distinct().to_pandas()
    cells = _drug_cells(drugs, ther.to_pandas(), indi.to_pandas())
    reac = reac.dropna().sort_values(["caseid", "pt"])
    events = reac.groupby("caseid")["pt"].agg("; ".join).rename("events")
    rank = {code: i for i, code in enumerate(OUTCOME_ORDER)}
    outc = outc.dropna().assign(_r=lambda f: f["outc_cod"].map(rank).fillna(len(rank))).sort_values(
        ["caseid", "_r", "outc_cod"])
    outcomes = outc.groupby("caseid")["outc_cod"].agg("; ".join).rename("outcomes")
    out = cases.set_index("caseid").join([cells, events, outcomes]).reset_index()
    for col in ("event_dt", "fda_dt", "init_fda_dt"):
        out[col] = _iso(out[col])
    for col in ("drugs", "indications", "events", "outcomes"):
        out[col] = out[col].fillna("").astype("string")
    return out[list(LISTING_COLUMNS)].sort_values("caseid").reset_index(drop=True)
