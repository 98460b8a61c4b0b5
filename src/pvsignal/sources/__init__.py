"""Readers of raw public data: FAERS/AERS quarterly ASCII, openFDA JSON, downloads."""
