"""The typed record of a compound safety profile (pydantic; JSON-exportable).

A :class:`Profile` holds a summary row per event of interest, the sections (each with
paragraphs, cited items, tables of raw values and inline figures), the methods in
READUS-PV order and the references. Numbers stay unformatted; the renderer formats.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from pvsignal.knowledge.compounds import Cited

SYNTHETIC_LABEL = "SYNTHETIC DATA"


class Table(BaseModel):
    """A table of a section: raw values (numbers unformatted; the renderer formats)."""

    caption: str = ""
    columns: list[str]
    rows: list[list[Any]]
    note: str | None = None
    synthetic: bool = False


class Figure(BaseModel):
    """A figure as an inline image (``data`` is base64; omitted from JSON unless asked)."""

    title: str
    alt: str
    mime: Literal["image/svg+xml", "image/png"] = "image/svg+xml"
    data: str = ""
    synthetic: bool = False

    @property
    def data_uri(self) -> str:
        return f"data:{self.mime};base64,{self.data}"


class Section(BaseModel):
    """One section of the profile; ``available=False`` carries the reason in ``reason``.

    ``synthetic`` is true when the section's input (the FAERS lake, or trial data
    declared synthetic) was synthetic; knowledge-file sections never are.
    """

    key: str
    title: str
    available: bool = True
    reason: str | None = None
    synthetic: bool = False
    paragraphs: list[str] = Field(default_factory=list)
    items: list[Cited] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)


class ArmIncidence(BaseModel):
    """Subjects with the event in one trial arm: ``n`` of ``N`` (``pct`` in %), CIOMS category."""

    arm: str
    n: int
    N: int
    pct: float | None
    frequency: str


class SummaryRow(BaseModel):
    """One event of interest: trial incidence, report counts, signal statistics, onset."""

    event: str
    trial: list[ArmIncidence] = Field(default_factory=list)
    trial_frequency: str | None = None  #: CIOMS category in the treatment arm
    label_pct: list[float] | None = None  #: label Table 1 percentages (compound file)
    reports: int | None = None  #: FAERS cases with the drug (suspect) and the event (cell a)
    expected: float | None = None
    ror: float | None = None
    ror_lower: float | None = None
    ror_upper: float | None = None
    prr: float | None = None
    prr_lower: float | None = None
    prr_upper: float | None = None
    chi2_yates: float | None = None
    ic: float | None = None
    ic025: float | None = None
    ebgm: float | None = None
    eb05: float | None = None
    flags: dict[str, bool] = Field(default_factory=dict)
    onset_n: int | None = None
    median_onset_days: float | None = None
    within_30_days: float | None = None


class MethodItem(BaseModel):
    """A methods paragraph, in READUS-PV order (``item`` is the checklist item id)."""

    item: str
    heading: str
    text: list[str]


class Reference(BaseModel):
    id: str
    text: str


class Profile(BaseModel):
    """The compound safety profile. ``to_json`` exports it.

    ``events_chosen`` says how the events of interest were chosen (given, or picked
    from the signal table); ``case_definition`` is the FAERS case definition every
    FAERS section used.
    """

    drug: str
    title: str
    generated_at: str
    pvsignal_version: str
    events: list[str]
    events_chosen: str | None = None
    event_group: str | None = None
    synthetic: bool = False
    synthetic_note: str | None = None
    case_definition: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, Any] = Field(default_factory=dict)
    summary: list[SummaryRow] = Field(default_factory=list)
    summary_notes: list[str] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    methods: list[MethodItem] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    def to_dict(self, *, figures: bool = False) -> dict[str, Any]:
        """JSON-ready dict (NaN/inf → null). Figure image data only with ``figures=True``."""
        d = json.loads(self.model_dump_json())
        if not figures:
            for s in d["sections"]:
                for f in s["figures"]:
                    f.pop("data", None)
        return d

    def to_json(self, path: str | Path | None = None, *, figures: bool = False, indent: int = 2) -> str:
        """The profile as JSON text; written to ``path`` when given."""
        text = json.dumps(self.to_dict(figures=figures), indent=indent, ensure_ascii=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text
