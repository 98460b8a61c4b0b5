"""How well the shipped drug dictionary maps real FAERS drug names, and how fast (issue 15).

    python bench/bench_drug_dictionary.py SHARED/data/faers-samples [--json out.json]

* **agreement with prod_ai**: FAERS 2014Q3+ DRUG rows carry FDA's own active-ingredient
  coding ``prod_ai`` beside the free-text ``drugname``. For every row with a ``prod_ai``,
  the dictionary maps ``drugname`` alone (``prod_ai`` unseen) and the row agrees when the
  ingredient set equals the ``prod_ai`` set (``\\``-separated, both sides in the
  dictionary's spelling: salts stripped, INN → USAN). The share is over rows, so frequent
  names weigh by their frequency.
* **mapped share** of the legacy AERS rows (no ``prod_ai``), and unmapped shares by era.
* **speed**: 1 M drug rows (45 k distinct names: dictionary names, the same with a strength,
  unknown products) resolved, with and without the fuzzy step.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from pvsignal.drugnames.dictionary import metadata, shipped
from pvsignal.drugnames.resolve import harmonise, resolve_names

MAPPED = ("dictionary", "fuzzy", "user")


def read_drug(path: Path, member: str | None = None) -> pd.DataFrame:
    raw = zipfile.ZipFile(path).read(member) if member else path.read_bytes()
    return pd.read_csv(io.BytesIO(raw), sep="$", dtype=str, keep_default_na=False, quoting=3, encoding="latin-1")


def ingredient_sets(names: pd.Series, lookup) -> tuple[pd.Series, pd.Series]:
    """Per row: the ``|``-joined ingredient set of the name, and its ingredient_source."""
    r = resolve_names(names, lookup)
    sets = r.groupby("name")["ingredient"].agg(lambda s: "|".join(sorted(set(s))))
    src = r.groupby("name")["ingredient_source"].first()
    return names.map(sets), names.map(src)


def agreement(drug: pd.DataFrame, lookup) -> dict:
    d = drug[(drug["prod_ai"].str.strip() != "") & (drug["prod_ai"] != "NA")].reset_index(drop=True)
    got, src = ingredient_sets(d["drugname"], lookup)
    parts = d["prod_ai"].str.split("\\", regex=False).explode()
    want = pd.Series(harmonise(parts.to_numpy(dtype=object), lookup).to_numpy(), index=parts.index)
    want = want.groupby(level=0).agg(lambda s: "|".join(sorted(set(s))))
    ok = got == want
    return {"rows": len(d), "distinct_names": int(d["drugname"].nunique()), "agreement": round(float(ok.mean()), 4),
            "unmapped_share": round(float((src == "unmapped").mean()), 4),
            "by_source": {k: round(float(v), 4) for k, v in src.value_counts(normalize=True).items()},
            "agreement_if_mapped": round(float(ok[src != "unmapped"].mean()), 4)}


def legacy(drug: pd.DataFrame, lookup) -> dict:
    _, src = ingredient_sets(drug["drugname"], lookup)
    return {"rows": len(drug), "mapped_share": round(float(src.isin(MAPPED).mean()), 4),
            "unmapped_share": round(float((src == "unmapped").mean()), 4)}


def speed(lookup, n: int = 1_000_000) -> dict:
    rng = np.random.default_rng(0)
    known = lookup.suggestable.sample(20_000, random_state=0).to_numpy(dtype=object)
    noise = np.array([f"ZZQ{i} UNKNOWN PRODUCT" for i in range(5_000)], dtype=object)
    pool = np.concatenate([known, np.char.add(known.astype(str), " 10 MG").astype(object), noise])
    names = pool[rng.integers(0, len(pool), n)]
    out = {"rows": n}
    for fuzzy in (True, False):
        t = time.perf_counter()
        r = resolve_names(pd.unique(names), lookup, fuzzy=fuzzy)
        pd.Series(names).map(r.drop_duplicates("name").set_index("name")["ingredient"])
        out["seconds_fuzzy" if fuzzy else "seconds_no_fuzzy"] = round(time.perf_counter() - t, 2)
    out["distinct"] = int(len(pd.unique(names)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("samples", type=Path, help="the faers-samples folder")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    t = time.perf_counter()
    lookup = shipped()
    _ = lookup.by_first_letter
    load = round(time.perf_counter() - t, 2)
    s = a.samples
    q17 = read_drug(s / "faers_ascii_2017q2.zip", "ascii/DRUG17Q2.txt")
    q20 = read_drug(s / "faers_2020q3_head" / "ASCII" / "DRUG20Q3.txt")
    res = {
        "dictionary_built": metadata()["built"], "load_seconds": load, "load_average": os.getloadavg()[0],
        "faers_2017q2": agreement(q17, lookup), "faers_2020q3_head": agreement(q20, lookup),
        "faers_both": agreement(pd.concat([q17, q20], ignore_index=True), lookup),
        "aers_2004q1": legacy(read_drug(s / "aers_ascii_2004q1.zip", "ascii/DRUG04Q1.TXT"), lookup),
        "speed": speed(lookup),
    }
    text = json.dumps(res, indent=2)
    print(text)
    if a.json:
        a.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
