"""The rule checker: a drug's label action with each partner drug.

For each partner, the rules of the drug's label_rules/<drug>.yaml
(:mod:`pvsignal.knowledge.label_rules`) are matched against the partner's
perpetrators.csv rows; the most severe matching action is reported, the others are
listed in ``other_rules``; a partner that matches no rule gets ``no known interaction``.
"""

from __future__ import annotations

import pandas as pd

from pvsignal.errors import UnknownNameError
from pvsignal.knowledge.loader import Knowledge
from pvsignal.knowledge.perpetrators import class_label, normalise_name

#: Severity order of actions (lower = more severe).
SEVERITY: dict[str, int] = {
    "contraindicated": 0, "avoid": 1, "adjust dose": 2, "monitor": 3, "no adjustment": 4,
    "no known interaction": 5, "same drug": 6, "not in knowledge base": 7,
}
NO_RULE = "no known interaction"
SAME = "same drug"
UNKNOWN = "not in knowledge base"

RESULT_COLUMNS = [
    "drug", "partner", "ingredient", "action", "dose", "mechanism", "partner_classes",
    "source", "source_id", "class_source", "status", "other_rules",
]


def check(knowledge: Knowledge, drug: str, partners: list[str], *, allow_unknown: bool = False) -> pd.DataFrame:
    """Label action for ``drug`` with each partner; one row per partner (see module doc).

    ``drug`` and partners resolve case-insensitively through synonyms, salt forms and the
    shipped drug dictionary (a brand → its ingredient; a combination product → one row per
    ingredient; ``attrs["notes"]`` lists each renaming, e.g. ``TYLENOL → acetaminophen``); a
    known drug with no perpetrator row gets "no CYP3A/P-gp rule for X". An unknown name
    raises :class:`UnknownNameError` with close matches from the whole dictionary (a typo
    must never be reported as "no known interaction"), unless ``allow_unknown`` is set, in
    which case the row says ``not in knowledge base``.
    """
    ingredient = knowledge.names.resolve(drug)
    if ingredient not in knowledge.rules:
        have = ", ".join(sorted(d.lower() for d in knowledge.rules)) or "none"
        near = knowledge.names.close_matches(drug)
        hint = f" Close names: {', '.join(near)}." if near else ""
        raise UnknownNameError(
            f"no label interaction rules for {drug!r}; rules exist for: {have}.{hint} "
            "Add a label_rules/<drug>.yaml file to cover another drug."
        )
    lr = knowledge.rules[ingredient]
    rows, notes = [], []
    for partner in partners:
        ings = knowledge.names.resolve_all(partner)
        base = dict.fromkeys(RESULT_COLUMNS, "")
        base.update(drug=ingredient, partner=partner)
        if not ings:
            if not allow_unknown:
                knowledge.names.require(partner, what="partner drug")
            rows.append({**base, "ingredient": "", "action": UNKNOWN,
                         "mechanism": "name not found in the knowledge files or the drug dictionary; check the spelling"})
            continue
        if ings != (normalise_name(partner),):
            notes.append(f"{normalise_name(partner)} → {' + '.join(i.lower() for i in ings)}")
        rows += [_partner_row(knowledge, lr, ingredient, base, p) for p in ings]
    out = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    out.attrs["notes"] = notes
    return out


def _partner_row(knowledge: Knowledge, lr, ingredient: str, base: dict, p: str) -> dict:
    """The row of one partner ingredient ``p``: its most severe matching rule, or none."""
    if p == ingredient:  # e.g. --with LUPKYNIS for voclosporin: not an interaction, a duplicate
        return {**base, "ingredient": p, "action": SAME,
                "mechanism": f"{base['partner']} is {ingredient.lower()} itself (duplicate therapy, not an interaction)"}
    prow = knowledge.perpetrators_by_ingredient().get(p, [])
    classes = "; ".join(class_label(r) for r in prow)
    class_src = "; ".join(sorted({f"{r['source']} ({r['version']})" for r in prow}))
    hits = [(r, c) for r in lr.rules for c in prow if r.when.matches(c)]
    hits.sort(key=lambda rc: SEVERITY[rc[0].action])
    if not hits:
        mech = f"{p.lower()} is a {classes}; no label rule for {ingredient.lower()} applies" if classes else \
            f"no CYP3A/P-gp rule for {p.lower()} (not a listed perpetrator or substrate)"
        return {**base, "ingredient": p, "action": NO_RULE, "mechanism": mech,
                "partner_classes": classes, "class_source": class_src}
    rule, _ = hits[0]
    others = []
    for r, c in hits[1:]:
        if r is not rule:
            others.append(f"{r.action} ({class_label(c)})")
    src = knowledge.sources[rule.source]
    return {
        **base, "ingredient": p, "action": rule.action, "dose": rule.dose, "mechanism": rule.mechanism,
        "partner_classes": classes, "source": src.citation + (f", {lr.version}" if rule.source == lr.source else ""),
        "source_id": rule.source + (f" ({lr.version})" if rule.source == lr.source else ""), "class_source": class_src,
        "status": rule.status, "other_rules": "; ".join(dict.fromkeys(others)),
    }
