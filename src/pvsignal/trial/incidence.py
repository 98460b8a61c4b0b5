"""Treatment-emergent adverse event (TEAE) incidence by arm, from ADSL and ADAE.

Counting convention (standard AET02/AET03 shells):

* **Denominator N** — ADSL subjects with ``SAFFL == 'Y'``, by the ADSL arm variable
  (default ``TRT01A``, actual treatment; ``TRT01P`` when ``arm_var`` is TRTP).
* **Arm of an event** — with an ADSL arm variable (default): taken from ADSL by ``USUBJID``
  (ADAE's own copy of TRT01A, SAFFL … is not used: ADSL owns subject-level variables,
  :func:`pvsignal.trial.adam.join_adsl`), so numerator and denominator use the same
  assignment. With ``arm_var='TRTA'`` (or TRTP): the event record's own TRTA, as the
  AET02 shell counts it (FACTS-2 §6.1); the denominator stays ADSL's TRT01A (TRT01P).
* **Arm order** — as listed in ``arms``; else by the numeric code (TRT01AN …) when ADSL
  has it; else alphabetical (:func:`pvsignal.trial.adam.arm_order`).
* **Numerator n** — distinct ``USUBJID`` with at least one ADAE record with
  ``TRTEMFL == 'Y'`` in the safety population, counted once per SOC (``AEBODSYS``),
  once per PT (``AEDECOD``) and once in the overall "any event" row.
* **events** — number of TEAE records behind that row.
* **pct** — 100·n/N; undefined (NaN) when N = 0.
* **frequency** — CIOMS III category of n/N, lower bound inclusive (exact integer
  comparison): very common ≥ 1/10, common ≥ 1/100, uncommon ≥ 1/1,000,
  rare ≥ 1/10,000, very rare < 1/10,000; ``'not known'`` when N = 0 (cannot be
  estimated); ``''`` when n = 0 (no event observed). Source: CIOMS Working Group III (1995).
* **By severity** (``severity='AESEV'`` or ``'AETOXGR'``) — each subject counted once
  per row at the maximum grade among their records (MILD < MODERATE < SEVERE; toxicity
  grades numerically); a subject whose records all lack a grade is counted as
  ``MISSING``. The ``ANY`` rows are the plain counts; ``events`` in a grade row counts
  the records recorded with that grade.

Against a control arm, per row and arm (a = n, N1 = N; c = n, N0 = N of control):

* ``p_fisher`` — two-sided Fisher exact p (``pvsignal.stats.fisher.fisher_exact``, which sums the
  hypergeometric probabilities ≤ that of the observed table);
* ``rd`` — risk difference in percentage points, 100·(a/N1 − c/N0), with a Wald interval
  ±z·sqrt(p1(1−p1)/N1 + p0(1−p0)/N0) (degenerate [0, 0] when both risks are 0 or 1);
* ``rr`` — relative risk (a/N1)/(c/N0) with a log-normal interval,
  SE(ln RR) = sqrt(1/a − 1/N1 + 1/c − 1/N0). When exactly one of a, c is 0, the point
  estimate stays uncorrected (0 or inf) and only the interval adds 0.5 to each of the
  four cells (``rr_ci_corrected``); when both are 0, RR and its interval are NaN.
  Reference: Rothman, Greenland, Lash, Modern Epidemiology, 3rd ed., ch. 14.

ADAE records that are not counted are kept in :attr:`IncidenceResult.excluded` with the
reason: subject not in ADSL, subject outside the safety population, subject without an
arm, not treatment-emergent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from pvsignal.errors import AnalysisError, UnknownNameError
from pvsignal.stats.risk import risk_comparison
from pvsignal.suggest import unknown_name
from pvsignal.trial.adam import (
    arm_order, denominator_arm_var, join_adsl, normalise, require, require_one_row_per_subject,
)

ANY_EVENT = "Any treatment-emergent adverse event"
UNCODED = "UNCODED"
SEVERITY_ORDER = {"MILD": 1, "MODERATE": 2, "SEVERE": 3}
LEVELS = ("any", "soc", "pt")

TABLE_COLUMNS = ["AEBODSYS", "AEDECOD", "level", "arm", "n", "N", "pct", "events", "frequency"]
COMPARISON_COLUMNS = [
    "control", "p_fisher", "rd", "rd_lower", "rd_upper", "rr", "rr_lower", "rr_upper", "rr_ci_corrected",
]


@dataclass(frozen=True)
class IncidenceResult:
    """Incidence table plus the population it was computed on.

    ``table`` has one row per (AEBODSYS, AEDECOD, arm[, severity]); SOC rows have
    AEDECOD '' and ``level == 'soc'``; the overall row has ``level == 'any'``.
    ``population`` gives N per arm; ``excluded`` the ADAE records not counted, with a
    ``reason``; ``parameters`` the settings, for the methods section of a report.
    """

    table: pd.DataFrame
    population: pd.DataFrame
    excluded: pd.DataFrame
    parameters: dict[str, Any] = field(default_factory=dict)

    def wide(self) -> pd.DataFrame:
        """One row per term, one column block per arm (:func:`pvsignal.trial.tables.wide`)."""
        from pvsignal.trial.tables import wide

        return wide(self)


def cioms_frequency(n: Any, N: Any) -> np.ndarray:
    """CIOMS III frequency category of n/N with exact integer boundaries (see module doc)."""
    n = np.asarray(n, dtype=np.int64)
    N = np.asarray(N, dtype=np.int64)
    cats = np.select(
        [N <= 0, n <= 0, 10 * n >= N, 100 * n >= N, 1_000 * n >= N, 10_000 * n >= N],
        ["not known", "", "very common", "common", "uncommon", "rare"],
        default="very rare",
    )
    return cats.astype(object)


def incidence(
    adsl: pd.DataFrame,
    adae: pd.DataFrame,
    *,
    arm_var: str = "TRT01A",
    by: Iterable[str] = ("soc", "pt"),
    control: str | None = None,
    severity: str | None = None,
    arms: Sequence[str] | None = None,
    level: float = 0.95,
) -> IncidenceResult:
    """Subjects with at least one TEAE per arm, SOC and PT (see the module docstring).

    ``by`` — any of 'soc', 'pt' (the overall row is always present).
    ``control`` — arm to compare every other arm against (Fisher p, RD, RR).
    ``severity`` — 'AESEV' or 'AETOXGR' for counts at maximum severity/grade.
    ``arms`` — arms to show, in order (default: every non-blank arm in ADSL, ordered by its
    numeric code when present, else by name); an arm listed without safety subjects gets N = 0.
    ``arm_var`` — an ADSL variable (TRT01A, TRT01P, ACTARM …) or ADAE's TRTA/TRTP.
    """
    arm_var = arm_var.upper()
    den_var = denominator_arm_var(arm_var)
    event_arm = arm_var != den_var
    by = _parse_by(by)
    if not 0 < level < 1:
        raise AnalysisError(f"confidence level must be between 0 and 1, got {level}")
    adsl = normalise(adsl)
    adae = normalise(adae)
    require(adsl, ["USUBJID", "SAFFL", den_var], dataset="ADSL")
    sev_var = severity.upper() if severity else None
    if sev_var and sev_var not in ("AESEV", "AETOXGR"):
        raise AnalysisError(f"severity must be AESEV or AETOXGR, got {severity!r}")
    require(adae, ["USUBJID", "TRTEMFL", "AEBODSYS", "AEDECOD"] + ([sev_var] if sev_var else [])
            + ([arm_var] if event_arm else []), dataset="ADAE")
    require_one_row_per_subject(adsl)

    subj = adsl[["USUBJID", "SAFFL", den_var]].rename(columns={den_var: "arm"})
    subj["arm"] = subj["arm"].astype(str)
    code_var = den_var + "N"
    arm_list = arm_order(subj["arm"], codes=adsl[code_var] if code_var in adsl.columns else None, arms=arms)
    if control is not None and control not in arm_list:
        same = [a for a in arm_list if a.casefold() == control.strip().casefold()]
        control = same[0] if len(same) == 1 else control  # "placebo" names the arm "Placebo"
    if control is not None and control not in arm_list:
        raise UnknownNameError(f"{unknown_name('control arm', control, arm_list)}; arms of {den_var}: {arm_list}")
    safety = subj[(subj["SAFFL"] == "Y") & (subj["arm"] != "")]
    N = safety["arm"].value_counts().reindex(arm_list, fill_value=0).astype(np.int64)
    population = pd.DataFrame({"arm": arm_list, "N": N.to_numpy()})

    # classify every ADAE record; the first failing reason wins
    recs, from_adsl = join_adsl(adae, adsl.rename(columns={den_var: "arm"}), ["SAFFL", "arm"])
    if event_arm:
        recs["arm"] = recs[arm_var].astype(str)
    reason = np.select(
        [
            (recs["_merge"] == "left_only").to_numpy(),
            (recs["SAFFL"] != "Y").to_numpy(),
            ~recs["arm"].isin(arm_list).to_numpy(),
            (recs["TRTEMFL"] != "Y").to_numpy(),
        ],
        [
            "subject not in ADSL",
            "subject not in the safety population (SAFFL != 'Y')",
            f"subject has no arm in {arm_var} among the arms analysed",
            "not treatment-emergent (TRTEMFL != 'Y')",
        ],
        default="",
    )
    recs = recs.drop(columns="_merge")
    excluded = adae[reason != ""].assign(reason=reason[reason != ""])
    te = recs[reason == ""].copy()
    for col in ("AEBODSYS", "AEDECOD"):
        te[col] = te[col].where(te[col] != "", UNCODED)

    grades: list[str] = []
    if sev_var:
        te["_rank"], grades = _severity_ranks(te[sev_var], sev_var)

    parts = [_count(te, "any", [], sev_var, grades)]
    if "soc" in by:
        parts.append(_count(te, "soc", ["AEBODSYS"], sev_var, grades))
    if "pt" in by:
        parts.append(_count(te, "pt", ["AEBODSYS", "AEDECOD"], sev_var, grades))
    counts = pd.concat(parts, ignore_index=True)

    # full grid: every term × every arm (× grade), zeros where nothing was observed
    terms = counts[["level", "AEBODSYS", "AEDECOD"]].drop_duplicates()
    if terms.empty or not (terms["level"] == "any").any():
        terms = pd.concat([pd.DataFrame({"level": ["any"], "AEBODSYS": [ANY_EVENT], "AEDECOD": [""]}), terms])
    sev_levels = ["ANY"] + grades if sev_var else ["ANY"]
    grid = terms.merge(pd.DataFrame({"arm": arm_list}), how="cross").merge(
        pd.DataFrame({"severity": sev_levels}), how="cross"
    )
    table = grid.merge(counts, on=["level", "AEBODSYS", "AEDECOD", "arm", "severity"], how="left")
    table[["n", "events"]] = table[["n", "events"]].fillna(0).astype(np.int64)
    table["N"] = table["arm"].map(N).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["pct"] = np.where(table["N"] > 0, 100.0 * table["n"] / table["N"].where(table["N"] > 0, 1), np.nan)
    table["frequency"] = cioms_frequency(table["n"], table["N"])
    table = _order(table, arm_list, sev_levels)
    if control is not None:
        table = _compare(table, control, level)
    cols = TABLE_COLUMNS + (["severity"] if sev_var else []) + (COMPARISON_COLUMNS if control is not None else [])
    table = table[cols].reset_index(drop=True)

    parameters = {
        "arm_var": arm_var,
        "arm_source": f"ADAE {arm_var} (denominator ADSL {den_var})" if event_arm else f"ADSL {den_var}, joined to ADAE by USUBJID",
        "adae_variables_taken_from_adsl": [v for v in from_adsl if v != "arm"] + ([den_var] if den_var in adae.columns else []),
        "population": "ADSL SAFFL == 'Y'",
        "events": "ADAE TRTEMFL == 'Y'",
        "by": list(by),
        "arms": arm_list,
        "control": control,
        "severity": sev_var,
        "confidence_level": level,
        "rd_interval": "Wald",
        "rr_interval": "log-normal; 0.5 added to each cell for the interval only when one arm has 0 events",
        "fisher": "two-sided, pvsignal.stats.fisher.fisher_exact",
        "frequency": "CIOMS III, lower bound inclusive",
        "adae_records": int(len(adae)),
        "adae_records_counted": int(len(te)),
        "adae_records_excluded": {str(k): int(v) for k, v in excluded["reason"].value_counts().items()},
    }
    return IncidenceResult(table=table, population=population, excluded=excluded.reset_index(drop=True), parameters=parameters)


def _parse_by(by: Iterable[str] | str) -> tuple[str, ...]:
    items = [b.strip().lower() for b in (by.split(",") if isinstance(by, str) else by) if b.strip()]
    bad = [b for b in items if b not in ("soc", "pt")]
    if bad:
        raise AnalysisError(f"--by accepts 'soc' and/or 'pt', got {bad}")
    return tuple(dict.fromkeys(items))


def _severity_ranks(values: pd.Series, var: str) -> tuple[pd.Series, list[str]]:
    txt = values.astype("string").str.strip().str.upper().fillna("")
    if var == "AESEV":
        rank = txt.map(SEVERITY_ORDER)
        bad = rank.isna() & (txt != "")
        if bad.any():
            raise AnalysisError(
                f"AESEV has value(s) {sorted(txt[bad].unique())[:5]} outside MILD, MODERATE, SEVERE; recode them or use AETOXGR"
            )
        grades = list(SEVERITY_ORDER)
    else:
        rank = pd.to_numeric(txt.where(txt != ""), errors="coerce")
        bad = rank.isna() & (txt != "")
        if bad.any():
            raise AnalysisError(f"AETOXGR has non-numeric grade(s) {sorted(txt[bad].unique())[:5]}; grades are 1–5")
        grades = [_grade_label(g) for g in sorted(rank.dropna().unique())]
    rank = rank.fillna(0.0).astype(float)  # 0 = missing grade, the lowest rank
    if (rank == 0).any():
        grades = grades + ["MISSING"]
    return rank, grades


def _grade_label(g: float) -> str:
    return str(int(g)) if float(g).is_integer() else str(g)


def _rank_label(rank: pd.Series, var: str | None) -> pd.Series:
    if var == "AESEV":
        names = {v: k for k, v in SEVERITY_ORDER.items()}
        return rank.map(lambda r: names.get(int(r), "MISSING"))
    return rank.map(lambda r: "MISSING" if r == 0 else _grade_label(r))


def _count(te: pd.DataFrame, level: str, keys: list[str], sev_var: str | None, grades: list[str]) -> pd.DataFrame:
    g = keys + ["arm"]
    out = te.groupby(g, sort=False).agg(n=("USUBJID", "nunique"), events=("USUBJID", "size")).reset_index()
    out["severity"] = "ANY"
    parts = [out]
    if sev_var:
        # subject counted once at the maximum grade within the row
        mx = te.groupby(g + ["USUBJID"], sort=False)["_rank"].max().reset_index()
        mx["severity"] = _rank_label(mx["_rank"], sev_var)
        n_sev = mx.groupby(g + ["severity"], sort=False).size().rename("n").reset_index()
        ev = te.assign(severity=_rank_label(te["_rank"], sev_var))
        e_sev = ev.groupby(g + ["severity"], sort=False).size().rename("events").reset_index()
        parts.append(n_sev.merge(e_sev, on=g + ["severity"], how="outer"))
    out = pd.concat(parts, ignore_index=True)
    out["level"] = level
    if level == "any":
        out["AEBODSYS"] = ANY_EVENT
    if level != "pt":
        out["AEDECOD"] = ""
    return out


def _order(table: pd.DataFrame, arm_list: list[str], sev_levels: list[str]) -> pd.DataFrame:
    """Overall row first; SOCs by descending subjects (all arms), then PTs likewise; ties by name."""
    anyrows = table["severity"] == "ANY"
    tot_soc = table[anyrows & (table["level"] == "soc")].groupby("AEBODSYS")["n"].sum()
    tot_pt_from_pts = table[anyrows & (table["level"] == "pt")].groupby("AEBODSYS")["n"].sum()
    tot_soc = tot_soc.combine_first(tot_pt_from_pts)
    tot_pt = table[anyrows & (table["level"] == "pt")].groupby(["AEBODSYS", "AEDECOD"])["n"].sum()
    t = table.copy()
    t["_not_any"] = (t["level"] != "any").astype(int)
    t["_soc_n"] = -t["AEBODSYS"].map(tot_soc).fillna(0)
    t["_is_pt"] = (t["level"] == "pt").astype(int)
    key = pd.MultiIndex.from_frame(t[["AEBODSYS", "AEDECOD"]])
    t["_pt_n"] = -pd.Series(tot_pt.reindex(key).to_numpy(), index=t.index).fillna(0)
    t["_arm"] = t["arm"].map({a: i for i, a in enumerate(arm_list)})
    t["_sev"] = t["severity"].map({s: i for i, s in enumerate(sev_levels)})
    t = t.sort_values(
        ["_not_any", "_soc_n", "AEBODSYS", "_is_pt", "_pt_n", "AEDECOD", "_arm", "_sev"], kind="mergesort"
    )
    return t.drop(columns=[c for c in t.columns if c.startswith("_")])


def _compare(table: pd.DataFrame, control: str, level: float) -> pd.DataFrame:
    keys = ["level", "AEBODSYS", "AEDECOD", "severity"]
    ctrl = table[table["arm"] == control][keys + ["n", "N"]].rename(columns={"n": "c", "N": "N0"})
    t = table.merge(ctrl, on=keys, how="left", sort=False)
    t["control"] = control
    a = t["n"].to_numpy(float)
    n1 = t["N"].to_numpy(float)
    c = t["c"].to_numpy(float)
    n0 = t["N0"].to_numpy(float)
    valid = (t["arm"] != control).to_numpy() & (n1 > 0) & (n0 > 0)
    stats_ = risk_comparison(a, n1, c, n0, level=level)
    for col in stats_.columns:
        vals = stats_[col].to_numpy()
        if vals.dtype == bool:
            t[col] = np.where(valid, vals, False)
        else:
            t[col] = np.where(valid, vals, np.nan)
    return t.drop(columns=["c", "N0"])
