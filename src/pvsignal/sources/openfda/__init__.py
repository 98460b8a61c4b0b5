"""openFDA drug/event JSON (API responses and bulk download files) into the FAERS canonical tables.

``codes`` (openFDA codes → FAERS ASCII codes), ``mapping`` (one report → rows),
``files`` (finding and reading the JSON), ``source`` (the :class:`~pvsignal.sources.base.Source`).
"""
