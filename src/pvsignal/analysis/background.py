"""Restricted backgrounds of a case definition: indication, active comparator, unmasking.

The usual disproportionality background is every other report in the database. Three
fields of :class:`~pvsignal.analysis.population.CaseDefinition` narrow it (each applied
by the population, so every analysis and the profile's methods text get it):

* ``indication`` (a MedDRA PT, any case): only reports listing it as the indication of
  at least one of their drugs (any role; FAERS INDI ``indi_pt``) count. The drug of
  interest is then compared with other reports of the same indication, which limits
  confounding by indication (Bate & Evans, Pharmacoepidemiol Drug Saf 2009;18:427–436;
  READUS-PV, Fusaroli et al., Drug Saf 2024;47:575–584, item "reference group").
* ``comparator`` (an ingredient): an active-comparator 2×2. For a drug X the exposed
  group is the reports naming X but not the comparator C; the reference group is the
  reports naming C but not X. **Reports naming both X and C are left out of X's table**
  (neither exposed-only nor comparator-only: the groups must be disjoint, as in an
  active-comparator design); they stay in the comparator's own case series. Cells:
  a = |X∖C ∩ E|, b = |X∖C| − a, c = |C∖X ∩ E|, d = |C∖X| − c, so N = |X∖C| + |C∖X|
  differs per drug (:func:`pvsignal.analysis.comparator.comparator_counts`). Case-level
  analyses (cases, onset, listing) count X's reports as X∖C too.
* ``unmask`` (ingredients): reports naming any of them (in the definition's roles) are
  left out of the whole population — the removal of a masking drug of Maignen et al.,
  Pharmacoepidemiol Drug Saf 2014;23:195–207 (:mod:`pvsignal.analysis.masking` finds
  the strongest maskers of an event).
"""

from __future__ import annotations

from typing import Any, Sequence

import ibis
import ibis.expr.types as ir

from pvsignal.analysis.backends import distinct_values, exists
from pvsignal.errors import ConfigError
from pvsignal.suggest import unknown_name


def _names(value: str | Sequence[str] | None) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return list(dict.fromkeys(str(v).strip().upper() for v in items if str(v).strip()))


def normalise_background(indication: str | None, comparator: str | None, unmask: Any,
                         strata: Sequence[str]) -> tuple[str | None, str | None, list[str] | None]:
    """Upper-case, trimmed values (``unmask`` from a list or ``'A,B'``); rejects a comparator
    that is also unmasked and a comparator with strata (per-drug margins have no strata)."""
    ind = str(indication).strip().upper() or None if indication is not None else None
    comp = str(comparator).strip().upper() or None if comparator is not None else None
    masked = _names(unmask) or None
    if comp and masked and comp in masked:
        raise ConfigError(f"the comparator {comp} cannot also be unmasked (its reports would all be left out)")
    if comp and strata:
        raise ConfigError("an active comparator gives each drug its own 2×2; stratified expected counts "
                          "(strata) are not available with it — drop --strata or --comparator")
    return ind, comp, masked


def check_background(ib: ibis.BaseBackend, indication: str | None, comparator: str | None,
                     unmask: Sequence[str] | None) -> None:
    """:class:`~pvsignal.errors.UnknownNameError` (with close matches) for an indication or a
    drug the lake does not have (one small query each)."""
    if indication:
        indi = ib.table("case_indi")
        if not exists(indi.filter(indi.indi_pt.strip().upper() == indication)):
            raise unknown_name("indication", indication, [v.upper() for v in distinct_values(indi, "indi_pt")])
    drugs = ib.table("case_drugs")
    for name in ([comparator] if comparator else []) + list(unmask or []):
        if not exists(drugs.filter(drugs.ingredient == name)):
            raise unknown_name("ingredient", name, distinct_values(drugs, "ingredient"))


def reports_naming(rows: ir.Table, names: Sequence[str]) -> ir.Table:
    """Distinct ``caseid`` of the ``case_drugs`` ``rows`` naming any of ``names``."""
    return rows.filter(rows.ingredient.isin(list(names))).select("caseid").distinct()


def restrict_background(ib: ibis.BaseBackend, cases: ir.Table, definition: Any) -> ir.Table:
    """``cases`` with the definition's indication and unmasking filters applied."""
    if definition.indication:
        indi = ib.table("case_indi")
        keep = indi.filter(indi.indi_pt.strip().upper() == definition.indication).select("caseid").distinct()
        cases = cases.semi_join(keep, "caseid")
    if definition.unmask:
        rows = ib.table("case_drugs")
        rows = rows.filter(rows.role_cod.isin(list(definition.role_codes)))
        cases = cases.anti_join(reports_naming(rows, definition.unmask), "caseid")
    return cases


def comparator_rows(rows: ir.Table, comparator: str | None) -> ir.Table:
    """``case_drugs`` ``rows`` where a report naming ``comparator`` keeps only the comparator's
    rows: each other drug's reports are then those without the comparator."""
    if not comparator:
        return rows
    return rows.anti_join(reports_naming(rows, [comparator]), "caseid").union(rows.filter(rows.ingredient == comparator))


def background_sentences(indication: str | None, comparator: str | None, unmask: Sequence[str] | None) -> list[str]:
    """The methods-text sentences of the restricted backgrounds in use."""
    out = []
    if indication:
        out.append(f"Only reports listing {indication} as the indication of at least one drug are included "
                   "(restriction by indication).")
    if comparator:
        out.append(f"Active comparator {comparator}: each drug's reports without {comparator} are compared with "
                   f"the reports naming {comparator} but not that drug; reports naming both are left out of "
                   "that drug's 2×2 table.")
    if unmask:
        out.append(f"Reports naming {', '.join(unmask)} in the counted roles are left out (unmasking, "
                   "Maignen et al. 2014).")
    return out
