"""Drug names → active ingredients, as engine-neutral Ibis expressions.

Order of evidence for a DRUG row:

1. ``prod_ai`` (FAERS 2014Q3+), split on ``\\`` into its ingredients, each harmonised
   through the synonym table (INN → USAN, e.g. RIFAMPICIN → RIFAMPIN);
2. else ``drugname`` cleaned (upper case, punctuation, dose and form words removed,
   salts removed where configured) and looked up in the synonym table
   (brand → ingredient: the shipped ``data/drug_synonyms.csv``, the user's CSVs, or
   a map built from Drugs@FDA by :func:`build_drugsatfda_map`);
3. else the cleaned name itself: ``name`` when it is a known ingredient (seen in
   ``prod_ai`` or as a synonym target), otherwise ``unmapped`` — kept and counted,
   never dropped.

A combination product gives one row per ingredient. ``ingredient_source`` says which
rule applied: ``prod_ai``, ``synonym``, ``name`` or ``unmapped``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd

from pvsignal.errors import InputFileError

#: salt and hydrate words removed from the end of an ingredient name (configurable)
DEFAULT_SALTS: tuple[str, ...] = (
    "HYDROCHLORIDE", "HCL", "DIHYDROCHLORIDE", "SODIUM", "DISODIUM", "POTASSIUM", "CALCIUM",
    "MAGNESIUM", "MESYLATE", "MALEATE", "SULFATE", "SULPHATE", "BISULFATE", "TARTRATE",
    "BITARTRATE", "ACETATE", "CITRATE", "PHOSPHATE", "SUCCINATE", "FUMARATE", "BESYLATE",
    "BESILATE", "BROMIDE", "HYDROBROMIDE", "MONOHYDRATE", "DIHYDRATE", "TRIHYDRATE",
    "HEMIHYDRATE", "SESQUIHYDRATE", "ANHYDROUS", "TROMETHAMINE", "MEGLUMINE", "OXALATE",
    "MALATE", "LACTATE", "GLUCONATE", "TOSYLATE", "XINAFOATE", "ESILATE", "EDISYLATE",
)

#: dosage-form and route words dropped from free-text drug names
FORM_WORDS: tuple[str, ...] = (
    "TABLETS?", "TABS?", "CAPSULES?", "CAPS?", "SOFTGELS?", "INJECTION", "INJECTABLE", "INJ",
    "SOLUTION", "SUSPENSION", "SYRUP", "ORAL", "INTRAVENOUS", "IV", "CREAM", "OINTMENT", "GEL",
    "PATCH", "SPRAY", "DROPS", "POWDER", "FILM", "COATED", "EXTENDED", "DELAYED", "RELEASE",
    "ER", "XR", "SR", "CR", "DR", "ODT", "PEN", "PREFILLED", "SYRINGE", "VIAL", "KIT",
    "AUTOINJECTOR", "INHALER", "INHALATION", "NASAL", "TOPICAL", "OPHTHALMIC", "GENERIC",
)

#: a strength: number + unit word (whole word) or %, optionally per volume/dose/time
#: (RE2 and Java regex alike: no look-around; "%" is followed by no word boundary)
_DOSE = (r"\b\d+([.,]\d+)?\s*((MG|MCG|UG|G|GM|GRAM|GRAMS|ML|L|IU|UNITS?|MEQ|MMOL)\b|%)"
         r"(\s*/\s*\d*([.,]\d+)?\s*(ML|L|G|MG|DOSE|H|HR|HOUR|DAY|ACTUATION)\b)?")


def _salt_pattern(salts: tuple[str, ...]) -> str:
    return r"(\s+(" + "|".join(salts) + r"))+$"


def clean_name(col: ir.StringValue, salts: tuple[str, ...] | None = DEFAULT_SALTS) -> ir.StringValue:
    """Upper-case ``col``, drop punctuation, doses, forms (and salts); null if nothing is left."""
    s = col.upper()
    s = s.re_replace(r"\([^)]*\)", " ")  # parenthesised remarks
    s = s.re_replace(_DOSE, " ")
    s = s.re_replace(r"[^A-Z0-9 \-]", " ")
    s = s.re_replace(r"\b(" + "|".join(FORM_WORDS) + r")\b", " ")
    s = s.re_replace(r"\s+", " ").strip()
    if salts:
        s = s.re_replace(_salt_pattern(salts), "").strip()
    return (s.length() > 0).ifelse(s, ibis.null(str))


def _clean_ingredient(col: ir.StringValue, salts: tuple[str, ...] | None) -> ir.StringValue:
    s = col.upper().re_replace(r"\s+", " ").strip()
    if salts:
        s = s.re_replace(_salt_pattern(salts), "").strip()
    return (s.length() > 0).ifelse(s, ibis.null(str))


def load_synonyms(extra: list[str | Path] | None = None) -> pd.DataFrame:
    """The shipped brand → ingredient table plus the user's CSVs (columns name, ingredient[, source]).

    Later files win over earlier ones for the same name. Raises on a missing file or
    missing columns.
    """
    frames = []
    with resources.files("pvsignal").joinpath("data", "drug_synonyms.csv").open("r", encoding="utf-8") as fh:
        frames.append(pd.read_csv(fh, dtype=str, comment="#"))
    for i, p in enumerate(extra or [], start=1):
        p = Path(p)
        if not p.is_file():
            raise InputFileError(f"synonym file {p} does not exist")
        df = pd.read_csv(p, dtype=str, comment="#")
        missing = {"name", "ingredient"} - set(df.columns)
        if missing:
            raise InputFileError(f"synonym file {p} lacks column(s) {sorted(missing)}; found {list(df.columns)}")
        if "source" not in df:
            df["source"] = str(p.name)
        df["_rank"] = i
        frames.append(df)
    frames[0]["_rank"] = 0
    syn = pd.concat(frames, ignore_index=True)[["name", "ingredient", "source", "_rank"]].dropna(subset=["name", "ingredient"])
    syn["name"] = syn["name"].str.upper().str.strip()
    syn["ingredient"] = syn["ingredient"].str.upper().str.strip()
    # the highest-ranked file that names a brand decides all its ingredients
    top = syn.groupby("name")["_rank"].transform("max")
    syn = syn[syn["_rank"] == top].drop(columns="_rank").drop_duplicates(["name", "ingredient"])
    return syn.reset_index(drop=True)


def ingredient_map(
    names: ir.Table,
    synonyms: ir.Table,
    *,
    salts: tuple[str, ...] | None = DEFAULT_SALTS,
) -> ir.Table:
    """Map distinct ``(drugname, prod_ai)`` rows to ingredient rows.

    Returns columns ``drugname, prod_ai, ingredient, ingredient_source`` with one row
    per ingredient (combination products give several rows; no input row is lost).
    """
    distinct = names.select(drugname=names.drugname.cast("string"), prod_ai=names.prod_ai.cast("string")).distinct()
    syn = synonyms.select(
        syn_key=clean_name(synonyms.name, salts), ing=_clean_ingredient(synonyms.ingredient, salts)
    ).distinct()

    has_ai = distinct.prod_ai.notnull() & (distinct.prod_ai.strip() != "")
    from_ai = distinct.filter(has_ai)
    from_ai = from_ai.mutate(part=from_ai.prod_ai.split("\\").unnest())
    from_ai = from_ai.mutate(ingredient=_clean_ingredient(from_ai.part, salts), ingredient_source=ibis.literal("prod_ai"))
    from_ai = from_ai.filter(from_ai.ingredient.notnull()).select("drugname", "prod_ai", "ingredient", "ingredient_source")
    # FAERS prod_ai uses INN or USAN names: a synonym (e.g. ACETYLSALICYLIC ACID → ASPIRIN) harmonises them
    ja = from_ai.left_join(syn, from_ai.ingredient == syn.syn_key)
    from_ai = ja.select("drugname", "prod_ai", ingredient=ja.ing.coalesce(ja.ingredient), ingredient_source="ingredient_source")

    by_name = distinct.filter(~has_ai)
    by_name = by_name.mutate(key=clean_name(by_name.drugname, salts))
    joined = by_name.left_join(syn, by_name.key == syn.syn_key)
    mapped = joined.select(
        "drugname",
        "prod_ai",
        ingredient=joined.ing.coalesce(joined.key),
        via_synonym=joined.ing.notnull(),
    )
    # a cleaned name that is itself a known ingredient (from prod_ai or the synonym table)
    known = from_ai.select(known=from_ai.ingredient).union(syn.select(known=syn.ing)).distinct()
    mapped = mapped.select(
        "drugname",
        "prod_ai",
        "ingredient",
        ingredient_source=ibis.cases(
            (mapped.via_synonym, "synonym"),
            (mapped.ingredient.isin(known.known), "name"),
            else_="unmapped",
        ),
    )
    return from_ai.union(mapped, distinct=False)


def build_drugsatfda_map(products: str | Path, *, salts: tuple[str, ...] | None = DEFAULT_SALTS) -> pd.DataFrame:
    """Brand → ingredient rows from the Drugs@FDA ``Products.txt`` (tab-separated) or a CSV copy.

    Uses the columns ``DrugName`` and ``ActiveIngredient`` (ingredients separated by
    ``;``). A brand whose products list different ingredient sets maps to the set most
    products list (ties: alphabetical). Returns columns ``name, ingredient, source``.
    """
    p = Path(products)
    if not p.is_file():
        raise InputFileError(f"{p} does not exist (download Drugs@FDA and pass its Products.txt)")
    sep = "\t" if p.suffix.lower() == ".txt" else ","
    try:
        df = pd.read_csv(p, sep=sep, dtype=str, encoding="latin-1", on_bad_lines="warn")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read {p} as a Drugs@FDA products table: {exc}") from exc
    missing = {"DrugName", "ActiveIngredient"} - set(df.columns)
    if missing:
        raise InputFileError(f"{p} lacks column(s) {sorted(missing)}; found {list(df.columns)[:12]}")
    df = df.dropna(subset=["DrugName", "ActiveIngredient"])
    df["name"] = df["DrugName"].str.upper().str.strip()
    df["set"] = df["ActiveIngredient"].str.upper().str.split(";").map(
        lambda parts: "|".join(sorted({x.strip() for x in parts if x.strip()}))
    )
    counts = df.groupby(["name", "set"]).size().reset_index(name="k")
    counts = counts.sort_values(["name", "k", "set"], ascending=[True, False, True]).drop_duplicates("name")
    rows = counts.assign(ingredient=counts["set"].str.split("|")).explode("ingredient")
    rows = rows[rows["name"] != rows["ingredient"]]
    if salts:
        import re

        pat = re.compile(_salt_pattern(salts))
        rows["ingredient"] = rows["ingredient"].map(lambda s: pat.sub("", s).strip() or s)
    rows = rows[rows["name"] != rows["ingredient"]]
    rows["source"] = f"Drugs@FDA {p.name}"
    return rows[["name", "ingredient", "source"]].drop_duplicates().reset_index(drop=True)


def normalize_names(
    names: pd.DataFrame,
    column: str,
    *,
    synonyms: list[str | Path] | None = None,
    strip_salts: bool = True,
) -> pd.DataFrame:
    """Ingredients for a column of free-text drug names (one output row per input row).

    Adds ``ingredient`` (``; ``-separated for combination products),
    ``ingredient_source`` and ``mapped`` (False for ``unmapped`` names) beside the
    input columns. Uses the same expressions as the lake (:func:`ingredient_map`).
    """
    if column not in names.columns:
        raise InputFileError(f"no column {column!r} in the input; columns found: {list(names.columns)}")
    salts = DEFAULT_SALTS if strip_salts else None
    con = ibis.duckdb.connect()
    try:
        distinct = pd.DataFrame({"drugname": names[column].astype("string").dropna().unique(), "prod_ai": None})
        distinct["prod_ai"] = distinct["prod_ai"].astype("string")
        if distinct.empty:
            m = pd.DataFrame(columns=["drugname", "ingredient", "ingredient_source"])
        else:
            m = con.execute(ingredient_map(ibis.memtable(distinct), ibis.memtable(load_synonyms(synonyms)), salts=salts))
        g = (
            m.sort_values(["drugname", "ingredient"])
            .groupby("drugname", sort=False)
            .agg(ingredient=("ingredient", lambda s: "; ".join(x for x in s if x)), ingredient_source=("ingredient_source", "first"))
        )
    finally:
        con.disconnect()
    out = names.copy()
    key = names[column].astype("string")
    out["ingredient"] = key.map(g["ingredient"]).astype("string")
    out["ingredient_source"] = key.map(g["ingredient_source"]).fillna("missing").astype("string")
    out["mapped"] = out["ingredient_source"].isin(["prod_ai", "synonym", "name"])
    return out
