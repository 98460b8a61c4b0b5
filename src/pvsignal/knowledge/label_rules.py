"""Per-drug label interaction rules (``label_rules/<drug>.yaml``): the model and its loader.

A rule says: when the partner drug has a perpetrators.csv row matching ``when``
(target, role, and optionally strength and nti), the label's action applies::

    drug: VOCLOSPORIN
    source: LUPKYNIS-PI
    version: "SPL v11 (2025-10-08)"
    rules:
      - when: {target: CYP3A, role: inhibitor, strength: strong}
        action: contraindicated
        mechanism: "..."
        source: LUPKYNIS-PI
        status: V

Actions, most severe first: ``contraindicated``, ``avoid``, ``adjust dose`` (needs ``dose``
text), ``monitor``, ``no adjustment``; a partner that matches no rule gets
``no known interaction``. When several rules match (e.g. clarithromycin: strong CYP3A
inhibitor and P-gp inhibitor), the most severe action is reported and the others are
listed in ``other_rules`` (:func:`pvsignal.knowledge.interactions.check`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from pvsignal.knowledge.files import config_error, read_yaml, validate
from pvsignal.knowledge.perpetrators import Source, Status, Strength, Role, Target, normalise_name

Action = Literal["contraindicated", "avoid", "adjust dose", "monitor", "no adjustment"]


class When(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target: Target
    role: Role
    strength: Strength | None = None
    nti: bool | None = None

    def key(self) -> tuple:
        return (self.target, self.role, self.strength, self.nti)

    def matches(self, row: dict) -> bool:
        return (
            row["target"] == self.target
            and row["role"] == self.role
            and (self.strength is None or row["strength"] == self.strength)
            and (self.nti is None or row["nti"] is self.nti)
        )


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    when: When
    action: Action
    mechanism: str
    dose: str = ""
    source: str
    status: Status = "V"

    @model_validator(mode="after")
    def _dose(self) -> "Rule":
        if self.action == "adjust dose" and not self.dose.strip():
            raise ValueError("action 'adjust dose' needs the dose text in 'dose'")
        if not self.mechanism.strip():
            raise ValueError("mechanism must not be empty")
        return self


class LabelRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    drug: str
    source: str
    version: str
    rules: list[Rule]

    @field_validator("drug")
    @classmethod
    def _norm(cls, v: str) -> str:
        v = normalise_name(v)
        if not v:
            raise ValueError("drug must not be empty")
        return v


def load_label_rules(folder: Path, sources: dict[str, Source]) -> dict[str, LabelRules]:
    """Read every ``*.yaml`` in ``folder``: ``{DRUG: LabelRules}``.

    Raises :class:`ConfigError` for a YAML or schema error (with the YAML path, e.g.
    ``rules.2.action``), an unknown source, two rules with the same ``when``, or two files
    for the same drug.
    """
    out: dict[str, LabelRules] = {}
    files: dict[str, Path] = {}
    for path in sorted(folder.glob("*.yaml")):
        data = read_yaml(path)
        lr: LabelRules = validate(LabelRules, data, path, None)
        for i, r in enumerate(lr.rules):
            if r.source not in sources:
                raise config_error(path, f"rules.{i}.source", f"source {r.source!r} is not an id in sources.csv")
        if lr.source not in sources:
            raise config_error(path, "source", f"source {lr.source!r} is not an id in sources.csv")
        seen: dict[tuple, int] = {}
        for i, r in enumerate(lr.rules):
            k = r.when.key()
            if k in seen:
                raise config_error(path, f"rules.{i}.when", f"same condition as rules.{seen[k]} (duplicate or conflicting rule)")
            seen[k] = i
        if lr.drug in out:
            raise config_error(path, "drug", f"rules for {lr.drug} are already in {files[lr.drug]}")
        out[lr.drug], files[lr.drug] = lr, path
    return out
