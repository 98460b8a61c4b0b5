"""Age bands of the case definition: one set of bands for tables, filters and strata.

Ages are converted to years from their FAERS unit (:data:`~pvsignal.prepare.views.AGE_FACTORS`)
and banded by :data:`AGE_BANDS`; filter and stratum groups (:data:`AGE_GROUPS`) are unions
of these bands, so a filter, a stratum and a table row mean the same ages. Re-exported by
:mod:`pvsignal.analysis.population`.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from pvsignal.prepare.views import AGE_FACTORS, MAX_AGE_YEARS

#: age bands (years) of tables, filters and strata: (name, upper limit, upper limit included)
AGE_BANDS: tuple[tuple[str, float, bool], ...] = (
    ("<18", 18, False), ("18-64", 65, False), ("65-85", 85, True), (">85", MAX_AGE_YEARS, True))
#: filter and stratum groups: unions of :data:`AGE_BANDS`
AGE_GROUPS: dict[str, tuple[str, ...]] = {
    "<18": ("<18",), "18-64": ("18-64",), "65+": ("65-85", ">85"), "65-85": ("65-85",), ">85": (">85",)}
#: the groups of the ``age_group`` stratum
STRATUM_AGE_GROUPS = ("<18", "18-64", "65+")


def in_unit(value: ir.NumericValue, code: ir.StringValue, factors: dict[str, float]) -> ir.FloatingValue:
    """``value`` × the factor of its unit ``code`` (upper-cased, trimmed); null for an unknown unit."""
    key = code.strip().upper()
    factor = ibis.cases(*((key == k, v) for k, v in factors.items()), else_=ibis.null("float64"))
    return value.cast("float64") * factor


def age_in_years(age: ir.NumericValue, age_cod: ir.StringValue) -> ir.FloatingValue:
    """Age in years from value and unit code (:data:`~pvsignal.prepare.views.AGE_FACTORS`)."""
    return in_unit(age, age_cod, AGE_FACTORS)


def age_band(years: ir.FloatingValue) -> ir.StringValue:
    """The :data:`AGE_BANDS` name of an age in years; ``unknown`` outside [0, 120] or null."""
    whens = [((years < hi) if not inc else (years <= hi), name) for name, hi, inc in AGE_BANDS]
    return ibis.cases(((years < 0) | years.isnull(), "unknown"), *whens, else_="unknown")


def age_group(band: ir.StringValue) -> ir.StringValue:
    """The stratum group (:data:`STRATUM_AGE_GROUPS`) of a band."""
    return ibis.cases(*((band.isin(list(AGE_GROUPS[g])), g) for g in STRATUM_AGE_GROUPS), else_="unknown")
