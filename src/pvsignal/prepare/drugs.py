"""Drug names → active ingredients for the lake (the resolver is :mod:`pvsignal.drugnames`).

Order of evidence for a DRUG row:

1. ``prod_ai`` (FAERS 2014Q3+), split on ``\\`` into its ingredients, each harmonised to
   the dictionary's spelling (INN → USAN, acid → anion, salts removed: RIFAMPICIN →
   RIFAMPIN);
2. else ``drugname`` resolved through the user's files (``--synonyms``, ``LAKE/synonyms/*.csv``)
   over the shipped dictionary (FDA UNII names, NDC products, Drugs@FDA; DRUGS.md):
   parenthesised ingredients, cleaned name, salts, combinations, shortened name, a
   conservative fuzzy match;
3. else the cleaned name itself, ``unmapped`` — kept and counted, never dropped.

A combination product gives one row per ingredient. ``ingredient_source`` says which
rule applied: ``prod_ai``, ``user``, ``dictionary``, ``fuzzy`` or ``unmapped``.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd

from pvsignal.drugnames.clean import SALTS, strip_salts
from pvsignal.drugnames.dictionary import keys_of, lookup_table, metadata, read_user_file
from pvsignal.drugnames.resolve import ingredient_rows, resolve_names
from pvsignal.errors import InputFileError

#: salt and hydrate words removed from the end of an ingredient name
DEFAULT_SALTS: tuple[str, ...] = SALTS
#: the sources that count as mapped
MAPPED = ("prod_ai", "user", "dictionary", "fuzzy")


def load_synonyms(extra: list[str | Path] | None = None) -> pd.DataFrame:
    """The user's name → ingredient files (columns name, ingredient[, source]) as one table.

    Later files win over earlier ones for the same name: the last file that names a brand
    decides all its ingredients. Raises on a missing file or missing columns.
    """
    frames = [read_user_file(p).assign(_rank=i) for i, p in enumerate(extra or [])]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in ("name", "ingredient", "source")})
    syn = pd.concat(frames, ignore_index=True)
    syn["_key"] = keys_of(syn["name"])
    top = syn.groupby("_key")["_rank"].transform("max")
    syn = syn[syn["_rank"] == top].drop_duplicates(["_key", "ingredient"])
    return syn[["name", "ingredient", "source"]].astype("string").reset_index(drop=True)


def dictionary_provenance() -> dict:
    """What the lake's drug names were resolved with: the shipped dictionary's build date and
    each source's version and SHA-256 (for the manifest)."""
    m = metadata()
    return {"built": m["built"], "sources": {s["id"]: {"version": s.get("version") or s.get("file"),
                                                        "sha256": s.get("member_sha256") or s.get("sha256")}
                                             for s in m["sources"]}}


def _frame(synonyms) -> pd.DataFrame | None:
    if synonyms is None:
        return None
    return synonyms if isinstance(synonyms, pd.DataFrame) else synonyms.execute()


def ingredient_map(
    names: ir.Table,
    synonyms: ir.Table | pd.DataFrame | None = None,
    *,
    salts: tuple[str, ...] | None = DEFAULT_SALTS,
    fuzzy: bool = True,
) -> ir.Table:
    """Map distinct ``(drugname, prod_ai)`` rows of ``names`` to ingredient rows.

    The distinct pairs (far fewer than rows) are fetched from the engine, resolved once
    (:func:`pvsignal.drugnames.resolve.ingredient_rows`) and returned as a table with
    columns ``drugname, prod_ai, ingredient, ingredient_source`` (one row per ingredient;
    no input row is lost). ``synonyms``: the user's rows (:func:`load_synonyms`).
    """
    distinct = names.select(drugname=names.drugname.cast("string"), prod_ai=names.prod_ai.cast("string")).distinct()
    pairs = distinct.execute()
    rows = ingredient_rows(pairs, lookup_table(_frame(synonyms)), salts=salts, fuzzy=fuzzy)
    schema = {"drugname": "string", "prod_ai": "string", "ingredient": "string", "ingredient_source": "string"}
    return ibis.memtable(rows.astype(object).where(rows.notna(), None), schema=schema)


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
        rows["ingredient"] = strip_salts(rows["ingredient"].to_numpy(dtype=object), salts).to_pylist()
    rows = rows[rows["name"] != rows["ingredient"]]
    rows["source"] = f"Drugs@FDA {p.name}"
    return rows[["name", "ingredient", "source"]].drop_duplicates().reset_index(drop=True)


def normalize_names(
    names: pd.DataFrame,
    column: str,
    *,
    synonyms: list[str | Path] | None = None,
    strip_salts: bool = True,
    fuzzy: bool = True,
) -> pd.DataFrame:
    """Ingredients for a column of free-text drug names (one output row per input row).

    Adds ``ingredient`` (``; ``-separated for combination products),
    ``ingredient_source`` and ``mapped`` (False for ``unmapped`` and ``missing`` names)
    beside the input columns. Any cell is accepted: numbers are read as text, names in
    any script are kept (``unmapped`` if unknown), an empty cell is ``missing``. The
    distinct names are resolved once, as in the lake.
    """
    if column not in names.columns:
        raise InputFileError(f"no column {column!r} in the input; columns found: {list(names.columns)}")
    key = names[column].astype("string").str.strip()
    key = key.where(key.str.len() > 0)
    lookup = lookup_table(load_synonyms(synonyms))
    m = resolve_names(key.dropna().unique(), lookup, salts=DEFAULT_SALTS if strip_salts else None, fuzzy=fuzzy)
    m = m.sort_values(["name", "ingredient"])
    g = m.groupby("name", sort=False).agg(ingredient=("ingredient", "; ".join), ingredient_source=("ingredient_source", "first"))
    out = names.copy()
    out["ingredient"] = key.map(g["ingredient"]).astype("string")
    out["ingredient_source"] = key.map(g["ingredient_source"]).fillna("missing").astype("string")
    out["mapped"] = out["ingredient_source"].isin(MAPPED)
    return out
