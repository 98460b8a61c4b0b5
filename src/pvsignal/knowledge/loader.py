"""Load and validate the knowledge files once: sources, perpetrators, synonyms, salt forms,
label rules. The packaged files live in ``pvsignal/data/knowledge``; a folder with the same
layout can replace them (``load_knowledge(folder)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pvsignal.knowledge.label_rules import LabelRules, load_label_rules
from pvsignal.knowledge.names import NameResolver, load_salts, load_synonyms
from pvsignal.knowledge.perpetrators import ClassSpec, Source, load_perpetrators, load_sources, parse_class
from pvsignal.knowledge.files import config_error

#: The packaged knowledge folder.
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "data" / "knowledge"


@dataclass
class Knowledge:
    """Validated knowledge: ``sources``, ``perpetrators`` (DataFrame), ``names``, ``rules``."""

    folder: Path
    sources: dict[str, Source]
    perpetrators: pd.DataFrame
    names: NameResolver
    rules: dict[str, LabelRules]
    _by_ing: dict[str, list[dict]] | None = field(default=None, repr=False)

    def perpetrators_by_ingredient(self) -> dict[str, list[dict]]:
        """``{INGREDIENT: [row, ...]}`` of perpetrators.csv rows."""
        if self._by_ing is None:
            d: dict[str, list[dict]] = {}
            for r in self.perpetrators.to_dict("records"):
                d.setdefault(r["ingredient"], []).append(r)
            self._by_ing = d
        return self._by_ing

    def class_members(self, spec: str | ClassSpec) -> pd.DataFrame:
        """Rows of ``perpetrators`` in a class such as ``strong-cyp3a4-inhibitor``."""
        c = parse_class(spec) if isinstance(spec, str) else spec
        p = self.perpetrators
        m = (p["target"] == c.target) & (p["role"] == c.role)
        if c.strength:
            m &= p["strength"] == c.strength
        return p[m].reset_index(drop=True)


def load_knowledge(folder: str | Path | None = None) -> Knowledge:
    """Load and validate a knowledge folder (the packaged one when ``folder`` is None).

    Expected files: ``sources.csv``, ``perpetrators.csv``, ``synonyms.csv``,
    ``salt_forms.csv`` and ``label_rules/*.yaml``. Raises :class:`ConfigError` naming the
    file, line and reason for anything malformed. The packaged folder is read once per
    process (cached).
    """
    if folder is None:
        return _default()
    return _load(Path(folder))


@lru_cache(maxsize=1)
def _default() -> Knowledge:
    return _load(DEFAULT_DIR)


def _load(folder: Path) -> Knowledge:
    if not folder.is_dir():
        raise config_error(folder, None, "knowledge folder not found")
    sources = load_sources(folder / "sources.csv")
    perp = load_perpetrators(folder / "perpetrators.csv", sources)
    rules_dir = folder / "label_rules"
    rules = load_label_rules(rules_dir, sources) if rules_dir.is_dir() else {}
    ingredients = frozenset(perp["ingredient"]) | frozenset(rules)
    synonyms = load_synonyms(folder / "synonyms.csv", sources, ingredients)
    salts = load_salts(folder / "salt_forms.csv", sources)
    return Knowledge(folder, sources, perp, NameResolver(ingredients, synonyms, salts), rules)
