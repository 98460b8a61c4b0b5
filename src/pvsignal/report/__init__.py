"""Outputs: table export, plots, the compound safety profile."""
