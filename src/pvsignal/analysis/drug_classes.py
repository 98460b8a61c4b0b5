"""Drug names at the class level: with ``drug_level='class'`` the drugs of a signal table are
FDA Established Pharmacologic Classes (EPC, or the classes of a user's file), so a name given
to select rows is read as a class; a brand or ingredient becomes its ingredient's class(es)
(``LUPKYNIS → voclosporin → <class>``), with a note saying so."""

from __future__ import annotations

from pathlib import Path

from pvsignal.errors import ConfigError


def class_names(wanted: list[str], class_file: str | Path | None = None) -> tuple[list[str], list[str]]:
    """``(class names, notes)`` for the names in ``wanted``.

    A class name (any case) is kept, spelt as the class table spells it. Otherwise the name is
    resolved through the drug dictionary (:func:`pvsignal.drugnames.names.resolve_one`: brand,
    synonym or ingredient) and replaced by every class of its ingredient(s) in
    :func:`pvsignal.drugnames.dictionary.drug_classes` (``class_file`` replaces FDA's for the
    ingredients it lists), with a note; several classes are all kept and the note lists them.
    A known drug without a class raises :class:`ConfigError`; a name neither a class nor a
    known drug is passed on unchanged (the selection then says it is unknown, with close matches).
    """
    from pvsignal.drugnames.dictionary import drug_classes
    from pvsignal.drugnames.names import resolve_one

    table = drug_classes(class_file)
    spelt = {str(c).upper(): str(c) for c in table["drug_class"]}
    of = table.groupby("ingredient")["drug_class"].agg(lambda s: sorted(set(map(str, s)))).to_dict()
    out: list[str] = []
    notes: list[str] = []
    for name in (w.strip() for w in wanted if w.strip()):
        if name.upper() in spelt:
            out.append(spelt[name.upper()])
            continue
        r = resolve_one(name)
        found = list(dict.fromkeys(c for i in r.ingredients for c in of.get(i, [])))
        chain = r.note or " + ".join(i.lower() for i in r.ingredients)
        if not found and r.known:
            source = f"in {Path(class_file).name} or among FDA's EPC classes" if class_file else "among FDA's EPC classes"
            raise ConfigError(f"{chain} has no drug class {source}: at --drug-level class name a class, "
                              "give your own (--drug-classes FILE: ingredient,class) or drop --drug-level class")
        if not found:
            out.append(name)
            continue
        out += found
        notes.append(f"{chain} → {found[0]}" if len(found) == 1 else f"{chain} → {len(found)} classes: {'; '.join(found)}")
    return list(dict.fromkeys(out)), notes
