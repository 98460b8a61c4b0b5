"""Modules of report/ and analysis/ import each other's public names only: a name with a
leading underscore is its module's own (``plots._RC`` and ``plots._save`` were imported by
mechanism and validation_plots; their one definition is ``figures.canvas.RC``/``save``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "pvsignal"
MODULES = sorted(p for pkg in ("report", "analysis") for p in (SRC / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_private_name_is_imported_from_another_module(path):
    private = [f"{node.module}.{a.name}" for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pvsignal")
               for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    assert private == [], f"{path.name} imports private names: {private}"
