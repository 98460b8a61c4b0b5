"""``pvsignal profile`` with the case-definition options: the definition restricts the
profile, progress names each registered section, unavailable sections are listed with
their reasons, and nothing is cut at 80 columns."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest

from pvsignal.cli import main, profile_commands, render


@pytest.fixture
def at80(monkeypatch):
    for con in (render.console, render.console_err):
        monkeypatch.setattr(con, "_width", 80)


@pytest.mark.slow  # about 10 s: builds a profile through the command line
def test_profile_sex_option_restricts_every_faers_section(synth_lake, full_profile, tmp_path, capsys, monkeypatch,
                                                          at80):
    from pvsignal.analysis.cases import case_series
    from pvsignal.analysis.interactions import co_reported_perpetrators
    from pvsignal.analysis.population import CaseDefinition
    from pvsignal.prepare.build import connect
    from pvsignal.report.profile.sections import SECTIONS

    steps = []

    @contextmanager
    def recorder(label, **kwargs):
        yield lambda done, total, what: steps.append((done, total, what))

    monkeypatch.setattr(profile_commands, "progress", recorder)
    out = tmp_path / "p.json"
    with pytest.raises(SystemExit) as exc:
        main(["profile", "voclosporin", "--events", "headache,tremor", "--lake", str(synth_lake), "--sex", "female",
              "--out", str(out)])
    assert exc.value.code == 0
    printed = capsys.readouterr().out
    p = json.loads(out.read_text(encoding="utf-8"))
    sections = {s["key"]: s for s in p["sections"]}
    assert p["case_definition"]["sex"] == "F"

    con = connect(synth_lake)
    try:
        cs = case_series(con, "voclosporin", definition=CaseDefinition(sex="F"))
        co = co_reported_perpetrators(con, "voclosporin", definition=CaseDefinition(sex="F", roles="interacting"))
    finally:
        con.close()
    assert 0 < sections["cases"]["data"]["n_cases"] == cs.n_cases < full_profile.section("cases").data["n_cases"]
    # the interaction section counts the interacting role (PS, SS, I) under the default suspect roles
    assert sections["interactions"]["data"]["n_drug_cases"] == co.n_drug_cases
    assert sections["interactions"]["data"]["roles"] == ["PS", "SS", "I"]
    methods = " ".join(" ".join(m["text"]) for m in p["methods"])
    assert "sex female (F)" in methods and "interacting role included" in methods and "Hult" in methods

    # progress: the inputs, then each registered section as it starts, then the write
    total = 1 + len(SECTIONS) + 1
    assert [s[:2] for s in steps] == [(i, total) for i in range(total)]
    for (_, _, label), spec in zip(steps[1:], SECTIONS):
        assert label.endswith(spec.title)
    assert steps[-1][2] == "writing p.json"

    # sections not available are listed with their reasons, each on one line, nothing cut at 80 columns
    missing = [s for s in p["sections"] if not s["available"]]
    assert missing  # no trial data were given
    lines = printed.splitlines()
    for s in missing:
        assert any(line.startswith(f"{s['title']}: ") and s["reason"] in line for line in lines), s["title"]
    assert "…" not in printed and f"profile written to {out}" in printed
