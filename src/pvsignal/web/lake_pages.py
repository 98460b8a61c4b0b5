"""About this lake (quarters, deduplication, rejects, synthetic marker), the compound profile, trial panels."""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from pvsignal import api
from pvsignal.errors import PvsignalError
import pvsignal.web.params as params
from pvsignal.web.drug_pages import resolve
from pvsignal.web.render import HEADERS, download, error_page, page
from pvsignal.web.tables import key_values, table

#: the profile HTML has its own inline styles and figures; it may not run scripts either
PROFILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'none'"
TALLY = ("reports", "cases", "removed_old_versions", "removed_deleted", "probable_duplicates", "cases_in_both_eras",
         "deleted_caseids")


def _quarters(st: dict):
    import pandas as pd

    rows = [{"quarter": q, "era": e["era"], "source": e["source"], "ingested_at": e["ingested_at"],
             **{f"rows_{t}": n for t, n in sorted(e["rows"].items())}} for q, e in st["per_quarter"].items()]
    return pd.DataFrame(rows)


def _rejects(state):
    def summary():
        r = api.rejects(state.lake)
        if r.empty:
            return r
        return (r.groupby(["quarter", "table", "action", "reason"], as_index=False)["count"].sum()
                .sort_values(["quarter", "table", "count"], ascending=[True, True, False]))

    return state.cached(("keep", "rejects"), summary)


def _flat(d: dict, prefix: str = "") -> dict[str, str]:
    """Nested settings as one row each: ``drug_dictionary.sources.ndc.sha256`` → value (lists joined)."""
    out: dict[str, str] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flat(v, key + "."))
        elif isinstance(v, (list, tuple)):
            out[key] = ", ".join(map(str, v)) if v else "(none)"
        else:
            out[key] = str(v)
    return out


def about(request: Request):
    state = request.app.state.lake
    st = state.status()
    dedup = st.get("deduplication") or {}
    return page(request, "about.html", st=st, tally=key_values({k: st[k] for k in TALLY if k in st}),
                dedup=key_values(_flat(dedup)), quarters=table(_quarters(st)),
                rejects=table(_rejects(state), max_rows=100), lake=str(state.lake),
                missing=st.get("missing_tables") or {}, drugs=key_values(st.get("drugs", {}).get(
                    "rows_by_ingredient_source", {})))


def export_about(request: Request) -> Response:
    fmt = params.choice(request.query_params.get("format"), "format", params.FORMATS, default="csv")
    what = params.choice(request.query_params.get("table"), "table", ("quarters", "rejects"), default="quarters")
    state = request.app.state.lake
    df = _quarters(state.status()) if what == "quarters" else _rejects(state)
    return download(df, fmt, state.lake.name, what, metadata={"lake": str(state.lake)})


def profile(request: Request) -> Response:
    """The compound profile of a drug: the HTML ``pvsignal profile --out x.html`` writes."""
    state = request.app.state.lake
    drug = resolve(state, request.query_params.get("drug"))

    def build() -> str:
        with tempfile.TemporaryDirectory(prefix="pvsignal-web-") as tmp:
            out = Path(tmp) / "profile.html"
            api.profile(drug, lake=state.lake, out=out, **state.trial_profile_args())
            return out.read_text(encoding="utf-8")

    try:
        html = state.cached(("profile", drug), build)
    except PvsignalError as exc:
        return error_page(request, 422, f"no profile of {drug}: {exc}")
    return HTMLResponse(html, headers={**HEADERS, "Content-Security-Policy": PROFILE_CSP})


def _trial_results(state):
    def run():
        out = {}
        t = state.trial
        if "adsl" in t and "adae" in t:
            out["incidence"] = api.trial_incidence(t["adsl"], t["adae"])
        if "rules" in t and "adlb" in t:
            out["dosing"] = api.trial_dosing(t["rules"], t["adlb"], t.get("adsl"))
        return out

    return state.cached(("keep", "trial"), run)


def trial(request: Request):
    state = request.app.state.lake
    if not state.trial:
        return error_page(request, 404, "no trial data: start the server with --adsl and --adae "
                                        "(and --adlb --rules for the dose rules)")
    res = _trial_results(state)
    inc, dos = res.get("incidence"), res.get("dosing")
    return page(request, "trial.html", files={k: Path(v).name for k, v in state.trial.items()},
                incidence=table(inc.table, max_rows=400) if inc else None,
                population=table(inc.population) if inc else None,
                actions=table(dos.actions, max_rows=400) if dos else None,
                skipped=table(dos.skipped, max_rows=100) if dos else None)


def export_trial(request: Request) -> Response:
    fmt = params.choice(request.query_params.get("format"), "format", params.FORMATS, default="csv")
    what = params.choice(request.query_params.get("table"), "table", ("incidence", "dosing"), default="incidence")
    state = request.app.state.lake
    res = _trial_results(state) if state.trial else {}
    if what not in res:
        raise params.BadRequest(f"no {what} table: the server was started without its ADaM files")
    df = res[what].table if what == "incidence" else res[what].actions
    return download(df, fmt, "trial", what)
