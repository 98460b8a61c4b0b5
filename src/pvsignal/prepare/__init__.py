"""Prepared tables over the lake: deduplicated cases, drug names → ingredients, MedDRA."""
