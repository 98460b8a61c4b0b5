"""ROC curves of a method validation: PNG or SVG (by suffix), matplotlib Agg, deterministic.

Built as :mod:`pvsignal.report.plots` builds its figures (no pyplot state, fixed SVG salt,
no creation date, mathtext off).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import numpy as np

from pvsignal.report.figures.canvas import RC, save

if TYPE_CHECKING:
    from pvsignal.analysis.validation import Validation

#: one colour and line style per score (ROR, PRR, IC, EBGM families; dashed = point estimate)
STYLES = {
    "ror_lower": ("#4C72B0", "-"), "ror": ("#4C72B0", "--"), "prr_lower": ("#DD8452", "-"), "prr": ("#DD8452", "--"),
    "ic025": ("#55A868", "-"), "ic": ("#55A868", "--"), "eb05": ("#C44E52", "-"), "ebgm": ("#C44E52", "--"),
}


def roc_title(result: "Validation") -> str:
    """``ROC: P positive and N negative controls scored of T``, prefixed ``SYNTHETIC DATA —`` for a synthetic lake."""
    auc, p = result.auc, result.parameters
    pos, neg = (int(auc[c].max()) if len(auc) else 0 for c in ("positives", "negatives"))
    title = f"ROC: {pos} positive and {neg} negative controls scored of {p.get('controls', len(result.pairs))}"
    return "SYNTHETIC DATA — " + title if p.get("synthetic") else title


def roc_plot(result: "Validation", path: str | Path, *, scores: list[str] | None = None, dpi: int = 150,
             title: str | None = None) -> Path:
    """ROC curves (sensitivity against 1 − specificity) of the validation's scores, AUC with its
    95 % CI in the legend, the chance diagonal dotted. ``scores``: which (default: all with a
    curve). The title says how many controls were scored and, for a synthetic lake, SYNTHETIC.
    """
    from matplotlib.figure import Figure

    from pvsignal.analysis.validation import SCORES

    roc, auc = result.roc, result.auc.set_index("score")
    wanted = [s for s in (scores or list(SCORES)) if s in set(roc["score"])]
    title = roc_title(result) if title is None else title
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(5.6, 5.2))
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], ls=":", color="grey", lw=0.8)
        for s in wanted:
            c = roc[roc["score"] == s]
            a = auc.loc[s]
            colour, ls = STYLES.get(s, ("black", "-"))
            ax.plot(c["fpr"].to_numpy(), c["tpr"].to_numpy(), color=colour, ls=ls, lw=1.2,
                    label=f"{SCORES.get(s, s)}: AUC {a['auc']:.3f} ({a['auc_lower']:.3f}–{a['auc_upper']:.3f})")
        if not wanted:
            ax.text(0.5, 0.5, "no score has both a positive and a negative control scored", ha="center", va="center")
        ax.set_xlim(-0.01, 1.01)
        ax.set_ylim(-0.01, 1.01)
        ax.set_xticks(np.linspace(0, 1, 6))
        ax.set_xlabel("1 − specificity (false-positive rate)")
        ax.set_ylabel("sensitivity (true-positive rate)")
        ax.set_title(title, fontsize=9)
        if wanted:
            ax.legend(loc="lower right", fontsize=7, frameon=False)
        fig.tight_layout()
        return save(fig, path, dpi)
