"""Per-drug label interaction rules (``label_rules/<drug>.yaml``) and the rule checker.

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
listed in ``other_rules``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from pvsignal.knowledge.files import config_error, read_yaml, validate
from pvsignal.knowledge.perpetrators import Source, Status, Strength, Role, Target, class_label, normalise_name

if TYPE_CHECKING:
    from pvsignal.knowledge.loader import Knowledge

Action = Literal["contraindicated", "avoid", "adjust dose", "monitor", "no adjustment"]
#: Severity order of actions (lower = more severe).
SEVERITY: dict[str, int] = {
    "contraindicated": 0, "avoid": 1, "adjust dose": 2, "monitor": 3, "no adjustment": 4,
    "no known interaction": 5, "not in knowledge base": 6,
}
NO_RULE = "no known interaction"
UNKNOWN = "not in knowledge base"

RESULT_COLUMNS = [
    "drug", "partner", "ingredient", "action", "dose", "mechanism", "partner_classes",
    "source", "source_id", "class_source", "status", "other_rules",
]


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


def check(knowledge: "Knowledge", drug: str, partners: list[str], *, allow_unknown: bool = False) -> pd.DataFrame:
    """Label action for ``drug`` with each partner; one row per partner (see module doc).

    ``drug`` and partners resolve case-insensitively through synonyms and salt forms; an
    unknown name raises :class:`UnknownNameError` with close matches (a typo must never be
    reported as "no known interaction"), unless ``allow_unknown`` is set, in which case the
    row says ``not in knowledge base``.
    """
    from pvsignal.errors import UnknownNameError

    ingredient = knowledge.names.resolve(drug)
    if ingredient not in knowledge.rules:
        have = ", ".join(sorted(d.lower() for d in knowledge.rules)) or "none"
        near = knowledge.names.close_matches(drug)
        hint = f" Close names: {', '.join(near)}." if near else ""
        raise UnknownNameError(
            f"no label interaction rules for {drug!r}; rules exist for: {have}.{hint} "
            "Add a label_rules/<drug>.yaml file to cover another drug."
        )
    lr = knowledge.rules[ingredient]
    by_ing = knowledge.perpetrators_by_ingredient()
    rows = []
    for partner in partners:
        p = knowledge.names.resolve(partner)
        base = dict.fromkeys(RESULT_COLUMNS, "")
        base.update(drug=ingredient, partner=partner)
        if p is None:
            if not allow_unknown:
                knowledge.names.require(partner, what="partner drug")
            rows.append({**base, "ingredient": "", "action": UNKNOWN,
                         "mechanism": "name not found in the knowledge files; check the spelling"})
            continue
        prow = by_ing.get(p, [])
        classes = "; ".join(class_label(r) for r in prow)
        class_src = "; ".join(sorted({f"{r['source']} ({r['version']})" for r in prow}))
        hits = [(r, c) for r in lr.rules for c in prow if r.when.matches(c)]
        hits.sort(key=lambda rc: SEVERITY[rc[0].action])
        if not hits:
            mech = f"{p.lower()} is a {classes}; no label rule for {ingredient.lower()} applies" if classes else \
                f"{p.lower()} is not a listed CYP3A or P-gp perpetrator or substrate"
            rows.append({**base, "ingredient": p, "action": NO_RULE, "mechanism": mech,
                         "partner_classes": classes, "class_source": class_src})
            continue
        rule, _ = hits[0]
        others = []
        for r, c in hits[1:]:
            if r is not rule:
                others.append(f"{r.action} ({class_label(c)})")
        src = knowledge.sources[rule.source]
        rows.append({
            **base, "ingredient": p, "action": rule.action, "dose": rule.dose, "mechanism": rule.mechanism,
            "partner_classes": classes, "source": src.citation + (f", {lr.version}" if rule.source == lr.source else ""),
            "source_id": rule.source + (f" ({lr.version})" if rule.source == lr.source else ""), "class_source": class_src,
            "status": rule.status, "other_rules": "; ".join(dict.fromkeys(others)),
        })
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)
