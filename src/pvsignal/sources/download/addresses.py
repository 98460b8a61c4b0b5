"""Where FDA publishes its files, in one place (FACTS.md §1.1, §1.6).

FAERS and legacy AERS quarterly ASCII zips: ``{base}/{aers|faers}_ascii_{YYYY}q{N}.zip``
with ``base`` = ``https://fis.fda.gov/content/Exports``; legacy AERS (ISR-based) covers
2004Q1–2012Q3 (``aers_``), FAERS 2012Q4 on (``faers_``). The openFDA bulk file index is
``{base}/download.json`` with ``base`` = ``https://api.fda.gov``; it lists each file's
own address. A base is overridden by an argument (``--base-url``), else by the
environment (:data:`FAERS_ENV`, :data:`OPENFDA_ENV`) — for a mirror, a proxy, or a test
server on loopback.
"""

from __future__ import annotations

import os
from datetime import date

from pvsignal.errors import ConfigError
from pvsignal.quarters import index_quarter, quarter_index, quarter_range

FAERS_BASE = "https://fis.fda.gov/content/Exports"
OPENFDA_BASE = "https://api.fda.gov"
FAERS_ENV = "PVSIGNAL_FAERS_URL"
OPENFDA_ENV = "PVSIGNAL_OPENFDA_URL"
FIRST_QUARTER = "2004Q1"  # the first quarterly ASCII extract FDA publishes
LAST_LEGACY = "2012Q3"  # the last legacy AERS quarter


def _base(given: str | None, env: str, default: str) -> str:
    base = (given or os.environ.get(env) or default).rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ConfigError(f"base URL {base!r} is not an http:// or https:// address")
    return base


def faers_name(quarter: str) -> str:
    """The zip FDA publishes for ``quarter``: ``aers_ascii_2004q1.zip``, ``faers_ascii_2024q1.zip``."""
    legacy = quarter_index(quarter) <= quarter_index(LAST_LEGACY)
    return f"{'aers' if legacy else 'faers'}_ascii_{quarter[:4]}q{quarter[-1]}.zip"


def faers_url(quarter: str, base: str | None = None) -> str:
    return f"{_base(base, FAERS_ENV, FAERS_BASE)}/{faers_name(quarter)}"


def openfda_index_url(base: str | None = None) -> str:
    return f"{_base(base, OPENFDA_ENV, OPENFDA_BASE)}/download.json"


def current_quarter(today: date | None = None) -> str:
    today = today or date.today()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def unpublished(quarter: str, today: date | None = None) -> bool:
    """True for a quarter FDA cannot have published yet: the current one or later, or the
    one just ended (its extract comes out one to three months after its end)."""
    return quarter_index(quarter) >= quarter_index(current_quarter(today)) - 1


def requested(quarters: str | None, latest: int | None, today: date | None = None) -> list[str]:
    """The quarters asked for: a range (``2004Q1:2026Q2``) or the ``latest`` N ended quarters
    (newest first candidate: the quarter before today's)."""
    if (quarters is None) == (latest is None):
        raise ConfigError("give --quarters (e.g. 2023Q1:2024Q4) or --latest N, not both")
    if quarters is not None:
        out = quarter_range(quarters)
        if quarter_index(out[0]) < quarter_index(FIRST_QUARTER):
            raise ConfigError(f"FDA's quarterly files start at {FIRST_QUARTER}; {out[0]} has none")
        return out
    if latest is None or latest < 1:
        raise ConfigError(f"--latest takes a number of quarters ≥ 1, not {latest}")
    last = quarter_index(current_quarter(today)) - 1
    first = max(last - latest + 1, quarter_index(FIRST_QUARTER))
    return [index_quarter(i) for i in range(first, last + 1)]
