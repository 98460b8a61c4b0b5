"""Assemble the compound safety profile: resolve the inputs once, run every registered section.

Each section is built independently (:data:`pvsignal.report.profile.sections.SECTIONS`): a
section whose input is missing or unusable (a :class:`NotAvailable` or a user-input
:class:`PvsignalError`) is kept with ``available=False`` and the plain reason ("not
available: …"); an unexpected failure is reported in ``Profile.errors`` too. A profile of
a drug with no report in the lake is an error, not an empty report.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from pvsignal.errors import ConfigError, PvsignalError
from pvsignal.report.profile.context import NotAvailable, ProfileContext, SectionSpec
from pvsignal.report.profile.inputs import (
    check_lake,
    default_events,
    load_inputs,
    open_lake,
    resolve_group,
    score_drug,
)
from pvsignal.report.profile.methods import methods, references
from pvsignal.report.profile.model import Profile, Section
from pvsignal.report.profile.sections import SECTIONS
from pvsignal.report.profile.summary import summary

log = logging.getLogger(__name__)


def run_section(ctx: ProfileContext, spec: SectionSpec) -> Section:
    """Build one section; a missing input or a user-input error becomes "not available: <reason>"."""
    try:
        sec = spec.build(ctx)
    except NotAvailable as exc:
        sec = spec.empty().model_copy(update={"available": False, "reason": str(exc)})
    except PvsignalError as exc:
        sec = spec.empty().model_copy(update={"available": False, "reason": str(exc)})
    except ImportError as exc:
        sec = spec.empty().model_copy(update={"available": False, "reason": f"the module it needs is missing ({exc})"})
    except Exception as exc:  # a failing source must not sink the whole report
        log.exception("profile section %s failed", spec.key)
        reason = f"the computation failed ({type(exc).__name__}: {exc})"
        sec = spec.empty().model_copy(update={"available": False, "reason": reason})
        ctx.errors.append(f"{spec.key}: {type(exc).__name__}: {exc}")
    sec.synthetic = ctx.synthetic_for(spec.source)
    return sec


def _definition(definition, roles: str | None, quarters: str | None, sex: str | None, years: list[int] | None):
    from pvsignal.analysis.population import CaseDefinition

    shortcuts = {k: v for k, v in (("roles", roles), ("quarters", quarters), ("sex", sex), ("years", years))
                 if v is not None}
    if definition is None:
        return CaseDefinition(**shortcuts)
    return definition.replace(**shortcuts) if shortcuts else definition


def _events(events: Sequence[str] | str | None) -> list[str]:
    if isinstance(events, str):
        events = events.split(",")
    return [e.strip() for e in (events or []) if e and e.strip()]


def build_profile(
    drug: str,
    events: Sequence[str] | str | None = None,
    event_group: str | None = None,
    lake: str | Path | None = None,
    adsl: pd.DataFrame | str | Path | None = None,
    adae: pd.DataFrame | str | Path | None = None,
    adlb: pd.DataFrame | str | Path | None = None,
    *,
    definition=None,
    groups: pd.DataFrame | str | Path | None = None,
    meddra: str | Path | None = None,
    compound: str | Path | None = None,
    roles: str | None = None,
    quarters: str | None = None,
    sex: str | None = None,
    years: list[int] | None = None,
    thresholds=None,
    treatment_arm: str | None = None,
    control_arm: str | None = None,
    arm_var: str = "TRT01A",
    rules: str | Path | None = None,
    top_n: int = 15,
    synthetic: bool | None = None,
    trial_synthetic: bool = False,
    figures: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> Profile:
    """Assemble the safety profile of ``drug`` for ``events`` (PTs; list or comma-separated).

    Inputs (each optional; a section without its input says "not available"):
    ``lake`` (FAERS Parquet lake), ``adsl``/``adae``/``adlb`` (DataFrames or
    .xpt/.csv/.parquet paths), ``event_group`` (resolved through ``groups`` — a YAML groups
    file or a (pt, group_name, level) frame — or ``meddra``, or an existing ``pt_groups``
    view; failing those, ADAE AEBODSYS coding), ``compound`` (knowledge file; default the
    shipped one), ``rules`` (dose rules; default the shipped set named like the drug).

    ``definition`` (:class:`~pvsignal.analysis.population.CaseDefinition`) is the FAERS case
    population of every FAERS section (signals, cases, onset, interactions); ``roles``,
    ``quarters``, ``sex`` and ``years`` are shortcuts that set those fields. ``thresholds``:
    :class:`~pvsignal.stats.flags.Thresholds`. Without ``events`` (and with a lake) the
    events are the drug's events flagged by at least two of ROR, PRR, IC and EBGM, top 5
    by EB05; the report says how they were chosen.

    Synthetic labels: FAERS sections are synthetic when the lake's manifest says so
    (recorded by ingest) or ``synthetic=True``; trial sections only with
    ``trial_synthetic=True`` (ADaM files carry no marker); knowledge sections never.

    Raises :class:`ConfigError` (no drug, no events and no lake), :class:`InputFileError`
    (not a lake) and :class:`UnknownNameError` (no report of the drug in the lake, with
    close matches); data problems become section notes.

    ``progress(done, total, label)`` is told as each step starts: reading the inputs (and
    scoring the drug's events), then each registered section by its title
    (``total = 1 + len(SECTIONS)``).
    """
    from pvsignal import __version__
    from pvsignal.stats.flags import Thresholds

    if not drug or not drug.strip():
        raise ConfigError("name the drug, e.g. pvsignal profile voclosporin --events headache,tremor")
    wanted = _events(events)
    if not wanted and (events is not None or lake is None):
        raise ConfigError("name at least one event of interest, e.g. --events headache,tremor (or give a lake to "
                          "pick the drug's flagged events)")
    ctx = ProfileContext(drug=drug.strip(), key=drug.strip().upper(), events=wanted,
                         definition=_definition(definition, roles, quarters, sex, years),
                         thresholds=thresholds or Thresholds(), event_group=event_group,
                         lake=None if lake is None else check_lake(lake), figures=figures, top_n=top_n,
                         trial_synthetic=trial_synthetic, treatment_arm=treatment_arm, control_arm=control_arm,
                         arm_var=arm_var)
    step = _progress(progress)
    step(0, "reading the inputs" + (" and scoring the drug's events" if ctx.lake is not None else ""))
    try:
        if ctx.lake is not None:
            open_lake(ctx)
        if ctx.con is not None:
            score_drug(ctx)
            ctx.faers_synthetic = bool(ctx.status["synthetic"]) if synthetic is None else bool(synthetic)
            if ctx.faers_synthetic:
                ctx.synthetic_note = ("the lake's manifest records synthetic quarters (pvsignal synth)"
                                      if ctx.status["synthetic"] else "declared synthetic by the caller")
            if not ctx.events:
                if ctx.scores is None:
                    raise ConfigError("name the events of interest (--events): the signal table is not available "
                                      f"to choose them ({ctx.problems.get('signals')})")
                ctx.events, ctx.events_chosen = default_events(ctx.scores)
        elif not ctx.events:
            raise ConfigError("name the events of interest (--events): the lake could not be read "
                              f"({ctx.problems.get('lake')})")
        load_inputs(ctx, adsl, adae, adlb, compound, rules)
        resolve_group(ctx, groups, meddra)
        return _profile(ctx, __version__, step)
    finally:
        if ctx.con is not None:
            ctx.con.close()


def _progress(progress: Callable[[int, int, str], None] | None) -> Callable[[int, str], None]:
    """``step(i, label)`` → ``progress(i, 1 + len(SECTIONS), label)`` (a no-op without ``progress``)."""
    total = 1 + len(SECTIONS)
    return (lambda i, label: progress(i, total, label)) if progress else (lambda i, label: None)


def _profile(ctx: ProfileContext, version: str, step: Callable[[int, str], None]) -> Profile:
    sections = []
    for i, spec in enumerate(SECTIONS, start=1):
        step(i, f"section {i}/{len(SECTIONS)}: {spec.title}")
        sections.append(run_section(ctx, spec))
    rows, notes = summary(ctx)
    synthetic = ctx.synthetic_for("faers") or ctx.trial_synthetic
    note = "; ".join(x for x in (ctx.synthetic_note if ctx.synthetic_for("faers") else None,
                                 "trial data declared synthetic" if ctx.trial_synthetic else None) if x)
    brand = f" ({ctx.compound.brand})" if ctx.compound and ctx.compound.brand else ""
    profile = Profile(
        drug=ctx.key, title=f"Safety profile: {ctx.key.title()}{brand}",
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), pvsignal_version=version,
        events=[e.upper() for e in ctx.events], events_chosen=ctx.events_chosen, event_group=ctx.event_group,
        synthetic=synthetic, synthetic_note=note or None, case_definition=ctx.definition.to_dict(),
        inputs=_inputs(ctx), summary=rows, summary_notes=notes, sections=sections, errors=ctx.errors)
    profile.methods = methods(ctx, profile)
    profile.references = references(ctx)
    return profile


def _inputs(ctx: ProfileContext) -> dict[str, Any]:
    return {
        "lake": None if ctx.lake is None else str(ctx.lake),
        **{k: ctx.adam_names.get(k) for k in ("adsl", "adae", "adlb")},
        "compound": ctx.compound.path if ctx.compound else None,
        "rules": ctx.rules.id if ctx.rules else None,
        "event_group_source": ctx.group_source,
    }
