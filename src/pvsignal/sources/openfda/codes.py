"""openFDA drug/event codes and their FAERS ASCII counterparts (FACTS.md §1.3, §1.6).

openFDA serves FAERS as E2B(R2)-shaped JSON with numeric codes where the quarterly
ASCII files print letter codes or terms. Each table below maps an openFDA code to the
value the ASCII file holds; a code outside a table becomes null with a ``nulled`` note.
Code lists: openFDA's drug/event field reference (FDA/open.fda.gov ``_fields.yaml``,
FACTS.md ``OFDA-F``), which spells 057 "Sunconjunctival"; E2B(R2) and FAERS spell it
"Subconjunctival".
"""

from __future__ import annotations

#: ``patient.patientonsetageunit`` → DEMO ``age_cod`` (E2B 800–805).
AGE_UNIT = {"800": "DEC", "801": "YR", "802": "MON", "803": "WK", "804": "DY", "805": "HR"}
#: ``patient.patientagegroup`` (1 neonate … 6 elderly) → DEMO ``age_grp``.
AGE_GROUP = {"1": "N", "2": "I", "3": "C", "4": "T", "5": "A", "6": "E"}
#: ``patient.patientsex`` → DEMO ``sex``.
SEX = {"0": "UNK", "1": "M", "2": "F"}
#: ``primarysource.qualification`` → DEMO ``occp_cod``.
QUALIFICATION = {"1": "MD", "2": "PH", "3": "OT", "4": "LW", "5": "CN"}
#: ``drugcharacterization`` → DRUG ``role_cod``; suspects are split by :func:`roles`.
CHARACTERIZATION = {"1": "S", "2": "C", "3": "I"}
#: ``drugadditional`` (dechallenge 1 yes, 2 no, 3 does not apply) → DRUG ``dechal``.
DECHALLENGE = {"1": "Y", "2": "N", "3": "D"}
#: ``drugrecurreadministration`` (1 yes, 2 no, 3 unknown) → DRUG ``rechal``.
RECHALLENGE = {"1": "Y", "2": "N", "3": "U"}
#: ``drugtreatmentdurationunit`` (801 year … 806 minute) → THER ``dur_cod``.
DURATION_UNIT = {"801": "YR", "802": "MON", "803": "WK", "804": "DAY", "805": "HR", "806": "MIN"}
#: ``drugstructuredosageunit`` / ``drugcumulativedosageunit`` → DRUG unit (FACTS.md §1.6 lists
#: 001–004; any other code is kept as written).
DOSE_UNIT = {"001": "KG", "002": "G", "003": "MG", "004": "UG"}
#: Seriousness flags (each ``"1"`` when present) → OUTC ``outc_cod``, in this order.
#: FAERS's ``RI`` (required intervention) has no openFDA flag.
SERIOUSNESS = {
    "seriousnessdeath": "DE", "seriousnesslifethreatening": "LT", "seriousnesshospitalization": "HO",
    "seriousnessdisabling": "DS", "seriousnesscongenitalanomali": "CA", "seriousnessother": "OT",
}

#: ``drugadministrationroute`` (E2B(R2) route list, 3 digits) → the route term FAERS ASCII
#: prints in DRUG ``route`` (e.g. ``048`` → ``Oral``; checked against openFDA's field
#: reference, code by code); a code outside the list is kept as written.
ROUTE = dict(zip((f"{i:03d}" for i in range(1, 68)), (
    "Auricular (otic)", "Buccal", "Cutaneous", "Dental", "Endocervical", "Endosinusial",
    "Endotracheal", "Epidural", "Extra-amniotic", "Hemodialysis", "Intra corpus cavernosum",
    "Intra-amniotic", "Intra-arterial", "Intra-articular", "Intra-uterine", "Intracardiac",
    "Intracavernous", "Intracerebral", "Intracervical", "Intracisternal", "Intracorneal",
    "Intracoronary", "Intradermal", "Intradiscal (intraspinal)", "Intrahepatic", "Intralesional",
    "Intralymphatic", "Intramedullar (bone marrow)", "Intrameningeal", "Intramuscular",
    "Intraocular", "Intrapericardial", "Intraperitoneal", "Intrapleural", "Intrasynovial",
    "Intratumor", "Intrathecal", "Intrathoracic", "Intratracheal", "Intravenous bolus",
    "Intravenous drip", "Intravenous (not otherwise specified)", "Intravesical", "Iontophoresis",
    "Nasal", "Occlusive dressing technique", "Ophthalmic", "Oral", "Oropharingeal", "Other",
    "Parenteral", "Periarticular", "Perineural", "Rectal", "Respiratory (inhalation)",
    "Retrobulbar", "Subconjunctival", "Subcutaneous", "Subdermal", "Sublingual", "Topical",
    "Transdermal", "Transmammary", "Transplacental", "Unknown", "Urethral", "Vaginal",
)))


def roles(characterizations: list[str | None]) -> list[str | None]:
    """FAERS ``role_cod`` of a report's drugs, in their order.

    ``1`` (suspect) → ``PS`` for the first suspect drug of the report and ``SS`` for every
    later one (FAERS numbers its primary suspect first); ``2`` → ``C``; ``3`` → ``I``;
    anything else → ``None``.
    """
    out: list[str | None] = []
    seen_suspect = False
    for c in characterizations:
        role = CHARACTERIZATION.get(c or "")
        if role == "S":
            role = "SS" if seen_suspect else "PS"
            seen_suspect = True
        out.append(role)
    return out
