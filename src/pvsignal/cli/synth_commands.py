"""Commands of this group register themselves on :data:`pvsignal.cli.app`."""

from __future__ import annotations

from pvsignal.cli import app  # noqa: F401
