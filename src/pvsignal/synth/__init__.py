"""Synthetic FAERS/AERS quarterly files with planted signals (tests, demos, benchmarks).

``synthesize(outdir, quarters="2023Q1:2024Q4", reports_per_quarter=N, seed=S)`` writes
one zip per quarter exactly as the FDA publishes them (``aers_ascii_2004q1.zip`` /
``faers_ascii_2017q2.zip``, ``ASCII/DEMO17Q2.txt`` …, ``Deleted/DELETE19Q1.txt``) plus
``truth.json`` describing what was planted: voclosporin–headache (ROR 3.8) and
voclosporin–tremor (ROR 5) with a CYP3A4-inhibitor interaction on tremor, Weibull
onset (shape 0.8, scale 120 days), follow-up versions, deleted cases and file quirks.
Every other (ingredient, PT) pair has a latent relative reporting ratio λ drawn from a
two-component log-normal mixture (:mod:`pvsignal.synth.pairs`; ``Plan.pair_heterogeneity``),
recorded per pair in ``truth.json`` (``SynthTruth.pair_lambda_table()``), so that the
background is heterogeneous like real FAERS. An optional long tail of rare synthetic drugs
and events (``Plan.tail_ingredients``, ``Plan.tail_pts``; off by default, calibrated sizes
in :data:`pvsignal.synth.tail.FAERS_TAIL`) brings the number of distinct drug–event pairs
to FAERS scale (:mod:`pvsignal.synth.tail`). The mechanism is documented in
:mod:`pvsignal.synth.plant` and :mod:`pvsignal.synth.draw`. Everything is synthetic and
labelled so (``SYNTHETIC.txt`` in every zip).
"""

from pvsignal.synth.generate import SynthParameterError, SynthResult, synthesize
from pvsignal.synth.plant import Plan
from pvsignal.synth.truth import SynthTruth

__all__ = ["Plan", "SynthParameterError", "SynthResult", "SynthTruth", "synthesize"]
