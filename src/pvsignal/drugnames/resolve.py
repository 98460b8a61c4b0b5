"""Free-text drug names → ingredients, vectorised over the distinct names.

Order of evidence for one name (the first step that finds it wins):

1. the parenthesised or bracketed text, where FAERS coders write the ingredient
   ("MOPRAL(OMEPRAZOLE)" → OMEPRAZOLE, "AERIUS [EBASTINE]" → EBASTINE), as cleaned and
   without salt words;
2. the cleaned key (:mod:`pvsignal.drugnames.clean`), then the key without salt words;
3. a combination written in one name ("HYDROCODONE/APAP", "A + B", "A AND B"): every
   part must be found (steps 1) and the name maps to all their ingredients;
4. the key with one, two or three trailing words dropped ("ENBREL SURECLICK" → ENBREL),
   never below 4 characters;
5. fuzzy (``fuzzy=True``): a near-miss spelling at Levenshtein distance ≤ 1 (keys of 8–11
   characters) or ≤ 2 (≥ 12 characters) from a marketed brand, an official name or a
   marketed ingredient, only with the *same first letter*, and only if every closest key
   names the same ingredient(s) (shorter keys are never guessed: on short foreign brands
   a guess is wrong about as often as right);
6. else ``unmapped``: the salt-stripped key itself is the ingredient (kept and counted,
   never NULL; a Japanese name stays itself).

Lookups are hash joins of the distinct names' candidate keys against the lookup table
(:func:`pvsignal.drugnames.dictionary.lookup_table`); the fuzzy step compares only the
names still unresolved, blocked by first letter and length (rapidfuzz).
``ingredient_source`` is ``user`` (a user file), ``dictionary``, ``fuzzy`` or ``unmapped``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvsignal.drugnames.clean import SALTS, clean_keys, split_parts, strip_salts
from pvsignal.drugnames.dictionary import Lookup

RESULT_COLUMNS = ["name", "ingredient", "ingredient_source"]
#: Levenshtein distance allowed by key length: (shortest length, distance)
FUZZY_LIMITS = ((8, 1), (12, 2))
MIN_PREFIX = 4


def _series(a, index) -> pd.Series:
    return pd.Series(a.to_numpy(zero_copy_only=False), index=index, dtype="string")


def _find(cands: pd.DataFrame, lookup: Lookup) -> pd.DataFrame:
    """``cands`` rows (any columns + ``cand``) joined to their lookup rows."""
    cands = cands.reset_index(drop=True)
    f = lookup.find(cands["cand"])
    return pd.concat([cands.iloc[f["at"].to_numpy()].reset_index(drop=True), f[["key", "ingredient", "origin"]]], axis=1)


def _lookup_hits(cands: pd.DataFrame, lookup: Lookup) -> pd.DataFrame:
    """Rows of ``cands`` (i, cand, prio) found in ``lookup``; per ``i`` only its best ``prio``."""
    hits = _find(cands, lookup)
    if hits.empty:
        return hits
    best = hits.groupby("i")["prio"].transform("min")
    return hits[hits["prio"] == best]


def _combinations(todo: pd.DataFrame, lookup: Lookup, salts) -> pd.DataFrame:
    """Names of ≥ 2 parts whose every part is a known name: one row per ingredient."""
    parts = split_parts(todo["body"].to_numpy(dtype=object))
    sizes = np.diff(parts.offsets.to_numpy())
    flat = parts.flatten()
    p = pd.DataFrame({"i": np.repeat(todo["i"].to_numpy(), sizes),
                      "n": np.repeat(sizes, sizes), "part": np.arange(len(flat))})
    p = p[p["n"] >= 2]
    if p.empty:
        return p
    raw = _series(flat, range(len(flat)))
    c = pd.concat([p.assign(cand=raw.iloc[p["part"]].to_numpy(), prio=0),
                   p.assign(cand=_series(strip_salts(flat, salts or ()), range(len(flat))).iloc[p["part"]].to_numpy(),
                            prio=1)])
    c = c[c["cand"].str.len() > 0]
    hits = _find(c, lookup)
    hits = hits[hits["prio"] == hits.groupby(["i", "part"])["prio"].transform("min")]
    found = hits.groupby("i")["part"].nunique()
    whole = p.groupby("i")["n"].first()
    ok = found.index[found.to_numpy() == whole.reindex(found.index).to_numpy()]
    return hits[hits["i"].isin(ok)]


def _fuzzy(todo: pd.DataFrame, lookup: Lookup) -> pd.DataFrame:
    """Near-miss spellings (module doc, step 5): rows i, ingredient, origin."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    q = todo[(todo["stem"].str.len() >= FUZZY_LIMITS[0][0]) & todo["stem"].str.fullmatch(r"[A-Z][A-Z \-]+")]
    if q.empty:
        return pd.DataFrame(columns=["i", "ingredient", "origin"])
    by_first = lookup.by_first_letter
    out = []
    for first, grp in q.groupby(q["stem"].str[0]):
        choices = by_first.get(first)
        if choices is None:
            continue
        lens = np.fromiter((len(c) for c in choices), int, len(choices))
        stems = grp["stem"].to_numpy(dtype=object)
        for start in range(0, len(stems), 256):  # bounded memory: 256 × |choices| distances
            chunk = stems[start:start + 256]
            d = cdist(chunk, choices, scorer=Levenshtein.distance, score_cutoff=FUZZY_LIMITS[-1][1],
                      dtype=np.int16, workers=1)
            for r, s in enumerate(chunk):
                limit = max(lim for ln, lim in FUZZY_LIMITS if len(s) >= ln)
                row = d[r]
                best = row.min()
                if best == 0 or best > limit:
                    continue
                near = choices[(row == best) & (np.abs(lens - len(s)) <= limit)]
                if len(near):
                    out.append(pd.DataFrame({"i": grp["i"].iat[start + r], "key": near}))
    if not out:
        return pd.DataFrame(columns=["i", "ingredient", "origin"])
    m = _find(pd.concat(out).rename(columns={"key": "cand"}), lookup)
    sets = m.groupby(["i", "key"])["ingredient"].agg(lambda s: "|".join(sorted(set(s))))
    unique = sets.groupby(level="i").nunique()
    m = m[m["i"].isin(unique.index[unique == 1])].drop_duplicates(["i", "ingredient"])
    return m.assign(origin="fuzzy")[["i", "ingredient", "origin"]]


def resolve_names(names, lookup: Lookup, *, salts: tuple[str, ...] | None = SALTS,
                  fuzzy: bool = True) -> pd.DataFrame:
    """Ingredient rows for the distinct non-empty ``names`` (see the module doc).

    Returns ``name, ingredient, ingredient_source`` with one row per ingredient; every
    non-empty name has at least one row. ``salts=None`` keeps salt words on unmapped names.
    """
    s = pd.Series(pd.unique(pd.Series(names, dtype="string").dropna()), dtype="string")
    s = s[s.str.strip().str.len() > 0].reset_index(drop=True)
    if s.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS).astype("string")
    k = clean_keys(s.to_numpy(dtype=object))
    idx = s.index
    key, paren = _series(k["key"], idx), _series(k["paren"], idx)
    sk = (lambda a: _series(strip_salts(a, salts), idx)) if salts else (lambda a: _series(a, idx))
    stem, paren_stem = sk(k["key"]), sk(k["paren"])
    i = pd.Series(idx, index=idx)
    cands = [pd.DataFrame({"i": i, "cand": c, "prio": p}) for p, c in enumerate((paren, paren_stem, key, stem))]
    words = stem.str.count(" ")
    for drop in (1, 2, 3):
        pre = stem[words >= drop].str.rsplit(" ", n=drop).str[0]
        pre = pre[pre.str.len() >= MIN_PREFIX]
        cands.append(pd.DataFrame({"i": pre.index, "cand": pre, "prio": 10 + drop}))
    c = pd.concat(cands, ignore_index=True)
    c = c[c["cand"].str.len() > 0]
    hits = _lookup_hits(c, lookup)
    # a combination (step 3) comes before a shortened name (step 4)
    direct = hits[hits["prio"] < 10]
    todo = pd.DataFrame({"i": idx, "body": _series(k["body"], idx), "stem": stem})
    todo = todo[~todo["i"].isin(direct["i"])]
    combo = _combinations(todo, lookup, salts) if not todo.empty else todo
    hits = pd.concat([direct, combo, hits[(hits["prio"] >= 10) & ~hits["i"].isin(direct["i"])
                                          & ~hits["i"].isin(combo["i"] if len(combo) else [])]])
    found = hits[["i", "ingredient", "origin"]]
    if fuzzy:
        rest = todo[~todo["i"].isin(found["i"])]
        if not rest.empty:
            found = pd.concat([found, _fuzzy(rest, lookup)])
    missing = idx[~idx.isin(found["i"])]
    un = pd.DataFrame({"i": missing, "ingredient": stem.iloc[missing].to_numpy(), "origin": "unmapped"})
    out = pd.concat([found, un]).drop_duplicates(["i", "ingredient"])
    return pd.DataFrame({"name": s.iloc[out["i"].to_numpy()].to_numpy(), "ingredient": out["ingredient"].to_numpy(),
                         "ingredient_source": out["origin"].to_numpy()}).astype("string")


def harmonise(ingredients, lookup: Lookup, *, salts: tuple[str, ...] | None = SALTS) -> pd.Series:
    """Ingredient names (e.g. FAERS ``prod_ai`` parts) in the dictionary's spelling: cleaned,
    salt-stripped, then renamed where the dictionary maps the name to exactly one ingredient
    (PARACETAMOL → ACETAMINOPHEN, RIFAMPICIN → RIFAMPIN). Aligned with the input."""
    s = pd.Series(ingredients, dtype="string")
    k = clean_keys(s.to_numpy(dtype=object))["key"]
    own = _series(strip_salts(k, salts) if salts else k, s.index)
    return pd.Series(lookup.single_of(own).fillna(own).to_numpy(), index=s.index, dtype="string")


def ingredient_rows(pairs: pd.DataFrame, lookup: Lookup, *, salts: tuple[str, ...] | None = SALTS,
                    fuzzy: bool = True) -> pd.DataFrame:
    """Ingredient rows for distinct ``(drugname, prod_ai)`` pairs (FAERS DRUG rows).

    ``prod_ai`` (FAERS 2014Q3+), split on ``\\`` and :func:`harmonise`-d, wins
    (``ingredient_source`` ``prod_ai``); a row without it gets :func:`resolve_names` of its
    ``drugname`` (legacy AERS rows, and FAERS rows FDA left uncoded). Returns ``drugname,
    prod_ai, ingredient, ingredient_source``, one row per ingredient; a pair with neither
    field gives no row (the prepared views call it ``missing``).
    """
    d = pairs[["drugname", "prod_ai"]].astype("string").drop_duplicates().reset_index(drop=True)
    has_ai = d["prod_ai"].fillna("").str.strip().str.len() > 0
    ai = d[has_ai].assign(part=d.loc[has_ai, "prod_ai"].str.split("\\", regex=False)).explode("part")
    ai = ai[ai["part"].fillna("").str.strip().str.len() > 0]
    ai = ai.assign(ingredient=harmonise(ai["part"].to_numpy(dtype=object), lookup, salts=salts).to_numpy(),
                   ingredient_source="prod_ai")
    by_name = d[~has_ai]
    r = resolve_names(by_name["drugname"], lookup, salts=salts, fuzzy=fuzzy)
    named = by_name.merge(r, left_on="drugname", right_on="name")
    cols = ["drugname", "prod_ai", "ingredient", "ingredient_source"]
    out = pd.concat([ai[cols], named[cols]], ignore_index=True)
    return out.drop_duplicates(["drugname", "prod_ai", "ingredient"]).astype("string").reset_index(drop=True)
