"""What the generator planted, as a JSON-serialisable record (``truth.json`` beside the zips).

Expected counts are over *cases*: the latest version of every case, cases on a Deleted
list removed (the FDA rule, FACTS.md §1.5). A report counts as exposed when voclosporin
is a suspect drug (PS or SS) and as an event report when the PT is among its reactions;
``a, b, c, d`` are the 2×2 cells of FACTS.md §2 and ``ror = a·d / (b·c)``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class SynthTruth:
    """Everything needed to check an analysis of the synthetic corpus against the plan."""

    seed: int
    quarters: list[str]
    reports_per_quarter: int
    quirks_enabled: bool
    plan: dict
    files: list[dict] = field(default_factory=list)
    cases: dict = field(default_factory=dict)
    deleted: dict = field(default_factory=dict)
    signals: list[dict] = field(default_factory=list)
    interaction: dict = field(default_factory=dict)
    onset: dict = field(default_factory=dict)
    confounded_pairs: list[dict] = field(default_factory=list)
    per_quarter: list[dict] = field(default_factory=list)
    quirks: list[dict] = field(default_factory=list)
    drug_names: dict[str, str] = field(default_factory=dict)
    synthetic: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=True) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: str | Path) -> SynthTruth:
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))

    def signal(self, event: str) -> dict:
        """The planted signal for ``event`` (e.g. ``'Headache'``)."""
        for s in self.signals:
            if s["event"].lower() == event.lower():
                return s
        raise KeyError(event)


def two_by_two(exposed: np.ndarray, event: np.ndarray) -> dict:
    """Cells a, b, c, d and ROR = ad/bc over boolean arrays of cases."""
    a = int((exposed & event).sum())
    b = int((exposed & ~event).sum())
    c = int((~exposed & event).sum())
    d = int((~exposed & ~event).sum())
    ror = (a * d) / (b * c) if b and c else float("nan")
    return {"a": a, "b": b, "c": c, "d": d, "ror": ror}
