"""Vocabularies of the synthetic FAERS generator: ingredients, PTs, countries, companies.

Real ingredient, brand and MedDRA PT names so the data read like FAERS; the order of
each list is its popularity rank (rank 1 first), which the Zipf–Mandelbrot weights in
:mod:`pvsignal.synth.draw` use. Nothing here is knowledge for analyses: it only shapes
synthetic text.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

import numpy as np



_INDICATIONS_EXTRA = ("Product used for unknown indication",)


@dataclass(frozen=True)
class Ingredient:
    """One ingredient of the synthetic vocabulary (upper case, as FAERS prod_ai)."""

    name: str
    brand: str
    salt: str
    strength_form: str
    indication: str


def _data(name: str) -> list[str]:
    return files("pvsignal").joinpath("data", "synth", name).read_text(encoding="utf-8").splitlines()


def _parse_ingredients() -> tuple[Ingredient, ...]:
    """``data/synth/ingredients.psv``: ingredient|brand|salt|strength_form|indication, by popularity."""
    return tuple(Ingredient(*line.split("|")) for line in _data("ingredients.psv")[1:] if line)


INGREDIENTS: tuple[Ingredient, ...] = _parse_ingredients()
INGREDIENT_INDEX: dict[str, int] = {ing.name: i for i, ing in enumerate(INGREDIENTS)}
#: MedDRA PTs (British English, FAERS mixed case), most reported first: ``data/synth/pts.txt``
PTS: tuple[str, ...] = tuple(pt for pt in _data("pts.txt") if pt)
PT_INDEX: dict[str, int] = {pt: i for i, pt in enumerate(PTS)}
INDICATION_PTS: tuple[str, ...] = tuple(
    dict.fromkeys([*_INDICATIONS_EXTRA, *(i.indication for i in INGREDIENTS)])
)

#: (FAERS 2-letter code, legacy full name, weight)
COUNTRIES: tuple[tuple[str, str, float], ...] = (
    ("US", "UNITED STATES", 0.62), ("GB", "UNITED KINGDOM", 0.05), ("CA", "CANADA", 0.05),
    ("JP", "JAPAN", 0.05), ("FR", "FRANCE", 0.04), ("DE", "GERMANY", 0.04),
    ("IT", "ITALY", 0.025), ("ES", "SPAIN", 0.02), ("BR", "BRAZIL", 0.02),
    ("CN", "CHINA", 0.015), ("AU", "AUSTRALIA", 0.015), ("NL", "NETHERLANDS", 0.01),
    ("IN", "INDIA", 0.01), ("KR", "KOREA, REPUBLIC OF", 0.01), ("CO", "COLOMBIA", 0.008),
    ("AR", "ARGENTINA", 0.007), ("BE", "BELGIUM", 0.006), ("SE", "SWEDEN", 0.005),
    ("CH", "SWITZERLAND", 0.005), ("MX", "MEXICO", 0.005),
)

#: (mfr_sndr as printed, token used inside mfr_num)
COMPANIES: tuple[tuple[str, str], ...] = (
    ("PFIZER", "PFIZER INC"), ("NOVARTIS", "NOVARTISPHARMA"), ("JANSSEN", "JNJFOC"),
    ("MERCK", "MERCK"), ("ASTRAZENECA", "ASTRAZENECA"), ("GLAXOSMITHKLINE", "GLAXOSMITHKLINE"),
    ("ROCHE", "ROCHE"), ("TEVA", "TEVA"), ("SANDOZ", "SANDOZ"), ("AMGEN", "AMGEN"),
    ("ABBVIE", "ABBVIE"), ("BRISTOL-MYERS SQUIBB", "BRISTOL-MYERS SQUIBB COMPANY"),
    ("ELI LILLY AND COMPANY", "LILLY"), ("SANOFI", "SANOFI"), ("BAYER", "BAYER"),
    ("ASTELLAS", "ASTELLAS"), ("TAKEDA", "TAKEDA"), ("BOEHRINGER INGELHEIM", "BOEHRINGERINGELHEIM"),
    ("MYLAN", "MYLAN"), ("SUN PHARMA", "SUN PHARMACEUTICAL INDUSTRIES LTD"),
    ("AUROBINDO", "AUROBINDO"), ("GILEAD", "GILEAD"), ("BIOGEN", "BIOGEN"),
    ("CELGENE", "CELGENE"), ("AURINIA PHARMACEUTICALS INC", "AURINIA"),
)
AURINIA = len(COMPANIES) - 1

ROUTES_FAERS = ("Oral", "Subcutaneous", "Intravenous (not otherwise specified)", "Unknown",
                "Intramuscular", "Topical", "Transdermal", "Respiratory (inhalation)", "")
ROUTES_LEGACY = ("ORAL", "SUBCUTANEOUS", "INTRAVENOUS", "", "INTRAMUSCULAR", "TOPICAL",
                 "TRANSDERMAL", "RESPIRATORY (INHALATION)", "")
ROUTE_WEIGHTS = np.array([0.45, 0.12, 0.08, 0.12, 0.02, 0.02, 0.01, 0.02, 0.16])

FREQS = ("QD", "BID", "TID", "QW", "Q2W", "")
FREQ_WEIGHTS = np.array([0.18, 0.10, 0.03, 0.03, 0.02, 0.64])


def zipf_weights(n: int, s: float, q: float) -> np.ndarray:
    """Zipf–Mandelbrot weights w_k ∝ 1/(k + q)^s for ranks k = 1…n, normalised to sum 1."""
    w = 1.0 / (np.arange(1, n + 1) + q) ** s
    return w / w.sum()
