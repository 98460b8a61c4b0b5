"""Time to onset (TTO): days from the suspect drug's therapy start to the event date.

Day counting: ``days = event_dt − start_dt`` in whole calendar days, so an event on the
day therapy started is day 0 and the next day is day 1. ``event_dt`` is the case's
DEMO event date (one per case), ``start_dt`` the THER start of the drug, matched by
``caseid`` and ``dsg_drug_seq = drug_seq`` of the drug's rows (suspect roles by
default). When the drug has several therapy rows (or several drug_seq rows) in a case,
the **earliest** start among the rows with an accepted date precision is used.

Date precision (``*_dt_prec``; store/schema.py): by default only dates precise to the
day (``'D'``) are used. With ``allow_month=True`` month-precise dates (``'M'``, stored as
day 1) are also used, imputed to the **15th** of the month (the NBER convention for
YYYYMM dates, FACTS.md §1.3); year-only dates are never used.

Each case of the population is kept or excluded with the first reason that applies, in
this order (:data:`EXCLUSION_REASONS`): event date missing; event date too coarse;
therapy start missing (no THER row with a start date for the drug); therapy start too
coarse; therapy start before 1950-01-01; event before therapy start (days < 0); onset
over ``max_days`` (3652 days ≈ 10 years). Excluded cases are counted by reason.

Summary: n, median and quartiles (linear interpolation, numpy/R type 7), share with
``days ≤ 30``, counts in the bins 0–30, 31–60, 61–90, 91–180, 181–360, > 360 days.

Weibull: F(t) = 1 − exp(−(t/α)^β), shape β, scale α, fitted by maximum likelihood
(:func:`weibull_fit`). The likelihood needs t > 0; day 0 is set to **0.5 day** for the
fit only (an event on the start day happened, on average, half a day after the start;
``zero_days='exclude'`` drops day 0 from the fit instead). The reading follows the
confidence interval of β, not its point estimate (FACTS.md §2.5, FACTS-2.md §5): upper
limit < 1 → "early failure"; lower limit > 1 → "wear-out failure"; otherwise "random
failure". Spontaneous-report onset data are right-truncated (Leroy et al., BMC Med Res
Methodol 2014;14:17), which this naive MLE does not correct.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from pvsignal.analysis.cases import drug_cases
from pvsignal.analysis.population import UNSET, CaseDefinition, case_population, with_shortcuts
from pvsignal.errors import AnalysisError, ConfigError
from pvsignal.stats.weibull import WeibullFit, weibull_fit, weibull_reading  # noqa: F401 (re-exported)

EXCLUSION_REASONS = (
    "event date missing",
    "event date too coarse",
    "therapy start missing",
    "therapy start too coarse",
    "therapy start before 1950",
    "event before therapy start",
    "onset over 10 years",
)
BIN_EDGES = (30, 60, 90, 180, 360)
BIN_LABELS = ("0-30", "31-60", "61-90", "91-180", "181-360", ">360")
MAX_DAYS = 3652
MIN_START = "1950-01-01"


# --------------------------------------------------------------------------- onset data
def onset_days(
    con: Any,
    drug: str,
    event: str | None = None,
    *,
    definition: CaseDefinition | None = None,
    level: str | None = None,
    by_event: bool = False,
    roles: str | Sequence[str] | None = UNSET,
    allow_month: bool = False,
    max_days: int = MAX_DAYS,
    drop_probable_duplicates: bool | None = None,
) -> pd.DataFrame:
    """One row per case (per event with ``by_event``): caseid, event, start_dt, event_dt,
    days, excluded (null when kept, else a reason of :data:`EXCLUSION_REASONS`).

    The cases are those of :func:`~pvsignal.analysis.cases.drug_cases` under
    ``definition`` (``con``, ``roles``, ``drop_probable_duplicates`` as in
    :func:`~pvsignal.analysis.cases.case_series`). Dates here are the ones used (month
    dates already imputed to the 15th). One engine query.
    """
    d = with_shortcuts(definition, roles=roles, drop_probable_duplicates=drop_probable_duplicates)
    sel = drug_cases(case_population(con, d), drug, event, level=level or d.event_level, by_event=by_event)
    p = sel.population
    t, rows = p.backend.table("case_ther"), sel.drug_rows
    j = rows.left_join(t, (rows.caseid == t.caseid) & (rows.drug_seq == t.dsg_drug_seq))
    th = j.group_by("caseid").aggregate(n_start=j.start_dt.count(),
                                        start_day=_day(j.start_dt, j.start_dt_prec, allow_month).min())
    c = p.cases
    c = c.select("caseid", event_dt_raw=c.event_dt, event_day=_day(c.event_dt, c.event_dt_prec, allow_month))
    base = sel.pop.join(c, "caseid").left_join(th, "caseid")
    days = base.event_day.delta(base.start_day, unit="day")
    r = EXCLUSION_REASONS
    excluded = ibis.cases(
        (base.event_dt_raw.isnull(), r[0]), (base.event_day.isnull(), r[1]),
        (base.n_start.fill_null(0) == 0, r[2]), (base.start_day.isnull(), r[3]),
        (base.start_day < ibis.date(MIN_START), r[4]), (days < 0, r[5]), (days > int(max_days), r[6]),
        else_=ibis.null("string"))
    out = base.select("caseid", "event", start_dt=base.start_day.cast("date"), event_dt=base.event_day.cast("date"),
                      days=days, excluded=excluded)
    df = out.order_by(["event", "caseid"]).execute()
    df["days"] = df["days"].where(df["excluded"].isna())
    return df


def _day(date: ir.DateValue, prec: ir.StringValue, allow_month: bool) -> ir.DateValue:
    """The date when precise to the day; with ``allow_month`` a month date's 15th; else null."""
    whens = [(prec == "D", date)]
    if allow_month:
        whens.append((prec == "M", (date + ibis.interval(days=14)).cast("date")))
    return ibis.cases(*whens, else_=ibis.null("date"))


# --------------------------------------------------------------------------- summary
@dataclass
class OnsetResult:
    """Time-to-onset summary of one drug (and event or event group)."""

    drug: str
    event: str | None
    level: str
    n_cases: int
    n: int
    median_days: float
    q1_days: float
    q3_days: float
    within_30_days: float
    bins: pd.DataFrame
    excluded: dict[str, int]
    weibull: WeibullFit | None
    weibull_note: str | None
    parameters: dict[str, Any]
    days: np.ndarray = field(repr=False)

    @property
    def reading(self) -> str | None:
        return self.weibull.reading if self.weibull else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (NaN → None)."""
        w = self.weibull
        nz = lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else v  # noqa: E731
        return {
            "drug": self.drug, "event": self.event, "level": self.level,
            "n_cases": self.n_cases, "n": self.n,
            "median_days": nz(self.median_days), "q1_days": nz(self.q1_days), "q3_days": nz(self.q3_days),
            "within_30_days": nz(self.within_30_days),
            "bins": {b: int(k) for b, k in zip(self.bins["bin"], self.bins["n"])},
            "weibull_shape": {"estimate": w.shape, "lower": w.shape_lower, "upper": w.shape_upper} if w else None,
            "weibull_scale": {"estimate": w.scale, "lower": w.scale_lower, "upper": w.scale_upper} if w else None,
            "weibull_n": w.n if w else 0,
            "weibull_note": self.weibull_note,
            "reading": self.reading,
            "excluded": dict(self.excluded),
            "parameters": self.parameters,
        }


def summarise_onset(
    days: Sequence[float] | np.ndarray,
    *,
    excluded: dict[str, int] | None = None,
    zero_days: str = "half",
    level_ci: float = 0.95,
    ci: str = "wald-log",
    drug: str = "",
    event: str | None = None,
    level: str = "pt",
    parameters: dict[str, Any] | None = None,
) -> OnsetResult:
    """Median, quartiles, share within 30 days, bins and Weibull fit of onset ``days``.

    ``zero_days``: ``'half'`` fits day 0 as 0.5 day, ``'exclude'`` leaves day 0 out of the
    fit (both only for the Weibull; the descriptive numbers use the days as they are).
    """
    if zero_days not in ("half", "exclude"):
        raise ConfigError(f"zero_days must be 'half' or 'exclude', not {zero_days!r}")
    d = np.sort(np.asarray(days, dtype=float))
    n = len(d)
    if n:
        q1, med, q3 = np.quantile(d, [0.25, 0.5, 0.75])
        within = float(np.mean(d <= 30))
    else:
        q1 = med = q3 = within = math.nan
    idx = np.searchsorted(np.asarray(BIN_EDGES, dtype=float), d, side="left")  # day 30 → bin 0
    counts = np.bincount(idx, minlength=len(BIN_LABELS))
    bins = pd.DataFrame({"bin": BIN_LABELS, "n": counts.astype("int64"),
                         "share": counts / n if n else np.full(len(BIN_LABELS), math.nan)})
    t = np.where(d == 0, 0.5, d) if zero_days == "half" else d[d > 0]
    fit, note = None, None
    try:
        fit = weibull_fit(t, level=level_ci, ci=ci)
    except AnalysisError as exc:
        note = str(exc)
    excl = {r: int((excluded or {}).get(r, 0)) for r in EXCLUSION_REASONS}
    excl.update({k: int(v) for k, v in (excluded or {}).items() if k not in excl})
    return OnsetResult(
        drug=drug, event=event, level=level, n_cases=n + sum(excl.values()), n=n,
        median_days=float(med), q1_days=float(q1), q3_days=float(q3), within_30_days=within,
        bins=bins, excluded=excl, weibull=fit, weibull_note=note,
        parameters={**(parameters or {}), "zero_days": zero_days, "ci": ci, "ci_level": level_ci},
        days=d,
    )


def time_to_onset(
    con: Any,
    drug: str,
    event: str | None = None,
    *,
    definition: CaseDefinition | None = None,
    level: str | None = None,
    roles: str | Sequence[str] | None = UNSET,
    allow_month: bool = False,
    max_days: int = MAX_DAYS,
    zero_days: str = "half",
    ci: str = "wald-log",
    drop_probable_duplicates: bool | None = None,
) -> OnsetResult:
    """Time to onset of ``event`` (a PT, or a group at ``level``) for ``drug``; all events
    of the drug's cases when ``event`` is None. ``con``, ``definition`` and the shortcuts
    as in :func:`onset_days`; see the module doc for every convention."""
    d = with_shortcuts(definition, roles=roles, drop_probable_duplicates=drop_probable_duplicates)
    level = level or d.event_level
    rows = onset_days(con, drug, event, definition=d, level=level, allow_month=allow_month, max_days=max_days)
    return _summarise_rows(rows, drug=drug, event=event, level=level, definition=d, allow_month=allow_month,
                           max_days=max_days, zero_days=zero_days, ci=ci)


def onset_by_event(
    con: Any,
    drug: str,
    *,
    definition: CaseDefinition | None = None,
    level: str | None = None,
    min_cases: int = 3,
    roles: str | Sequence[str] | None = UNSET,
    allow_month: bool = False,
    max_days: int = MAX_DAYS,
    zero_days: str = "half",
    ci: str = "wald-log",
    drop_probable_duplicates: bool | None = None,
) -> pd.DataFrame:
    """One row per event (PT or group at ``level``) with ≥ ``min_cases`` usable onsets.

    Columns: event, n, n_excluded, median_days, q1_days, q3_days, within_30_days,
    weibull_shape, weibull_shape_lower, weibull_shape_upper, weibull_scale, reading;
    sorted by n (descending), then event.
    """
    d = with_shortcuts(definition, roles=roles, drop_probable_duplicates=drop_probable_duplicates)
    level = level or d.event_level
    rows = onset_days(con, drug, definition=d, level=level, by_event=True, allow_month=allow_month, max_days=max_days)
    out = []
    for ev, part in rows.groupby("event", sort=True):  # one scipy fit per event
        if part["excluded"].isna().sum() < min_cases:
            continue
        r = _summarise_rows(part, drug=drug, event=str(ev), level=level, definition=d,
                            allow_month=allow_month, max_days=max_days, zero_days=zero_days, ci=ci)
        w = r.weibull
        out.append({
            "event": ev, "n": r.n, "n_excluded": sum(r.excluded.values()),
            "median_days": r.median_days, "q1_days": r.q1_days, "q3_days": r.q3_days,
            "within_30_days": r.within_30_days,
            "weibull_shape": w.shape if w else math.nan,
            "weibull_shape_lower": w.shape_lower if w else math.nan,
            "weibull_shape_upper": w.shape_upper if w else math.nan,
            "weibull_scale": w.scale if w else math.nan,
            "reading": r.reading,
        })
    cols = ["event", "n", "n_excluded", "median_days", "q1_days", "q3_days", "within_30_days",
            "weibull_shape", "weibull_shape_lower", "weibull_shape_upper", "weibull_scale", "reading"]
    df = pd.DataFrame(out, columns=cols)
    return df.sort_values(["n", "event"], ascending=[False, True]).reset_index(drop=True)


def _summarise_rows(rows: pd.DataFrame, *, drug: str, event: str | None, level: str,
                    definition: CaseDefinition, allow_month: bool, max_days: int,
                    zero_days: str, ci: str) -> OnsetResult:
    kept = rows["excluded"].isna()
    excluded = rows.loc[~kept, "excluded"].value_counts().to_dict()
    return summarise_onset(
        rows.loc[kept, "days"].to_numpy(dtype=float), excluded=excluded, zero_days=zero_days, ci=ci,
        drug=drug.strip().upper(), event=event, level=level,
        parameters={"roles": list(definition.role_codes),
                    "date_precision": "day or month (month → 15th)" if allow_month else "day",
                    "max_days": max_days, "min_start": MIN_START,
                    "day_counting": "event_dt - start_dt in days; same day = 0",
                    "several_therapies": "earliest start",
                    "case_definition": definition.to_dict(), "methods": definition.describe()},
    )
