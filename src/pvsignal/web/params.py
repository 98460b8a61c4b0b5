"""Query parameters, validated: every page reads its URL through these (a bad one → 400 with a message).

Names (drugs, events) are free text from the public: they are length-checked and looked
up in the lake's own lists, never put into SQL; numbers are parsed and bounded; choices
are checked against their closed sets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

#: method flags the drug page can filter on (column ``flag_<name>`` of ``pvsignal signals``)
FLAGS = ("ror", "prr", "ic", "ebgm")
#: export formats
FORMATS = ("csv", "xlsx")
MAX_NAME = 200
MAX_ROWS = 5000


class BadRequest(Exception):
    """A malformed query: the page answers 400 with this message."""


def name(value: str | None, what: str) -> str:
    """A drug or event name as typed: trimmed, 1–200 printable characters."""
    if value is None or not value.strip():
        raise BadRequest(f"give a {what} name")
    value = value.strip()
    if len(value) > MAX_NAME:
        raise BadRequest(f"a {what} name has at most {MAX_NAME} characters")
    if not value.isprintable():
        raise BadRequest(f"a {what} name may not hold control characters")
    return value


def integer(value: str | None, what: str, *, default: int, low: int = 0, high: int = 10**9) -> int:
    """An integer in ``[low, high]`` (``default`` when absent or empty)."""
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise BadRequest(f"{what} must be a whole number, not {value[:40]!r}") from None
    if not low <= n <= high:
        raise BadRequest(f"{what} must be between {low} and {high}, not {n}")
    return n


def choice(value: str | None, what: str, options: Sequence[str], *, default: str | None = None) -> str | None:
    """One of ``options`` (``default`` when absent or empty)."""
    if value is None or value == "":
        return default
    if value not in options:
        raise BadRequest(f"{what} must be one of {', '.join(options)}, not {value[:40]!r}")
    return value


def choices(values: Sequence[str], what: str, options: Sequence[str]) -> list[str]:
    """A subset of ``options`` (repeated parameter or comma-separated)."""
    out = [v for raw in values for v in raw.split(",") if v]
    for v in out:
        choice(v, what, options)
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class TableQuery:
    """How the drug page's signals table is cut: sort, order, flags, minimum count, event level, rows.

    The default order is EB05 descending: the shrunk lower bound ranks a pair of 3 reports with a
    wide ROR interval below a well-supported one (sorted by ROR, the top rows were n = 3 pairs
    with EB05 ≈ 0.7, easily read as signals)."""

    sort: str = "eb05"
    order: str = "desc"
    flags: tuple[str, ...] = ()
    min_count: int = 3
    level: str = "pt"
    rows: int = 100

    @classmethod
    def parse(cls, q: Mapping[str, str], getlist, columns: Sequence[str], levels: Sequence[str]) -> "TableQuery":
        return cls(
            sort=choice(q.get("sort"), "sort", list(columns), default=cls.sort),
            order=choice(q.get("order"), "order", ("asc", "desc"), default="desc"),
            flags=tuple(choices(getlist("flag"), "flag", FLAGS)),
            min_count=integer(q.get("min_count"), "min_count", default=3, low=1),
            level=choice(q.get("level"), "level", list(levels), default="pt"),
            rows=integer(q.get("rows"), "rows", default=100, low=1, high=MAX_ROWS),
        )

    def apply(self, t):
        """The rows of ``t`` this query keeps, in its order (missing values last)."""
        keep = t["n"] >= self.min_count
        for f in self.flags:
            keep &= t[f"flag_{f}"].fillna(False).astype(bool)
        t = t[keep]
        return t.sort_values([self.sort, "n", "event"], ascending=[self.order == "asc", False, True],
                             na_position="last", kind="stable").reset_index(drop=True)

    def url(self, **change) -> str:
        """This query as a query string, with ``change`` applied (the sort always; other defaults left
        out: short permalinks that still say how the table is ordered)."""
        d = {"sort": self.sort, "order": self.order, "flag": list(self.flags), "min_count": self.min_count,
             "level": self.level, "rows": self.rows, **change}
        base = TableQuery()
        pairs = [(k, v) for k, v in d.items() if k in ("flag", "sort", "order") or v != getattr(base, k)]
        pairs = [(k, x) for k, v in pairs for x in (v if isinstance(v, (list, tuple)) else [v])]
        return urlencode(pairs)
