"""The compound safety profile: values equal the underlying API results; sections without
input say "not available"; synthetic data is labelled; JSON export; the CLI."""

from __future__ import annotations

import json

import pytest

from pvsignal.errors import ConfigError, InputFileError, UnknownNameError

# the arms and SOC of the ADaM set in tests/report/conftest.py
ARM_V, ARM_P = "VOCLOSPORIN 23.7 MG BID", "PLACEBO"
NS = "Nervous system disorders"


def _row(profile, event):
    return next(r for r in profile.summary if r.event == event)


def test_every_section_builds_without_error(full_profile):
    assert full_profile.errors == []
    assert [s.key for s in full_profile.sections] == [
        "signals", "sensitivity", "cases", "onset", "trial", "dose_rules", "interactions", "mechanism", "label",
        "benefit_risk"]
    assert all(s.available for s in full_profile.sections), [(s.key, s.reason) for s in full_profile.sections]


def test_summary_signal_statistics_equal_the_signal_api(full_profile, synth_lake):
    from pvsignal.analysis.signals import signals

    table = signals(synth_lake, drug="voclosporin", min_count=1).table.set_index("event")
    for ev in ("HEADACHE", "TREMOR"):
        row, ref = _row(full_profile, ev), table.loc[ev]
        assert row.reports == ref["n"] and row.reports >= 1
        for f in ("ror", "ror_lower", "ror_upper", "prr", "ic025", "eb05", "ebgm", "chi2_yates"):
            assert getattr(row, f) == pytest.approx(ref[f], rel=1e-12), f
        assert row.flags == {"ror": ref["flag_ror"], "prr": ref["flag_prr"], "ic": ref["flag_ic"], "ebgm": ref["flag_ebgm"]}


def test_signal_table_is_the_signal_api_output_exactly(full_profile, synth_lake):
    # one scoring pipeline: every value of the profile's signal table (and summary) is the
    # value signals() returns for the same pair under the same case definition, bit for bit
    from pvsignal.analysis.signals import signals
    from pvsignal.report.profile.sections.signals import COLUMNS

    ref = signals(synth_lake, drug="voclosporin", min_count=1).table.set_index("event")
    tab = full_profile.section("signals").tables[0]
    assert len(tab.rows) == 2
    for row in tab.rows:
        want = ref.loc[row[0]]
        for col, got in zip(COLUMNS[1:], row[1:]):
            assert got == (bool(want[col]) if col.startswith("flag_") else want[col]), (row[0], col)
    for ev in ("HEADACHE", "TREMOR"):
        r = _row(full_profile, ev)
        assert (r.ror, r.ic025, r.ebgm, r.eb05) == tuple(ref.loc[ev, ["ror", "ic025", "ebgm", "eb05"]])


def test_summary_onset_equals_time_to_onset(full_profile, synth_lake):
    from pvsignal.analysis.onset import time_to_onset
    from pvsignal.prepare.build import connect

    con = connect(synth_lake)
    try:
        for ev in ("headache", "tremor"):
            r = time_to_onset(con, "voclosporin", ev)
            row = _row(full_profile, ev.upper())
            assert row.onset_n == r.n
            assert row.median_onset_days == pytest.approx(r.median_days)
            assert row.within_30_days == pytest.approx(r.within_30_days)
    finally:
        con.close()


def test_summary_trial_incidence_worked_by_hand(full_profile):
    # headache: V01–V03 = 3/20 = 15 % → very common (≥ 1/10); placebo P01 = 1/20 = 5 %
    # tremor: V04 = 1/20 = 5 % → common (≥ 1/100, < 1/10); CIOMS III, FACTS.md §5.3
    h, t = _row(full_profile, "HEADACHE"), _row(full_profile, "TREMOR")
    assert h.trial_frequency == "very common" and t.trial_frequency == "common"
    by_arm = {a.arm: (a.n, a.N, a.pct) for a in h.trial}
    assert by_arm == {ARM_V: (3, 20, 15.0), ARM_P: (1, 20, 5.0)}
    assert {a.arm: a.n for a in t.trial} == {ARM_V: 1, ARM_P: 0}
    # label percentages from the compound file (FACTS.md §3.3, unverified): headache 15 vs 8
    assert h.label_pct == [15.0, 8.0]


def test_trial_section_equals_incidence_api(full_profile, adam):
    from pvsignal.trial import incidence

    adsl, adae, _ = adam
    ref = incidence(adsl, adae, control=ARM_P).table
    sec = full_profile.section("trial")
    tab = sec.tables[0]
    rows = {(r[1], r[2]): r for r in tab.rows}
    want = ref[(ref["level"] == "pt") & (ref["AEDECOD"] == "Headache") & (ref["arm"] == ARM_V)].iloc[0]
    got = rows[("Headache", ARM_V)]
    assert got[3:7] == [int(want["n"]), int(want["N"]), float(want["pct"]), want["frequency"]]
    assert sec.data["population"] == {ARM_P: 20, ARM_V: 20}


def test_dose_rules_fired_worked_by_hand(full_profile):
    # V01 80→55 (fall 31 %: discontinue) →70 (87.5 % of baseline: re-initiate);
    # V02 70→52 (fall 25.7 %: reduce) →60 (85.7 %: increase); V03 ≥ 60 twice; V04 baseline 40
    # (flag ≤ 45) then 38 (< 60, fall 5 %: no change). Label table: FACTS.md §3.1.
    sec = full_profile.section("dose_rules")
    assert sec.data["fired"] == {
        "baseline": 4, "egfr-lt-60-fall-ge-30pct": 1, "discontinued-recovered-ge-80pct": 1,
        "egfr-lt-60-fall-gt-20-lt-30pct": 1, "reduced-recovered-ge-80pct": 1, "egfr-ge-60": 1,
        "egfr-lt-60-fall-le-20pct": 1,
    }
    fired = {r[0]: r[1] for r in sec.tables[-1].rows}
    assert fired["egfr-ge-60"] == 2  # measurements
    assert "1 baseline flag" in sec.tables[-1].note


def test_event_group_from_adae_coding_ranks_its_pts(full_profile):
    sec = full_profile.section("signals")
    events = [r[0] for r in sec.tables[0].rows]
    assert set(events) == {"HEADACHE", "TREMOR"}
    ic025 = [r[sec.tables[0].columns.index("IC025")] for r in sec.tables[0].rows]
    assert ic025 == sorted(ic025, reverse=True)
    assert "AEBODSYS" in full_profile.inputs["event_group_source"]


def test_event_group_from_a_groups_file(synth_lake, tmp_path):
    from pvsignal.report.profile import build_profile

    g = tmp_path / "groups.yaml"
    g.write_text("groups:\n  Neuro:\n    - Headache\n    - Tremor\n    - Dizziness\n", encoding="utf-8")
    p = build_profile("voclosporin", "headache", "Neuro", lake=synth_lake, groups=g, figures=False)
    assert p.section("signals").available
    assert {r[0] for r in p.section("signals").tables[0].rows} <= {"HEADACHE", "TREMOR", "DIZZINESS"}
    assert "group level" in p.inputs["event_group_source"]


def test_case_section_equals_case_series(full_profile, synth_lake):
    from pvsignal.analysis.cases import case_series
    from pvsignal.prepare.build import connect

    con = connect(synth_lake)
    try:
        cs = case_series(con, "voclosporin")
        ch = case_series(con, "voclosporin", "headache")
    finally:
        con.close()
    sec = full_profile.section("cases")
    assert sec.data["n_cases"] == cs.n_cases
    per = {r[0]: r for r in sec.tables[0].rows}
    assert per["HEADACHE"][1] == ch.n_cases
    sex = next(t for t in sec.tables if t.caption.startswith("Sex"))
    assert [r[:2] for r in sex.rows] == [[c, int(n)] for c, n in zip(cs.sex["category"], cs.sex["n"])]
    assert len(sec.figures) == 2 and all(f.data for f in sec.figures)


def test_synthetic_lake_is_detected_and_labelled(full_profile):
    from pvsignal.report.render import to_html

    assert full_profile.synthetic and full_profile.synthetic_note
    data_sections = [s for s in full_profile.sections if s.key in ("signals", "cases", "onset", "trial", "dose_rules")]
    assert all(s.synthetic for s in data_sections)
    # knowledge tables (label rules) are not data; every data table is labelled
    assert all(t.synthetic != t.caption.startswith("Label") for s in data_sections for t in s.tables)
    assert all(f.synthetic and f.title.startswith("SYNTHETIC DATA") for s in data_sections for f in s.figures)
    html = to_html(full_profile)
    n_tables = sum(t.synthetic for s in data_sections for t in s.tables) + 1  # + summary
    assert html.count('<span class="synth">SYNTHETIC DATA</span>') >= n_tables
    assert 'id="synthetic-banner"' in html


def test_synthetic_flag_comes_from_the_lake_manifest(synth_lake, tmp_path):
    import shutil

    from pvsignal.prepare.status import lake_status
    from pvsignal.report.profile import build_profile
    from pvsignal.report.render import to_html

    assert lake_status(synth_lake)["synthetic"] is True  # ingest recorded the generator's marker
    # the same lake with a manifest that records real quarters: nothing is labelled
    real = tmp_path / "lake"
    shutil.copytree(synth_lake, real)
    manifest = json.loads((real / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["quarters"].values():
        entry["synthetic"] = False
    (real / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    p = build_profile("voclosporin", ["headache"], lake=real, figures=False)
    assert not p.synthetic and p.synthetic_note is None
    assert not any(s.synthetic or any(t.synthetic for t in s.tables) for s in p.sections)
    html = to_html(p)
    assert 'class="synth"' not in html and 'id="synthetic-banner"' not in html and "[SYNTHETIC]" not in html
    p = build_profile("voclosporin", ["headache"], figures=False)  # no lake: nothing synthetic
    assert not p.synthetic and p.synthetic_note is None


def test_real_trial_data_beside_a_synthetic_lake_is_not_labelled(synth_lake, adam):
    from pvsignal.report.profile import build_profile

    adsl, adae, adlb = adam
    p = build_profile("voclosporin", ["headache"], lake=synth_lake, adsl=adsl, adae=adae, adlb=adlb, figures=False)
    assert p.synthetic  # the FAERS part is
    for key in ("signals", "cases", "onset", "interactions"):
        assert p.section(key).synthetic, key
    for key in ("trial", "dose_rules", "mechanism", "label", "benefit_risk"):
        s = p.section(key)
        assert s.available and not s.synthetic and not any(t.synthetic for t in s.tables), key
    assert "lake" in p.synthetic_note and "trial" not in p.synthetic_note


def test_a_drug_without_reports_in_the_lake_is_an_error_with_close_matches(synth_lake):
    from pvsignal.report.profile import build_profile

    with pytest.raises(UnknownNameError, match=r"no ingredient named 'voclosporn'; close matches: .*VOCLOSPORIN"):
        build_profile("voclosporn", ["headache"], lake=synth_lake, figures=False)
    with pytest.raises(UnknownNameError, match="notadrug"):
        build_profile("notadrug", ["headache"], lake=synth_lake, figures=False)


def test_default_events_are_flagged_by_two_methods_top_five_by_eb05(synth_lake):
    from pvsignal.analysis.signals import signals
    from pvsignal.report.profile import build_profile
    from pvsignal.report.render import to_html, to_markdown

    t = signals(synth_lake, drug="voclosporin", min_count=1).table
    votes = t[["flag_ror", "flag_prr", "flag_ic", "flag_ebgm"]].astype(bool).sum(axis=1)
    want = t[votes >= 2].sort_values(["eb05", "event"], ascending=[False, True])["event"].head(5).tolist()
    assert want  # the planted headache and tremor signals at least
    p = build_profile("voclosporin", lake=synth_lake, figures=False)
    assert p.events == want
    assert [r.event for r in p.summary] == want
    assert "at least 2 of ROR, PRR, IC and EBGM" in p.events_chosen and "top 5 by EB05" in p.events_chosen
    assert p.events_chosen in to_html(p) and "top 5 by EB05" in to_markdown(p)
    assert "chosen automatically" in " ".join(" ".join(m.text) for m in p.methods)
    with pytest.raises(ConfigError, match="at least one event"):
        build_profile("voclosporin", figures=False)  # no lake to choose them from


def test_sections_without_input_say_not_available():
    from pvsignal.report.profile import build_profile
    from pvsignal.report.render import to_html, to_markdown

    p = build_profile("voclosporin", ["headache", "tremor"], figures=False)
    state = {s.key: s.available for s in p.sections}
    assert state == {"signals": False, "sensitivity": False, "cases": False, "onset": False, "trial": False,
                     "dose_rules": True,
                     "interactions": True, "mechanism": True, "label": True, "benefit_risk": True}
    assert p.section("signals").reason.startswith("not available: no FAERS lake")
    assert p.section("trial").reason == "not available: no trial data were given (--adsl and --adae)"
    assert any("Signal statistics not available" in n for n in p.summary_notes)
    assert _row(p, "HEADACHE").ror is None and _row(p, "HEADACHE").label_pct == [15.0, 8.0]
    html, md = to_html(p), to_markdown(p)
    assert html.count("not available: no FAERS lake") >= 3
    assert "not available: no trial data" in md


def test_unknown_drug_profile_still_renders():
    from pvsignal.report.profile import build_profile

    p = build_profile("nosuchdrug", ["headache"], figures=False)
    assert not p.section("mechanism").available
    assert "no compound knowledge file for 'nosuchdrug'" in p.section("mechanism").reason


def test_bad_arguments_raise_clear_errors(tmp_path):
    from pvsignal.report.profile import build_profile

    with pytest.raises(ConfigError, match="at least one event"):
        build_profile("voclosporin", " , ")
    with pytest.raises(InputFileError, match="not a pvsignal lake"):
        build_profile("voclosporin", ["headache"], lake=tmp_path)


def test_json_export_round_trips(full_profile, tmp_path):
    from pvsignal.report.render import render

    path = render(full_profile, tmp_path / "p.json")
    d = json.loads(path.read_text(encoding="utf-8"))
    h = next(r for r in d["summary"] if r["event"] == "HEADACHE")
    assert h["ror"] == pytest.approx(_row(full_profile, "HEADACHE").ror)
    assert d["synthetic"] is True
    assert all("data" not in f for s in d["sections"] for f in s["figures"])  # images left out by default
    d2 = full_profile.to_dict(figures=True)
    assert any(f.get("data") for s in d2["sections"] for f in s["figures"])


def test_methods_follow_readus_pv_order_and_carry_the_lake_tally(full_profile, synth_lake):
    from pvsignal import api

    st = api.status(synth_lake)
    items = [m.item for m in full_profile.methods]
    assert items == ["4a", "4b", "5a", "5b", "6a", "6b+", "sw"]
    text = " ".join(" ".join(m.text) for m in full_profile.methods)
    assert f"{st['cases']} cases after deduplication" in text
    assert f"{st['removed_old_versions']} superseded versions" in text
    assert "2023Q1 to 2023Q2" in text
    assert "PS, SS" in text and "EB05 ≥ 2" in text
    ids = {r.id for r in full_profile.references}
    assert {"READUS-PV", "ROR", "PRR", "IC", "MGPS", "LUPKYNIS-PI", "MEDPATH-2025"} <= ids


def test_mechanism_diagram_is_deterministic(tmp_path):
    from pvsignal.report.mechanism import mechanism_diagram
    from pvsignal.knowledge.compounds import load_compound

    c = load_compound("voclosporin")
    a = mechanism_diagram(c, tmp_path / "a.svg").read_bytes()
    b = mechanism_diagram(c, tmp_path / "b.svg").read_bytes()
    assert a == b and a.startswith(b"<?xml")


@pytest.mark.slow  # about 10 s: builds its own profile
def test_cli_writes_the_report_and_rejects_bad_input(synth_lake, adam, tmp_path, capsys):
    from pvsignal.cli import main

    adsl, adae, _ = adam
    adsl.to_csv(tmp_path / "adsl.csv", index=False)
    adae.to_csv(tmp_path / "adae.csv", index=False)
    out = tmp_path / "r.md"
    with pytest.raises(SystemExit) as ok:
        main(["profile", "voclosporin", "--events", "headache,tremor", "--event-group", NS, "--lake",
              str(synth_lake), "--adsl", str(tmp_path / "adsl.csv"), "--adae", str(tmp_path / "adae.csv"),
              "--out", str(out)])
    assert ok.value.code == 0
    text = out.read_text(encoding="utf-8")
    assert "## Summary of the events of interest (SYNTHETIC DATA)" in text
    assert (tmp_path / "r_figures" / "onset-1.svg").is_file()
    with pytest.raises(SystemExit) as e:
        main(["profile", "voclosporin", "--events", "headache", "--lake", str(tmp_path / "none"),
              "--out", str(tmp_path / "x.html")])
    assert e.value.code == 2
    assert "no manifest.json" in " ".join(capsys.readouterr().err.split())
    # a drug with no report in the lake: exit 2, close matches, no report written
    with pytest.raises(SystemExit) as e:
        main(["profile", "voclosporn", "--lake", str(synth_lake), "--out", str(tmp_path / "typo.html")])
    assert e.value.code == 2
    assert "close matches: VOCLOSPORIN" in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "typo.html").exists()


@pytest.mark.slow  # about 10 s: builds its own profile
def test_quarters_restrict_every_faers_section_and_the_methods_say_so(synth_lake, full_profile):
    # one CaseDefinition: the profile built with quarters= counts what the analyses count
    # under the same definition, section by section
    from pvsignal.analysis.cases import case_series
    from pvsignal.analysis.interactions import co_reported_perpetrators
    from pvsignal.analysis.onset import time_to_onset
    from pvsignal.analysis.population import CaseDefinition
    from pvsignal.analysis.signals import signals
    from pvsignal.prepare.build import connect
    from pvsignal.report.profile import build_profile

    d = CaseDefinition(quarters="2023Q2")
    p = build_profile("voclosporin", ["headache", "tremor"], lake=synth_lake, quarters="2023Q2", figures=False)
    assert p.case_definition["quarters"] == "2023Q2"
    table = signals(synth_lake, drug="voclosporin", min_count=1, definition=d).table.set_index("event")
    con = connect(synth_lake)
    try:
        cs = case_series(con, "voclosporin", definition=d)
        co = co_reported_perpetrators(con, "voclosporin", definition=d)
        onset = {ev: time_to_onset(con, "voclosporin", ev, definition=d) for ev in ("headache", "tremor")}
    finally:
        con.close()
    assert 0 < p.section("cases").data["n_cases"] == cs.n_cases < full_profile.section("cases").data["n_cases"]
    assert p.section("interactions").data["n_drug_cases"] == co.n_drug_cases
    assert co.n_drug_cases < full_profile.section("interactions").data["n_drug_cases"]
    for ev in ("HEADACHE", "TREMOR"):
        row = _row(p, ev)
        assert row.reports == table.loc[ev, "n"] < _row(full_profile, ev).reports
        assert (row.ror, row.eb05) == (table.loc[ev, "ror"], table.loc[ev, "eb05"])
        assert row.onset_n == onset[ev.lower()].n
    text = " ".join(" ".join(m.text) for m in p.methods if m.item == "6a")
    assert "from the quarters 2023Q2 to 2023Q2" in text and "used by every FAERS section" in text
    full = " ".join(" ".join(m.text) for m in full_profile.methods if m.item == "6a")
    assert "from every quarter in the lake" in full


def test_the_guard_turns_a_section_failure_into_a_reason():
    # a section is one SectionSpec; the guard keeps it with its reason instead of sinking the report
    from pvsignal.analysis.population import CaseDefinition
    from pvsignal.report.profile.assemble import run_section
    from pvsignal.report.profile.context import ProfileContext, SectionSpec
    from pvsignal.report.profile.sections import SECTIONS
    from pvsignal.stats.flags import Thresholds

    assert [s.key for s in SECTIONS][:4] == ["signals", "sensitivity", "cases", "onset"]
    ctx = ProfileContext(drug="x", key="X", events=["E"], definition=CaseDefinition(), thresholds=Thresholds())

    def user_error(ctx):
        raise InputFileError("adsl.xpt does not exist")

    def bug(ctx):
        raise ZeroDivisionError("division by zero")

    s = run_section(ctx, SectionSpec("demo", "Demo", "trial", user_error))
    assert (s.available, s.reason, ctx.errors) == (False, "adsl.xpt does not exist", [])
    s = run_section(ctx, SectionSpec("demo", "Demo", "faers", bug))
    assert not s.available and s.reason == "the computation failed (ZeroDivisionError: division by zero)"
    assert ctx.errors == ["demo: ZeroDivisionError: division by zero"]


def test_omega_counts_the_perpetrator_in_any_role(synth_lake, full_profile):
    # the section's Ω table is interaction_signals under the interacting roles for the drug and
    # ALL roles for the perpetrator (co-medication is mostly reported as concomitant)
    from pvsignal.analysis.interactions import ALL_ROLES, interaction_signals
    from pvsignal.analysis.population import CaseDefinition
    from pvsignal.prepare.build import connect

    sec = full_profile.section("interactions")
    om = next(t for t in sec.tables if t.caption.startswith("Interaction signals"))
    assert "perpetrator in any role" in om.caption
    rows = [dict(zip(om.columns, r)) for r in om.rows]
    con = connect(synth_lake)
    try:
        for r in rows:
            exp = interaction_signals(con, "voclosporin", r["perpetrator"], [r["event"]], perpetrator_roles=ALL_ROLES,
                                      definition=CaseDefinition(roles="interacting"))
            assert r["cases with both + event"] == exp["n111"].iloc[0]
            assert r["cases with both"] == exp["n11_"].iloc[0]
            narrow = interaction_signals(con, "voclosporin", r["perpetrator"], [r["event"]],
                                         definition=CaseDefinition(roles="interacting"))
            assert narrow["n11_"].iloc[0] <= exp["n11_"].iloc[0]
    finally:
        con.close()
    assert rows
