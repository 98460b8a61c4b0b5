"""Counts, disproportionality statistics, onset, case characterisation, interactions."""
