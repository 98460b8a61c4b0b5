"""Close matches for a name the user typed: one helper for every "did you mean" message.

Candidates are compared case-insensitively with :func:`difflib.get_close_matches`
(Ratcliff–Obershelp similarity, cutoff 0.6); the result keeps the candidates' own
spelling. Callers fetch the candidate list (distinct ingredients, PTs, arms …) and build
their message with :func:`unknown_name`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from pvsignal.errors import UnknownNameError


def close_matches(word: str, candidates: Iterable[str], *, n: int = 5, cutoff: float = 0.6) -> list[str]:
    """Up to ``n`` candidates most similar to ``word`` (case-insensitive), best first."""
    by_key: dict[str, str] = {}
    for c in candidates:
        if c is not None and str(c).strip():
            by_key.setdefault(str(c).strip().upper(), str(c))
    keys = difflib.get_close_matches(word.strip().upper(), list(by_key), n=n, cutoff=cutoff)
    return [by_key[k] for k in keys]


def unknown_name(what: str, word: str, candidates: Iterable[str], *, n: int = 5) -> UnknownNameError:
    """``UnknownNameError("no <what> named 'x'; close matches: a, b")`` (or "none")."""
    near = close_matches(word, candidates, n=n)
    return UnknownNameError(f"no {what} named {word.strip()!r}; close matches: {', '.join(near) or 'none'}")
