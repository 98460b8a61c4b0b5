"""``pvsignal serve``: binds 127.0.0.1 by default, refuses a folder that is not a lake, fits 80 columns;
and the explorer's package calls only ``api`` (and the base helpers) of pvsignal."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "src" / "pvsignal" / "web"


def test_serve_runs_uvicorn_on_loopback(web_lake, run, monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    code, out, err = run(["serve", "--lake", str(web_lake)])
    assert code == 0, err
    (app, kw), = calls
    assert kw["host"] == "127.0.0.1" and kw["port"] == 8000
    assert app.state.lake.lake == web_lake
    assert "http://127.0.0.1:8000/" in out
    code, out, err = run(["serve", "--lake", str(web_lake), "--host", "0.0.0.0", "--port", "8123"])
    assert calls[-1][1] == {"host": "0.0.0.0", "port": 8123, "log_level": "warning"}
    assert "other machines can reach" in out + err


def test_serve_refuses_a_folder_that_is_not_a_lake(tmp_path, run):
    code, out, err = run(["serve", "--lake", str(tmp_path)])
    assert code == 2 and "is not a pvsignal lake" in err and "Traceback" not in err


def test_serve_help_fits_80_columns(run, width):
    width(80)
    code, out, err = run(["serve", "--help"])
    assert code == 0 and "--host" in out and "--port" in out
    assert max(len(line) for line in out.splitlines()) <= 80


@pytest.mark.parametrize("path", sorted(WEB.glob("*.py")), ids=lambda p: p.name)
def test_web_calls_only_api(path):
    allowed = ("pvsignal.api", "pvsignal.errors", "pvsignal.suggest", "pvsignal.web")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [f"{node.module}.{a.name}" if node.module == "pvsignal" else node.module or "" for a in node.names]
        else:
            continue
        for n in names:
            if n == "pvsignal" or n.startswith("pvsignal."):
                assert n.startswith(allowed), f"{path.name} imports {n}"
