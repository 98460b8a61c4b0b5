"""Free-text drug names → lookup keys, vectorised with Arrow compute (RE2, no Python loop per name).

A key is the name transliterated (Unicode NFKD; combining accents on Latin letters
removed, ß → SS, Æ → AE …: "Ácido acetilsalicílico" → "ACIDO ACETILSALICILICO"), upper
case, with parenthesised text set aside as *evidence* (``MOPRAL(OMEPRAZOLE)`` → key
``MOPRAL``, paren ``OMEPRAZOLE``), strengths and ratios removed ("24-26 MG", "5/325",
"85 MG/M2", "0.1%", "100 UNITS/ML"), punctuation replaced by spaces and dosage-form /
route words dropped. Letters of any script are kept: a Japanese name stays itself,
never NULL. A name that cleans to nothing falls back to its upper-cased text.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

#: salt, ester and hydrate words removed from the end of an ingredient name (RE2 alternatives;
#: the last matches every hydrate: HEPTAHYDRATE, HEMI-PENTAHYDRATE …)
SALTS: tuple[str, ...] = (
    "HYDROCHLORIDE", "HCL", "DIHYDROCHLORIDE", "SODIUM", "DISODIUM", "POTASSIUM", "CALCIUM",
    "MAGNESIUM", "MESYLATE", "MESILATE", "MALEATE", "SULFATE", "SULPHATE", "BISULFATE", "TARTRATE",
    "BITARTRATE", "ACETATE", "CITRATE", "PHOSPHATE", "SUCCINATE", "FUMARATE", "BESYLATE",
    "BESILATE", "BROMIDE", "HYDROBROMIDE", "MONOHYDRATE", "DIHYDRATE", "TRIHYDRATE",
    "HEMIHYDRATE", "SESQUIHYDRATE", "HYDRATE", "ANHYDROUS", "TROMETHAMINE", "MEGLUMINE", "OXALATE",
    "MALATE", "LACTATE", "GLUCONATE", "TOSYLATE", "XINAFOATE", "ESILATE", "EDISYLATE",
    "DIPROPIONATE", "PROPIONATE", "VALERATE", "FUROATE", "DECANOATE", "HYCLATE", "PAMOATE",
    "STEARATE", "NITRATE", "MALONATE", "DIHYDROGEN", "HEMIFUMARATE", "SALT", "BASE", "ARGININE",
    "ERBUMINE", r"(?:[A-Z]+-)?[A-Z]*HYDRATE",
)

#: dosage-form and route words dropped from free-text names
FORM_WORDS: tuple[str, ...] = (
    "TABLETS?", "TABS?", "CAPSULES?", "CAPS?", "SOFTGELS?", "INJECTION", "INJECTABLE", "INJ",
    "SOLUTION", "SUSPENSION", "SYRUP", "ORAL", "INTRAVENOUS", "IV", "CREAM", "OINTMENT", "GEL",
    "PATCH", "SPRAY", "DROPS", "POWDER", "FILM", "COATED", "EXTENDED", "DELAYED", "RELEASE",
    "ER", "XR", "SR", "CR", "DR", "ODT", "PEN", "PREFILLED", "SYRINGE", "VIAL", "KIT",
    "AUTOINJECTOR", "INHALER", "INHALATION", "NASAL", "TOPICAL", "OPHTHALMIC", "GENERIC",
    "BLINDED", "NOS",
)

_NUM = r"\d+(?:[.,]\d+)?"
_UNIT = (r"(?:MG|MCG|UG|ΜG|G|GM|GRAMS?|MILLIGRAMS?|MICROGRAMS?|KG|ML|L|IU|UNITS?|MIU|MEQ|MMOL|"
         r"MOL|NG|DOSES?|PUFFS?|ACTUATIONS?)")
_PER = r"(?:ML|L|G|MG|KG|M2|DOSES?|H|HR|HRS|HOURS?|DAYS?|ACTUATIONS?|SPRAYS?|PUFFS?|TABLETS?|VIALS?)"
#: a strength: number(s) joined by - or / (24-26, 5/325), a unit or %, optionally per something
#: (RE2: no look-around; "%" is followed by no word boundary)
STRENGTH = (rf"\b{_NUM}(?:\s*[-/]\s*{_NUM})*\s*(?:{_UNIT}\b|%)"
            rf"(?:\s*/\s*(?:{_NUM}\s*)?{_PER}\b)?")
#: a bare ratio of numbers (5/325) or a number alone between words
RATIO = rf"\b{_NUM}(?:\s*/\s*{_NUM})+\b"
#: combination separators: / + & ; \ , and the words AND, WITH, W/
COMBO_SPLIT = r"\s*(?:/|\+|&|;|\\|,|\bAND\b|\bWITH\b|\bW/)\s*"

_LETTERS = {"ß": "SS", "ẞ": "SS", "Æ": "AE", "æ": "AE", "Œ": "OE", "œ": "OE", "Ø": "O", "ø": "O",
            "Ł": "L", "ł": "L", "Đ": "D", "đ": "D", "Þ": "TH", "þ": "TH", "ı": "I"}


def _arr(values) -> pa.Array:
    a = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values, type=pa.string(), from_pandas=True)
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    return a.cast(pa.string())


def transliterate(values) -> pa.Array:
    """NFKD with Latin accents removed (Á → A, ß → SS), upper case; other scripts kept (NFC)."""
    a = pc.utf8_normalize(_arr(values), "NFKD")
    a = pc.replace_substring_regex(a, r"(\p{Latin})\p{Mn}+", r"\1")
    for k, v in _LETTERS.items():
        a = pc.replace_substring(a, k, v)
    return pc.utf8_normalize(pc.utf8_upper(a), "NFC")


def _squash(a: pa.Array) -> pa.Array:
    a = pc.replace_substring_regex(a, r"[^\p{L}\p{N} \-]", " ")
    a = pc.replace_substring_regex(a, r"\b(?:" + "|".join(FORM_WORDS) + r")\b", " ")
    a = pc.replace_substring_regex(a, r"(?:^|\s)-+|-+(?:\s|$)", " ")
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(a, r"\s+", " "))


def strip_strengths(a: pa.Array) -> pa.Array:
    """Remove strengths and ratios from upper-case names."""
    a = pc.replace_substring_regex(a, STRENGTH, " ")
    return pc.replace_substring_regex(a, RATIO, " ")


def clean_keys(values) -> dict[str, pa.Array]:
    """Keys of free-text names: ``{"upper", "key", "paren", "body"}`` (Arrow string arrays).

    ``key``: the lookup key (parenthesised and bracketed text removed); ``paren``: the
    parenthesised text cleaned the same way ("" if none); ``body``: the name after
    strengths were removed but before punctuation went (for combination splitting);
    ``upper``: the transliterated name (the fallback of a name that cleans to nothing).
    Nulls stay null.
    """
    up = pc.utf8_trim_whitespace(transliterate(values))
    # FAERS writes a character it could not encode as "?" (5?FLUOROURACIL, APO?BACLOFEN): a hyphen
    up = pc.replace_substring_regex(up, r"([\p{L}\p{N}])\?+([\p{L}\p{N}])", r"\1-\2")
    no_strength = strip_strengths(up)
    paren = pc.extract_regex(no_strength, r"(?P<p>[(\[][^)\]]*(?:[)\]]|$))")
    paren = pc.fill_null(pc.struct_field(paren, [0]), "")
    body = pc.replace_substring_regex(no_strength, r"[(\[][^)\]]*(?:[)\]]|$)", " ")
    key = _squash(body)
    key = pc.if_else(pc.equal(pc.utf8_length(key), 0), _squash(up), key)
    key = pc.if_else(pc.equal(pc.utf8_length(key), 0), up, key)
    return {"upper": up, "key": key, "paren": _squash(paren), "body": body}


def clean(values) -> pa.Array:
    """The lookup key of each name (see :func:`clean_keys`)."""
    return clean_keys(values)["key"]


def strip_salts(values, salts: tuple[str, ...] = SALTS) -> pa.Array:
    """Remove trailing salt/hydrate words (DILTIAZEM HYDROCHLORIDE → DILTIAZEM); a name that is
    only salt words is kept (SODIUM stays SODIUM)."""
    a = _arr(values)
    if not salts:
        return a
    out = pc.utf8_trim_whitespace(pc.replace_substring_regex(a, r"(?:\s+(?:" + "|".join(salts) + r"))+$", ""))
    return pc.if_else(pc.equal(pc.utf8_length(out), 0), a, out)


def split_parts(body) -> pa.Array:
    """Ingredient parts of a combination written in one name ("A/B", "A + B", "A AND B"), cleaned."""
    parts = pc.split_pattern_regex(_arr(body), COMBO_SPLIT)
    flat = _squash(pc.list_flatten(parts))
    return pa.ListArray.from_arrays(parts.offsets, flat)
