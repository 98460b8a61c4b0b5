"""Drug names → ingredients: one resolver for the lake (``prepare``) and for names users type
(``knowledge``, ``--drug``), over a dictionary shipped in the package (DRUGS.md).

- :mod:`~pvsignal.drugnames.clean`: Unicode-aware cleaning to lookup keys (Arrow, vectorised);
- :mod:`~pvsignal.drugnames.dictionary`: the shipped dictionary, user files, the lookup table;
- :mod:`~pvsignal.drugnames.resolve`: distinct names → ingredient rows (``ingredient_source``);
- :mod:`~pvsignal.drugnames.names`: one typed name → its ingredient(s), close matches.

Imports only the base layer (errors, suggest).
"""
