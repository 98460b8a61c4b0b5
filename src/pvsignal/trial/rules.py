"""Dose-modification rules as data: the YAML rule language and its validation.

A rule file describes how a protocol or label changes the dose from a lab series
(e.g. eGFR). Example (the shipped ``voclosporin.yaml`` is complete and cited)::

    id: voclosporin
    drug: voclosporin
    sources: [{citation: "LUPKYNIS US prescribing information §2.3", url: "https://…"}]
    lab: {parameter: EGFR, unit: mL/min/1.73 m2}
    dose: {unit: mg BID, start: 23.7, step: 7.9, minimum: 7.9, maximum: 23.7}
    baseline:
      - {id: baseline-le-45, when: ["value <= 45"], flag: "not recommended"}
    rules:                       # first matching rule wins, in file order
      - id: fall-20-30
        when: ["value < 60", "fall_pct > 20", "fall_pct < 30"]
        action: reduce           # by dose.step unless `by` is given
        reassess_within_days: 14

Conditions are ``<quantity> <op> <number>`` with op one of < <= > >= and quantity one
of: ``value`` (the lab value), ``baseline``, ``fall_pct`` = 100·(baseline − value)/baseline,
``pct_of_baseline`` = 100·value/baseline, ``pchg`` = 100·(value − baseline)/baseline.
Quantities are rounded to 9 decimals before comparison, so 40 against a baseline of 50
is exactly a 20 % fall. All conditions of a rule must hold.

States: ``full`` (dose ≥ start), ``reduced`` (below start), ``held``, ``discontinued``.
A rule applies only in its ``states`` (default: the states where its action makes
sense). Actions: ``none``, ``flag`` (note only), ``reduce`` (by ``by`` or dose.step; a
result below dose.minimum discontinues), ``increase`` (by ``by`` or dose.step, never
above dose.maximum), ``hold``, ``resume`` (the dose before the hold), ``discontinue``,
``reinitiate`` (at ``dose``).

A malformed file raises :class:`RuleFileError` with the file, the line and the reason.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from pvsignal.errors import ConfigError, UnknownNameError

QUANTITIES = ("value", "baseline", "fall_pct", "pct_of_baseline", "pchg")
OPS = ("<", "<=", ">", ">=")
STATES = ("full", "reduced", "held", "discontinued")
ACTIONS = ("none", "flag", "reduce", "increase", "hold", "resume", "discontinue", "reinitiate")
ON_DRUG = ("full", "reduced")
DEFAULT_STATES: dict[str, tuple[str, ...]] = {
    "none": STATES,
    "flag": STATES,
    "reduce": ON_DRUG,
    "increase": ON_DRUG,
    "hold": ON_DRUG,
    "discontinue": ON_DRUG + ("held",),
    "resume": ("held",),
    "reinitiate": ("discontinued",),
}
_COND = re.compile(r"^\s*([a-z_]+)\s*(<=|>=|<|>)\s*([-+]?\d+(?:\.\d+)?)\s*$")

SHIPPED_DIR = ("data", "rules")  # inside the pvsignal package


class RuleFileError(ConfigError):
    """A dose-rule file is malformed; the message gives the file, line and reason."""


class Condition(BaseModel):
    """``quantity op threshold``, parsed from text such as ``"fall_pct > 20"``."""

    model_config = ConfigDict(frozen=True)
    quantity: str
    op: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.quantity} {self.op} {self.threshold:g}"

    def holds(self, q: dict[str, float]) -> bool:
        x = q[self.quantity]
        if x != x:  # NaN never satisfies a condition
            return False
        t = self.threshold
        return {"<": x < t, "<=": x <= t, ">": x > t, ">=": x >= t}[self.op]


def parse_condition(text: Any) -> Condition:
    if isinstance(text, Condition):
        return text
    if not isinstance(text, str):
        raise ValueError(f"a condition is text like 'fall_pct > 20', got {text!r}")
    m = _COND.match(text)
    if not m:
        raise ValueError(f"cannot parse condition {text!r}; write '<quantity> <op> <number>', e.g. 'fall_pct > 20'")
    q, op, num = m.groups()
    if q not in QUANTITIES:
        raise ValueError(f"unknown quantity {q!r} in {text!r}; use one of {', '.join(QUANTITIES)}")
    return Condition(quantity=q, op=op, threshold=float(num))


ConditionText = Annotated[Condition, BeforeValidator(parse_condition)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    citation: str
    url: str | None = None


class Lab(_Strict):
    parameter: str = Field(min_length=1)
    unit: str | None = None


class Dose(_Strict):
    unit: str
    start: float = Field(gt=0)
    step: float = Field(gt=0)
    minimum: float = Field(gt=0)
    maximum: float = Field(gt=0)
    below_minimum: Literal["discontinue", "stay"] = "discontinue"

    @model_validator(mode="after")
    def _order(self) -> "Dose":
        if not self.minimum <= self.start <= self.maximum:
            raise ValueError(f"need minimum ≤ start ≤ maximum, got {self.minimum}, {self.start}, {self.maximum}")
        return self


class _WithConditions(_Strict):
    id: str = Field(min_length=1)
    when: tuple[ConditionText, ...] = ()
    note: str | None = None

    @field_validator("when", mode="before")
    @classmethod
    def _parse_when(cls, v: Any) -> Any:
        if v is None:
            return ()
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, (list, tuple)):
            raise ValueError("'when' is a list of conditions such as ['value < 60', 'fall_pct > 20']")
        return tuple(v)

    def matches(self, q: dict[str, float]) -> bool:
        return all(c.holds(q) for c in self.when)


class BaselineRule(_WithConditions):
    flag: str = Field(min_length=1)


class Rule(_WithConditions):
    action: Literal["none", "flag", "reduce", "increase", "hold", "resume", "discontinue", "reinitiate"]
    states: tuple[Literal["full", "reduced", "held", "discontinued"], ...] | None = None
    by: float | None = Field(default=None, gt=0)
    dose: float | None = Field(default=None, gt=0)
    reassess_within_days: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> "Rule":
        if self.action == "reinitiate" and self.dose is None:
            raise ValueError("action 'reinitiate' needs 'dose' (the dose to restart at)")
        if self.dose is not None and self.action != "reinitiate":
            raise ValueError(f"'dose' only goes with action 'reinitiate', not {self.action!r}")
        if self.by is not None and self.action not in ("reduce", "increase"):
            raise ValueError(f"'by' only goes with actions 'reduce' and 'increase', not {self.action!r}")
        if self.states is not None:
            bad = [s for s in self.states if s not in DEFAULT_STATES[self.action]]
            if bad:
                raise ValueError(
                    f"action {self.action!r} cannot apply in state(s) {bad}; it applies in {list(DEFAULT_STATES[self.action])}"
                )
        return self

    @property
    def applies_in(self) -> tuple[str, ...]:
        return self.states if self.states is not None else DEFAULT_STATES[self.action]


class RuleSet(_Strict):
    """A validated rule file."""

    schema_version: int = Field(default=1, alias="schema")
    id: str = Field(min_length=1)
    drug: str
    title: str | None = None
    sources: tuple[Source, ...] = Field(min_length=1)
    lab: Lab
    dose: Dose
    baseline: tuple[BaselineRule, ...] = ()
    rules: tuple[Rule, ...] = Field(min_length=1)
    path: str | None = Field(default=None, exclude=True)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def load_rules(name_or_path: str | Path) -> RuleSet:
    """Load a shipped rule set by name (e.g. 'voclosporin') or a YAML file by path."""
    p = Path(name_or_path)
    if p.suffix.lower() in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise RuleFileError(f"rule file {p} does not exist")
        return parse_rules(p.read_text(encoding="utf-8"), source=str(p))
    names = shipped_rule_names()
    if str(name_or_path) not in names:
        raise UnknownNameError(f"no shipped rule set {str(name_or_path)!r}; shipped: {', '.join(names) or 'none'}; or give a path to a .yaml file")
    text = _shipped_root().joinpath(f"{name_or_path}.yaml").read_text(encoding="utf-8")
    return parse_rules(text, source=f"{name_or_path}.yaml (shipped)")


def shipped_rule_names() -> list[str]:
    root = _shipped_root()
    return sorted(f.name[: -len(".yaml")] for f in root.iterdir() if f.name.endswith(".yaml"))


def _shipped_root() -> Any:
    return resources.files("pvsignal").joinpath(*SHIPPED_DIR)


def parse_rules(text: str, *, source: str = "<rules>") -> RuleSet:
    """Parse and validate rule-file text; errors name ``source``, the line and the reason."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else "?"
        raise RuleFileError(f"{source}, line {line}: not valid YAML: {exc.problem or exc}") from exc
    if node is None or not isinstance(node, yaml.MappingNode):
        raise RuleFileError(f"{source}, line 1: a rule file is a YAML mapping with keys id, drug, sources, lab, dose, rules")
    _check_duplicate_keys(node, source)
    data = yaml.safe_load(text)
    try:
        rs = RuleSet.model_validate({**data, "path": source})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line = _line_of(node, loc)
        where = ".".join(str(p) for p in loc) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise RuleFileError(f"{source}, line {line}: {where}: {msg}{more}") from None
    seen: dict[str, int] = {}
    for i, r in enumerate(rs.baseline + rs.rules):
        if r.id in seen:
            key = ("baseline", i) if i < len(rs.baseline) else ("rules", i - len(rs.baseline))
            line = _line_of(node, key + ("id",))
            raise RuleFileError(f"{source}, line {line}: rule id {r.id!r} is used twice; ids must be unique")
        seen[r.id] = i
    return rs


def _check_duplicate_keys(node: yaml.Node, source: str) -> None:
    if isinstance(node, yaml.MappingNode):
        keys: set[Any] = set()
        for k, v in node.value:
            if k.value in keys:
                raise RuleFileError(f"{source}, line {k.start_mark.line + 1}: key {k.value!r} appears twice in the same mapping")
            keys.add(k.value)
            _check_duplicate_keys(v, source)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            _check_duplicate_keys(v, source)


def _line_of(node: yaml.Node, loc: tuple[Any, ...]) -> int:
    """1-based line of the deepest node of ``loc`` that exists (the key line for mappings)."""
    line = node.start_mark.line + 1
    cur: yaml.Node | None = node
    for part in loc:
        if isinstance(cur, yaml.MappingNode):
            hit = next(((k, v) for k, v in cur.value if k.value == part), None)
            if hit is None:
                break
            line = hit[0].start_mark.line + 1
            cur = hit[1]
        elif isinstance(cur, yaml.SequenceNode) and isinstance(part, int) and part < len(cur.value):
            cur = cur.value[part]
            line = cur.start_mark.line + 1
        else:
            break
    return line
