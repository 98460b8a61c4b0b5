"""Home, name search and suggestions, the drug page (signals table, volcano and forest plots), its export."""

from __future__ import annotations

from urllib.parse import quote_plus, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from pvsignal import api
from pvsignal.errors import PvsignalError
from pvsignal.suggest import close_matches
import pvsignal.web.figures as figures
import pvsignal.web.params as params
from pvsignal.web.render import HEADERS, download, error_page, page
from pvsignal.web.slices import slices
from pvsignal.web.tables import table

#: columns shown first on the drug page (every other column of ``pvsignal signals`` follows)
LEAD = ["event", "n", "expected", "ror", "ror_lower", "ror_upper", "prr", "ic025", "eb05", "ebgm",
        "flag_ror", "flag_prr", "flag_ic", "flag_ebgm"]
SUGGESTIONS = 12


class UnknownDrug(Exception):
    """A drug name that is neither a scored ingredient nor a brand of one."""

    def __init__(self, name: str, matches: list[str]) -> None:
        super().__init__(f"no drug named {name!r} in this lake")
        self.name, self.matches = name, matches


def resolve(state, raw: str) -> str:
    """The ingredient a typed name stands for (an ingredient or a brand of the lake, any case; else what
    ``api.resolve_drug`` makes of it: a brand, synonym or salt form), else :class:`UnknownDrug`."""
    typed = params.name(raw, "drug")
    names = state.names()
    hit = names.get(typed.upper())
    if hit is None and hasattr(api, "resolve_drug"):  # brands, synonyms, salt forms of the drug dictionary
        try:
            hit = names.get(api.resolve_drug(typed)[0].upper())
        except PvsignalError:  # e.g. a combination product: not one drug page
            hit = None
    if hit is None:
        raise UnknownDrug(typed, close_matches(typed, names))
    return hit


def suggestions(state, q: str) -> list[dict[str, str]]:
    """Names starting with ``q`` (then containing it), ingredients before brands, at most :data:`SUGGESTIONS`."""
    key = q.strip().upper()
    if not key:
        return []
    names = state.names()
    starts = sorted((n for n in names if n.startswith(key)), key=lambda n: (names[n] != n, len(n), n))
    inside = sorted((n for n in names if key in n and not n.startswith(key)), key=lambda n: (names[n] != n, n))
    return [{"name": n, "ingredient": names[n]} for n in (starts + inside)[:SUGGESTIONS]]


def home(request: Request):
    state = request.app.state.lake
    scored = state.scored()
    top = sorted(scored.rows, key=lambda d: (-len(scored.rows[d]), d))[:30]
    return page(request, "home.html", top=[(d, len(scored.rows[d])) for d in top], n_drugs=len(scored.rows),
                n_pairs=len(scored.table))


def suggest(request: Request):
    q = request.query_params.get("q", "")
    if len(q) > params.MAX_NAME:
        raise params.BadRequest(f"a search has at most {params.MAX_NAME} characters")
    return JSONResponse(suggestions(request.app.state.lake, q), headers=HEADERS)


def search(request: Request):
    state = request.app.state.lake
    typed = request.query_params.get("q") or request.query_params.get("drug")
    drug = resolve(state, typed)
    extra = {"as": typed.strip()} if typed.strip().upper() != drug.upper() else {}
    return RedirectResponse("/drug?" + urlencode({"drug": drug, **extra}), status_code=303)


def _query(request: Request, state, scored) -> params.TableQuery:
    q = request.query_params
    return params.TableQuery.parse(q, q.getlist, list(scored.table.columns), state.levels)


def drug_rows(request: Request):
    """(state, drug, query, the scored pairs at the query's level, the drug's rows filtered and sorted)."""
    state = request.app.state.lake
    drug = resolve(state, request.query_params.get("drug"))
    query = _query(request, state, state.scored())
    scored = state.scored(query.level)
    return state, drug, query, scored, _rows(scored, drug, query)


def _rows(scored, drug: str, query: params.TableQuery):
    rows = scored.drug(drug) if drug in scored.rows else scored.table.iloc[:0]
    return query.apply(rows)


def drug(request: Request):
    """The drug page; its HTML is kept per (drug, query) until the lake changes (a repeat is a lookup)."""
    state = request.app.state.lake
    name = resolve(state, request.query_params.get("drug"))
    query = _query(request, state, state.scored())
    slices(state).warm(name)  # its event pages' case panels will read the drug's slice
    alias = _alias(request, name)
    body = state.cached(("page", name, query, alias),
                        lambda: _drug_page(request, state, name, query, alias).body)
    return HTMLResponse(body, headers=HEADERS)


def _alias(request: Request, name: str) -> str | None:
    """The brand or synonym the user typed for ``name`` (``as`` from the search, or ``drug``
    itself when it is not the ingredient's spelling), shown as "LUPKYNIS → VOCLOSPORIN"."""
    typed = request.query_params.get("as") or request.query_params.get("drug")
    typed = params.name(typed, "drug")
    return typed if typed.upper() != name.upper() else None


def _joined(*parts: str) -> str:
    """Query-string parts joined by ``&``, empty ones left out (no ``a=1&&b=2``)."""
    return "&".join(p for p in parts if p)


def _drug_page(request: Request, state, name: str, query: params.TableQuery, alias: str | None = None):
    scored = state.scored(query.level)
    t = _rows(scored, name, query)
    ordered = t[[c for c in LEAD if c in t.columns] + [c for c in t.columns if c not in LEAD]]
    here = "/drug?" + urlencode({"drug": name}) + "&"
    sort_links = {c: here + query.url(sort=c, order="asc" if (c == query.sort and query.order == "desc") else "desc")
                  for c in ordered.columns}
    ev = "/event?" + urlencode({"drug": name}) + "&level=" + query.level + "&event="
    links = {"event": [ev + quote_plus(str(e)) for e in ordered["event"].head(query.rows)]}
    tab = table(ordered, max_rows=query.rows, links=links, sort=sort_links, sorted_by=query.sort,
                order=query.order, export=_joined(urlencode({"drug": name}), query.url()))
    return page(request, "drug.html", drug=name, alias=alias, query=query, tab=tab, levels=state.levels, flags=params.FLAGS,
                self_url="/drug?" + _joined(urlencode({"drug": name}), query.url()),
                figures=figures.drug_figures(name, query),
                population=scored.metadata.get("population_reports"), prior=scored.metadata.get("mgps_prior") or {})


def export_signals(request: Request) -> Response:
    fmt = params.choice(request.query_params.get("format"), "format", params.FORMATS, default="csv")
    state, name, query, scored, t = drug_rows(request)
    return download(t, fmt, name, "signals", query.level,
                    metadata={"drug": name, "query": query.url(), "source": scored.metadata.get("source", {})})


def figure(request: Request) -> Response:
    """``/figure?kind=volcano|forest&drug=…&<the drug page's query>``: the figure as ``image/svg+xml``."""
    kind = params.choice(request.query_params.get("kind"), "kind", figures.KINDS)
    state, name, query, _, t = drug_rows(request)
    svg = state.cached(("figure", kind, name, query), lambda: figures.draw(kind, t, name, query.sort))
    return Response(svg, media_type="image/svg+xml", headers={**HEADERS, "Content-Security-Policy": figures.SVG_CSP})


def unknown_drug(request: Request, exc: UnknownDrug):
    links = [(m, "/drug?" + urlencode({"drug": request.app.state.lake.names()[m.upper()]})) for m in exc.matches]
    return error_page(request, 404, str(exc), matches=links)
