"""The one registry of reasons why a statistic is undefined (NaN), shared by every measure.

A measure returns, beside its values, an int8 ``reason_code`` array: 0 where the value is
defined, otherwise the index of its label in :data:`REASONS`. Codes are stable: new
reasons are appended, never inserted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Labels of the reason codes (code 0 = defined, label ``None``).
REASONS: tuple[str | None, ...] = (
    None,
    "zero cell",                          # ROR, PRR, stratified ROR: a cell of the 2×2 table is 0
    "zero margin",                        # χ²: a drug or an event in every report or in none
    "no reports without the drug",        # PRR: c + d = 0
    "no informative stratum",             # Mantel–Haenszel, Breslow–Day
    "zero Mantel-Haenszel numerator",     # Σ a·d/N = 0
    "zero Mantel-Haenszel denominator",   # Σ b·c/N = 0
    "empty arm",                          # RR, RD: an arm without subjects (n1 = 0 or n0 = 0)
    "no events in either arm",            # RR: a = c = 0
    "inconsistent counts",                # Ω: negative counts, or more events than reports
    "empty stratum",                      # Ω: an exposure stratum without reports
    "f00, f10 or f01 = 1",                # Ω: a background rate of 1 (infinite odds)
)
#: Code of each label.
REASON: dict[str, int] = {label: code for code, label in enumerate(REASONS) if label is not None}
_LABELS = np.array(REASONS, dtype=object)
_TEXT = np.array(["" if r is None else r for r in REASONS], dtype=object)


def reason_labels(codes: np.ndarray) -> np.ndarray:
    """Object array of reason labels (``None`` where the value is defined)."""
    return _LABELS[codes]


def reason_text(codes: np.ndarray) -> np.ndarray:
    """Object array of reason labels with ``''`` where the value is defined."""
    return _TEXT[np.atleast_1d(codes)]


class WithReason:
    """Mixin for results with an int8 ``reason_code`` array: its labels as ``reason``."""

    reason_code: np.ndarray

    @property
    def reason(self) -> np.ndarray:
        """Labels of ``reason_code`` (``None`` where the value is defined)."""
        return reason_labels(self.reason_code)


def reason_categorical(codes: np.ndarray) -> pd.Categorical:
    """Reason codes as a pandas categorical (missing where the value is defined)."""
    codes = np.atleast_1d(codes).astype(np.int8) - 1  # 0 (defined) → −1 (missing category)
    return pd.Categorical.from_codes(codes, categories=list(REASONS[1:]))


def first_reason(*conditions: tuple[np.ndarray, str]) -> np.ndarray:
    """int8 codes: the label of the first true condition per element, 0 where none holds.

    ``first_reason((a == 0, 'zero cell'), (n == 0, 'empty arm'))`` — earlier conditions win.
    """
    code = np.int8(0)
    for cond, label in reversed(conditions):
        code = np.where(cond, np.int8(REASON[label]), code)  # int8 stays int8
    return np.asarray(code, dtype=np.int8)
