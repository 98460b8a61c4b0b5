"""Compound knowledge files: mechanism, label facts, benefit–risk and literature, each cited.

A compound file (``pvsignal/data/compounds/<drug>.yaml``, or your own YAML by path) holds
what the compound safety profile says about a drug beyond the data: its class and target,
the pathway from target to effect, label warnings and adverse-reaction percentages,
benefit–risk findings and key literature. Every statement carries reference ids (listed
under ``references``) and an evidence status: V = seen in the cited source, C = computed
from verified numbers, M = background knowledge not re-verified (shown as "unverified").
:func:`load_compound` validates a file (pydantic) and names the field that is wrong.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pvsignal.errors import ConfigError, InputFileError, UnknownNameError

Status = Literal["V", "C", "M"]


class Cited(BaseModel):
    """One statement with its reference ids and evidence status (V, C or M; see module doc)."""

    model_config = ConfigDict(extra="forbid")
    text: str
    ref: list[str] = Field(default_factory=list)
    status: Status

    @property
    def verified(self) -> bool:
        return self.status != "M"


class PathwayStep(BaseModel):
    """One box of the mechanism diagram: a label, a detail line, references, status."""

    model_config = ConfigDict(extra="forbid")
    label: str
    detail: str = ""
    ref: list[str] = Field(default_factory=list)
    status: Status


class Mechanism(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    class_: Cited = Field(alias="class")
    target: Cited
    pathway: list[PathwayStep] = Field(min_length=1)
    effects: list[PathwayStep] = Field(default_factory=list)
    note: Cited | None = None
    pharmacokinetics: list[Cited] = Field(default_factory=list)


class LabelAdverseReactions(BaseModel):
    """The label's adverse-reaction table: ``rows`` of ``{event, pct: [per arm]}``."""

    model_config = ConfigDict(extra="forbid")
    arms: list[str]
    ref: list[str]
    status: Status
    rows: list[dict[str, Any]]


class LabelFacts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    boxed_warning: Cited | None = None
    warnings: list[Cited] = Field(default_factory=list)
    monitoring: list[Cited] = Field(default_factory=list)
    adverse_reactions: LabelAdverseReactions | None = None


class Compound(BaseModel):
    """A compound knowledge file, validated: every reference id used is listed."""

    model_config = ConfigDict(extra="forbid")
    schema_: int = Field(alias="schema")
    drug: str
    brand: str | None = None
    indication: Cited | None = None
    approval: Cited | None = None
    mechanism: Mechanism
    label: LabelFacts = Field(default_factory=LabelFacts)
    benefit_risk: list[Cited] = Field(default_factory=list)
    literature: list[Cited] = Field(default_factory=list)
    references: dict[str, str]
    path: str | None = None

    def model_post_init(self, __context: Any) -> None:
        used = set()
        for c in self._cited():
            used.update(c.ref)
        unknown = sorted(used - set(self.references))
        if unknown:
            raise ValueError(f"reference id(s) {unknown} are used but not listed under 'references'")

    def _cited(self) -> list[Any]:
        m = self.mechanism
        out: list[Any] = [m.class_, m.target, *m.pathway, *m.effects, *m.pharmacokinetics]
        out += [x for x in (m.note, self.indication, self.approval, self.label.boxed_warning) if x is not None]
        out += [*self.label.warnings, *self.label.monitoring, *self.benefit_risk, *self.literature]
        if self.label.adverse_reactions:
            out.append(self.label.adverse_reactions)
        return out


def compound_names() -> list[str]:
    """Drugs with a shipped compound knowledge file."""
    root = resources.files("pvsignal").joinpath("data", "compounds")
    return sorted(f.name[:-5] for f in root.iterdir() if f.name.endswith(".yaml"))


def load_compound(name_or_path: str | Path) -> Compound:
    """Load a shipped compound file by drug name, or a YAML file by path; validate it.

    Raises :class:`UnknownNameError` for a drug without a file, :class:`InputFileError`
    for a missing path and :class:`ConfigError` for a malformed file (with the field path).
    """
    p = Path(name_or_path)
    if p.suffix.lower() in (".yaml", ".yml"):
        if not p.is_file():
            raise InputFileError(f"compound file {p} does not exist")
        text, where = p.read_text(encoding="utf-8"), str(p)
    else:
        key = str(name_or_path).strip().lower()
        if key not in compound_names():
            raise UnknownNameError(
                f"no compound knowledge file for {name_or_path!r}; shipped: {', '.join(compound_names()) or 'none'}; "
                "pass --compound FILE.yaml to use your own")
        res = resources.files("pvsignal").joinpath("data", "compounds", f"{key}.yaml")
        text, where = res.read_text(encoding="utf-8"), f"pvsignal/data/compounds/{key}.yaml"
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where} is not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{where} must hold a mapping (schema, drug, mechanism, references …)")
    try:
        return Compound(**doc, path=where)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise ConfigError(f"{where}: {loc}: {first['msg']}") from None
