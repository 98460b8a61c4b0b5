"""The explorer's ASGI application: routes, static files, and errors as pages (never a traceback).

>>> app = create_app("pvsignal-lake")                      # doctest: +SKIP
>>> uvicorn.run(app, host="127.0.0.1", port=8000)           # doctest: +SKIP

Read-only: every route is a GET and reads the lake through ``api``. A malformed query is
a 400 page with its message; an unknown drug or event a 404 page with close matches; a
user error from ``api`` (:class:`~pvsignal.errors.PvsignalError`) a 422 page; anything
else a 500 page that says only that the server failed (the traceback goes to the log).
"""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pvsignal.errors import PvsignalError
import pvsignal.web.drug_pages as drug_pages
import pvsignal.web.event_pages as event_pages
import pvsignal.web.lake_pages as lake_pages
from pvsignal.web.params import BadRequest
from pvsignal.web.render import HERE, error_page
from pvsignal.web.state import LakeState

log = logging.getLogger("pvsignal.web")


def _bad_request(request: Request, exc: BadRequest):
    return error_page(request, 400, str(exc))


def _user_error(request: Request, exc: PvsignalError):
    return error_page(request, 422, str(exc))


def _http(request: Request, exc: HTTPException):
    return error_page(request, exc.status_code, exc.detail if exc.status_code != 404 else "no such page")


def _failure(request: Request, exc: Exception):
    log.error("request %s failed", request.url.path, exc_info=exc)
    return error_page(request, 500, "the server failed on this request (the error is in its log)")


def create_app(lake: str | Path, *, meddra: str | Path | None = None, groups: str | Path | None = None,
               adsl: str | Path | None = None, adae: str | Path | None = None, adlb: str | Path | None = None,
               rules: str | Path | None = None) -> Starlette:
    """The explorer over ``lake`` (a folder ``pvsignal ingest`` wrote); ``meddra``/``groups`` add event
    levels, ADaM files (and a dose-rule set) the trial panels."""
    routes = [
        Route("/", drug_pages.home),
        Route("/suggest", drug_pages.suggest),
        Route("/search", drug_pages.search),
        Route("/drug", drug_pages.drug),
        Route("/drug/export", drug_pages.export_signals),
        Route("/drug/profile", lake_pages.profile),
        Route("/figure", drug_pages.figure),
        Route("/event", event_pages.event),
        Route("/event/panel", event_pages.panel),
        Route("/event/export", event_pages.export),
        Route("/about", lake_pages.about),
        Route("/about/export", lake_pages.export_about),
        Route("/trial", lake_pages.trial),
        Route("/trial/export", lake_pages.export_trial),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    handlers = {
        BadRequest: _bad_request,
        drug_pages.UnknownDrug: drug_pages.unknown_drug,
        event_pages.UnknownEvent: event_pages.unknown_event,
        PvsignalError: _user_error,
        HTTPException: _http,
        Exception: _failure,
    }
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.lake = LakeState(lake, meddra=meddra, groups=groups,
                               trial={"adsl": adsl, "adae": adae, "adlb": adlb, "rules": rules})
    return app
