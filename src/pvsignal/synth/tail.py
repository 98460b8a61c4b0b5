"""Optional long tail of rare drugs and rare events (``Plan.tail_ingredients``, ``Plan.tail_pts``).

The head vocabulary (:mod:`~pvsignal.synth.vocab`: 233 ingredients, which the pipeline
sees as ~480 ingredient names since brands missing from its synonym table count apart, and
339 PTs) gives a 20 M-report corpus only ~163 000 distinct (suspect ingredient, PT) pairs;
real FAERS has about 2 million, most of them rare (about half reported once or twice).
The tail adds that long tail without touching the head machinery:

* **Vocabulary.** ``tail_ingredients`` synthetic ingredient names, INN-like but never
  real: two or three syllables, the first one starting with W, Y or J (as INNs almost
  never do, so the names are not real drug names), then a real INN stem (-TINIB,
  -PRIL, -OLOL, -VASTATIN, -ZUMAB …), e.g. ``YOBAFITINIB``; and ``tail_pts``
  MedDRA-style event names (``"Splenic fibrosis"``, ``"Chronic renal calcification"``,
  ``"Blood zinc decreased"``, ``"Klebsiella test positive"``), mixed case like the
  FAERS PTs. Both lists are unique, disjoint from the head (PTs compared without case),
  drawn from their own random streams of the seed, and in popularity order; the first
  ``k`` names do not depend on how many are asked for.
* **Reports.** Each new report gets, with probability ``tail_drug_rate``,
  ``1 + Poisson(tail_drug_extra)`` tail drug rows and, with probability
  ``tail_pt_rate``, ``1 + Poisson(tail_pt_extra)`` tail PT draws (duplicates within a
  report dropped), both from Zipf–Mandelbrot weights ``1/(rank + q)^s`` over the tail
  (``tail_drug_zipf``/``tail_drug_q``, ``tail_pt_zipf``/``tail_pt_q``). The first tail
  drug of a report is its primary suspect with probability ``tail_ps_share`` (drug_seq 1;
  the head PS becomes SS, so it stays a suspect; in a voclosporin report, whose PS is
  planted, the tail drug is SS instead);
  every other tail row is SS, C or I with weights ``TAIL_ROLE_W``. Tail drug rows have
  drugname and (78 %) prod_ai like head rows, no THER/INDI rows.
* **Independence.** Tail items are drawn after the background and the planted signals,
  independently of the report's content, from a stream of their own: every pair with a
  tail drug or a tail PT has λ = 1, the head's λ matrix and the planted signals keep
  their meaning (tail PTs never include Headache or Tremor; tail drugs are never
  voclosporin or an inhibitor). With both sizes 0 nothing is drawn and the corpus is
  byte-for-byte what it was before the tail existed.

Calibration (:func:`estimate_pairs`, a numpy simulation of the id draws that names drugs
as the pipeline does; checked against the lake's count table of a 200 000-report tail
corpus: tail pairs within 1 %, head pairs 4 % high as it ignores λ): :data:`FAERS_TAIL` with the Plan's default rates and shapes gives,
for the benchmark corpus (50 quarters × 400 000 reports, 2012Q3–2024Q4, seed 20261125),
about 2.0 million distinct (PS/SS ingredient, PT) pairs — 163 000 head × head (as
without the tail) and 1.83 million with a tail item — of which 51 % have one or two cases
(39 % one), for 0.26 more drug rows and 0.24 more PTs per case (head: 3.8 and 3.1). Every
tail item is rarer than the rarest head item of its kind (top tail PT in 0.2 % of the
cases, the rarest head PT in 0.27 %), and all 2 000 tail drugs and ~19 000 of the 20 000
tail PTs occur. Independent pairs cannot be both as many and as often reported as real
FAERS pairs (whose events cluster by drug): the tail carries fewer mentions than the
real one, and as many distinct pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pvsignal.synth import vocab
from pvsignal.synth.batch import Batch, add_rows, ranges
from pvsignal.synth.draw import _pick, drug_details, seq_in_group

#: Tail sizes used by ``bench/bench_pipeline.py --tail`` (rates and shapes: the Plan defaults).
FAERS_TAIL = {"tail_ingredients": 2000, "tail_pts": 20000}

#: roles of tail rows that are not the report's primary suspect: SS, C, I
TAIL_ROLE_W = np.array([0.40, 0.55, 0.05])
#: drug-name variants for tail rows (no brand: NAME, Name, NAME STRENGTH FORM, NAME.)
TAIL_VARIANT_W = np.array([0.60, 0.0, 0.15, 0.0, 0.20, 0.05, 0.0, 0.0])
#: most tail items a plan may ask for (codes stay within int16 beside the head)
MAX_TAIL_INGREDIENTS = 20_000
MAX_TAIL_PTS = 30_000

# --------------------------------------------------------------------------- names

_FIRST = [c + v for c in "WYJ" for v in "AEIOU" if c + v not in ("YI", "WU")]
_INNER = [c + v for c in "BCDFGLMNPRSTVXZ" for v in "AEIOU"]
#: real INN stems (WHO stem book) with a plausible strength and form
_STEMS = (
    ("TINIB", "100MG TABLET"), ("CITINIB", "5MG TABLET"), ("RAFENIB", "200MG TABLET"),
    ("CICLIB", "125MG CAPSULE"), ("PARIB", "150MG TABLET"), ("LISIB", "150MG TABLET"),
    ("DEGIB", "100MG CAPSULE"), ("ZOMIB", "3.5MG INJECTION"), ("ZUMAB", "100MG/ML INJECTION"),
    ("XIMAB", "100MG/10ML INJECTION"), ("LUMAB", "150MG/ML INJECTION"), ("TUZUMAB", "420MG INJECTION"),
    ("KINRA", "100MG/0.67ML INJECTION"), ("CEPT", "50MG/ML INJECTION"), ("GRASTIM", "300UG/ML INJECTION"),
    ("PRIL", "10MG TABLET"), ("SARTAN", "80MG TABLET"), ("OLOL", "50MG TABLET"), ("DIPINE", "5MG TABLET"),
    ("VASTATIN", "20MG TABLET"), ("GLIPTIN", "100MG TABLET"), ("GLIFLOZIN", "10MG TABLET"),
    ("GLUTIDE", "1MG/0.5ML INJECTION"), ("PRAZOLE", "20MG CAPSULE"), ("TIDINE", "20MG TABLET"),
    ("SETRON", "8MG TABLET"), ("FLOXACIN", "500MG TABLET"), ("CILLIN", "500MG CAPSULE"),
    ("CYCLINE", "100MG CAPSULE"), ("MYCIN", "250MG TABLET"), ("CONAZOLE", "100MG TABLET"),
    ("NIDAZOLE", "500MG TABLET"), ("CICLOVIR", "400MG TABLET"), ("TEGRAVIR", "50MG TABLET"),
    ("BUVIR", "400MG TABLET"), ("XABAN", "10MG TABLET"), ("GATRAN", "150MG CAPSULE"),
    ("PARIN", "40MG/0.4ML INJECTION"), ("GREL", "75MG TABLET"), ("AZEPAM", "1MG TABLET"),
    ("OXETINE", "20MG CAPSULE"), ("PERIDONE", "2MG TABLET"), ("APINE", "10MG TABLET"),
    ("TRIPTAN", "50MG TABLET"), ("DRONATE", "70MG TABLET"), ("LUKAST", "10MG TABLET"),
    ("TEROL", "50UG INHALER"), ("SONIDE", "200UG INHALER"), ("PLATIN", "50MG/50ML INJECTION"),
    ("TAXEL", "100MG/16.7ML INJECTION"), ("RUBICIN", "50MG INJECTION"), ("LIMUS", "1MG TABLET"),
    ("LUTAMIDE", "40MG CAPSULE"), ("SENTAN", "10MG TABLET"), ("FIBAN", "20MG/100ML INJECTION"),
    ("RELIX", "120MG TABLET"), ("CAINE", "20MG/ML INJECTION"),
)

_ORGANS = (
    "Hepatic", "Renal", "Cardiac", "Pulmonary", "Splenic", "Gastric", "Oesophageal", "Duodenal",
    "Jejunal", "Ileal", "Colonic", "Rectal", "Anal", "Vaginal", "Uterine", "Ovarian", "Testicular",
    "Prostatic", "Thyroid", "Adrenal", "Pituitary", "Pancreatic", "Biliary", "Bladder", "Ureteric",
    "Urethral", "Ocular", "Retinal", "Corneal", "Conjunctival", "Eyelid", "Lacrimal", "Nasal",
    "Sinus", "Laryngeal", "Pharyngeal", "Tracheal", "Bronchial", "Pleural", "Pericardial",
    "Myocardial", "Endocardial", "Aortic", "Arterial", "Venous", "Lymph node", "Cerebral",
    "Cerebellar", "Spinal cord", "Meningeal", "Nerve", "Skin", "Subcutaneous", "Muscle", "Tendon",
    "Joint", "Bone", "Cartilage", "Breast", "Salivary gland", "Tongue", "Gingival", "Tooth", "Lip",
    "Oral", "Ear", "Vulval", "Penile", "Scrotal", "Peritoneal", "Mediastinal", "Thymus",
    "Gallbladder", "Appendix", "Caecal", "Sigmoid colon", "Portal vein", "Carotid artery",
    "Coronary artery", "Mitral valve", "Tricuspid valve", "Aortic valve", "Optic nerve", "Vitreous",
    "Choroidal", "Scleral", "Iris", "Lens", "Nail", "Parathyroid", "Epididymal", "Cervical",
    "Fallopian tube", "Placental", "Intervertebral disc", "Synovial", "Bursal", "Hypothalamic",
)
_DISORDERS = (
    "atrophy", "cyst", "fibrosis", "haemorrhage", "hypertrophy", "infarction", "inflammation",
    "injury", "ischaemia", "lesion", "mass", "necrosis", "neoplasm", "neoplasm benign",
    "neoplasm malignant", "oedema", "pain", "perforation", "polyp", "stenosis", "calcification",
    "abscess", "ulcer", "disorder", "dysfunction", "hyperplasia", "infection", "thrombosis",
    "rupture", "fistula", "adhesion", "carcinoma", "haematoma", "discomfort", "swelling",
    "enlargement", "degeneration", "dysplasia", "obstruction", "prolapse", "congestion", "erosion",
    "granuloma", "compression", "malformation", "irritation", "toxicity", "failure", "insufficiency",
    "hypoplasia", "anomaly", "haemangioma", "sarcoma", "metaplasia", "scar", "spasm", "torsion",
    "vasculitis", "embolism", "aneurysm",
)
_QUALIFIERS = ("Acute", "Chronic", "Congenital", "Post procedural", "Traumatic", "Recurrent", "Neonatal",
               "Primary", "Secondary", "Idiopathic")
_ANALYTES = (
    "Blood albumin", "Blood alkaline phosphatase", "Blood bilirubin", "Blood calcium", "Blood chloride",
    "Blood cholesterol", "Blood cortisol", "Blood iron", "Blood lactic acid", "Blood magnesium",
    "Blood phosphorus", "Blood potassium", "Blood sodium", "Blood triglycerides", "Blood urea",
    "Blood uric acid", "Blood zinc", "Blood copper", "Blood bicarbonate", "Blood ketone body",
    "Blood thyroid stimulating hormone", "Blood testosterone", "Blood prolactin", "Blood insulin",
    "Blood parathyroid hormone", "Blood fibrinogen", "Blood immunoglobulin G", "Blood immunoglobulin E",
    "Serum ferritin", "Haematocrit", "Red blood cell count", "Reticulocyte count", "Eosinophil count",
    "Lymphocyte count", "Monocyte count", "Basophil count", "Prothrombin time",
    "Activated partial thromboplastin time", "Fibrin D dimer", "C-reactive protein", "Troponin",
    "Brain natriuretic peptide", "Amylase", "Lipase", "Gamma-glutamyltransferase",
    "Lactate dehydrogenase", "Ammonia", "Thyroxine free", "Tri-iodothyronine free",
    "Glycosylated haemoglobin", "Vitamin D", "Vitamin B12", "Folate", "Complement factor C3",
    "Antinuclear antibody", "CD4 lymphocytes", "Viral load", "Protein urine", "Albumin urine",
    "Urine osmolality", "Heart rate", "Blood pressure systolic", "Blood pressure diastolic",
    "Respiratory rate", "Oxygen saturation", "Body temperature", "Ejection fraction",
    "Intraocular pressure", "Bone density", "Electrocardiogram PR", "Electrocardiogram QRS complex",
    "Procalcitonin", "Carcinoembryonic antigen", "Prostatic specific antigen", "Cystatin C",
    "Haptoglobin", "Mean cell volume", "Neutrophil percentage", "Transferrin saturation",
    "Creatinine renal clearance", "Anion gap", "Osmolar gap", "Interleukin level", "Ceruloplasmin",
)
_LAB_SUFFIX = ("increased", "decreased", "abnormal")
_ORGANISMS = (
    "Staphylococcal", "Streptococcal", "Pseudomonas", "Escherichia", "Klebsiella", "Enterococcal",
    "Clostridium difficile", "Candida", "Aspergillus", "Cryptococcal", "Pneumocystis jirovecii",
    "Herpes virus", "Varicella zoster virus", "Epstein-Barr virus", "Adenovirus", "Rotavirus",
    "Norovirus", "Influenza A virus", "Respiratory syncytial virus", "Hepatitis B virus",
    "Hepatitis C virus", "Mycobacterium avium complex", "Listeria", "Salmonella", "Campylobacter",
    "Legionella", "Mycoplasma", "Chlamydial", "Gonococcal", "Toxoplasma", "Nocardia", "Acinetobacter",
    "Serratia", "Enterobacter", "Proteus", "Bacteroides", "Helicobacter", "Moraxella", "Haemophilus",
    "Fusarium", "Mucor", "Parvovirus B19", "JC virus", "Human metapneumovirus", "Coxsackie virus",
)
_ORGANISM_SUFFIX = ("infection", "test positive", "sepsis", "bacteraemia", "skin infection",
                    "urinary tract infection", "pneumonia")


def _pt_candidates() -> tuple[list[str], list[str]]:
    """MedDRA-style tail PT candidates in a fixed order: plain names (organ + disorder, lab
    test + direction, organism + infection) and qualified ones (``"Chronic renal fibrosis"``)."""
    plain = [f"{o} {d}" for o in _ORGANS for d in _DISORDERS]
    plain += [f"{a} {s}" for a in _ANALYTES for s in _LAB_SUFFIX]
    plain += [f"{g} {s}" for g in _ORGANISMS for s in _ORGANISM_SUFFIX]
    qualified = [f"{q} {o.lower()} {d}" for q in _QUALIFIERS for o in _ORGANS for d in _DISORDERS]
    return plain, qualified


def tail_pt_names(ss: np.random.SeedSequence, k: int) -> tuple[str, ...]:
    """``k`` tail PT names in popularity order, unique and disjoint from the head (ignoring case).

    The plain candidates in a seeded random order, then the qualified ones (so the more
    frequent tail PTs read simplest); the first ``k`` do not depend on ``k``.
    """
    if k <= 0:
        return ()
    rng = np.random.default_rng(ss)
    plain, qualified = _pt_candidates()
    cand = [plain[i] for i in rng.permutation(len(plain))] + [qualified[i] for i in rng.permutation(len(qualified))]
    taken = {p.upper() for p in vocab.PTS}
    out: list[str] = []
    for name in cand:
        if name.upper() in taken:
            continue
        taken.add(name.upper())
        out.append(name)
        if len(out) == k:
            break
    if len(out) < k:
        raise ValueError(f"only {len(out)} tail PT names available, {k} asked")
    return tuple(out)


def _head_strings() -> set[str]:
    from pvsignal.synth.format import DRUGNAMES_LEGACY, PROD_AI

    words = {w for s in [*DRUGNAMES_LEGACY, *PROD_AI] for w in s.replace("\\", " ").replace("(", " ").split()}
    return set(DRUGNAMES_LEGACY) | set(PROD_AI) | words


def tail_ingredient_names(ss: np.random.SeedSequence, k: int) -> tuple[vocab.Ingredient, ...]:
    """``k`` synthetic tail ingredients in popularity order (upper case, one word, unique).

    Name = a W/Y/J syllable, one or two consonant–vowel syllables and a real INN stem (a
    vowel-initial stem absorbs the last vowel before it). Never a head name, brand or word
    of one. The first ``k`` do not depend on ``k``.
    """
    rng = np.random.default_rng(ss)
    taken = _head_strings()
    out: list[vocab.Ingredient] = []
    while len(out) < k:
        m = 4096
        first = rng.integers(0, len(_FIRST), m)
        n_inner = 1 + (rng.random(m) < 0.5)
        inner = rng.integers(0, len(_INNER), (m, 2))
        stem = rng.integers(0, len(_STEMS), m)
        for i in range(m):
            prefix = _FIRST[first[i]] + "".join(_INNER[j] for j in inner[i, : n_inner[i]])
            s, form = _STEMS[stem[i]]
            name = (prefix[:-1] if s[0] in "AEIOU" else prefix) + s
            if name in taken:
                continue
            taken.add(name)
            out.append(vocab.Ingredient(name, "", "", form, "Product used for unknown indication"))
            if len(out) == k:
                break
    return tuple(out)


# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Tail:
    """The tail vocabulary of one corpus and its Zipf weights; codes follow the head's."""

    ingredients: tuple[vocab.Ingredient, ...]
    pts: tuple[str, ...]
    drug_w: np.ndarray
    pt_w: np.ndarray
    pt_alpha: np.ndarray  #: code (head and tail PTs) → alphabetical rank over all PTs

    @property
    def ing0(self) -> int:
        """Code of the first tail ingredient (head codes come first)."""
        return len(vocab.INGREDIENTS)

    @property
    def pt0(self) -> int:
        return len(vocab.PTS)


def tail_streams(seed: int) -> tuple[np.random.SeedSequence, np.random.SeedSequence, np.random.SeedSequence]:
    """(ingredient names, PT names, report draws): children of the seed's second spawned stream
    (the first one draws λ), so the report stream and λ never depend on the tail."""
    parent = np.random.SeedSequence(seed).spawn(2)[1]
    a, b, c = parent.spawn(3)
    return a, b, c


def make_tail(seed: int, plan) -> Tail | None:
    """The tail vocabulary of ``plan`` for ``seed``; ``None`` when both tail sizes are 0."""
    if plan.tail_ingredients <= 0 and plan.tail_pts <= 0:
        return None
    s_ing, s_pt, _ = tail_streams(seed)
    ings = tail_ingredient_names(s_ing, plan.tail_ingredients)
    pts = tail_pt_names(s_pt, plan.tail_pts)
    all_pts = np.array([*vocab.PTS, *pts], dtype=object)
    return Tail(
        ingredients=ings, pts=pts,
        drug_w=vocab.zipf_weights(len(ings), plan.tail_drug_zipf, plan.tail_drug_q) if ings else np.zeros(0),
        pt_w=vocab.zipf_weights(len(pts), plan.tail_pt_zipf, plan.tail_pt_q) if pts else np.zeros(0),
        pt_alpha=np.argsort(np.argsort(all_pts, kind="stable"), kind="stable"),
    )


# --------------------------------------------------------------------------- draws


@dataclass
class TailIds:
    """Tail items of a batch of ``n`` reports: drug rows (report, tail index, role code
    0 PS / 1 SS / 2 C / 3 I) and distinct PT rows (report, tail index), sorted by report."""

    drug_rep: np.ndarray
    drug_ing: np.ndarray
    drug_role: np.ndarray
    pt_rep: np.ndarray
    pt: np.ndarray


def draw_tail_ids(rng: np.random.Generator, n: int, plan, tail: Tail, no_ps: np.ndarray | None = None) -> TailIds:
    """Which of ``n`` reports get which tail drugs (and roles) and tail PTs.

    ``no_ps``: reports whose PS must stay (voclosporin reports): a tail PS there becomes SS.
    """
    z = np.zeros(0, dtype=np.int64)
    drep = ding = drole = z
    if len(tail.ingredients) and plan.tail_drug_rate > 0:
        has = np.flatnonzero(rng.random(n) < plan.tail_drug_rate)
        drep = np.repeat(has, 1 + rng.poisson(plan.tail_drug_extra, len(has)))
        ding = _pick(rng, tail.drug_w, len(drep))
        drole = _pick(rng, TAIL_ROLE_W, len(drep)) + 1
        first = np.r_[True, drep[1:] != drep[:-1]] if len(drep) else np.zeros(0, dtype=bool)
        ps = first & (rng.random(len(drep)) < plan.tail_ps_share)
        if no_ps is not None:
            drole[ps & no_ps[drep]] = 1
            ps &= ~no_ps[drep]
        drole[ps] = 0
    prep = ppt = z
    if len(tail.pts) and plan.tail_pt_rate > 0:
        has = np.flatnonzero(rng.random(n) < plan.tail_pt_rate)
        prep = np.repeat(has, 1 + rng.poisson(plan.tail_pt_extra, len(has)))
        ppt = _pick(rng, tail.pt_w, len(prep))
        key = np.unique(prep.astype(np.int64) * len(tail.pts) + ppt)
        prep, ppt = key // len(tail.pts), key % len(tail.pts)
    return TailIds(drep, ding, drole, prep, ppt)


def add_tail(rng: np.random.Generator, batch: Batch, plan, tail: Tail, legacy: bool,
             no_ps: np.ndarray | None = None) -> dict:
    """Add tail drug rows and tail PTs to a batch of new reports in place; return counts.

    A tail PS goes first (drug_seq 1; the report's other rows, THER and INDI move one
    down, its head PS becomes SS); other tail rows follow the report's drugs. Tail PTs
    join the report's PTs in alphabetical order.
    """
    n = batch.n
    ids = draw_tail_ids(rng, n, plan, tail, no_ps)
    m = len(ids.drug_rep)
    if m:
        drug = batch.rows["drug"]
        shift = np.zeros(n, dtype=np.int32)
        ps_rep = ids.drug_rep[ids.drug_role == 0]
        shift[ps_rep] = 1
        n_drug = np.bincount(drug["rep"], minlength=n).astype(np.int32)
        for name in ("drug", "ther", "indi"):
            cols = batch.rows[name]
            cols["pos"] = (cols["pos"] + shift[cols["rep"]]).astype(cols["pos"].dtype)
        drug["role"][(shift[drug["rep"]] == 1) & (drug["role"] == 0)] = 1
        rest = ids.drug_role != 0
        pos = np.ones(m, dtype=np.int32)
        pos[rest] = n_drug[ids.drug_rep[rest]] + shift[ids.drug_rep[rest]] + seq_in_group(ids.drug_rep[rest])
        new = {
            "rep": ids.drug_rep, "pos": pos, "ing": (tail.ing0 + ids.drug_ing).astype(np.int16),
            "variant": _pick(rng, TAIL_VARIANT_W, m).astype(np.int8),
            "role": ids.drug_role.astype(np.int8),
            **drug_details(rng, m, legacy),
        }
        add_rows(batch, "drug", {k: new[k] for k in drug}, "pos")
    k = len(ids.pt_rep)
    if k:
        reac = batch.rows["reac"]
        rep = np.concatenate([reac["rep"], ids.pt_rep])
        pt = np.concatenate([reac["pt"].astype(np.int64), tail.pt0 + ids.pt])
        order = np.lexsort((tail.pt_alpha[pt], rep))
        batch.rows["reac"] = {"rep": rep[order].astype(reac["rep"].dtype), "pt": pt[order].astype(np.int16)}
    return {"reports_with_tail_drugs": len(np.unique(ids.drug_rep)), "tail_drug_rows": int(m),
            "tail_ps_rows": int((ids.drug_role == 0).sum()),
            "tail_suspect_rows": int((ids.drug_role <= 1).sum()),
            "reports_with_tail_pts": len(np.unique(ids.pt_rep)), "tail_pt_rows": int(k)}


def truth_record(plan, tail: Tail | None, per_quarter: list[dict]) -> dict:
    """The ``tail`` block of ``truth.json`` (empty when the tail is off)."""
    if tail is None:
        return {}
    tot = {k: sum(q[k] for q in per_quarter) for k in per_quarter[0] if k != "quarter"} if per_quarter else {}
    n_new = tot.pop("n_new", 0)
    return {
        "enabled": True,
        "definition": "rare drugs and events beyond the head vocabulary, drawn independently of every report's "
                      "content (lambda = 1 for every pair with a tail ingredient or a tail PT; such pairs are not "
                      "listed in pair_lambda). Per new report: with probability drug_rate, 1 + Poisson(drug_extra) "
                      "tail drug rows; with probability pt_rate, 1 + Poisson(pt_extra) tail PT draws (duplicates "
                      "dropped); Zipf-Mandelbrot weights 1/(rank + q)^s over the tail in list order. The first tail "
                      "drug of a report is PS with probability ps_share (the head PS becomes SS; SS in voclosporin "
                      "reports); other tail rows SS/C/I with role_weights. Follow-up versions copy them.",
        "ingredients": plan.tail_ingredients, "pts": plan.tail_pts,
        "drug_rate": plan.tail_drug_rate, "drug_extra": plan.tail_drug_extra,
        "ps_share": plan.tail_ps_share, "role_weights": dict(zip(("SS", "C", "I"), TAIL_ROLE_W.tolist())),
        "drug_zipf": {"s": plan.tail_drug_zipf, "q": plan.tail_drug_q},
        "pt_rate": plan.tail_pt_rate, "pt_extra": plan.tail_pt_extra,
        "pt_zipf": {"s": plan.tail_pt_zipf, "q": plan.tail_pt_q},
        "totals": {"new_reports": n_new, **tot,
                   "drug_rows_per_new_report": tot.get("tail_drug_rows", 0) / n_new if n_new else 0.0,
                   "pts_per_new_report": tot.get("tail_pt_rows", 0) / n_new if n_new else 0.0},
        "ingredient_names": [i.name for i in tail.ingredients],
        "pt_names": list(tail.pts),
    }


# --------------------------------------------------------------------------- calibration


def pipeline_ingredients() -> tuple[list[str], np.ndarray, np.ndarray]:
    """How the pipeline names the head's drug rows: ``(names, offsets, ids)``.

    Row ``(k·8 + variant)·2 + has_prod_ai`` of the CSR ``offsets``/``ids`` lists the
    ingredients (indices into ``names``) that :func:`pvsignal.prepare.drugs.ingredient_map`
    with the shipped synonym table gives a DRUG row of head ingredient ``k`` written with
    that drugname variant, with or without prod_ai: a brand missing from the synonym
    table, an unstripped salt or a combination written as one name become ingredients
    of their own, as they do in the lake. (Tail rows map to their own name.)
    """
    import ibis
    import pandas as pd

    from pvsignal.prepare.drugs import ingredient_map, load_synonyms
    from pvsignal.synth.draw import N_VARIANT
    from pvsignal.synth.format import DRUGNAMES_FAERS, PROD_AI

    combos = [(DRUGNAMES_FAERS[k * N_VARIANT + v], PROD_AI[k] if a else None)
              for k in range(len(vocab.INGREDIENTS)) for v in range(N_VARIANT) for a in (0, 1)]
    df = pd.DataFrame(combos, columns=["drugname", "prod_ai"]).astype("string").drop_duplicates()
    con = ibis.duckdb.connect()
    try:
        m = con.execute(ingredient_map(ibis.memtable(df), ibis.memtable(load_synonyms())))
    finally:
        con.disconnect()
    got: dict[tuple, list[str]] = {}
    for d, a, ing in zip(m.drugname, m.prod_ai, m.ingredient):
        got.setdefault((d, None if pd.isna(a) else a), []).append(ing)
    names = sorted({i for v in got.values() for i in v})
    index = {n: i for i, n in enumerate(names)}
    lists = [sorted({index[i] for i in got[c]}) for c in combos]
    offsets = np.concatenate(([0], np.cumsum([len(x) for x in lists])))
    return names, offsets, np.array([i for x in lists for i in x], dtype=np.int64)


def estimate_pairs(plan, quarters: str, reports_per_quarter: int, seed: int = 0, *, head: bool = False,
                   new_share: float | None = None) -> dict:
    """Distinct (suspect ingredient, PT) pairs the pipeline counts, by simulating id draws only.

    Per quarter the new cases (``new_share`` of the reports; default: what
    :func:`~pvsignal.synth.synthesize` leaves beside follow-up versions; deleted cases,
    0.3 % a quarter from 2019Q1, are not taken off) get head drugs (count, role,
    ingredient, drugname variant, prod_ai from 2014Q3) and head PTs as
    :func:`~pvsignal.synth.draw.draw_new` draws them but without λ (λ moves PTs between
    drugs, not their number), and tail items by :func:`draw_tail_ids`. Drugs are named as
    the pipeline names them (:func:`pipeline_ingredients`): a head ingredient can count as
    two or three (its brand, say), as in the lake's count table. Counts are cases per
    pair over suspect (PS, SS) ingredients. Pairs with a tail item are simulated in the
    reports that have one; head × head pairs (``head=True``) need every report and take
    most of the time. Returns the number of distinct pairs (with a tail item and, if
    simulated, head only and all), the share of pairs with one or two cases, and mean
    drug rows and PTs per case of the head and of the tail.
    """
    from pvsignal.quarters import quarter_index, quarter_range
    from pvsignal.synth.draw import (
        DRUG_COUNT,
        DRUG_W,
        N_PT,
        N_VARIANT,
        PT_COUNT,
        PT_W,
        ROLE_W_REST,
        VARIANT_W,
        _counts,
        draw_sets,
    )

    tail = make_tail(seed, plan)
    names, p_off, p_ids = pipeline_ingredients()
    n_head = len(names)
    qs = quarter_range(quarters)
    fu = min(plan.superseded_share * len(qs) / (len(qs) - 1), 0.6) if len(qs) > 1 else 0.0
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    kpt = N_PT + (len(tail.pts) if tail else 0)
    keys: list[np.ndarray] = []
    cnts: list[np.ndarray] = []
    tot = {"cases": 0, "head_drugs": 0, "head_pts": 0, "tail_drugs": 0, "tail_pts": 0}

    def head_items(n: int, t: float, with_ai: bool):
        """Distinct head suspects (pipeline ingredients) and distinct head PTs of ``n`` reports."""
        nd = _counts(rng, n, DRUG_COUNT[0] + DRUG_COUNT[1] * t, DRUG_COUNT[2], DRUG_COUNT[3])
        rep = np.repeat(np.arange(n), nd)
        first = np.r_[True, rep[1:] != rep[:-1]] if len(rep) else np.zeros(0, dtype=bool)
        sus = first | (_pick(rng, ROLE_W_REST, len(rep)) == 0)
        rep = rep[sus]
        ing = _pick(rng, DRUG_W, len(rep))
        ai = (rng.random(len(rep)) < 0.78) & with_ai
        combo = (ing * N_VARIANT + _pick(rng, VARIANT_W, len(rep))) * 2 + ai
        k = p_off[combo + 1] - p_off[combo]
        pid = p_ids[ranges(p_off[combo], k)]
        sk = np.unique(np.repeat(rep, k).astype(np.int64) * n_head + pid)
        npt = _counts(rng, n, PT_COUNT[0] + PT_COUNT[1] * t, PT_COUNT[2], PT_COUNT[3])
        prep, pt = draw_sets(rng, npt, PT_W)
        return (sk // n_head, sk % n_head), (prep, pt), int(nd.sum()), len(prep)

    def cross(drep, dcode, prep, pcode, n_rep):
        """All (drug, PT) keys of the same report (both inputs sorted by report)."""
        poff = np.searchsorted(prep, np.arange(n_rep + 1))
        npt = np.diff(poff)[drep]
        return np.repeat(dcode, npt).astype(np.int64) * kpt + pcode[ranges(poff[drep], npt)]

    for i, q in enumerate(qs):
        year = int(q[:4]) + (int(q[5]) - 1) / 4
        t = float(np.clip((year - 2004) / 20, 0, 1))
        with_ai = quarter_index(q) >= quarter_index("2014Q3")  # FAERS prod_ai column
        # the first quarter has no follow-up versions (nothing earlier to follow up)
        share = new_share if new_share is not None else (1.0 if i == 0 else 1 - fu)
        n = round(reports_per_quarter * share)
        tot["cases"] += n
        if head:
            (hd_rep, hd), (hp_rep, hp), nd, npt = head_items(n, t, with_ai)
            k = np.unique(cross(hd_rep, hd, hp_rep, hp, n), return_counts=True)
            keys.append(k[0])
            cnts.append(k[1])
            tot["head_drugs"] += nd
            tot["head_pts"] += npt
        if tail is None:
            continue
        ids = draw_tail_ids(rng, n, plan, tail)
        tot["tail_drugs"] += len(ids.drug_rep)
        tot["tail_pts"] += len(ids.pt_rep)
        sus_t = ids.drug_role <= 1
        touched = np.unique(np.concatenate([ids.drug_rep[sus_t], ids.pt_rep]))
        loc = np.searchsorted(touched, np.arange(n)).clip(0, max(len(touched) - 1, 0))
        (hd_rep, hd), (hp_rep, hp), _, _ = head_items(len(touched), t, with_ai)
        big = 1 << 20
        td = np.unique(loc[ids.drug_rep[sus_t]].astype(np.int64) * big + ids.drug_ing[sus_t])
        td_rep, td_code = td // big, n_head + td % big
        tp_rep, tp_code = loc[ids.pt_rep], N_PT + ids.pt
        order = np.lexsort((np.r_[hd, td_code], np.r_[hd_rep, td_rep]))
        d_rep, d_code = np.r_[hd_rep, td_rep][order], np.r_[hd, td_code][order]
        # (any suspect × tail PT) and (tail suspect × head PT)
        k = np.unique(np.r_[cross(d_rep, d_code, tp_rep, tp_code, len(touched)),
                            cross(td_rep, td_code, hp_rep, hp, len(touched))], return_counts=True)
        keys.append(k[0])
        cnts.append(k[1])
    key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    cnt = np.concatenate(cnts) if cnts else np.zeros(0, dtype=np.int64)
    order = np.argsort(key, kind="stable")
    key, cnt = key[order], cnt[order]
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=np.int64)
    per_pair = np.add.reduceat(cnt, start) if len(key) else cnt
    pair_key = key[start] if len(key) else key
    is_tail = (pair_key // kpt >= n_head) | (pair_key % kpt >= N_PT)
    cases = tot["cases"]

    def share_le2(mask):
        return float((per_pair[mask] <= 2).mean()) if mask.any() else float("nan")

    out = {
        "cases": cases,
        "pairs_with_tail": int(is_tail.sum()),
        "share_tail_pairs_n_le_2": share_le2(is_tail),
        "tail_drug_rows_per_case": tot["tail_drugs"] / cases,
        "tail_pts_per_case": tot["tail_pts"] / cases,
    }
    if head:
        out.update(
            pairs=len(per_pair), pairs_head=int((~is_tail).sum()),
            share_pairs_n_le_2=share_le2(np.ones(len(per_pair), dtype=bool)),
            share_pairs_n_1=float((per_pair == 1).mean()) if len(per_pair) else float("nan"),
            head_drug_rows_per_case=tot["head_drugs"] / cases, head_pts_per_case=tot["head_pts"] / cases,
        )
    return out
