"""The shipped drug dictionary and the user's own files, as one lookup table.

``data/dictionary/names.parquet`` (built by ``tools/build_drug_dictionary.py`` from FDA's
UNII names, the NDC product file and Drugs@FDA; see DRUGS.md) maps a cleaned name key
to its ingredient(s); ``classes.parquet`` holds FDA's pharmacologic classes (EPC, MoA,
PE, CS) per ingredient. ``data/drug_synonyms.csv`` is a short curated table read on top.
A user file (columns ``name, ingredient[, source][, class]``: DiAna's dictionary, a
company's, an ATC export) overrides both for every name it lists.
"""

from __future__ import annotations

import json
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pvsignal.drugnames.clean import clean, strip_salts
from pvsignal.errors import InputFileError

#: the columns of a lookup table (``origin``: ``user`` or ``dictionary``)
LOOKUP_COLUMNS = ["key", "ingredient", "origin", "name_type", "source"]
#: sources whose keys the fuzzy step and "did you mean" may propose: marketed products and official
#: names, and the ingredients of marketed products (not UNII's chemical, common or code names)
SUGGESTABLE = ("ndc_brand", "drugsatfda", "ndc_generic", "unii_of", "curated", "user")


def _data(*parts: str):
    return resources.files("pvsignal").joinpath("data", *parts)


def keys_of(values: pd.Series, salts: bool = False) -> pd.Series:
    """Cleaned keys of ``values`` (aligned on its index); salt words stripped with ``salts``."""
    a = clean(values.astype("string"))
    if salts:
        a = strip_salts(a)
    return pd.Series(a.to_numpy(zero_copy_only=False), index=values.index, dtype="string")


@lru_cache(maxsize=1)
def metadata() -> dict:
    """The dictionary's metadata: sources with versions and SHA-256, build date, row counts."""
    return json.loads(_data("dictionary", "metadata.json").read_text(encoding="utf-8"))


def _arrow(col: pd.Series) -> pa.Array:
    a = pa.array(col, type=pa.string(), from_pandas=True)
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a


def isin(col: pd.Series, values) -> np.ndarray:
    """``col.isin(values)`` as a boolean array, by an Arrow hash set (fast for long ``values``)."""
    return pc.fill_null(pc.is_in(_arrow(col), value_set=_arrow(pd.Series(values, dtype="string"))), False).to_numpy(
        zero_copy_only=False)


class Lookup:
    """A lookup table (``LOOKUP_COLUMNS``) with the derived indexes the resolver reuses.

    Keys are dictionary-encoded once (Arrow); a pandas index over the distinct keys holds the
    hash table every :meth:`find` reuses; rows of a key are reached through a stable argsort of
    the key codes (no string sort).
    """

    def __init__(self, table: pd.DataFrame):
        self.table = table.reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.table)

    @cached_property
    def _cols(self) -> dict[str, pa.Array]:
        return {c: _arrow(self.table[c]) for c in ("key", "ingredient", "origin")}

    @cached_property
    def _span(self) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(distinct keys, key code per row, rows ordered by code, first position and count per code)."""
        enc = pc.dictionary_encode(self._cols["key"])
        codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        uniq = enc.dictionary.to_numpy(zero_copy_only=False)
        counts = np.bincount(codes, minlength=len(uniq))
        return pd.Index(uniq, dtype=object), codes, np.argsort(codes, kind="stable"), np.cumsum(counts) - counts, counts

    def find(self, keys: pd.Series) -> pd.DataFrame:
        """Rows of the table whose key equals ``keys`` (hash lookups): ``at`` (the position in
        ``keys``), ``key``, ``ingredient``, ``origin``; several rows for a combination."""
        index, _, order, starts, counts = self._span
        g = index.get_indexer(pd.Series(keys).to_numpy(dtype=object))  # the index's hash table is built once
        at = np.flatnonzero(g >= 0)
        gi = g[at]
        n = counts[gi]
        rows = order[np.repeat(starts[gi], n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))]
        idx = pa.array(rows, type=pa.int64())
        out = {"at": np.repeat(at, n)}
        for c, col in self._cols.items():
            out[c] = pd.Series(col.take(idx).to_numpy(zero_copy_only=False), dtype="string")
        return pd.DataFrame(out)

    def single_of(self, keys) -> pd.Series:
        """The ingredient of each key that names exactly one ingredient (NA otherwise), aligned."""
        index, _, order, starts, counts = self._span
        g = index.get_indexer(pd.Series(keys).to_numpy(dtype=object))
        ok = (g >= 0) & (counts[np.maximum(g, 0)] == 1)
        out = np.full(len(g), None, dtype=object)
        if ok.any():
            rows = pa.array(order[starts[g[ok]]], type=pa.int64())
            out[ok] = self._cols["ingredient"].take(rows).to_numpy(zero_copy_only=False)
        return pd.Series(out, dtype="string")

    @cached_property
    def suggestable(self) -> pd.Series:
        """Distinct keys of brands, official names and ingredients (all letters), for fuzzy and hints."""
        t = self.table
        src, key = _arrow(t["source"]), _arrow(t["key"])
        named = pc.is_in(src, value_set=pa.array(SUGGESTABLE))
        products = pc.filter(_arrow(t["ingredient"]), pc.and_(named, pc.not_equal(src, "unii_of")))
        marketed = pc.and_(pc.equal(src, "ingredient"), pc.is_in(key, value_set=pc.unique(products)))
        k = pc.unique(pc.filter(key, pc.or_(named, marketed)))
        k = pc.filter(k, pc.match_substring_regex(k, r"^[A-Z][A-Z \-]+$"))
        return pd.Series(k.to_numpy(zero_copy_only=False), dtype=object)

    @cached_property
    def by_first_letter(self) -> dict[str, np.ndarray]:
        """:attr:`suggestable` keys grouped by first letter (object arrays)."""
        k = self.suggestable
        return {f: g.to_numpy(dtype=object) for f, g in k.groupby(k.str[0])}


@lru_cache(maxsize=1)
def shipped() -> Lookup:
    """The shipped lookup table (curated CSV over the built dictionary), ``LOOKUP_COLUMNS``."""
    import pyarrow.parquet as pq

    with _data("dictionary", "names.parquet").open("rb") as fh:
        built = pq.read_table(fh).combine_chunks()
    with _data("drug_synonyms.csv").open("r", encoding="utf-8") as fh:
        cur = pd.read_csv(fh, dtype=str, comment="#").dropna(subset=["name", "ingredient"])
    cur = pd.DataFrame({"key": keys_of(cur["name"]), "ingredient": keys_of(cur["ingredient"], salts=True),
                        "name_type": "curated", "source": "curated"}).astype(object)
    built = built.filter(pc.invert(pc.is_in(built["key"], value_set=pa.array(cur["key"], type=pa.string()))))
    cur_t = pa.Table.from_pandas(cur, schema=built.schema, preserve_index=False)
    both = pa.concat_tables([cur_t, built]).combine_chunks()
    both = both.append_column("origin", pa.array(np.full(both.num_rows, "dictionary", dtype=object), type=pa.string()))
    return Lookup(both.select(LOOKUP_COLUMNS).to_pandas(types_mapper=lambda t: pd.StringDtype("pyarrow")))


@lru_cache(maxsize=1)
def classes() -> pd.DataFrame:
    """FDA pharmacologic classes per ingredient: ingredient, class_name, class_type, products."""
    with _data("dictionary", "classes.parquet").open("rb") as fh:
        return pd.read_parquet(fh)


def read_user_file(path: str | Path) -> pd.DataFrame:
    """A user dictionary (CSV, or TSV for .tsv/.txt) with columns ``name, ingredient[, source]``.

    Raises :class:`InputFileError` for a missing file or missing columns.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"synonym file {p} does not exist")
    sep = "\t" if p.suffix.lower() in (".tsv", ".txt") else ","
    try:
        df = pd.read_csv(p, dtype=str, comment="#", sep=sep)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read {p} as a name,ingredient table: {exc}") from exc
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = {"name", "ingredient"} - set(df.columns)
    if missing:
        raise InputFileError(f"synonym file {p} lacks column(s) {sorted(missing)}; found {list(df.columns)}")
    if "source" not in df:
        df["source"] = p.name
    return df[["name", "ingredient", "source"]].dropna(subset=["name", "ingredient"])


def lookup_table(user: pd.DataFrame | None = None) -> Lookup:
    """The shipped table with ``user`` rows (name, ingredient[, source]) on top: a name the user
    lists takes the user's ingredient(s) only. Ingredients are cleaned and salt-stripped."""
    base = shipped()
    if user is None or user.empty:
        return base
    u = pd.DataFrame({"key": keys_of(user["name"]), "ingredient": keys_of(user["ingredient"], salts=True),
                      "name_type": "user",
                      "source": user["source"] if "source" in user else "user"})
    u = u[(u["key"].str.len() > 0) & (u["ingredient"].str.len() > 0)].drop_duplicates(["key", "ingredient"])
    u["origin"] = "user"
    t = base.table
    return Lookup(pd.concat([u[LOOKUP_COLUMNS], t[~isin(t["key"], u["key"])]], ignore_index=True).astype("string"))


def drug_classes(user_file: str | Path | None = None, class_types: tuple[str, ...] = ("EPC",)) -> pd.DataFrame:
    """Ingredient → drug class rows (``ingredient, drug_class``) for class-level analyses.

    FDA's Established Pharmacologic Classes (``class_types``; EPC by default, e.g.
    TACROLIMUS and CYCLOSPORINE → "Calcineurin Inhibitor Immunosuppressant") from the shipped
    ``classes.parquet``; an ingredient may have several. ``user_file`` (CSV: ``ingredient,
    class`` — an ATC export, a company's grouping) replaces ours for every ingredient it lists.
    """
    c = classes()
    out = pd.DataFrame({"ingredient": c.loc[c["class_type"].isin(class_types), "ingredient"],
                        "drug_class": c.loc[c["class_type"].isin(class_types), "class_name"]})
    if user_file is not None:
        p = Path(user_file)
        if not p.is_file():
            raise InputFileError(f"drug class file {p} does not exist")
        u = pd.read_csv(p, dtype=str, comment="#")
        u.columns = [str(x).strip().lower() for x in u.columns]
        if not {"ingredient", "class"} <= set(u.columns):
            raise InputFileError(f"drug class file {p} needs columns ingredient, class; found {list(u.columns)}")
        u = pd.DataFrame({"ingredient": keys_of(u["ingredient"], salts=True), "drug_class": u["class"].str.strip()}).dropna()
        out = pd.concat([u, out[~isin(out["ingredient"], u["ingredient"])]])
    return out.drop_duplicates().astype("string").reset_index(drop=True)
