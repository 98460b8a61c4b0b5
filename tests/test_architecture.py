"""The package's shape: imports flow one way (DESIGN.md), no cycles, small modules.

Layers, left to right: base (errors, quarters, suggest) → stats | sources | drugnames → store →
prepare | knowledge → analysis | trial | synth → report → api → web → cli (the
explorer in ``web`` calls only ``api``; ``cli serve`` runs it). A module imports
only from its own package or from layers to its left; ``stats`` from nothing of ours but
the base; ``analysis`` never from ``sources`` (the store is between them).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "pvsignal"

RANK = {
    "__init__": 0, "errors": 0, "quarters": 0, "suggest": 0, "__main__": 9,
    "stats": 1, "sources": 1, "drugnames": 1,
    "store": 2,
    "prepare": 3, "knowledge": 3,
    "analysis": 4, "trial": 4, "synth": 4,
    "report": 5,
    "api": 6,
    "web": 7,
    "cli": 8,
}
#: pairs that the rank order allows but the design forbids
FORBIDDEN = {("analysis", "sources"), ("stats", "sources"), ("report", "sources"), ("trial", "sources")}
#: modules allowed over 400 lines, each with its reason
LONG_MODULES: dict[str, str] = {}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    mods = {}
    for p in SRC.rglob("*.py"):
        parts = p.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = p
    return mods


def _imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for name, p in mods.items():
        pkg = name if p.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
            else:
                continue
            edges[name].update(t for t in targets if t in mods and t != name)
    return edges


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_imports_flow_one_way():
    mods = _modules()
    wrong = []
    for a, targets in _imports(mods).items():
        la = _layer(a)
        for b in targets:
            lb = _layer(b)
            if la == lb:
                continue
            if la not in RANK or lb not in RANK:
                wrong.append(f"{a} -> {b}: layer not in the design (add it to RANK)")
            elif (RANK[lb] >= RANK[la] and RANK[la] > 0) or (la, lb) in FORBIDDEN:
                wrong.append(f"{a} -> {b}")
    assert not wrong, "imports against the flow:\n" + "\n".join(sorted(wrong))


def test_no_import_cycle():
    edges = _imports(_modules())
    graph = edges
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_modules_stay_small(path):
    rel = str(path.relative_to(SRC))
    n = len(path.read_text(encoding="utf-8").splitlines())
    if rel in LONG_MODULES:
        return
    assert n <= MAX_LINES, f"{rel} has {n} lines: split it, or add it to LONG_MODULES with a reason"
