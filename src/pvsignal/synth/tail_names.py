"""Names of the long tail's synthetic drugs and events (:mod:`pvsignal.synth.tail`).

Ingredients: INN-like but never real — a W/Y/J syllable (INNs almost never start so),
one or two consonant–vowel syllables and a real INN stem (``YOBAFITINIB``). PTs:
MedDRA-style (organ + disorder, lab test + direction, organism + infection, then
qualified forms such as ``"Chronic renal fibrosis"``). Both lists are unique, disjoint
from the head (PTs compared without case) and in popularity order; the first ``k``
names do not depend on how many are asked for.
"""

from __future__ import annotations

import numpy as np

import pvsignal.synth.vocab as vocab
from pvsignal.synth.format import DRUGNAMES_LEGACY, PROD_AI

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
