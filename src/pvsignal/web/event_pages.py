"""The event page of a drug–event pair and its panels: 2×2 and statistics, cases, onset, line listing,
interaction signals, the signal over time; and their exports.

The analyses are ``api``'s, run on a cursor of the lake's shared connection; each result
is cached per lake manifest (``LakeState.cached``). A panel whose analysis has nothing to
show (e.g. no case with dates for the onset) says why instead of failing the page.
"""

from __future__ import annotations

import threading
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from pvsignal import api
from pvsignal.errors import PvsignalError
from pvsignal.suggest import close_matches
import pvsignal.web.figures as figures
import pvsignal.web.params as params
from pvsignal.web.drug_pages import resolve
from pvsignal.web.render import HEADERS, download, error_page, page
from pvsignal.web.slices import slices
from pvsignal.web.tables import key_values, table

#: rows of the line listing shown on the page (the export has every row)
LISTING_ROWS = 200
#: co-reported perpetrators whose interaction signals the panel computes
PERPETRATORS = 3
#: panels computed on the drug's slice (its cases only; ``interactions`` in part); the page
#: loads them first, the others (whole-lake scans) once they are in
SLICED = ("cases", "onset", "listing")
#: whole-lake analyses of the panels (Ω's strata, the signal over time) run one at a time:
#: twenty clients opening event pages queue them instead of sharing the cores twenty ways
LAKE_SCANS = threading.Semaphore(1)
CASE_TABLES = ("sex", "age_group", "seriousness", "outcomes", "reporter_country", "report_type", "receipt_year")


class UnknownEvent(Exception):
    def __init__(self, drug: str, event: str, matches: list[str]) -> None:
        super().__init__(f"{drug} has no scored event named {event!r}")
        self.drug, self.matches = drug, matches


def pair(request: Request):
    """(state, drug, event, level, the pair's scored row) from the URL, validated."""
    state = request.app.state.lake
    drug = resolve(state, request.query_params.get("drug"))
    typed = params.name(request.query_params.get("event"), "event")
    level = params.choice(request.query_params.get("level"), "level", state.levels, default="pt")
    rows = state.scored(level)
    t = rows.drug(drug) if drug in rows.rows else rows.table.iloc[:0]
    hit = t[t["event"].astype(str).str.upper() == typed.upper()]
    if hit.empty:
        raise UnknownEvent(drug, typed, close_matches(typed, t["event"].astype(str)))
    return state, drug, str(hit["event"].iloc[0]), level, hit.iloc[0]


def _opts(state, level: str) -> dict:
    out = {"level": level}
    if level != "pt":
        out.update(meddra=state.meddra, groups=state.groups)
    return out


def analysis(state, kind: str, drug: str, event: str, level: str):
    """One cached analysis of the pair: ``cases``, ``onset``, ``listing``, ``interactions`` or ``trend``;
    ``(result, None)`` or ``(None, message)`` when the analysis found nothing to show."""

    def run(cur):
        if kind == "cases":
            return api.cases(drug, event, lake=cur, **_opts(state, level))
        if kind == "onset":
            return api.onset(drug, event, lake=cur, **_opts(state, level))
        if kind == "listing":
            return api.case_listing(drug, event, lake=cur, **_opts(state, level))
        # this event (a name with a comma: every event of the drug, then this one, as the analysis
        # splits names on commas); from the counts by quarter stored with the lake when it has them
        only = None if "," in event else [event]
        return _only(api.signals_over_time(drug, only, lake=cur, stored=state.lake, priors=state.over_time_priors()),
                     event)

    def compute():
        try:
            if kind == "interactions":
                return _interaction_signals(state, drug, event), None
            if kind in SLICED:  # the drug's cases only: its slice (web.slices)
                return slices(state).run(drug, run), None
            with LAKE_SCANS:
                return state.with_cursor(run), None
        except PvsignalError as exc:
            return None, str(exc)

    return state.cached((kind, drug, event, level), compute)


def _only(res, event: str):
    """An over-time result kept to one event (its ``table`` and ``first_signal`` rows)."""
    res.table = res.table[res.table["event"] == event].reset_index(drop=True)
    res.first_signal = res.first_signal[res.first_signal["event"] == event].reset_index(drop=True)
    return res


def _interaction_signals(state, drug: str, event: str):
    """Co-reported perpetrators (by drug; from the drug's slice) and Ω / stratified ROR of the
    pair with the top few (on the lake: Ω's strata need every case)."""
    import pandas as pd

    co = slices(state).run(drug, lambda cur: api.co_reported_perpetrators(drug, lake=cur))

    def signals(cur):
        perps = list(co.by_drug["ingredient"].head(PERPETRATORS))
        if not perps:
            return pd.DataFrame()
        try:  # every perpetrator in one pass over the case sets
            return api.interaction_signals(drug, perps, [event], lake=cur)
        except PvsignalError:  # one of them failed: the others, one at a time
            parts = []
            for perp in perps:
                try:
                    parts.append(api.interaction_signals(drug, perp, [event], lake=cur))
                except PvsignalError:
                    continue
            return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    with LAKE_SCANS:
        return {"co": co, "signals": state.with_cursor(signals)}


def _links(drug: str, event: str, level: str) -> dict[str, str]:
    q = urlencode({"drug": drug, "event": event, "level": level})
    drug_q = {"drug": drug, **({"level": level} if level != "pt" else {})}
    return {"self": f"/event?{q}", "drug": "/drug?" + urlencode(drug_q), "query": q,
            **{p: f"/event/panel?{q}&panel={p}" for p in PANELS}}


def event(request: Request):
    """The pair's page: 2×2 and every statistic at once (from the scored pairs); the panels
    (cases, onset, listing, interactions, over time) load into it as they are computed."""
    state, drug, ev, level, row = pair(request)

    def render() -> bytes:
        stats = key_values({k: row[k] for k in row.index if k not in ("drug", "event")})
        return page(request, "event.html", drug=drug, event=ev, level=level, two={k: row[k] for k in "abcd"},
                    links=_links(drug, ev, level), panels=PANELS, sliced=SLICED, stats=stats).body

    return HTMLResponse(state.cached(("page", drug, ev, level), render), headers=HEADERS)


def _weibull(d: dict) -> dict:
    out = {}
    for k in ("weibull_shape", "weibull_scale"):
        if d.get(k):
            out[f"{k} (95% CI)"] = "{estimate:.3g} ({lower:.3g}–{upper:.3g})".format(**d[k])
    return out


def _cases(res) -> dict:
    tabs = [(name, table(getattr(res, name), max_rows=15)) for name in CASE_TABLES]
    return {"n_cases": res.n_cases, "case_tables": [("age and weight", table(res.summary))] + tabs}


def _onset(res) -> dict:
    d = res.to_dict()
    keep = ("n_cases", "n", "median_days", "q1_days", "q3_days", "within_30_days", "reading", "weibull_note")
    return {"summary": key_values({k: d[k] for k in keep} | _weibull(d)), "figure": figures.onset(res)}


def _trend(res) -> dict:
    return {"cumulative": table(res.series("cumulative"), max_rows=400), "first": table(res.first_signal)}


def _interactions(res) -> dict:
    sig = res["signals"]
    return {"by_class": table(res["co"].by_class), "by_drug": table(res["co"].by_drug, max_rows=30),
            "signals": table(sig) if not sig.empty else None, "n_drug_cases": res["co"].n_drug_cases}


#: the event page's panels: name → (title, what its template gets from the analysis' result)
PANELS = {
    "cases": ("Cases", _cases),
    "onset": ("Time to onset", _onset),
    "listing": ("Line listing", lambda r: {"listing": table(r, max_rows=LISTING_ROWS)}),
    "interactions": ("Interaction signals with co-reported perpetrators", _interactions),
    "trend": ("Signal over time (cumulative by quarter)", _trend),
}


def panel(request: Request):
    """One panel of the event page: a fragment when the page's script asks (``X-Panel: 1``), else a
    page of its own (a permalink to the panel)."""
    name = params.choice(request.query_params.get("panel"), "panel", list(PANELS))
    state, drug, ev, level, _ = pair(request)
    res, note = analysis(state, name, drug, ev, level if name in ("cases", "onset", "listing") else "pt")
    title, view = PANELS[name]
    return page(request, f"panel_{name}.html", drug=drug, event=ev, level=level, links=_links(drug, ev, level),
                title=title, note=note, standalone=request.headers.get("x-panel") != "1",
                **(view(res) if res is not None else {}))


#: exports of the event page: name → (analysis, frame of its result)
EXPORTS = {
    "listing": ("listing", lambda r: r),
    "cases": ("cases", lambda r: r.long()),
    "onset": ("onset", lambda r: r.bins),
    "trend": ("trend", lambda r: r.table),
    "interactions": ("interactions", lambda r: r["signals"]),
    "co_reported": ("interactions", lambda r: r["co"].by_drug),
}


def export(request: Request) -> Response:
    fmt = params.choice(request.query_params.get("format"), "format", params.FORMATS, default="csv")
    what = params.choice(request.query_params.get("table"), "table", list(EXPORTS) + ["pair"], default="listing")
    state, drug, ev, level, row = pair(request)
    meta = {"drug": drug, "event": ev, "level": level}
    if what == "pair":
        return download(row.to_frame().T.infer_objects(), fmt, drug, ev, "pair", metadata=meta)
    kind, frame = EXPORTS[what]
    res, note = analysis(state, kind, drug, ev, level if kind in ("cases", "onset", "listing") else "pt")
    if res is None:
        raise params.BadRequest(f"nothing to export: {note}")
    return download(frame(res), fmt, drug, ev, what, metadata=meta)


def unknown_event(request: Request, exc: UnknownEvent):
    links = [(m, "/event?" + urlencode({"drug": exc.drug, "event": m})) for m in exc.matches]
    return error_page(request, 404, str(exc), matches=links)
