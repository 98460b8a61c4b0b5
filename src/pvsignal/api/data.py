"""Synthetic data, the demo and MedDRA."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pvsignal.api._common import Progress, _steps
from pvsignal.api.lake import ingest

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


@dataclass
class DemoResult:
    folder: Path
    lake: Path
    signals: "pd.DataFrame"
    synthetic_truth: Any = None
    profile: Path | None = None
    trial: Any = None  # the synthetic trial (:class:`pvsignal.synth.trial.TrialSynthResult`)


def demo(
    folder: str | Path = "pvsignal-demo",
    *,
    drug: str = "voclosporin",
    quarters: str = "2022Q1:2023Q4",
    reports_per_quarter: int = 5000,
    seed: int = 2026,
    profile: bool = True,
    progress: Progress | None = None,
) -> DemoResult:
    """Synthesise a small FAERS set and a clinical trial (both labelled synthetic), ingest the
    FAERS set and score ``drug``'s pairs.

    Writes ``folder/faers`` (quarterly zips), ``folder/lake``, ``folder/trial`` (ADSL, ADAE,
    ADLB as SAS transport and ``truth.json``: :func:`pvsignal.synth.trial.synthesize_trial`)
    and, with ``profile``, ``folder/<drug>-profile.html`` whose trial and dose-rule sections
    use the synthetic trial.
    """
    from pvsignal.analysis.signals import signals as _signals
    from pvsignal.synth import synthesize
    from pvsignal.synth.trial import synthesize_trial

    folder, step = Path(folder), _steps(progress, 4)
    step(0, "synthesising FAERS quarters (SYNTHETIC)")
    syn = synthesize(folder / "faers", quarters=quarters, reports_per_quarter=reports_per_quarter, seed=seed)
    trial = synthesize_trial(folder / "trial", seed=seed)
    lake = folder / "lake"
    step(1, "ingesting and deduplicating")
    ingest([folder / "faers"], lake=lake)
    step(2, f"scoring the pairs of {drug}")
    res = _signals(lake, drug=drug, min_count=3)
    out = DemoResult(folder, lake, res.table, getattr(syn, "truth", None), trial=trial)
    if profile:
        step(3, f"writing the profile of {drug}")
        from pvsignal.api.analyses import profile as _profile

        # the synthetic trial is of voclosporin: it fills the trial sections of that drug's profile only
        on_trial = drug.strip().lower() == "voclosporin"
        trial_inputs = dict(adsl=trial.adsl, adae=trial.adae, adlb=trial.adlb, control_arm=trial.truth["control"],
                            trial_synthetic=True) if on_trial else {}
        out.profile = folder / f"{drug}-profile.html"
        _profile(drug, ["headache", "tremor"], lake=lake, out=out.profile, **trial_inputs)
    return out


def synth(outdir: str | Path, quarters: str = "2023Q1:2024Q4", reports_per_quarter: int = 10_000, seed: int = 0,
          zip_: bool = True, *, quirks: bool = True, progress: Progress | None = None):
    """Write SYNTHETIC FAERS/AERS quarters with planted signals; see :func:`pvsignal.synth.synthesize`."""
    from pvsignal.quarters import quarter_range
    from pvsignal.synth import synthesize

    n = len(quarter_range(quarters))
    done = iter(range(1, n + 1))
    on_quarter = (lambda q, i: progress(next(done), n, q)) if progress else None
    return synthesize(outdir, quarters, reports_per_quarter, seed, zip_, quirks=quirks, on_quarter=on_quarter)


def meddra(folder: str | Path):
    """Load a licensed MedDRA release (MedAscii folder); see :func:`pvsignal.prepare.meddra.load_meddra`."""
    from pvsignal.prepare.meddra import load_meddra

    return load_meddra(folder)


def meddra_map(folder: str | Path, terms: list[str]) -> "pd.DataFrame":
    """Map LLT/PT/verbatim terms to their PT and its primary HLT, HLGT and SOC."""
    m = meddra(folder)
    return m.to_pt(terms).merge(m.hierarchy()[["pt", "hlt", "hlgt", "soc"]], on="pt", how="left")
