"""CYP3A and P-gp inhibitors, inducers and substrates (FDA categories), read from data.

``perpetrators.csv`` holds one row per (ingredient, target, role): ``target`` is ``CYP3A``
or ``P-gp``; ``role`` is ``inhibitor``, ``inducer`` or ``substrate``; ``strength`` grades
CYP3A inhibitors and inducers by the FDA definitions (strong: ≥5-fold AUC increase of a
sensitive index substrate / ≥80 % decrease; moderate: 2–<5-fold / 50–<80 %; weak:
1.25–<2-fold / 20–<50 %; FACTS.md §4) and substrates as ``sensitive``; ``nti`` marks a
substrate with a narrow therapeutic index. Every row cites a ``source`` id of
``sources.csv``, its ``version`` and a FACTS status (V verified, C computed, M memory).

A class is named ``[strength-]target-role``, e.g. ``cyp3a4-inhibitor`` (all strengths),
``strong-cyp3a4-inhibitor``, ``pgp-substrate`` (``cyp3a`` and ``cyp3a4`` are the same).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from pvsignal.errors import UnknownNameError
from pvsignal.knowledge.files import config_error, read_csv, validate

Target = Literal["CYP3A", "P-gp"]
Role = Literal["inhibitor", "inducer", "substrate"]
Strength = Literal["strong", "moderate", "weak", "sensitive", "moderate-sensitive"]
Status = Literal["V", "C", "M"]

COLUMNS = ("ingredient", "target", "role", "strength", "nti", "note", "status", "source", "version")
SOURCE_COLUMNS = ("id", "citation", "url", "facts_ref")


def normalise_name(name: str) -> str:
    """Upper case, trimmed, inner whitespace collapsed: the form FAERS ``prod_ai`` uses."""
    return re.sub(r"\s+", " ", str(name)).strip().upper()


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    citation: str
    url: str
    facts_ref: str

    @field_validator("id", "citation")
    @classmethod
    def _nonempty(cls, v: str) -> str:
        if not v:
            raise ValueError("must not be empty")
        return v


class Perpetrator(BaseModel):
    """One row of ``perpetrators.csv``."""

    model_config = ConfigDict(extra="forbid")
    ingredient: str
    target: Target
    role: Role
    strength: Strength | None = None
    nti: bool | None = None
    note: str = ""
    status: Status
    source: str
    version: str

    @field_validator("strength", "nti", mode="before")
    @classmethod
    def _blank_is_none(cls, v):
        return None if v == "" else v

    @field_validator("ingredient")
    @classmethod
    def _name(cls, v: str) -> str:
        v = normalise_name(v)
        if not v:
            raise ValueError("ingredient must not be empty")
        return v

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        if not v:
            raise ValueError("version must not be empty")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "Perpetrator":
        graded = {"strong", "moderate", "weak"}
        if self.role == "substrate":
            if self.strength in graded:
                raise ValueError(f"a substrate's strength is 'sensitive' or empty, not {self.strength!r}")
        else:
            if self.strength not in graded | {None}:
                raise ValueError(f"an {self.role}'s strength is strong, moderate or weak, not {self.strength!r}")
            if self.target == "CYP3A" and self.strength is None:
                raise ValueError(f"a CYP3A {self.role} needs a strength (strong, moderate or weak)")
            if self.nti is not None:
                raise ValueError("nti (narrow therapeutic index) applies to substrates only")
        return self


def load_sources(path: Path) -> dict[str, Source]:
    """Read ``sources.csv`` (id, citation, url, facts_ref); ids must be unique."""
    out: dict[str, Source] = {}
    lines: dict[str, int] = {}
    for line, row in read_csv(path, SOURCE_COLUMNS):
        src = validate(Source, row, path, line)
        if src.id in out:
            raise config_error(path, line, f"duplicate source id {src.id!r} (first on line {lines[src.id]})")
        out[src.id], lines[src.id] = src, line
    return out


def load_perpetrators(path: Path, sources: dict[str, Source]) -> pd.DataFrame:
    """Read and validate ``perpetrators.csv`` into a DataFrame (one row per file row).

    Raises :class:`ConfigError` for a malformed row, an unknown source id, a duplicate
    (ingredient, target, role), conflicting strengths for the same (ingredient, target, role),
    or an ingredient listed as both inhibitor and inducer of the same target.
    """
    rows: list[dict] = []
    seen: dict[tuple[str, str, str], tuple[int, str | None]] = {}
    for line, raw in read_csv(path, COLUMNS):
        p: Perpetrator = validate(Perpetrator, raw, path, line)
        if p.source not in sources:
            raise config_error(path, line, f"source {p.source!r} is not an id in sources.csv")
        key = (p.ingredient, p.target, p.role)
        if key in seen:
            first, strength = seen[key]
            if strength == p.strength:
                raise config_error(path, line, f"duplicate row: {p.ingredient} {p.target} {p.role} (first on line {first})")
            raise config_error(
                path, line,
                f"conflicting categories: {p.ingredient} is a {p.strength or 'ungraded'} {p.target} {p.role} here "
                f"but {strength or 'ungraded'} on line {first}",
            )
        opposite = {"inhibitor": "inducer", "inducer": "inhibitor"}.get(p.role)
        if opposite and (p.ingredient, p.target, opposite) in seen:
            first = seen[(p.ingredient, p.target, opposite)][0]
            raise config_error(
                path, line,
                f"conflicting categories: {p.ingredient} is a {p.target} {p.role} here but a {opposite} on line {first}",
            )
        seen[key] = (line, p.strength)
        rows.append({**p.model_dump(), "line": line})
    df = pd.DataFrame(rows, columns=[*COLUMNS, "line"])
    return df


@dataclass(frozen=True)
class ClassSpec:
    """A perpetrator class: target, role and optional strength."""

    target: str
    role: str
    strength: str | None = None

    @property
    def label(self) -> str:
        s = f"{self.strength} " if self.strength else ""
        t = "CYP3A4" if self.target == "CYP3A" else self.target
        return f"{s}{t} {self.role}s"


_TARGETS = {"cyp3a": "CYP3A", "cyp3a4": "CYP3A", "pgp": "P-gp", "p-gp": "P-gp"}
_ROLES = ("inhibitor", "inducer", "substrate")
_STRENGTHS = ("strong", "moderate", "weak", "sensitive")


def parse_class(spec: str) -> ClassSpec:
    """Parse ``[strength-]target-role`` (e.g. ``strong-cyp3a4-inhibitor``, ``pgp-substrate``).

    Raises :class:`UnknownNameError` listing the accepted forms.
    """
    s = spec.strip().lower().replace("_", "-").replace(" ", "-").replace("p-gp", "pgp")
    s = s[:-1] if s.endswith("s") else s
    strength = None
    for st in _STRENGTHS:
        if s.startswith(st + "-"):
            strength, s = st, s[len(st) + 1:]
            break
    target, _, role = s.partition("-")
    if target not in _TARGETS or role not in _ROLES:
        raise UnknownNameError(
            f"unknown perpetrator class {spec!r}: use [strength-]target-role with target cyp3a4 or pgp, "
            f"role inhibitor, inducer or substrate, strength strong, moderate or weak "
            f"(e.g. cyp3a4-inhibitor, strong-cyp3a4-inhibitor, pgp-substrate)"
        )
    return ClassSpec(_TARGETS[target], role, strength)


def class_label(row) -> str:
    """Human label of one perpetrator row, e.g. 'strong CYP3A4 inhibitor'."""
    t = "CYP3A4" if row["target"] == "CYP3A" else row["target"]
    strength = row.get("strength")
    s = f"{strength} " if isinstance(strength, str) and strength else ""  # missing: None or NaN
    nti = " (narrow therapeutic index)" if row.get("nti") is True else ""
    return f"{s}{t} {row['role']}{nti}"
