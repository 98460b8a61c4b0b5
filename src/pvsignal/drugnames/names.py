"""One drug name typed by a user (``--drug``, ``--with``, the profile) → its ingredient(s).

The same resolver as the lake (:func:`pvsignal.drugnames.resolve.resolve_names` over the
shipped dictionary) without the fuzzy step: a typo is never silently taken for another
drug; it gets close matches from the whole dictionary instead (:func:`close_names`,
through :func:`pvsignal.suggest.close_matches`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pvsignal.drugnames.clean import clean
from pvsignal.drugnames.dictionary import shipped
from pvsignal.drugnames.resolve import resolve_names
from pvsignal.suggest import close_matches


@dataclass(frozen=True)
class Resolved:
    """``name`` as typed, its ``ingredients`` (upper case) and the ``source`` that gave them
    (``dictionary``, or ``unmapped``: then ``ingredients`` is the cleaned name itself)."""

    name: str
    ingredients: tuple[str, ...]
    source: str

    @property
    def known(self) -> bool:
        return self.source != "unmapped"

    @property
    def ingredient(self) -> str | None:
        """The single ingredient (None for a combination product)."""
        return self.ingredients[0] if len(self.ingredients) == 1 else None

    @property
    def note(self) -> str | None:
        """``"LUPKYNIS → voclosporin"`` when the name is not already the ingredient's own name."""
        key = clean([self.name]).to_pylist()[0] or ""
        if not self.known or self.ingredients == (key,):
            return None
        return f"{self.name.strip().upper()} → {' + '.join(i.lower() for i in self.ingredients)}"


@lru_cache(maxsize=4096)
def resolve_one(name: str) -> Resolved:
    """The ingredient(s) of one name through the shipped dictionary (no fuzzy step)."""
    r = resolve_names([name], shipped(), fuzzy=False) if str(name).strip() else None
    if r is None or r.empty:
        return Resolved(str(name), (), "unmapped")
    return Resolved(str(name), tuple(sorted(r["ingredient"])), str(r["ingredient_source"].iloc[0]))


def close_names(name: str, n: int = 5, extra: tuple[str, ...] = ()) -> list[str]:
    """Known names closest to ``name`` (lower case): ``extra`` names and the dictionary's brands,
    official names and marketed ingredients of the same first letter and similar length."""
    key = clean([name]).to_pylist()[0] or str(name).strip().upper()
    if not key:
        return []
    pool = shipped().by_first_letter.get(key[0])
    cands = list(extra)
    if pool is not None:
        cands += [c for c in pool if abs(len(c) - len(key)) <= 3]
    return [c.lower() for c in close_matches(key, cands, n=n)]
