"""HTML out: one Jinja environment (autoescape on for every template), pages and error pages.

Every page carries the synthetic-data banner when the lake holds synthetic quarters, and a
Content-Security-Policy that allows only this server's own scripts, styles and images
(figures are ``data:`` images): no CDN, no inline script.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from pvsignal.web.tables import MEDIA, export_bytes, safe_filename

HERE = Path(__file__).resolve().parent
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["svg_uri"] = lambda svg: "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return env


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered with ``context`` plus the lake's state (synthetic banner, levels, trial)."""
    state = request.app.state.lake
    try:
        synthetic = state.synthetic()
    except Exception:  # an error page for a lake that cannot be read still renders
        synthetic = False
    html = environment().get_template(template).render(
        request=request, status=status_code, synthetic=synthetic, lake_name=state.lake.name,
        has_trial=bool(state.trial), **context)
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def error_page(request: Request, status_code: int, message: str, *,
               matches: list[tuple[str, str]] | None = None) -> HTMLResponse:
    """A page saying what was wrong (``matches``: close names to try instead, as (name, URL))."""
    return page(request, "error.html", status_code=status_code, message=message, matches=matches or [],
                standalone=request.headers.get("x-panel") != "1")


def download(df, fmt: str, *parts: str, metadata: dict | None = None) -> Response:
    """``df`` as a CSV or Excel attachment named from ``parts``."""
    name = f"{safe_filename(*parts)}.{fmt}"
    return Response(export_bytes(df, fmt, metadata=metadata), media_type=MEDIA[fmt],
                    headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})
