"""Fetching FDA's published files: FAERS/AERS quarterly ASCII zips and openFDA bulk files.

``addresses`` (where FDA publishes each file: one place, overridable), ``openfda_index``
(the openFDA ``download.json`` index → files and their safe local paths), ``state`` (the
sidecar recording what each complete file was), ``transfer`` (one resumable, verified
HTTP transfer with httpx). :func:`pvsignal.api.download` puts them together.
"""
