"""Tables never cut a number: at 80 columns every number and interval is printed whole;
text wraps, and columns that do not fit are dropped and named in the caption."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from pvsignal.cli import main, render
from pvsignal.cli.render import fit_columns, fitted_table, is_number_like


@pytest.fixture
def at80(monkeypatch):
    monkeypatch.setattr(render.console, "_width", 80)


def _render(headers, rows, width: int = 80, **kwargs) -> str:
    with open("/dev/null", "w") as sink:
        con = Console(width=width, record=True, file=sink)
        con.print(fitted_table(headers, rows, target=con, **kwargs))
    return con.export_text()


def test_number_like_cells():
    assert is_number_like(["9.79 (7.12–13.45)", "12 (5.0%) [3]", "<0.001", "-0.04", "1,234", "NE", "—", ""])
    assert not is_number_like(["contraindicated", "1.2"])
    assert not is_number_like(["", "—"])  # nothing to measure


def test_wide_table_drops_right_columns_and_names_them():
    headers = ["event", "n", "ROR (95% CI)", "PRR (95% CI)", "IC (95% CI)", "EBGM (90% CI)", "comment"]
    rows = [["acute kidney injury", "1234", "9.79 (7.12–13.45)", "8.88 (6.54–12.07)", "2.91 (2.47–3.30)",
             "7.01 (5.66–8.57)", "a long free-text comment that can wrap over several lines"]]
    out = _render(headers, rows, 80, title="pairs")
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "…" not in out
    kept, _ = fit_columns(headers, [[r[j] for r in rows] for j in range(len(headers))], width=80)
    # event 10 + n 4 + three intervals 17, 17, 16 + 5 × 3 + 1 = 80: the last two columns go
    assert kept == [0, 1, 2, 3, 4]
    for j in kept[1:]:
        assert rows[0][j] in out  # kept numbers are whole
    footer = out.split("not shown at this width:")[1].replace("\n", " ")
    assert all(headers[j] in footer for j in range(len(headers)) if j not in kept)


def test_text_wraps_instead_of_dropping_when_numbers_fit():
    headers = ["partner", "action", "mechanism", "n"]
    rows = [["ketoconazole", "contraindicated", "strong CYP3A4 inhibitor raises voclosporin exposure " * 3, "12"]]
    out = _render(headers, rows, 60)
    assert max(len(line) for line in out.splitlines()) <= 60
    assert "not shown" not in out and "…" not in out
    assert "contraindicated" in out and "ketoconazole" in out  # short words kept whole


def test_fit_columns_keeps_first_columns():
    kept, widths = fit_columns(["a", "b"], [["x" * 50], ["1" * 50]], width=40, keep=1, numeric=[False, True])
    assert kept == [0]


def _reports(tmp_path):
    """A reports table with one strong pair (drug01–event_03) and many null pairs."""
    rng = np.random.default_rng(7)
    rows = []
    for r in range(4000):
        d = f"drug{rng.integers(0, 10):02d}"
        evs = {f"event_{rng.integers(0, 30):02d}" for _ in range(rng.integers(1, 3))}
        if d == "drug01" and rng.random() < 0.5:
            evs.add("event_03")
        rows += [(r, d, e) for e in evs]
    path = tmp_path / "reports.csv"
    pd.DataFrame(rows, columns=["report_id", "drug", "event"]).to_csv(path, index=False)
    return path


def test_signals_table_at_80_columns_prints_every_number_whole(tmp_path, capsys, at80):
    out_csv = tmp_path / "scores.csv"
    with pytest.raises(SystemExit) as exc:
        main(["signals", "--reports", str(_reports(tmp_path)), "--top", "10", "--fisher", "--out", str(out_csv)])
    assert exc.value.code == 0
    screen = capsys.readouterr().out
    assert "…" not in screen
    table_lines = [line for line in screen.splitlines() if line.startswith("│")]
    assert table_lines and max(len(line) for line in table_lines) <= 80
    scored = pd.read_csv(out_csv).head(10)
    for r in scored.itertuples():
        assert f"{r.ror:.2f} ({r.ror_lower:.2f}–{r.ror_upper:.2f})" in screen
        assert re.search(rf"│\s+{r.n}\s+│", screen)
    shown = {h for h in ("E", "PRR", "IC025", "EB05", "signal by") if re.search(rf"┃[^┃]*\b{h}\b", screen)}
    for h in {"PRR", "IC025", "EB05"} & shown:
        col = {"PRR": "prr", "IC025": "ic025", "EB05": "eb05"}[h]
        for v in scored[col]:
            assert f"{v:.2f}" in screen
    hidden = {"E", "PRR", "IC025", "EB05", "signal by"} - shown
    if hidden:
        footer = screen.split("not shown at this width:")[1].replace("\n", " ")
        assert all(h in footer for h in hidden)


def test_identifying_column_keeps_long_words_whole():
    # a PT such as THROMBOCYTOPENIA (16 letters) is never folded mid-word in the key column;
    # a lower-priority column is dropped instead
    headers = ["event", "n", "ROR (95% CI)", "PRR (95% CI)", "IC (95% CI)", "EBGM (90% CI)"]
    rows = [["THROMBOCYTOPENIA", "7", "3.47 (1.62–7.43)", "3.36 (1.60–7.05)", "0.22 (-0.90–1.10)", "0.90 (0.51–1.50)"]]
    out = _render(headers, rows, 60)
    assert "THROMBOCYTOPENIA" in out
    assert max(len(line) for line in out.splitlines()) <= 60 and "…" not in out


def test_indented_labels_keep_their_indent_when_wrapped():
    # a PT under its SOC ("    Glomerular filtration rate decreased") wraps with its indent
    rows = [["Investigations", "47 (26.1%) [62]"], ["    Glomerular filtration rate decreased", "47 (26.1%) [62]"]]
    out = _render(["System organ class / Preferred term", "Drug (N=180)"], rows, 36)
    body = [line.split("│")[1] for line in out.splitlines() if line.startswith("│")]
    pt_lines = [b for b in body if b.strip() and "Investigations" not in b]
    assert len(pt_lines) >= 2 and all(b.startswith("     ") for b in pt_lines), out
