"""The compound safety profile: a typed, JSON-exportable record assembled from the analyses.

:func:`build_profile` gathers, for one drug and its events of interest, disproportionality
(the one signal pipeline, :func:`pvsignal.analysis.signals.signals`), case
characterisation, time to onset and interactions from the FAERS lake — all under one
:class:`~pvsignal.analysis.population.CaseDefinition` — trial incidence by arm and
dose-rule firing from ADaM, and the compound knowledge file (mechanism, label,
benefit–risk, literature, each cited) into a :class:`Profile`.

Layout: ``model`` (the typed record), ``context`` (what sections share), ``inputs``
(resolving them), ``sections/`` (one module per section, registered in one list),
``summary``, ``methods``, ``assemble`` (:func:`build_profile`). Rendering is
:mod:`pvsignal.report.render`: ``render(profile, "x.html")``.

>>> from pvsignal.report.profile import build_profile           # doctest: +SKIP
>>> from pvsignal.report.render import render                   # doctest: +SKIP
>>> p = build_profile("voclosporin", ["headache", "tremor"], lake="lake")  # doctest: +SKIP
>>> render(p, "voclosporin.html")                               # doctest: +SKIP
"""

from pvsignal.report.profile.assemble import build_profile
from pvsignal.report.profile.model import (
    SYNTHETIC_LABEL,
    ArmIncidence,
    Figure,
    MethodItem,
    Profile,
    Reference,
    Section,
    SummaryRow,
    Table,
)

__all__ = ["SYNTHETIC_LABEL", "ArmIncidence", "Figure", "MethodItem", "Profile", "Reference", "Section", "SummaryRow",
           "Table", "build_profile"]
