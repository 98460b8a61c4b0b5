"""Drug knowledge as data files: CYP3A/P-gp perpetrators, synonyms, label interaction rules.

Code holds no drug names; the packaged files in ``pvsignal/data/knowledge`` do, each row
with its source and version. Public API:

* :func:`load_knowledge` — load and validate (cached for the packaged files);
* :func:`check_interactions` — label action for a drug with each partner (a DataFrame);
* :func:`parse_class` — perpetrator class names such as ``strong-cyp3a4-inhibitor``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pvsignal.knowledge.interactions import check
from pvsignal.knowledge.loader import DEFAULT_DIR, Knowledge, load_knowledge
from pvsignal.knowledge.perpetrators import ClassSpec, parse_class

__all__ = ["DEFAULT_DIR", "ClassSpec", "Knowledge", "check_interactions", "load_knowledge", "parse_class"]


def check_interactions(
    drug: str,
    with_: list[str] | tuple[str, ...] | str,
    *,
    allow_unknown: bool = False,
    knowledge: Knowledge | str | Path | None = None,
) -> pd.DataFrame:
    """The label's action for ``drug`` taken with each drug in ``with_``.

    One row per partner with columns ``drug, partner, ingredient, action, dose, mechanism,
    partner_classes, source, class_source, status, other_rules``; ``action`` is one of
    contraindicated, avoid, adjust dose, monitor, no adjustment, no known interaction.
    Names resolve case-insensitively through brand names, synonyms and salt forms.
    Raises :class:`~pvsignal.errors.UnknownNameError` (with close matches) for an unknown
    name unless ``allow_unknown``. ``with_`` may be a comma-separated string.

    >>> check_interactions("voclosporin", with_=["ketoconazole"]).action[0]
    'contraindicated'
    """
    if isinstance(with_, str):
        with_ = [w for w in (x.strip() for x in with_.split(",")) if w]
    kn = knowledge if isinstance(knowledge, Knowledge) else load_knowledge(knowledge)
    return check(kn, drug, list(with_), allow_unknown=allow_unknown)
