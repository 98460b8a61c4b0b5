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


class Lookup:
    """A lookup table (``LOOKUP_COLUMNS``) with the derived indexes the resolver reuses."""

    def __init__(self, table: pd.DataFrame):
        self.table = table.sort_values(["key", "ingredient"], kind="stable").reset_index(drop=True)

    @cached_property
    def _span(self) -> tuple[pd.Index, np.ndarray, np.ndarray]:
        """key → group number; each group's first row and row count (rows of a key are contiguous)."""
        keys = self.table["key"].to_numpy(dtype=object)
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.array([], dtype=np.int64)
        counts = np.diff(np.r_[starts, len(keys)])
        return pd.Index(keys[starts], dtype=object), starts, counts

    def find(self, keys: pd.Series) -> pd.DataFrame:
        """Rows of the table whose key equals ``keys`` (hash lookups): ``at`` (the position in
        ``keys``), ``key``, ``ingredient``, ``origin``; several rows for a combination."""
        group, starts, counts = self._span
        g = group.get_indexer(keys.to_numpy(dtype=object))  # the index's hash table is built once
        at = np.flatnonzero(g >= 0)
        gi = g[at]
        n = counts[gi]
        rows = np.repeat(starts[gi], n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
        out = self.table.iloc[rows][["key", "ingredient", "origin"]].reset_index(drop=True)
        out.insert(0, "at", np.repeat(at, n))
        return out

    def __len__(self) -> int:
        return len(self.table)

    @cached_property
    def single(self) -> pd.Series:
        """key → ingredient for keys that name exactly one ingredient."""
        t = self.table
        return t[~t["key"].duplicated(keep=False)].set_index("key")["ingredient"]

    @cached_property
    def suggestable(self) -> pd.Series:
        """Distinct keys of brands, official names and ingredients (all letters), for fuzzy and hints."""
        t = self.table
        named = t["source"].isin(SUGGESTABLE)
        marketed = (t["source"] == "ingredient") & t["key"].isin(t.loc[named & (t["source"] != "unii_of"), "ingredient"])
        k = t.loc[named | marketed, "key"].drop_duplicates()
        return k[k.str.fullmatch(r"[A-Z][A-Z \-]+")].reset_index(drop=True)

    @cached_property
    def by_first_letter(self) -> dict[str, np.ndarray]:
        """:attr:`suggestable` keys grouped by first letter (object arrays)."""
        k = self.suggestable
        return {f: g.to_numpy(dtype=object) for f, g in k.groupby(k.str[0])}


@lru_cache(maxsize=1)
def shipped() -> Lookup:
    """The shipped lookup table (curated CSV over the built dictionary), ``LOOKUP_COLUMNS``."""
    with _data("dictionary", "names.parquet").open("rb") as fh:
        built = pd.read_parquet(fh)
    with _data("drug_synonyms.csv").open("r", encoding="utf-8") as fh:
        cur = pd.read_csv(fh, dtype=str, comment="#").dropna(subset=["name", "ingredient"])
    cur = pd.DataFrame({"key": keys_of(cur["name"]), "ingredient": keys_of(cur["ingredient"], salts=True),
                        "name_type": "curated", "source": "curated"})
    built = built[~built["key"].isin(cur["key"])]
    out = pd.concat([cur, built], ignore_index=True)
    out["origin"] = "dictionary"
    return Lookup(out[LOOKUP_COLUMNS].astype("string"))


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
    return Lookup(pd.concat([u[LOOKUP_COLUMNS], t[~t["key"].isin(u["key"])]], ignore_index=True).astype("string"))
