"""Turn a quarter's batch into the text columns of each FAERS/AERS file (pyarrow, vectorised).

Columns are built whole with pyarrow compute (``take`` on small string dictionaries,
integer casts, element-wise joins), in the header order of the quarter's layout
(:mod:`pvsignal.synth.layouts`). Legacy AERS values are upper case, FAERS PTs and some
drug names mixed case; legacy countries are full names, FAERS 2-letter codes
(FACTS.md §1.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import pvsignal.synth.vocab as vocab
from pvsignal.synth.batch import Batch, any_per_report
from pvsignal.synth.draw import N_VARIANT, OUTC_CODES, RPSR_CODES, ROLE_CODES
from pvsignal.synth.layouts import Layout

STR = pa.string()


def _title(s: str) -> str:
    return s[:1].upper() + s[1:].lower()


def _variants(ing: vocab.Ingredient) -> list[str]:
    brand = ing.brand or ing.name
    salted = f"{ing.name} {ing.salt}" if ing.salt else ing.name
    return [ing.name, brand, _title(ing.name), salted, f"{ing.name} {ing.strength_form}",
            f"{ing.name}.", f"{brand} ({ing.name})", _title(brand)]


def _dose_parts(ing: vocab.Ingredient) -> tuple[str, str, str]:
    m = re.match(r"([\d.]+)([A-Z%]+)", ing.strength_form)
    amt, unit = (m.group(1), m.group(2)) if m else ("1", "DF")
    return amt, unit, ing.strength_form.split(" ", 1)[-1]


def _drug_names(ings) -> list[str]:
    return [v for ing in ings for v in _variants(ing)]


def _prod_ai(ings) -> list[str]:
    return [f"{i.name} {i.salt}" if i.salt else i.name for i in ings]


def _dose_vbm(dose) -> list[str]:
    return [s for a, u, _ in dose for s in ("", f"{a} {u}, ONCE A DAY", "UNK", f"{a} {u} ({a} {u},1 IN 1 D)")]


def _nda(k: int) -> list[str]:
    return [f"{(20000 + 137 * i) % 220000:06d}" for i in range(k)]


DRUGNAMES_FAERS = _drug_names(vocab.INGREDIENTS)
DRUGNAMES_LEGACY = [v.upper() for v in DRUGNAMES_FAERS]
PROD_AI = _prod_ai(vocab.INGREDIENTS)
_DOSE = [_dose_parts(i) for i in vocab.INGREDIENTS]
_LIT = [
    f"{a} {b}, {c} {d}. {t}. {j}. {2000 + k % 25};{k % 60 + 1}({k % 12 + 1}):{100 + 7 * k}-{104 + 7 * k}"
    for k, (a, b, c, d, t, j) in enumerate(
        (a, b, c, d, t, j)
        for a in ("SMITH", "TANAKA", "MULLER", "ROSSI", "GARCIA")
        for b in ("J", "AK")
        for c in ("LEE", "DUBOIS", "KOWALSKI")
        for d in ("M", "PR")
        for t in ("A CASE REPORT", "ADVERSE DRUG REACTION IN A PATIENT ON MULTIPLE THERAPIES")
        for j in ("J CLIN PHARMACOL", "BR J CLIN PHARMACOL")
    )
]
_AUTH = [f"{cc}-{ag}-{100000 + 7919 * k}" for k, (cc, ag) in enumerate(
    [("GB", "MHRA-ADR"), ("CA", "HC-ADR"), ("EU", "EC"), ("JP", "PMDA")] * 50)]


def _default_route(ing: vocab.Ingredient) -> int:
    form = ing.strength_form
    if "INJECTION" in form:
        return 1 if "ML" in form else 2  # Subcutaneous / Intravenous
    if "PATCH" in form:
        return 6
    if "INHALER" in form:
        return 7
    if "GEL" in form or "DROPS" in form:
        return 5
    return 0



@dataclass(frozen=True)
class Text:
    """Per-code text of the drugs and PTs a corpus uses: the head vocabulary, plus the
    long tail when there is one (:mod:`pvsignal.synth.tail`; tail codes follow the head's)."""

    drugnames_faers: pa.Array  #: ingredient·8 + variant
    drugnames_legacy: pa.Array
    prod_ai: pa.Array
    dose_vbm: pa.Array  #: ingredient·4 + dose kind
    dose_amt: pa.Array
    dose_unit: pa.Array
    dose_form: pa.Array
    nda: pa.Array
    default_route: np.ndarray
    pts_faers: pa.Array
    pts_legacy: pa.Array


def make_text(extra_ingredients=(), extra_pts=()) -> Text:
    """The text tables of the head vocabulary followed by ``extra_ingredients`` and ``extra_pts``."""
    ings = [*vocab.INGREDIENTS, *extra_ingredients]
    dose = [*_DOSE, *(_dose_parts(i) for i in extra_ingredients)]
    names = [*DRUGNAMES_FAERS, *_drug_names(extra_ingredients)]
    pts = [*vocab.PTS, *extra_pts]

    def arr(x):
        return pa.array(x, type=STR)

    return Text(
        drugnames_faers=arr(names), drugnames_legacy=arr([v.upper() for v in names]), prod_ai=arr(_prod_ai(ings)),
        dose_vbm=arr(_dose_vbm(dose)), dose_amt=arr([a for a, _, _ in dose]), dose_unit=arr([u for _, u, _ in dose]),
        dose_form=arr([f for _, _, f in dose]), nda=arr(_nda(len(ings))),
        default_route=np.array([_default_route(i) for i in ings], dtype=np.int8),
        pts_faers=arr(pts), pts_legacy=arr([p.upper() for p in pts]),
    )


HEAD_TEXT = make_text()


def _dict(strings: list[str] | pa.Array, idx) -> pa.Array:
    arr = strings if isinstance(strings, pa.Array) else pa.array(strings, type=STR)
    return arr.take(pa.array(np.asarray(idx, dtype=np.int64)))


def _ints(x, empty=None) -> pa.Array:
    s = pc.cast(pa.array(np.asarray(x, dtype=np.int64)), STR)
    return s if empty is None else pc.if_else(pa.array(np.asarray(empty, dtype=bool)), "", s)


def _blank(n: int) -> pa.Array:
    return pa.nulls(n, STR).fill_null("")


def _where(mask, a: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), a, "")


def dates(days, prec) -> pa.Array:
    """YYYYMMDD / YYYYMM / YYYY / '' by precision 3 / 2 / 1 / 0 (FACTS.md §1.3)."""
    d = np.asarray(days, dtype="datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    prec = np.asarray(prec)
    v = np.where(prec == 3, y * 10000 + mo * 100 + dd, np.where(prec == 2, y * 100 + mo, y))
    return _ints(v, empty=prec == 0)


def _floats(x) -> pa.Array:
    x = np.asarray(x, dtype=float)
    return pc.if_else(pa.array(np.isnan(x)), "", pc.cast(pa.array(np.nan_to_num(x)), STR))


@dataclass
class Ids:
    """Identifiers of a quarter's reports: primaryid (FAERS) or ISR (legacy)."""

    primaryid: np.ndarray
    drug_seq: np.ndarray | None = None  # legacy global DRUG_SEQ per drug row


def faers_primaryid(caseid: np.ndarray, version: np.ndarray) -> np.ndarray:
    """``caseid ∥ caseversion`` as an integer (FACTS.md §1.2: 30781401 = case 3078140 v1)."""
    digits = np.floor(np.log10(np.maximum(version, 1))).astype(np.int64) + 1
    return caseid * 10 ** digits + version


def demo_columns(b: Batch, lay: Layout, ids: Ids) -> dict[str, pa.Array]:
    d = b.demo
    n = b.n
    legacy = lay.legacy
    direct = d["rept_cod"] == 2
    country = (lambda i: _dict([c[1] if legacy else c[0] for c in vocab.COUNTRIES], i))
    cc = _dict([c[0] for c in vocab.COUNTRIES], d["country"])
    year = (np.asarray(d["init_fda_day"], dtype="datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970)
    token = _dict([c[1] for c in vocab.COMPANIES], d["company"])
    mfr_num = pc.binary_join_element_wise(cc, token, _ints(year * 1_000_000 + d["serial"]), "-")
    age_years = d["age"] * np.array([1, 10, 1 / 12, 1 / 52, 1 / 365])[d["age_cod"]]
    grp = np.searchsorted([28 / 365, 2, 12, 18, 65], age_years, side="right")
    occp = d["occp"].copy()
    if lay.quarter < "2019Q1":
        occp[occp == 5] = 2  # 'HP' appears only in recent quarters
    wt = np.where(d["wt_lbs"], np.round(d["wt"] * 2.2046), d["wt"])
    misc = d["misc"]
    cols = {
        "event_dt": dates(d["event_day"], d["event_prec"]),
        "mfr_dt": _where(~direct, dates(d["mfr_day"], np.full(n, 3))),
        "fda_dt": dates(d["fda_day"], np.full(n, 3)),
        "rept_cod": _dict(["EXP", "PER", "DIR", "30DAY", "5DAY"], d["rept_cod"]),
        "mfr_num": _where(~direct, mfr_num),
        "mfr_sndr": _where(~direct, _dict([c[0] for c in vocab.COMPANIES], d["company"])),
        "age": _where(~np.isnan(d["age"]), _ints(np.nan_to_num(d["age"]))),
        "age_cod": _where(~np.isnan(d["age"]), _dict(["YR", "DEC", "MON", "WK", "DY"], d["age_cod"])),
        "e_sub": _dict(["N", "Y"], d["e_sub"]),
        "wt": _floats(wt),
        "wt_cod": _where(~np.isnan(wt), _dict(["KG", "LBS"], d["wt_lbs"].astype(np.int8))),
        "rept_dt": dates(d["rept_day"], np.where(d["rept_day"] < 0, 0, 3)),
        "occp_cod": _dict(["MD", "PH", "OT", "LW", "CN", "HP", ""], occp),
        "to_mfr": _where(direct, _dict(["N", "Y"], (misc % 2).astype(np.int8))),
    }
    sex = _dict(["F", "M", "UNK", ""], d["sex"])
    if legacy:
        outc = b.rows["outc"]
        dead = any_per_report(b, "outc", outc["code"] == OUTC_CODES.index("DE")) & (misc % 2 == 0)
        cols.update(
            isr=_ints(ids.primaryid), case=_ints(d["caseid"]),
            i_f_cod=_dict(["I", "F"], d["i_f"].astype(np.int8)), foll_seq=_blank(n),
            image=pc.binary_join_element_wise(_ints(ids.primaryid), _ints(ids.primaryid % 7), "-"),
            gndr_cod=sex, death_dt=dates(d["event_day"], np.where(dead, 3, 0)),
            confid=_dict([""] * 10 + ["N"] * 9 + ["Y"], misc % 20),
            reporter_country=_where(~d["country_blank"], country(d["country"])),
        )
    else:
        cols.update(
            primaryid=_ints(ids.primaryid), caseid=_ints(d["caseid"]), caseversion=_ints(d["version"]),
            i_f_code=_dict(["I", "F"], d["i_f"].astype(np.int8)),
            init_fda_dt=dates(d["init_fda_day"], np.full(n, 3)),
            auth_num=_where((misc // 100) % 100 < 3, _dict(_AUTH, (misc // 7) % len(_AUTH))),
            lit_ref=_where((misc // 10_000) % 100 < 2, _dict(_LIT, misc % len(_LIT))),
            age_grp=_where(d["age_grp_shown"] & ~np.isnan(age_years), _dict(list("NICTAE"), np.minimum(grp, 5))),
            sex=sex, gndr_cod=sex,
            reporter_country=_where(~d["country_blank"], country(d["country"])),
            occr_country=country(d["occr_country"]),
        )
    return cols


def drug_columns(b: Batch, lay: Layout, ids: Ids, text: Text = HEAD_TEXT) -> dict[str, pa.Array]:
    r = b.rows["drug"]
    m = len(r["rep"])
    ing, misc = r["ing"].astype(np.int64), r["misc"]
    names = text.drugnames_legacy if lay.legacy else text.drugnames_faers
    routes = vocab.ROUTES_LEGACY if lay.legacy else vocab.ROUTES_FAERS
    struct = (misc // 10_000) % 100
    cols = {
        "role_cod": _dict(list(ROLE_CODES), r["role"]),
        "drugname": _dict(names, ing * N_VARIANT + r["variant"]),
        "val_vbm": _dict(["1", "2"], r["val_vbm"]),
        # route draw 0 ('Oral', 45 %) stands for the ingredient's usual route
        "route": _dict(list(routes), np.where(r["route"] == 0, text.default_route[ing], r["route"])),
        "dose_vbm": _dict(text.dose_vbm, ing * 4 + r["dose_kind"]),
        "dechal": _dict(["Y", "N", "U", "D", ""], r["dechal"]),
        "rechal": _dict(["Y", "N", "U", "D", ""], r["rechal"]),
        "lot_num": _where(misc % 100 < 8, pc.binary_join_element_wise("L", _ints(misc), "")),
        "exp_dt": _blank(m),
        "nda_num": _where((misc // 100) % 100 < 45, _dict(text.nda, ing)),
    }
    if lay.legacy:
        cols.update(isr=_ints(ids.primaryid[r["rep"]]), drug_seq=_ints(ids.drug_seq))
        return cols
    cols.update(
        primaryid=_ints(ids.primaryid[r["rep"]]), caseid=_ints(b.demo["caseid"][r["rep"]]),
        drug_seq=_ints(r["pos"]),
        prod_ai=_where(r["prod_ai"], _dict(text.prod_ai, ing)),
        cum_dose_chr=_where(misc % 97 < 3, _ints(misc % 5000 + 1)),
        cum_dose_unit=_where(misc % 97 < 3, _dict(["MG"], np.zeros(m, dtype=np.int64))),
        dose_amt=_where(struct < 40, _dict(text.dose_amt, ing)),
        dose_unit=_where(struct < 40, _dict(text.dose_unit, ing)),
        dose_form=_where(struct < 50, _dict(text.dose_form, ing)),
        dose_freq=_dict(list(vocab.FREQS), r["freq"]),
    )
    cols["lot_nbr"] = cols["lot_num"]
    return cols


def _key(b: Batch, table: str, lay: Layout, ids: Ids) -> dict[str, pa.Array]:
    rep = b.rows[table]["rep"]
    if lay.legacy:
        return {"isr": _ints(ids.primaryid[rep])}
    return {"primaryid": _ints(ids.primaryid[rep]), "caseid": _ints(b.demo["caseid"][rep])}


def _drug_seq_of(b: Batch, table: str, lay: Layout, ids: Ids) -> pa.Array:
    r = b.rows[table]
    if not lay.legacy:
        return _ints(r["pos"])
    row = b.offsets("drug")[r["rep"]] + r["pos"] - 1
    return _ints(ids.drug_seq[row])


def child_columns(b: Batch, table: str, lay: Layout, ids: Ids, text: Text = HEAD_TEXT) -> dict[str, pa.Array]:
    r = b.rows[table]
    cols = _key(b, table, lay, ids)
    if table == "reac":
        pts = text.pts_legacy if lay.legacy else text.pts_faers
        cols.update(pt=_dict(pts, r["pt"]), drug_rec_act=_blank(len(r["rep"])))
    elif table == "outc":
        cols["outc_cod"] = cols["outc_code"] = _dict(list(OUTC_CODES), r["code"])
    elif table == "rpsr":
        cols["rpsr_cod"] = _dict(list(RPSR_CODES), r["code"])
    elif table == "ther":
        seq = _drug_seq_of(b, table, lay, ids)
        has_dur = r["dur"] >= 0
        cols.update(
            drug_seq=seq, dsg_drug_seq=seq,
            start_dt=dates(r["start_day"], r["start_prec"]), end_dt=dates(r["end_day"], r["end_prec"]),
            dur=_where(has_dur, _ints(np.maximum(r["dur"], 0))),
            dur_cod=_where(has_dur, _dict(["DAY", "WK", "MON", "YR"], r["dur_cod"])),
        )
    elif table == "indi":
        seq = _drug_seq_of(b, table, lay, ids)
        ind = [p.upper() for p in vocab.INDICATION_PTS] if lay.legacy else list(vocab.INDICATION_PTS)
        cols.update(drug_seq=seq, indi_drug_seq=seq, indi_pt=_dict(ind, r["ind"]))
    return cols


def table_columns(b: Batch, table: str, lay: Layout, ids: Ids, text: Text = HEAD_TEXT) -> list[pa.Array]:
    """The columns of ``table`` in the header order of ``lay``; ``text``: the drug and PT
    text tables (head vocabulary, or head and tail, :func:`make_text`)."""
    if table == "demo":
        cols = demo_columns(b, lay, ids)
    elif table == "drug":
        cols = drug_columns(b, lay, ids, text)
    else:
        cols = child_columns(b, table, lay, ids, text)
    return [cols[h.lower()] for h in lay.header(table)]
