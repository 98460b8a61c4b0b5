"""FAERS and legacy AERS quarterly ASCII files: the lake's first source.

``files`` finds quarters in zips and folders, ``layouts`` names and eras, ``bytes`` the
byte-level checks, ``parse`` and ``records`` the typed parse that keeps every line,
``schema`` the canonical tables and code lists, ``source`` the :data:`~.source.FAERS`
object that :func:`pvsignal.store.ingest.ingest` takes.
"""
