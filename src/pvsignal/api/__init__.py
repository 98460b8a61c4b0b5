"""The Python API: one function per ``pvsignal`` command, returning pandas/Python objects.

>>> from pvsignal import api
>>> api.ingest(["faers_ascii_2024q1.zip"], lake="lake")      # doctest: +SKIP
>>> api.status("lake")["cases"]                               # doctest: +SKIP

Importing this module is cheap (no pandas, DuckDB, Ibis, SciPy or Matplotlib): each
function imports what it needs when called, so the command line starts fast.

Long steps accept ``progress(done, total, label)`` (as :func:`ingest` does), called as each
step starts; the command line draws it with Rich.
"""

from __future__ import annotations

from pvsignal.api._common import (  # noqa: F401
    DEFAULT_LAKE,
    Progress,
    resolve_drug,
    write_table,
)
from pvsignal.api.analyses import (  # noqa: F401
    case_definition,
    case_listing,
    cases,
    co_reported_perpetrators,
    drug_slice,
    interaction_signals,
    interactions,
    onset,
    onset_by_event,
    over_time_priors,
    plot,
    plot_over_time,
    plot_roc,
    profile,
    role_codes,
    signal_config,
    signals,
    signals_over_time,
    validate,
)
from pvsignal.api.biases import (  # noqa: F401
    duplicates_sensitivity,
    onset_compare,
    plot_onset_compare,
    unmask_top,
)
from pvsignal.api.data import (  # noqa: F401
    DemoResult,
    demo,
    meddra,
    meddra_map,
    synth,
)
from pvsignal.api.download import (  # noqa: F401
    DownloadResult,
    download,
)
from pvsignal.api.figures import (  # noqa: F401
    figure_svg,
    plot_forest,
    plot_volcano,
)
from pvsignal.api.lake import (  # noqa: F401
    IngestResult,
    check_current,
    connect,
    drugs_build_map,
    drugs_normalize,
    ingest,
    prepare,
    rejects,
    scored_pairs,
    status,
    update,
    UpdateResult,
)
from pvsignal.api.trial import (  # noqa: F401
    creatinine_warning,
    egfr,
    kdigo_category,
    trial_dosing,
    trial_incidence,
    trial_rules,
)

__all__ = [
    "DEFAULT_LAKE",
    "Progress",
    "write_table",
    "IngestResult",
    "ingest",
    "prepare",
    "update",
    "UpdateResult",
    "scored_pairs",
    "connect",
    "check_current",
    "status",
    "rejects",
    "drugs_build_map",
    "drugs_normalize",
    "DownloadResult",
    "download",
    "resolve_drug",
    "case_definition",
    "signal_config",
    "signals",
    "role_codes",
    "cases",
    "case_listing",
    "drug_slice",
    "signals_over_time",
    "over_time_priors",
    "plot_over_time",
    "plot_forest",
    "plot_volcano",
    "figure_svg",
    "onset",
    "onset_by_event",
    "plot",
    "interactions",
    "interaction_signals",
    "co_reported_perpetrators",
    "validate",
    "plot_roc",
    "profile",
    "unmask_top",
    "duplicates_sensitivity",
    "onset_compare",
    "plot_onset_compare",
    "DemoResult",
    "demo",
    "synth",
    "meddra",
    "meddra_map",
    "trial_incidence",
    "trial_dosing",
    "trial_rules",
    "egfr",
    "creatinine_warning",
    "kdigo_category",
]
