"""What the profile's sections share: the resolved inputs and the results computed once.

:class:`ProfileContext` is built by :func:`pvsignal.report.profile.assemble.build_profile`
(inputs read, event group resolved, the drug's signal table scored once) and handed to
each registered section. A section raises :class:`NotAvailable` when its input is
missing; the message becomes the section's reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal

import pandas as pd

if TYPE_CHECKING:
    from pvsignal.analysis.onset import OnsetResult
    from pvsignal.analysis.population import CaseDefinition
    from pvsignal.knowledge.compounds import Compound
    from pvsignal.knowledge.loader import Knowledge
    from pvsignal.stats.flags import Thresholds
    from pvsignal.report.profile.model import Section
    from pvsignal.trial.incidence import IncidenceResult

#: where a section's numbers come from: decides whether it is labelled synthetic
Source = Literal["faers", "trial", "knowledge"]

NO_LAKE = "no FAERS lake was given (--lake DIR)"


class NotAvailable(Exception):
    """A section's input was not given or cannot be used; the message is the reason."""


@dataclass
class ProfileContext:
    """The inputs of one profile and the results its sections share (computed once)."""

    drug: str  #: as given (stripped)
    key: str  #: upper case, as in the lake
    events: list[str]
    definition: "CaseDefinition"
    thresholds: "Thresholds"
    event_group: str | None = None
    events_chosen: str = "named by the user"
    lake: Path | None = None
    con: Any = None  #: DuckDB connection with the prepared views (None without a lake)
    status: dict[str, Any] | None = None  #: :func:`pvsignal.prepare.status.lake_status`
    faers_synthetic: bool = False
    trial_synthetic: bool = False
    synthetic_note: str | None = None
    figures: bool = True
    top_n: int = 15
    adsl: pd.DataFrame | None = None
    adae: pd.DataFrame | None = None
    adlb: pd.DataFrame | None = None
    adam_names: dict[str, str | None] = field(default_factory=dict)
    compound: "Compound | None" = None
    rules: Any = None  #: :class:`pvsignal.trial.dose_rules.DoseRules`
    kn: "Knowledge | None" = None
    group_pts: list[str] | None = None
    group_source: str | None = None
    treatment_arm: str | None = None
    control_arm: str | None = None
    arm_var: str = "TRT01A"
    problems: dict[str, str] = field(default_factory=dict)  #: input → why it could not be used
    errors: list[str] = field(default_factory=list)  #: unexpected failures (bugs), shown in the report
    scores: pd.DataFrame | None = None  #: the drug's rows of :func:`pvsignal.analysis.signals.signals`
    score_params: dict[str, Any] = field(default_factory=dict)
    signal_result: Any = None  #: the :class:`~pvsignal.analysis.signals.SignalResult` behind ``scores``
    onset: dict[str, "OnsetResult"] = field(default_factory=dict)
    trial: "IncidenceResult | None" = None

    def synthetic_for(self, source: Source) -> bool:
        """Whether numbers computed from ``source`` are synthetic (knowledge never is)."""
        if source == "faers":
            return self.faers_synthetic and self.con is not None
        return source == "trial" and self.trial_synthetic

    def need_lake(self) -> None:
        if self.con is None:
            raise NotAvailable("not available: " + self.problems.get("lake", NO_LAKE))

    def need_compound(self) -> "Compound":
        if self.compound is None:
            raise NotAvailable("not available: " + self.problems.get("compound", f"no compound file for {self.key}"))
        return self.compound

    def need_scores(self) -> pd.DataFrame:
        self.need_lake()
        if self.scores is None:
            raise NotAvailable("not available: " + self.problems.get("signals", "the signal statistics failed"))
        return self.scores

    def analysis_options(self) -> dict[str, Any]:
        """Keyword arguments that pass the case definition to the case, onset and interaction analyses."""
        return {"definition": self.definition}

    def trial_result(self) -> "IncidenceResult":
        """Trial incidence by arm (computed once); arms found by name when not given."""
        if self.trial is None:
            if self.adsl is None or self.adae is None:
                why = self.problems.get("adsl") or self.problems.get("adae") or \
                    "no trial data were given (--adsl and --adae)"
                raise NotAvailable(f"not available: {why}")
            from pvsignal.trial import arm_order, incidence

            var = self.arm_var.upper()
            codes = self.adsl[var + "N"] if var + "N" in self.adsl.columns else None
            arms = arm_order(self.adsl[var], codes=codes) if var in self.adsl.columns else []
            self.treatment_arm, self.control_arm = self._arms(arms)
            self.trial = incidence(self.adsl, self.adae, arm_var=self.arm_var, control=self.control_arm)
        return self.trial

    def _arms(self, arms: list[str]) -> tuple[str | None, str | None]:
        treat, ctrl = self.treatment_arm, self.control_arm
        if treat is None:
            hits = [a for a in arms if self.drug.lower() in a.lower()]
            treat = hits[0] if hits else None
        if ctrl is None:
            hits = [a for a in arms if "placebo" in a.lower() and a != treat]
            ctrl = hits[0] if hits else None
        if treat is None and ctrl is not None:
            others = [a for a in arms if a != ctrl]
            treat = others[0] if len(others) == 1 else None
        return treat, ctrl


@dataclass(frozen=True)
class SectionSpec:
    """A registered section: its key, title, input source and builder ``(context) -> Section``."""

    key: str
    title: str
    source: Source
    build: Callable[[ProfileContext], "Section"]

    def empty(self) -> "Section":
        from pvsignal.report.profile.model import Section

        return Section(key=self.key, title=self.title)
