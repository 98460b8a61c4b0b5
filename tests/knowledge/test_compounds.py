"""Compound knowledge files: the shipped file validates, evidence status is kept, every
reference id used must be listed, and an unknown drug names the shipped files."""

from __future__ import annotations

import pytest

from pvsignal.errors import ConfigError, UnknownNameError


def test_compound_file_validates_references(tmp_path):
    from pvsignal.knowledge.compounds import load_compound

    c = load_compound("voclosporin")
    assert c.mechanism.class_.status == "V"
    assert any(s.status == "M" for s in c.mechanism.pathway)  # unverified steps are marked
    bad = tmp_path / "x.yaml"
    bad.write_text(
        "schema: 1\ndrug: X\nmechanism:\n  class: {text: a, ref: [NOPE], status: V}\n"
        "  target: {text: b, status: M}\n  pathway: [{label: X, status: V}]\nreferences: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="NOPE"):
        load_compound(bad)
    with pytest.raises(UnknownNameError, match="shipped: voclosporin"):
        load_compound("aspirin")
