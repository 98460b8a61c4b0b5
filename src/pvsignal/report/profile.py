"""The compound safety profile: a typed, JSON-exportable record assembled from the API.

:func:`build_profile` gathers, for one drug and its events of interest, what the other
modules compute — disproportionality (ROR, PRR, χ², IC, EBGM) from the FAERS lake, case
characterisation, time to onset, trial incidence by arm and dose-rule firing from ADaM,
label interaction rules and co-reporting, and the compound knowledge file (mechanism,
benefit–risk, literature, each with its reference) — into a :class:`Profile`. Sections
are built independently: a section whose input is missing or whose computation fails
is kept with ``available=False`` and a plain reason ("not available: …"), never dropped.

Rendering is separate (:mod:`pvsignal.report.render`): ``render(profile, "x.html")``.

Synthetic data: a lake made by :mod:`pvsignal.synth` is detected
(:func:`synthetic_marker`) and every data-derived section, table and figure of the
profile is then labelled synthetic.

>>> from pvsignal.report.profile import build_profile           # doctest: +SKIP
>>> from pvsignal.report.render import render                   # doctest: +SKIP
>>> p = build_profile("voclosporin", ["headache", "tremor"], lake="lake")  # doctest: +SKIP
>>> render(p, "voclosporin.html")                               # doctest: +SKIP
"""

from __future__ import annotations

import base64
import json
import logging
import math
import platform
import tempfile
import zipfile
from datetime import datetime, timezone
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pvsignal.errors import ConfigError, InputFileError, PvsignalError, UnknownNameError

log = logging.getLogger(__name__)

SYNTHETIC_LABEL = "SYNTHETIC DATA"

# --------------------------------------------------------------------------- compound file


class Cited(BaseModel):
    """One statement of the compound file with its reference ids and evidence status.

    ``status``: V = seen in the cited source, C = computed from verified numbers,
    M = background knowledge not re-verified (printed as "unverified").
    """

    model_config = ConfigDict(extra="forbid")
    text: str
    ref: list[str] = Field(default_factory=list)
    status: Literal["V", "C", "M"]

    @property
    def verified(self) -> bool:
        return self.status != "M"


class PathwayStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    detail: str = ""
    ref: list[str] = Field(default_factory=list)
    status: Literal["V", "C", "M"]


class Mechanism(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    class_: Cited = Field(alias="class")
    target: Cited
    pathway: list[PathwayStep] = Field(min_length=1)
    effects: list[PathwayStep] = Field(default_factory=list)
    note: Cited | None = None
    pharmacokinetics: list[Cited] = Field(default_factory=list)


class LabelAdverseReactions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    arms: list[str]
    ref: list[str]
    status: Literal["V", "C", "M"]
    rows: list[dict[str, Any]]


class LabelFacts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    boxed_warning: Cited | None = None
    warnings: list[Cited] = Field(default_factory=list)
    monitoring: list[Cited] = Field(default_factory=list)
    adverse_reactions: LabelAdverseReactions | None = None


class Compound(BaseModel):
    """A compound knowledge file (``pvsignal/data/compounds/<drug>.yaml``), validated."""

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

    Raises :class:`UnknownNameError` for a drug without a file and :class:`ConfigError`
    for a malformed file (with the field path).
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


# --------------------------------------------------------------------------- profile model


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
    """One section of the profile; ``available=False`` carries the reason in ``reason``."""

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
    """The compound safety profile (see module docstring). ``to_json`` exports it."""

    drug: str
    title: str
    generated_at: str
    pvsignal_version: str
    events: list[str]
    event_group: str | None = None
    synthetic: bool = False
    synthetic_note: str | None = None
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


# --------------------------------------------------------------------------- helpers


def _num(v: Any) -> float | None:
    """A JSON-safe float (None for missing/NaN/inf)."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _cell(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return _num(v)
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    if v is pd.NA or v is pd.NaT:
        return None
    return str(v)


def _table(df: pd.DataFrame, caption: str, columns: Sequence[str] | None = None, *, note: str | None = None,
           synthetic: bool = False, rename: dict[str, str] | None = None) -> Table:
    cols = list(columns) if columns is not None else list(df.columns)
    rows = [[_cell(v) for v in rec] for rec in df[cols].itertuples(index=False, name=None)]
    names = [(rename or {}).get(c, c) for c in cols]
    return Table(caption=caption, columns=names, rows=rows, note=note, synthetic=synthetic)


def _figure_from(draw: Callable[[Path], Any], title: str, alt: str, synthetic: bool) -> Figure:
    """Run a plotting function that writes an SVG file and inline its bytes (base64)."""
    with tempfile.TemporaryDirectory(prefix="pvsignal-fig-") as tmp:
        out = Path(tmp) / "figure.svg"
        draw(out)
        data = base64.b64encode(out.read_bytes()).decode("ascii")
    return Figure(title=title, alt=alt, mime="image/svg+xml", data=data, synthetic=synthetic)


def _fig_title(text: str, synthetic: bool) -> str:
    return f"{SYNTHETIC_LABEL} – {text}" if synthetic else text


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "not installed"


# --------------------------------------------------------------------------- synthetic data

_MARKER_WORD = "SYNTHETIC"


def synthetic_marker(lake: str | Path) -> str | None:
    """Why the lake at ``lake`` holds synthetic data, or None when nothing says so.

    Looks, in order, for: a ``synthetic`` entry in the manifest (top level or a quarter
    entry); an input file or zip member whose name contains SYNTHETIC (the generator's
    marker file) beside a quarter's source; the word SYNTHETIC in a quarter's source path.
    """
    from pvsignal.store.lake import Lake

    lk = Lake(Path(lake))
    try:
        manifest = lk.manifest()
    except Exception:  # an unreadable manifest is reported by the sections that need it
        return None

    def flag(d: Any) -> str | None:
        if isinstance(d, dict):
            for k, v in d.items():
                if "synthetic" in str(k).lower() and v:
                    return f"manifest records {k} = {v!r}" if not isinstance(v, dict) else f"manifest entry {k!r}"
        return None

    hit = flag(manifest)
    if hit:
        return hit
    for q, entry in sorted((manifest.get("quarters") or {}).items()):
        hit = flag(entry)
        if hit:
            return f"quarter {q}: {hit}"
        src = str(entry.get("source", ""))
        for rec in (entry.get("inputs") or {}).values():
            if isinstance(rec, dict) and _MARKER_WORD in str(rec.get("name", "")).upper():
                return f"quarter {q}: input {rec.get('name')}"
        p = Path(src)
        try:
            if p.is_file() and zipfile.is_zipfile(p):
                with zipfile.ZipFile(p) as zf:
                    names = [n for n in zf.namelist() if _MARKER_WORD in Path(n).name.upper()]
                if names:
                    return f"quarter {q}: {p.name} contains {names[0]}"
            elif p.is_dir():
                names = [c.name for c in p.iterdir() if _MARKER_WORD in c.name.upper()]
                if names:
                    return f"quarter {q}: {p.name}/ contains {names[0]}"
        except OSError:
            pass
        if _MARKER_WORD in src.upper():
            return f"quarter {q}: source {src}"
    return None


# --------------------------------------------------------------------------- signal statistics


def signal_scores(con, drug: str, definition=None, *, events: Sequence[str] | None = None,
                  thresholds=None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """ROR, PRR, χ², IC and EBGM/EB05 for ``drug`` against every event (or ``events``).

    Adapter over :func:`pvsignal.analysis.population.population`,
    :func:`~pvsignal.analysis.counts.pair_counts_from_sets`,
    :func:`~pvsignal.stats.ratios.classic_scores` and
    :class:`~pvsignal.stats.mgps.MGPS` (prior fitted on all pairs of the population),
    with :func:`~pvsignal.stats.flags.signal_flags`. Returns the scores (one row per
    event of the drug, with ``a, b, c, d``) and the parameters used.
    Swap for ``pvsignal.analysis.signals`` when that API is the project's one entry point.
    """
    from pvsignal.analysis.counts import pair_counts_from_sets
    from pvsignal.stats.ratios import classic_scores
    from pvsignal.stats.flags import Thresholds, signal_flags
    from pvsignal.stats.mgps import MGPS
    from pvsignal.analysis.population import CaseDefinition, population

    definition = definition or CaseDefinition()
    thresholds = thresholds or Thresholds()
    key = drug.strip().upper()
    drugs, evs, _ = population(con, definition)
    counts = pair_counts_from_sets(drugs, evs)
    all_pairs = counts.select("n", "expected").to_pandas()
    if all_pairs.empty:
        raise PvsignalError("the report population is empty: no case has a drug (with the chosen roles) and an event")
    mine = counts.filter(counts.drug == key).to_pandas()
    if mine.empty:
        raise UnknownNameError(f"{key!r} is not a suspect drug of any case in the lake (roles {definition.roles})")
    if events is not None:
        wanted = [e.strip().upper() for e in events]
        mine = mine[mine["event"].isin(wanted)]
    mine = mine.sort_values("event").reset_index(drop=True)
    scores = classic_scores(mine)
    model = MGPS().fit(all_pairs["n"].to_numpy(), all_pairs["expected"].to_numpy())
    eb = model.score(mine["n"].to_numpy(), mine["expected"].to_numpy()).reset_index(drop=True)
    out = pd.concat([scores, eb[["ebgm", "eb05", "eb95"]], mine[["a", "b", "c", "d", "n_drug", "n_event", "n_total"]]],
                    axis=1)
    out = pd.concat([out, signal_flags(out, thresholds)], axis=1)
    params = {
        "case_definition": definition.to_dict(),
        "thresholds": thresholds.model_dump(),
        "n_pairs": int(len(all_pairs)),
        "n_total": int(mine["n_total"].iloc[0]) if len(mine) else None,
        "mgps_prior": model.prior_.to_dict(),
        "ror_ci": "Woolf (log-normal), 95 %",
        "ic": "Norén et al. 2013 shrinkage IC, closed-form 95 % limits",
        "ebgm": "DuMouchel 1999 two-gamma mixture prior, fitted by maximum marginal likelihood over all pairs",
    }
    return out, params


# --------------------------------------------------------------------------- build


class _Ctx:
    """What the section builders share."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


def _guard(ctx: _Ctx, key: str, title: str, fn: Callable[[Section], None]) -> Section:
    sec = Section(key=key, title=title)
    try:
        fn(sec)
    except _NotAvailable as exc:
        sec.available, sec.reason = False, str(exc)
    except PvsignalError as exc:
        sec.available, sec.reason = False, str(exc)
    except ImportError as exc:
        sec.available, sec.reason = False, f"the module it needs is missing ({exc})"
    except Exception as exc:  # a failing source must not sink the whole report
        log.exception("profile section %s failed", key)
        sec.available, sec.reason = False, f"the computation failed ({type(exc).__name__}: {exc})"
        ctx.errors.append(f"{key}: {type(exc).__name__}: {exc}")
    if not sec.available:
        sec.tables, sec.figures = [], []
    return sec


class _NotAvailable(Exception):
    """A section's input was not given."""


def _read_adam(x: Any, reader: Callable[[Any], pd.DataFrame]) -> pd.DataFrame | None:
    if x is None:
        return None
    if isinstance(x, pd.DataFrame):
        return x
    return reader(x)


def build_profile(
    drug: str,
    events: Sequence[str] | str,
    event_group: str | None = None,
    lake: str | Path | None = None,
    adsl: pd.DataFrame | str | Path | None = None,
    adae: pd.DataFrame | str | Path | None = None,
    adlb: pd.DataFrame | str | Path | None = None,
    *,
    con=None,
    groups: pd.DataFrame | str | Path | None = None,
    meddra: str | Path | None = None,
    compound: str | Path | None = None,
    roles: str = "suspect",
    quarters: str | None = None,
    thresholds=None,
    treatment_arm: str | None = None,
    control_arm: str | None = None,
    arm_var: str = "TRT01A",
    rules: str | Path | None = None,
    top_n: int = 15,
    synthetic: bool | None = None,
    trial_synthetic: bool = False,
    figures: bool = True,
) -> Profile:
    """Assemble the safety profile of ``drug`` for ``events`` (PTs; list or comma-separated).

    Inputs (each optional; a section without its input says "not available"):
    ``lake`` (FAERS Parquet lake; or an open ``con`` with the prepared views),
    ``adsl``/``adae``/``adlb`` (DataFrames or .xpt/.csv/.parquet paths),
    ``event_group`` (a group name resolved through ``groups`` — a YAML groups file or a
    (pt, group_name, level) frame — or ``meddra`` (your MedAscii folder), or an existing
    ``pt_groups`` view; failing those, ADAE AEBODSYS coding), ``compound`` (knowledge file;
    default the shipped one for ``drug``), ``rules`` (dose rules; default the shipped set
    named like the drug, if any). ``roles``/``quarters`` define the FAERS case population
    (:class:`~pvsignal.analysis.population.CaseDefinition`); ``thresholds`` the signal
    criteria (:class:`~pvsignal.stats.flags.Thresholds`). ``synthetic`` overrides the
    detection of a synthetic lake; ``trial_synthetic=True`` labels the ADaM-based sections
    synthetic too (ADaM files carry no marker). Raises :class:`PvsignalError` only for unusable
    arguments (no events, unknown lake path); data problems become section notes.
    """
    from pvsignal import __version__
    from pvsignal.stats.flags import Thresholds
    from pvsignal.analysis.population import CaseDefinition

    if isinstance(events, str):
        events = [e for e in (x.strip() for x in events.split(",")) if e]
    events = [e.strip() for e in events if e and e.strip()]
    if not drug or not drug.strip():
        raise ConfigError("name the drug, e.g. pvsignal profile voclosporin --events headache,tremor")
    if not events:
        raise ConfigError("name at least one event of interest, e.g. --events headache,tremor")
    definition = CaseDefinition(roles=roles, quarters=quarters)
    thresholds = thresholds or Thresholds()

    own_con = False
    marker = None
    if lake is not None:
        lake_path = Path(lake)
        if not (lake_path / "manifest.json").is_file():
            raise InputFileError(f"{lake_path} is not a pvsignal lake (no manifest.json); run pvsignal ingest first")
        marker = synthetic_marker(lake_path)
    is_synth = bool(marker) if synthetic is None else bool(synthetic)
    if synthetic and not marker:
        marker = "declared synthetic by the caller"

    ctx = _Ctx(drug=drug.strip(), key=drug.strip().upper(), events=events, event_group=event_group,
               definition=definition, thresholds=thresholds, synthetic=is_synth, figures=figures,
               top_n=top_n, errors=[], con=con, status=None, lake=lake, scores=None, score_params={},
               group_pts=None, group_source=None, onset={}, trial=None, dosing=None, rules=None,
               treatment_arm=treatment_arm, control_arm=control_arm, arm_var=arm_var, compound=None,
               kn=None, lake_error=None, adsl=None, adae=None, adlb=None)

    try:
        if con is None and lake is not None:
            from pvsignal.prepare.build import connect

            try:
                ctx.con = connect(lake)
                own_con = True
                from pvsignal.prepare.status import lake_status

                ctx.status = lake_status(lake)
            except PvsignalError as exc:
                ctx.lake_error = str(exc)
                ctx.con = None
        _load_inputs(ctx, adsl, adae, adlb, compound, rules)
        _resolve_group(ctx, groups, meddra)
        sections = [
            _guard(ctx, "signals", "Disproportionality: the event group", lambda s: _sec_signals(ctx, s)),
            _guard(ctx, "cases", "Case characterisation", lambda s: _sec_cases(ctx, s)),
            _guard(ctx, "onset", "Time to onset", lambda s: _sec_onset(ctx, s)),
            _guard(ctx, "trial", "Clinical-trial safety", lambda s: _sec_trial(ctx, s)),
            _guard(ctx, "dose_rules", "Dose-modification rules", lambda s: _sec_dose_rules(ctx, s)),
            _guard(ctx, "interactions", "Interactions", lambda s: _sec_interactions(ctx, s)),
            _guard(ctx, "mechanism", "Mechanism", lambda s: _sec_mechanism(ctx, s)),
            _guard(ctx, "label", "Label safety information", lambda s: _sec_label(ctx, s)),
            _guard(ctx, "benefit_risk", "Benefit–risk and key literature", lambda s: _sec_benefit_risk(ctx, s)),
        ]
        synth_keys = ({"signals", "cases", "onset", "interactions"} if is_synth and ctx.con is not None else set()) \
            | ({"trial", "dose_rules"} if trial_synthetic else set())
        for s in sections:
            s.synthetic = s.key in synth_keys
            for t in s.tables:
                t.synthetic = t.synthetic or (s.synthetic and not t.caption.startswith("Label"))
        summary, notes = _summary(ctx)
        profile = Profile(
            drug=ctx.key,
            title=f"Safety profile: {ctx.key.title()}" + (f" ({ctx.compound.brand})" if ctx.compound and ctx.compound.brand else ""),
            generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            pvsignal_version=__version__,
            events=[e.upper() for e in events],
            event_group=event_group,
            synthetic=is_synth or trial_synthetic,
            synthetic_note="; ".join(x for x in ((marker if is_synth else None),
                                                 ("trial data declared synthetic" if trial_synthetic else None)) if x)
            or None,
            inputs=_inputs(ctx, adsl, adae, adlb),
            summary=summary,
            summary_notes=notes,
            sections=sections,
            errors=ctx.errors,
        )
        profile.methods = _methods(ctx, profile)
        profile.references = _references(ctx)
        return profile
    finally:
        if own_con and ctx.con is not None:
            ctx.con.close()


def _inputs(ctx: _Ctx, adsl, adae, adlb) -> dict[str, Any]:
    name = lambda x: None if x is None else ("DataFrame" if isinstance(x, pd.DataFrame) else str(x))  # noqa: E731
    return {
        "lake": None if ctx.lake is None else str(ctx.lake),
        "adsl": name(adsl), "adae": name(adae), "adlb": name(adlb),
        "compound": ctx.compound.path if ctx.compound else None,
        "rules": ctx.rules.id if ctx.rules else None,
        "event_group_source": ctx.group_source,
    }


def _load_inputs(ctx: _Ctx, adsl, adae, adlb, compound, rules) -> None:
    from pvsignal.trial import read_adae, read_adlb, read_adsl

    for name, x, reader in (("adsl", adsl, read_adsl), ("adae", adae, read_adae), ("adlb", adlb, read_adlb)):
        try:
            setattr(ctx, name, _read_adam(x, reader))
        except PvsignalError as exc:
            setattr(ctx, name, None)
            setattr(ctx, f"{name}_error", str(exc))
    try:
        ctx.compound = load_compound(compound if compound is not None else ctx.drug)
    except PvsignalError as exc:
        ctx.compound_error = str(exc)
    try:
        from pvsignal.trial import load_rules, shipped_rule_names

        if rules is not None:
            ctx.rules = load_rules(rules)
        elif ctx.drug.lower() in shipped_rule_names():
            ctx.rules = load_rules(ctx.drug.lower())
    except PvsignalError as exc:
        ctx.rules_error = str(exc)
    try:
        from pvsignal.knowledge import load_knowledge

        ctx.kn = load_knowledge()
    except PvsignalError as exc:
        ctx.kn_error = str(exc)


def _resolve_group(ctx: _Ctx, groups, meddra) -> None:
    """PTs of ``event_group``: pt_groups view (from groups/meddra) first, ADAE AEBODSYS last."""
    if not ctx.event_group:
        return
    name = ctx.event_group.strip()
    if ctx.con is not None:
        try:
            from pvsignal.prepare.meddra import load_groups_yaml, load_meddra, register_pt_groups

            frames = []
            if meddra is not None:
                frames.append(load_meddra(meddra).pt_groups())
            if isinstance(groups, pd.DataFrame):
                frames.append(groups)
            elif groups is not None:
                frames.append(load_groups_yaml(groups))
            if frames:
                register_pt_groups(ctx.con, frames)
            has_view = ctx.con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'pt_groups'").fetchone()[0]
            if has_view:
                rows = ctx.con.execute(
                    "SELECT DISTINCT pt, level FROM pt_groups WHERE upper(group_name) = upper(?) ORDER BY pt",
                    [name]).fetchall()
                if rows:
                    ctx.group_pts = sorted({r[0] for r in rows})
                    ctx.group_source = f"the PTs of the event group '{name}' ({', '.join(sorted({r[1] for r in rows}))} level)"
                    return
        except PvsignalError as exc:
            ctx.group_error = str(exc)
    if ctx.adae is not None and {"AEBODSYS", "AEDECOD"} <= set(ctx.adae.columns):
        m = ctx.adae["AEBODSYS"].astype(str).str.strip().str.upper() == name.upper()
        pts = sorted(set(ctx.adae.loc[m, "AEDECOD"].astype(str).str.strip().str.upper()) - {""})
        if pts:
            ctx.group_pts = pts
            ctx.group_source = (f"the PTs coded to '{name}' (AEBODSYS) in the trial's ADAE (not a full MedDRA "
                                "group; give --meddra or --groups for the complete list)")


def _need_con(ctx: _Ctx) -> None:
    if ctx.con is None:
        why = ctx.lake_error or "no FAERS lake was given (--lake DIR)"
        raise _NotAvailable(f"not available: {why}")


def _scores(ctx: _Ctx) -> pd.DataFrame:
    """The drug's scored pairs: the project's signal API over the lake, else the adapter over ``con``."""
    if ctx.scores is None:
        if ctx.lake is not None:
            from pvsignal.analysis.signals import signals

            res = signals(ctx.lake, drug=ctx.drug, min_count=1, definition=ctx.definition, thresholds=ctx.thresholds)
            if res.table.empty:
                raise UnknownNameError(f"{ctx.key!r} is not a suspect drug of any case in the lake "
                                       f"(roles {ctx.definition.roles})")
            ctx.scores = res.table.sort_values("event").reset_index(drop=True)
            ctx.score_params = {"case_definition": res.config.case_definition,
                                "thresholds": res.config.thresholds.model_dump(),
                                "mgps_prior": res.metadata.get("mgps_prior"), "source": "pvsignal.analysis.signals"}
        else:
            ctx.scores, ctx.score_params = signal_scores(ctx.con, ctx.drug, ctx.definition, thresholds=ctx.thresholds)
    return ctx.scores


_SIGNAL_COLS = ["event", "n", "expected", "ror", "ror_lower", "ror_upper", "prr", "chi2_yates", "ic", "ic025",
                "ebgm", "eb05", "flag_ror", "flag_prr", "flag_ic", "flag_ebgm"]
_SIGNAL_NAMES = {"event": "event (PT)", "n": "reports", "expected": "expected", "ror": "ROR",
                 "ror_lower": "ROR lower 95%", "ror_upper": "ROR upper 95%", "prr": "PRR", "chi2_yates": "χ² (Yates)",
                 "ic": "IC", "ic025": "IC025", "ebgm": "EBGM", "eb05": "EB05", "flag_ror": "ROR signal",
                 "flag_prr": "PRR signal", "flag_ic": "IC signal", "flag_ebgm": "EBGM signal"}


def _sec_signals(ctx: _Ctx, sec: Section) -> None:
    _need_con(ctx)
    s = _scores(ctx)
    if ctx.event_group:
        if ctx.group_pts is None:
            why = getattr(ctx, "group_error", None) or (
                f"the event group '{ctx.event_group}' could not be resolved to PTs: give --meddra DIR (your "
                "MedDRA release) or --groups FILE.yaml, or ADaM data coding it in AEBODSYS")
            raise _NotAvailable(f"not available: {why}")
        part = s[s["event"].isin(ctx.group_pts)]
        what = ctx.group_source
        absent = len(set(ctx.group_pts) - set(part["event"]))
    else:
        part = s
        what = "all PTs reported with the drug (no --event-group given)"
        absent = 0
    part = part.sort_values(["ic025", "n"], ascending=[False, False]).head(ctx.top_n)
    sec.paragraphs.append(
        f"{ctx.key} against {what}, ranked by IC025 (the lower 95 % limit of the shrinkage information "
        f"component); top {ctx.top_n} shown." + (f" {absent} PT(s) of the group have no report with the drug." if absent else ""))
    sec.tables.append(_table(part, f"Signals of {ctx.key}: {ctx.event_group or 'all events'}", _SIGNAL_COLS,
                             rename=_SIGNAL_NAMES))
    sec.data["n_signals_ror"] = int(s["flag_ror"].sum())
    sec.data["n_pts"] = int(len(s))


def _sec_cases(ctx: _Ctx, sec: Section) -> None:
    _need_con(ctx)
    from pvsignal.analysis.cases import SUSPECT_ROLES, case_series
    from pvsignal.analysis.population import ROLE_SETS
    from pvsignal.report import plots

    roles = ROLE_SETS[ctx.definition.roles] if ctx.definition.roles != "all" else None
    cs = case_series(ctx.con, ctx.drug, roles=roles)
    sec.data["n_cases"] = cs.n_cases
    sec.paragraphs.append(f"{cs.n_cases} deduplicated cases list {ctx.key} as a suspect drug "
                          f"(roles {', '.join(roles or SUSPECT_ROLES)}).")
    per = []
    for ev in ctx.events:
        try:
            e = case_series(ctx.con, ctx.drug, ev, roles=roles)
        except PvsignalError as exc:
            per.append([ev.upper(), 0, None, None, None, str(exc)])
            continue
        ser = e.seriousness.set_index("category")["n"]
        fem = e.sex.set_index("category")["n"]
        age = e.summary.set_index("variable")
        per.append([ev.upper(), e.n_cases, _num(ser.iloc[0] / e.n_cases),
                    _num(fem.get("Female", 0) / e.n_cases), _num(age.loc["age_years", "median"]), ""])
    sec.tables.append(Table(caption="Cases per event of interest",
                            columns=["event", "cases", "serious (share)", "female (share)", "median age (years)", "note"],
                            rows=per))
    for name, label in (("sex", "Sex"), ("age_group", "Age group (years)"), ("seriousness", "Seriousness"),
                        ("outcomes", "Outcomes (a case may have several)"),
                        ("reporter_occupation", "Reporter"), ("reporter_country", "Reporter country"),
                        ("indications", "Indications (top)"), ("co_reported_drugs", "Co-reported drugs (top)")):
        df = getattr(cs, name).head(ctx.top_n)
        sec.tables.append(_table(df, f"{label}: {ctx.key} cases", ["category", "n", "share"]))
    if ctx.figures:
        sec.figures.append(_figure_from(
            lambda p: plots.bar_chart(cs.age_group, p, horizontal=False,
                                      title=_fig_title(f"Age group: {ctx.key} cases (n = {cs.n_cases})", ctx.synthetic)),
            _fig_title("Cases by age group", ctx.synthetic), "bar chart of cases by age group", ctx.synthetic))
        sec.figures.append(_figure_from(
            lambda p: plots.bar_chart(cs.outcomes, p,
                                      title=_fig_title(f"Outcomes: {ctx.key} cases (n = {cs.n_cases})", ctx.synthetic)),
            _fig_title("Serious outcomes", ctx.synthetic), "bar chart of serious outcomes", ctx.synthetic))


def _sec_onset(ctx: _Ctx, sec: Section) -> None:
    _need_con(ctx)
    from pvsignal.analysis.onset import time_to_onset
    from pvsignal.analysis.population import ROLE_SETS
    from pvsignal.report import plots

    roles = ROLE_SETS[ctx.definition.roles] if ctx.definition.roles != "all" else None
    rows = []
    for ev in [None, *ctx.events]:
        label = "all events" if ev is None else ev.upper()
        try:
            r = time_to_onset(ctx.con, ctx.drug, ev, roles=roles)
        except PvsignalError as exc:
            rows.append([label, 0, None, None, None, None, None, None, None, f"not available: {exc}"])
            continue
        ctx.onset[label] = r
        w = r.weibull
        rows.append([label, r.n, sum(r.excluded.values()), _num(r.median_days), _num(r.q1_days), _num(r.q3_days),
                     _num(r.within_30_days), _num(w.shape) if w else None,
                     f"{w.shape_lower:.2f}–{w.shape_upper:.2f}" if w else None,
                     (w.reading if w else (r.weibull_note or ""))])
        if ctx.figures and r.n > 0:
            title = _fig_title(f"Onset of {label} (median {r.median_days:g} d)", ctx.synthetic)
            sec.figures.append(_figure_from(lambda p, r=r, title=title: plots.onset_histogram(r, p, title=title),
                                            title, f"histogram of onset days, {label}", ctx.synthetic))
    sec.tables.append(Table(caption=f"Time to onset of {ctx.key} (days from therapy start to event)",
                            columns=["event", "n", "excluded", "median (days)", "Q1", "Q3", "share ≤ 30 days",
                                     "Weibull β", "β 95% CI", "reading"], rows=rows))
    sec.paragraphs.append(
        "Onset = event date − therapy start date of the suspect drug, in days, for cases with both dates precise to "
        "the day. Weibull shape β: CI below 1 → early failure (hazard decreasing), CI above 1 → wear-out, "
        "otherwise random failure. Spontaneous-report onset data are right-truncated; the fit does not correct that.")


def _arms(ctx: _Ctx, arms: list[str]) -> tuple[str | None, str | None]:
    treat, ctrl = ctx.treatment_arm, ctx.control_arm
    if treat is None:
        hits = [a for a in arms if ctx.drug.lower() in a.lower()]
        treat = hits[0] if hits else None
    if ctrl is None:
        hits = [a for a in arms if "placebo" in a.lower() and a != treat]
        ctrl = hits[0] if hits else None
    if treat is None and ctrl is not None:
        others = [a for a in arms if a != ctrl]
        treat = others[0] if len(others) == 1 else None
    return treat, ctrl


def _trial(ctx: _Ctx):
    if ctx.trial is None:
        if ctx.adsl is None or ctx.adae is None:
            why = getattr(ctx, "adsl_error", None) or getattr(ctx, "adae_error", None) or \
                "no trial data were given (--adsl and --adae)"
            raise _NotAvailable(f"not available: {why}")
        from pvsignal.trial import incidence

        arms = sorted(a for a in ctx.adsl[ctx.arm_var.upper()].astype(str).unique() if a) \
            if ctx.arm_var.upper() in ctx.adsl.columns else []
        treat, ctrl = _arms(ctx, arms)
        ctx.treatment_arm, ctx.control_arm = treat, ctrl
        ctx.trial = incidence(ctx.adsl, ctx.adae, arm_var=ctx.arm_var, control=ctrl)
    return ctx.trial


def _sec_trial(ctx: _Ctx, sec: Section) -> None:
    res = _trial(ctx)
    t = res.table
    pop = res.population
    sec.paragraphs.append(
        "Subjects with at least one treatment-emergent adverse event (ADAE TRTEMFL = 'Y') in the safety population "
        f"(ADSL SAFFL = 'Y'), by arm ({ctx.arm_var}): "
        + "; ".join(f"{a} N = {n}" for a, n in zip(pop["arm"], pop["N"]))
        + f". Treatment arm: {ctx.treatment_arm or 'not identified'}; control: {ctx.control_arm or 'none'}. "
          "Frequency categories follow CIOMS III.")
    up = t["AEDECOD"].astype(str).str.upper()
    wanted = [e.upper() for e in ctx.events]
    sel = t[(t["level"] == "any") | ((t["level"] == "pt") & up.isin(wanted))]
    if ctx.event_group:
        sel = pd.concat([sel, t[(t["level"] == "soc") & (t["AEBODSYS"].astype(str).str.upper() == ctx.event_group.upper())]])
    cols = ["AEBODSYS", "AEDECOD", "arm", "n", "N", "pct", "frequency"]
    extra = [c for c in ("rr", "rr_lower", "rr_upper", "p_fisher") if c in t.columns]
    sec.tables.append(_table(sel, "Events of interest: incidence by arm", cols + extra,
                             rename={"AEBODSYS": "SOC", "AEDECOD": "PT", "pct": "%", "p_fisher": "Fisher p",
                                     "rr": "RR", "rr_lower": "RR lower", "rr_upper": "RR upper"}))
    if ctx.treatment_arm:
        pts = t[(t["level"] == "pt") & (t["arm"] == ctx.treatment_arm)].sort_values(["n", "AEDECOD"], ascending=[False, True])
        top = pts.head(ctx.top_n)[["AEDECOD"]]
        wide = t[(t["level"] == "pt")].merge(top, on="AEDECOD")
        piv = wide.pivot_table(index="AEDECOD", columns="arm", values="pct", aggfunc="first").reindex(top["AEDECOD"])
        piv = piv.reset_index()
        sec.tables.append(_table(piv, f"Most frequent TEAEs in the {ctx.treatment_arm} arm (% of subjects)",
                                 rename={"AEDECOD": "PT"}))
    sec.data["population"] = {a: int(n) for a, n in zip(pop["arm"], pop["N"])}


def _sec_dose_rules(ctx: _Ctx, sec: Section) -> None:
    if ctx.rules is None:
        why = getattr(ctx, "rules_error", None) or f"no dose-modification rule file for {ctx.key} (--rules FILE.yaml)"
        raise _NotAvailable(f"not available: {why}")
    r = ctx.rules
    sec.paragraphs.append(f"{r.title or r.id}. Start dose {r.dose.start:g} {r.dose.unit}; lab parameter "
                          f"{r.lab.parameter} ({r.lab.unit}). Rules are evaluated in order; the first that applies fires.")
    rows = [[b.id, "baseline", "; ".join(str(c) for c in b.when), "flag", b.note or b.flag] for b in r.baseline]
    for x in r.rules:
        rows.append([x.id, ", ".join(x.applies_in), "; ".join(str(c) for c in x.when) or "(always)",
                     x.action + (f" by {x.by:g}" if x.by else "") + (f" at {x.dose:g}" if x.dose else ""), x.note or ""])
    sec.tables.append(Table(caption="Label dose-modification rules", columns=["rule", "applies in", "when", "action", "note"],
                            rows=rows, note="Sources: " + "; ".join(s.citation for s in r.sources)))
    if ctx.adlb is None:
        sec.paragraphs.append("Lab data (--adlb) not given: how often each rule fired is not available.")
        return
    from pvsignal.trial import dose_modifications

    res = dose_modifications(r, ctx.adlb, ctx.adsl)
    a = res.actions
    fired = a.groupby("rule_id").agg(measurements=("USUBJID", "size"), subjects=("USUBJID", "nunique")).reset_index()
    order = {rid: i for i, rid in enumerate(["baseline", *[b.id for b in r.baseline], *[x.id for x in r.rules]])}
    fired = fired.sort_values("rule_id", key=lambda s: s.map(order).fillna(999)).reset_index(drop=True)
    nsub = a["USUBJID"].nunique()
    fired["share of subjects"] = fired["subjects"] / nsub if nsub else np.nan
    flagged = a[a["flag"].astype(str) != ""]
    sec.tables.append(_table(fired, f"How often each rule fired ({nsub} subjects with a usable lab series)",
                             ["rule_id", "measurements", "subjects", "share of subjects"], rename={"rule_id": "rule"},
                             note=f"{len(res.skipped)} lab records skipped (with reasons); {len(flagged)} baseline flag(s)."))
    sec.data["fired"] = {str(k): int(v) for k, v in zip(fired["rule_id"], fired["subjects"])}


def _class_spec(rule) -> str | None:
    w = rule.when
    target = {"CYP3A": "cyp3a4", "P-gp": "pgp"}.get(getattr(w, "target", None))
    role = getattr(w, "role", None)
    if not target or role not in ("inhibitor", "inducer"):
        return None
    strength = getattr(w, "strength", None)
    return f"{strength}-{target}-{role}" if strength else f"{target}-{role}"


def _sec_interactions(ctx: _Ctx, sec: Section) -> None:
    kn = ctx.kn
    lr = kn.rules.get(ctx.key) if kn is not None else None
    if lr is None and ctx.con is None:
        raise _NotAvailable(f"not available: no label interaction rules for {ctx.key} and no FAERS lake")
    if lr is not None:
        rows = []
        for x in lr.rules:
            w = x.when
            when = " ".join(str(v) for v in (getattr(w, "strength", None), getattr(w, "target", None),
                                             getattr(w, "role", None)) if v)
            if getattr(w, "nti", None):
                when += " (narrow therapeutic index)"
            rows.append([when, x.action, x.dose or "", x.mechanism, x.source, "verified" if x.status == "V" else "unverified"])
        sec.tables.append(Table(caption=f"Label interaction rules for {lr.drug} ({lr.version})",
                                columns=["partner class", "action", "dose", "mechanism", "source", "status"], rows=rows))
    else:
        sec.paragraphs.append(f"No label interaction rule file for {ctx.key}.")
    if ctx.con is None:
        sec.paragraphs.append("Co-reporting: not available: " + (ctx.lake_error or "no FAERS lake was given (--lake DIR)"))
        return
    from pvsignal.analysis.interactions import co_reported_perpetrators, interaction_signals

    co = co_reported_perpetrators(ctx.con, ctx.drug)
    sec.paragraphs.append(f"Of {co.n_drug_cases} cases with {co.drug} (roles PS, SS, I), co-reported CYP3A/P-gp "
                          "perpetrators (any role):")
    sec.tables.append(_table(co.by_class, "Co-reported perpetrators by class", ["class", "n_cases", "pct"],
                             rename={"n_cases": "cases", "pct": "% of cases"}))
    sec.tables.append(_table(co.by_drug.head(ctx.top_n), "Co-reported perpetrators by drug (top)",
                             ["ingredient", "classes", "n_cases", "pct"], rename={"n_cases": "cases", "pct": "% of cases"}))
    specs = []
    for x in (lr.rules if lr is not None else []):
        sp = _class_spec(x)
        if sp and x.action in ("contraindicated", "avoid", "adjust dose") and sp not in specs:
            specs.append(sp)
    parts = []
    for sp in specs:
        try:
            df = interaction_signals(ctx.con, ctx.drug, sp, ctx.events)
        except PvsignalError as exc:
            sec.paragraphs.append(f"Ω for {sp}: not available: {exc}")
            continue
        parts.append(df)
    if parts:
        om = pd.concat(parts, ignore_index=True)
        cols = ["perpetrator", "event", "n111", "n11_", "omega", "omega_lower", "signal"]
        extra = [c for c in ("ror_mh", "ror_mh_lower", "ror_mh_upper") if c in om.columns]
        sec.tables.append(_table(om, "Interaction signals (Ω shrinkage, Norén et al. 2008): events of interest",
                                 [c for c in cols if c in om.columns] + extra,
                                 rename={"n111": "cases with both + event", "n11_": "cases with both",
                                         "omega": "Ω", "omega_lower": "Ω025", "signal": "Ω025 > 0"}))


def _sec_mechanism(ctx: _Ctx, sec: Section) -> None:
    c = ctx.compound
    if c is None:
        raise _NotAvailable("not available: " + getattr(ctx, "compound_error", f"no compound file for {ctx.key}"))
    m = c.mechanism
    sec.items.extend([Cited(text=f"Class: {m.class_.text}", ref=m.class_.ref, status=m.class_.status),
                      Cited(text=f"Target: {m.target.text}", ref=m.target.ref, status=m.target.status)])
    sec.items.extend(Cited(text=f"{s.label}: {s.detail}", ref=s.ref, status=s.status) for s in m.pathway)
    sec.items.extend(Cited(text=f"{s.label}: {s.detail}", ref=s.ref, status=s.status) for s in m.effects)
    sec.items.extend(m.pharmacokinetics)
    if m.note:
        sec.items.append(m.note)
    if ctx.figures:
        from pvsignal.report.mechanism import mechanism_diagram

        sec.figures.append(_figure_from(lambda p: mechanism_diagram(c, p), f"Mechanism of {c.drug.title()}",
                                        "pathway diagram: " + " → ".join(s.label for s in m.pathway), False))
    sec.paragraphs.append("Steps marked unverified are background knowledge not re-checked in a published source.")


def _sec_label(ctx: _Ctx, sec: Section) -> None:
    c = ctx.compound
    if c is None:
        raise _NotAvailable("not available: " + getattr(ctx, "compound_error", f"no compound file for {ctx.key}"))
    lab = c.label
    for x in (c.indication, c.approval, lab.boxed_warning):
        if x is not None:
            sec.items.append(x)
    sec.items.extend(lab.warnings)
    sec.items.extend(lab.monitoring)
    ar = lab.adverse_reactions
    if ar is not None:
        rows = [[r["event"], *r.get("pct", [])] for r in ar.rows]
        status = "unverified (FACTS.md [M])" if ar.status == "M" else "verified"
        sec.tables.append(Table(caption="Label adverse reactions (% of patients)", columns=["event", *ar.arms], rows=rows,
                                note=f"Source: {', '.join(ar.ref)}; {status}."))


def _sec_benefit_risk(ctx: _Ctx, sec: Section) -> None:
    c = ctx.compound
    if c is None:
        raise _NotAvailable("not available: " + getattr(ctx, "compound_error", f"no compound file for {ctx.key}"))
    if not c.benefit_risk and not c.literature:
        raise _NotAvailable(f"not available: the compound file {c.path} lists no benefit–risk or literature findings")
    sec.data["benefit_risk"] = [x.model_dump() for x in c.benefit_risk]
    sec.data["literature"] = [x.model_dump() for x in c.literature]
    sec.items.extend(c.benefit_risk)
    sec.items.extend(c.literature)


def _summary(ctx: _Ctx) -> tuple[list[SummaryRow], list[str]]:
    notes: list[str] = []
    scores = None
    if ctx.con is not None:
        try:
            scores = _scores(ctx).set_index("event")
        except PvsignalError as exc:
            notes.append(f"Signal statistics not available: {exc}")
    else:
        notes.append("Signal statistics not available: " + (ctx.lake_error or "no FAERS lake was given (--lake DIR)"))
    trial = None
    try:
        trial = _trial(ctx).table
    except (_NotAvailable, PvsignalError) as exc:
        notes.append(f"Trial incidence {exc}" if str(exc).startswith("not available") else f"Trial incidence not available: {exc}")
    label = {}
    if ctx.compound and ctx.compound.label.adverse_reactions:
        label = {r["event"].upper(): r.get("pct") for r in ctx.compound.label.adverse_reactions.rows}
    rows = []
    for ev in ctx.events:
        key = ev.upper()
        row = SummaryRow(event=key, label_pct=label.get(key))
        if trial is not None:
            t = trial[(trial["level"] == "pt") & (trial["AEDECOD"].astype(str).str.upper() == key)]
            t = t.sort_values("arm", key=lambda a: a != ctx.treatment_arm, kind="mergesort")  # treatment arm first
            row.trial = [ArmIncidence(arm=str(r.arm), n=int(r.n), N=int(r.N), pct=_num(r.pct), frequency=str(r.frequency))
                         for r in t.itertuples()]
            if ctx.treatment_arm:
                tt = t[t["arm"] == ctx.treatment_arm]
                if len(tt):
                    row.trial_frequency = str(tt["frequency"].iloc[0]) or "not observed"
                else:
                    row.trial_frequency = "not observed"
        if scores is not None:
            if key in scores.index:
                s = scores.loc[key]
                for f in ("expected", "ror", "ror_lower", "ror_upper", "prr", "prr_lower", "prr_upper", "chi2_yates",
                          "ic", "ic025", "ebgm", "eb05"):
                    setattr(row, f, _num(s[f]))
                row.reports = int(s["n"])
                row.flags = {k[5:]: bool(s[k]) for k in s.index if k.startswith("flag_")}
            else:
                row.reports = 0
        o = ctx.onset.get(key)
        if o is None and ctx.con is not None and "onset" not in ctx.__dict__.get("_onset_done", set()):
            pass
        if o is not None:
            row.onset_n = o.n
            row.median_onset_days = _num(o.median_days)
            row.within_30_days = _num(o.within_30_days)
        rows.append(row)
    return rows, notes


# --------------------------------------------------------------------------- methods


def _methods(ctx: _Ctx, p: Profile) -> list[MethodItem]:
    st = ctx.status
    items: list[MethodItem] = []
    d = ctx.definition.to_dict()
    items.append(MethodItem(item="4a", heading="Study design", text=[
        "Disproportionality analysis of individual case safety reports (ICSRs) from a spontaneous reporting database, "
        "with case-by-case characterisation and time-to-onset analysis; trial incidence from clinical-trial data (ADaM) "
        "and label, mechanism and literature facts from a curated compound file, each with its reference.",
        "Disproportionality results generate hypotheses; they do not measure risk (reporting is selective)."]))
    items.append(MethodItem(item="4b", heading="Analyses", text=[
        "Primary: ROR, PRR, IC and EBGM of the drug against each event of interest and the event group, "
        "drug versus all other drugs in the same report population. Secondary: case characterisation, onset, "
        "interaction signals (Ω) for label perpetrator classes, trial incidence by arm and dose-rule replay."]))
    if st:
        qs = st["quarters"]
        qtext = f"{qs[0]} to {qs[-1]} ({len(qs)} quarter(s))" if qs else "none"
        items.append(MethodItem(item="5a", heading="Data source", text=[
            "FDA Adverse Event Reporting System (FAERS / legacy AERS) quarterly ASCII files, custodian: US FDA; "
            f"quarters {qtext}; {st['reports']} report versions landed, {st['cases']} cases after deduplication.",
            "Events as reported (MedDRA preferred terms, upper-cased; MedDRA version not recorded in FAERS files). "
            "Drug names mapped to active ingredients (pvsignal synonym tables and salt stripping).",
            *([f"SYNTHETIC DATA: this lake was generated by pvsignal.synth ({p.synthetic_note}); no value in this "
               "report describes real patients or the real drug."] if p.synthetic else [])]))
        dd = st.get("deduplication") or {}
        ing = ", ".join(f"{q}: {v['ingested_at']}" for q, v in sorted(st.get("per_quarter", {}).items()))
        items.append(MethodItem(item="5b", heading="Extraction and pre-processing", text=[
            f"Ingested (UTC): {ing}.",
            f"Deduplication: {json.dumps(dd, ensure_ascii=False, default=str)}. Tally: {st['removed_old_versions']} "
            f"superseded versions and {st['removed_deleted']} cases on FDA deletion lists removed; "
            f"{st['probable_duplicates']} probable duplicates flagged"
            + (" and dropped" if d.get("drop_probable_duplicates") else " (kept)") + ".",
            f"Lines not landed as written (rejects, kept with reasons): {json.dumps(st.get('rejects', {}))}."]))
    else:
        items.append(MethodItem(item="5a", heading="Data source", text=[
            "No FAERS lake was used: " + (ctx.lake_error or "none given") + "."]))
    group = (f"Event group '{ctx.event_group}': " + (ctx.group_source or "not resolved") + ".") if ctx.event_group else \
        "No event group given."
    items.append(MethodItem(item="6a", heading="Population, drug and event definitions", text=[
        f"Cases: deduplicated FAERS cases; quarters {d.get('quarters') or 'all'}; probable duplicates "
        f"{'dropped' if d.get('drop_probable_duplicates') else 'kept'}.",
        f"Drug: ingredient {ctx.key}, role codes {', '.join(d['role_codes'])} ({d['roles']}); reference group: all "
        "other drugs in the same population.",
        f"Events: PTs {', '.join(e.upper() for e in ctx.events)}. {group}"]))
    t = ctx.thresholds
    prior = ctx.score_params.get("mgps_prior") or {}
    theta = {k: round(float(prior[k]), 4) for k in ("alpha1", "beta1", "alpha2", "beta2", "p") if k in prior}
    prior_txt = f"; fitted prior {json.dumps(theta)}" if theta else ""
    items.append(MethodItem(item="6b+", heading="Statistics and thresholds", text=[
        "2×2 table per drug–event pair over reports (cases): a = drug & event, b = drug & other events, c = other "
        "drugs & event, d = neither; E = (a+b)(a+c)/N.",
        f"ROR with Woolf 95 % CI, signal when lower limit > {t.ror_lower_gt:g} and a ≥ {t.ror_min_n} "
        "(van Puijenbroek 2002). PRR (Evans 2001): PRR ≥ "
        f"{t.prr_min:g}, χ² ({t.prr_chi2}) ≥ {t.prr_chi2_min:g}, a ≥ {t.prr_min_n}. IC = log2((O+0.5)/(E+0.5)), "
        f"closed-form IC025 (Norén 2013), signal IC025 > {t.ic025_gt:g}. EBGM by MGPS (DuMouchel 1999), signal "
        f"EB05 ≥ {t.eb05_min:g}" + prior_txt + ".",
        "Time to onset: event date − therapy start of the suspect drug, day-precise dates only, 0–3652 days; "
        "Weibull shape by maximum likelihood with 95 % CI.",
        "Trial incidence: subjects with ≥ 1 TEAE per arm; CIOMS III frequency categories; Fisher exact test and "
        "relative risk against control. Interactions: Ω shrinkage measure (Norén et al. 2008).",
        "Masking, notoriety and competition biases are not adjusted for (item wording after 6a could not be "
        "verified against the published checklist; see references)."]))
    items.append(MethodItem(item="sw", heading="Software", text=[
        f"pvsignal {p.pvsignal_version}; Python {platform.python_version()}; duckdb {_version('duckdb')}; "
        f"ibis-framework {_version('ibis-framework')}; numpy {_version('numpy')}; scipy {_version('scipy')}; "
        f"pandas {_version('pandas')}; matplotlib {_version('matplotlib')}. Generated {p.generated_at}.",
        "Reporting follows the READUS-PV checklist order (Fusaroli et al. 2024)."]))
    return items


_METHOD_REFS = [
    ("READUS-PV", "Fusaroli M, Salvo F, Bégaud B, et al. The REporting of A Disproportionality Analysis for DrUg Safety "
                  "Signal Detection Using Individual Case Safety Reports in PharmacoVigilance (READUS-PV). Drug Saf "
                  "2024;47(6):575–584. doi:10.1007/s40264-024-01421-9"),
    ("ROR", "van Puijenbroek EP, Bate A, Leufkens HGM, et al. Pharmacoepidemiol Drug Saf 2002;11:3–10."),
    ("PRR", "Evans SJW, Waller PC, Davis S. Pharmacoepidemiol Drug Saf 2001;10:483–486. doi:10.1002/pds.677"),
    ("IC", "Norén GN, Hopstadius J, Bate A. Stat Methods Med Res 2013;22(1):57–69."),
    ("MGPS", "DuMouchel W. Bayesian data mining in large frequency tables. Am Stat 1999;53(3):177–190."),
    ("OMEGA", "Norén GN, Sundberg R, Bate A, Edwards IR. Stat Med 2008;27(16):3057–3070. doi:10.1002/sim.3247"),
    ("CIOMS-III", "CIOMS Working Group III. Guidelines for Preparing Core Clinical-Safety Information on Drugs. 1995."),
    ("CKD-EPI", "Inker LA, et al. N Engl J Med 2021;385:1737–1749 (CKD-EPI 2021)."),
    ("TTO", "Leroy F, et al. BMC Med Res Methodol 2014;14:17 (right truncation of onset in spontaneous reports)."),
]


def _references(ctx: _Ctx) -> list[Reference]:
    refs = [Reference(id=k, text=v) for k, v in _METHOD_REFS]
    if ctx.compound is not None:
        refs += [Reference(id=k, text=v) for k, v in ctx.compound.references.items()]
    if ctx.kn is not None and ctx.kn.rules.get(ctx.key) is not None:
        srcs = {x.source for x in ctx.kn.rules[ctx.key].rules}
        have = {r.id for r in refs}
        for s in sorted(srcs - have):
            src = ctx.kn.sources.get(s)
            if src is not None:
                refs.append(Reference(id=s, text=f"{src.citation}. {src.url}"))
    return refs
