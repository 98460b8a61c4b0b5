"""The explorer: a small read-only web app over a lake (``pvsignal serve``).

Server-rendered pages (Starlette, Jinja2 with autoescape) and a little JavaScript, every
asset served by the app itself. It calls only :mod:`pvsignal.api`: ``state`` keeps one
DuckDB connection and the caches per lake, ``params`` validates every query, the
``*_pages`` modules answer the routes, ``app`` assembles them (:func:`create_app`).
"""

from __future__ import annotations

from pvsignal.web.app import create_app

__all__ = ["create_app"]
