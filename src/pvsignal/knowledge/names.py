"""Resolve drug names (brand, INN/USAN spelling, salt form) to the ingredient names used
in the knowledge files and in FAERS ``prod_ai`` (upper case, e.g. ``RIFAMPIN``).

``synonyms.csv`` maps a name to an ingredient (NIZORAL → KETOCONAZOLE,
RIFAMPICIN → RIFAMPIN); ``salt_forms.csv`` lists salt and ester words stripped from the
end of a name (DILTIAZEM HYDROCHLORIDE → DILTIAZEM). Matching is case-insensitive. A
name the knowledge files do not list goes to the shipped drug dictionary
(:mod:`pvsignal.drugnames.names`): ACETAMINOPHEN or TYLENOL is a known drug even with no
perpetrator row, and an unknown name gets close matches from the whole dictionary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from pvsignal.drugnames.dictionary import shipped
from pvsignal.drugnames.names import close_names, resolve_one
from pvsignal.drugnames.resolve import resolve_names
from pvsignal.errors import UnknownNameError
from pvsignal.knowledge.files import config_error, read_csv, validate
from pvsignal.knowledge.perpetrators import Source, normalise_name
from pvsignal.suggest import close_matches

SYNONYM_COLUMNS = ("name", "ingredient", "kind", "status", "source", "version")
SALT_COLUMNS = ("suffix", "source", "version")


class Synonym(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    ingredient: str
    kind: str
    status: Literal["V", "C", "M"]
    source: str
    version: str

    @field_validator("name", "ingredient")
    @classmethod
    def _norm(cls, v: str) -> str:
        v = normalise_name(v)
        if not v:
            raise ValueError("must not be empty")
        return v


class SaltForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    suffix: str
    source: str
    version: str

    @field_validator("suffix")
    @classmethod
    def _norm(cls, v: str) -> str:
        v = normalise_name(v)
        if not v or " " in v:
            raise ValueError("a salt suffix is one non-empty word")
        return v


@dataclass
class NameResolver:
    """Maps any known spelling to its ingredient; unknown names get close matches."""

    ingredients: frozenset[str]
    synonyms: dict[str, str]
    salts: tuple[str, ...] = ()
    dictionary: bool = True
    _all: list[str] = field(init=False, repr=False)
    _cache: dict[str, tuple[str, ...]] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._all = sorted(self.ingredients | set(self.synonyms))

    def _strip_salts(self, name: str) -> str:
        changed = True
        while changed:
            changed = False
            for s in self.salts:
                if name.endswith(" " + s):
                    name, changed = name[: -len(s) - 1].rstrip(), True
        return name

    def _own(self, name: str) -> str | None:
        n = normalise_name(name)
        for cand in (n, self._strip_salts(n)):
            if cand in self.ingredients:
                return cand
            if cand in self.synonyms:
                return self.synonyms[cand]
        return None

    def resolve_all(self, name: str) -> tuple[str, ...]:
        """Every ingredient of ``name`` (a combination product has several); () if unknown.

        The knowledge files first, then (``dictionary``) the shipped drug dictionary.
        """
        if name in self._cache:
            return self._cache[name]
        own = self._own(name)
        got: tuple[str, ...] = ()
        if own is not None:
            got = (own,)
        elif self.dictionary and str(name).strip():
            r = resolve_one(str(name))
            if r.known:
                got = tuple(self._own(i) or i for i in r.ingredients)
        self._cache[name] = got
        return got

    def resolve(self, name: str) -> str | None:
        """The ingredient for ``name`` (any case, brand, synonym or salt form), or None
        (unknown, or a combination product: see :meth:`resolve_all`)."""
        got = self.resolve_all(name)
        return got[0] if len(got) == 1 else None

    def close_matches(self, name: str, n: int = 5) -> list[str]:
        """Known names closest to ``name``, lower case for display: the knowledge files' names
        and (``dictionary``) the whole drug dictionary (:func:`pvsignal.drugnames.names.close_names`)."""
        if self.dictionary:
            return close_names(name, n, tuple(self._all))
        return [h.lower() for h in close_matches(normalise_name(name), self._all, n=n)]

    def require(self, name: str, what: str = "drug") -> str:
        """Like :meth:`resolve` but raises :class:`UnknownNameError` with close matches."""
        got = self.resolve(name)
        if got is None:
            near = self.close_matches(name)
            hint = f" Did you mean: {', '.join(near)}?" if near else " No close match in the knowledge files or the drug dictionary."
            raise UnknownNameError(f"unknown {what} {name!r}.{hint}")
        return got

    def resolve_many(self, names: Iterable[str]) -> dict[str, str | None]:
        """``{name: ingredient or None}`` for many names (e.g. the distinct FAERS ingredients):
        the names the knowledge files do not list go through the dictionary in one batch."""
        names = list(dict.fromkeys(names))
        todo = [n for n in names if n not in self._cache and self._own(n) is None and str(n).strip()]
        if self.dictionary and todo:
            r = resolve_names(todo, shipped(), fuzzy=False)
            r = r[r["ingredient_source"] != "unmapped"]
            for n, g in r.groupby("name")["ingredient"]:
                self._cache[n] = tuple(self._own(i) or i for i in sorted(g))
            for n in todo:
                self._cache.setdefault(n, ())
        return {n: self.resolve(n) for n in names}


def load_synonyms(path: Path, sources: dict[str, Source], ingredients: frozenset[str]) -> dict[str, str]:
    """Read ``synonyms.csv``; every target must be a known ingredient.

    Raises :class:`ConfigError` for a malformed row, an unknown source, a name listed
    twice, a name that is itself an ingredient, or a target that is not an ingredient.
    """
    out: dict[str, str] = {}
    lines: dict[str, int] = {}
    for line, raw in read_csv(path, SYNONYM_COLUMNS):
        s: Synonym = validate(Synonym, raw, path, line)
        if s.source not in sources:
            raise config_error(path, line, f"source {s.source!r} is not an id in sources.csv")
        if s.ingredient not in ingredients:
            raise config_error(path, line, f"{s.name} maps to {s.ingredient}, which is not an ingredient of perpetrators.csv or a label rule")
        if s.name in ingredients:
            raise config_error(path, line, f"{s.name} is itself an ingredient; a synonym cannot rename it to {s.ingredient}")
        if s.name in out:
            first = lines[s.name]
            if out[s.name] == s.ingredient:
                raise config_error(path, line, f"duplicate synonym {s.name} (first on line {first})")
            raise config_error(
                path, line, f"conflicting synonym: {s.name} maps to {s.ingredient} here but to {out[s.name]} on line {first}"
            )
        out[s.name], lines[s.name] = s.ingredient, line
    return out


def load_salts(path: Path, sources: dict[str, Source]) -> tuple[str, ...]:
    """Read ``salt_forms.csv``: the words stripped from the end of a name, longest first."""
    out: list[str] = []
    for line, raw in read_csv(path, SALT_COLUMNS):
        s: SaltForm = validate(SaltForm, raw, path, line)
        if s.source not in sources:
            raise config_error(path, line, f"source {s.source!r} is not an id in sources.csv")
        if s.suffix in out:
            raise config_error(path, line, f"duplicate salt suffix {s.suffix}")
        out.append(s.suffix)
    return tuple(sorted(out, key=len, reverse=True))
