"""signals(): the assembled pipeline from reports table or lake to scored pairs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pvsignal import api
from pvsignal.stats.mgps import ebgm_scores, fit_prior
from pvsignal.analysis.signals import OUTPUT_COLUMNS, load_config, signals
from pvsignal.errors import ConfigError, UnknownNameError

from faers_text import demo_b, drug_b


@pytest.fixture
def reports_csv(tmp_path):
    # 40 reports: drug A with event X in 6 of its 10 reports; B, C background
    rows = []
    rng = np.random.default_rng(3)
    for r in range(40):
        drug = "A" if r < 10 else ("B" if r < 25 else "C")
        events = ["X"] if (r < 6 or r % 7 == 0) else ["Y"]
        if r % 3 == 0:
            events.append("Z")
        for e in events:
            rows.append((f"R{r}", drug, e, "F" if rng.random() < 0.5 else "M"))
    df = pd.DataFrame(rows, columns=["case", "product", "pt", "sex"])
    p = tmp_path / "reports.csv"
    df.to_csv(p, index=False)
    return p, df


def _cols():
    return {"report_id": "case", "drug": "product", "event": "pt"}


def test_reports_table_scores_match_the_statistics_on_hand_counts(reports_csv):
    path, df = reports_csv
    res = signals(reports=path, reports_columns=_cols(), min_count=1)
    t = res.table
    assert list(t.columns[: len(OUTPUT_COLUMNS)]) == list(OUTPUT_COLUMNS)
    row = t[(t.drug == "A") & (t.event == "X")].iloc[0]
    # hand count: reports with A: R0–R9 (10); with X: R0–R5 plus R7, R14, R21, R28, R35 (r % 7 == 0, r ≥ 6) = 11
    # A&X: R0–R5, R7 = 7; N = 40 → a=7, b=3, c=4, d=26, E = 10·11/40 = 2.75
    assert (row.n, row.a, row.b, row.c, row.d) == (7, 7, 3, 4, 26)
    assert row.expected == pytest.approx(2.75)
    assert row.ror == pytest.approx(7 * 26 / (3 * 4))
    # Woolf: exp(ln 15.1667 ± 1.959964·sqrt(1/7 + 1/3 + 1/4 + 1/26)), computed by hand
    assert row.ror_lower == pytest.approx(2.732513, rel=1e-6)
    assert row.ror_upper == pytest.approx(84.18178, rel=1e-6)
    # the MGPS prior is fitted on every pair (n ≥ 1), not only the shown rows
    counts = res.counts
    fit = fit_prior(counts["n"].to_numpy(), counts["expected"].to_numpy())
    eb = ebgm_scores(np.array([7]), np.array([2.75]), fit.prior)
    assert row.ebgm == pytest.approx(eb["ebgm"][0], rel=1e-9)
    assert row.eb05 == pytest.approx(eb["eb05"][0], rel=1e-6)
    assert res.metadata["pairs_in_prior_fit"] == len(counts)
    assert res.metadata["population_reports"] == 40


def test_filters_are_case_insensitive_and_unknown_names_are_clear(reports_csv):
    path, _ = reports_csv
    res = signals(reports=path, reports_columns=_cols(), drug="a", min_count=1)
    assert set(res.table.drug) == {"A"}
    with pytest.raises(UnknownNameError, match="close matches"):
        signals(reports=path, reports_columns=_cols(), event="XX", min_count=1)
    with pytest.raises(ConfigError, match="exactly one data source"):
        signals(min_count=1)


def test_sidecar_is_a_config_that_reproduces_the_result(reports_csv, tmp_path):
    path, _ = reports_csv
    res = signals(reports=path, reports_columns={**_cols(), "strata": ["sex"]}, min_count=2, fisher=True)
    out = tmp_path / "sig.xlsx"
    from pvsignal.report.export import write_table

    write_table(res.table, out, metadata=res.sidecar())
    cfg = load_config(tmp_path / "sig.xlsx.json")
    again = signals(config=cfg)
    pd.testing.assert_frame_equal(res.table, again.table)
    side = json.loads((tmp_path / "sig.xlsx.json").read_text())
    assert side["metadata"]["mgps_prior"]["converged"] in (True, False)
    assert {"ror_mh", "breslow_day_p", "fisher_p", "fisher_q"} <= set(res.table.columns)
    sheets = pd.read_excel(out, sheet_name=None)
    assert set(sheets) == {"results", "parameters"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("min_count: zero\n")
    with pytest.raises(ConfigError, match="min_count"):
        load_config(bad)


def test_signals_from_a_lake_count_deduplicated_suspect_reports(write_quarter, tmp_path):
    demo = [demo_b(10 + i, i, 1, "20240110") for i in range(1, 9)]
    drug = [drug_b(11, 1, 1, "PS", "LUPKYNIS"), drug_b(12, 2, 1, "PS", "VOCLOSPORIN"),
            drug_b(13, 3, 1, "C", "VOCLOSPORIN"),  # concomitant only: not a voclosporin report by default
            drug_b(13, 3, 2, "PS", "ASPIRIN"), drug_b(14, 4, 1, "PS", "ASPIRIN"), drug_b(15, 5, 1, "PS", "ASPIRIN"),
            drug_b(16, 6, 1, "PS", "ASPIRIN"), drug_b(17, 7, 1, "PS", "ASPIRIN"), drug_b(18, 8, 1, "PS", "ASPIRIN")]
    reac = [f"{10 + i}${i}$Headache$" for i in (1, 2, 3, 4)] + [f"{10 + i}${i}$Nausea$" for i in (5, 6, 7, 8)]
    lake = tmp_path / "lake"
    api.ingest([write_quarter("2024Q1", {"DEMO": demo, "DRUG": drug, "REAC": reac})], lake=lake)
    res = api.signals(lake, drug="voclosporin", event="headache", min_count=1)
    row = res.table.iloc[0]
    # voclosporin (PS/SS) reports: cases 1, 2; headache: 1–4; N = 8 → a=2, b=0, c=2, d=4
    assert (row.drug, row.event, row.a, row.b, row.c, row.d) == ("VOCLOSPORIN", "HEADACHE", 2, 0, 2, 4)
    assert np.isnan(row.ror) and row.ror_reason == "zero cell"
    assert res.config.case_definition["role_codes"] == ["PS", "SS"]
    res_all = api.signals(lake, drug="voclosporin", event="headache", min_count=1, case_definition={"roles": "all"})
    assert res_all.table.iloc[0].a == 3
    assert res.metadata["source"]["tally"]["cases"] == 8
    # a user-defined group holding only Headache: same cells, and N stays 8 although
    # cases 5–8 have no PT in any group (they stay in the population)
    groups = tmp_path / "groups.yaml"
    groups.write_text("groups:\n  Neuro: [Headache]\n")
    grp = api.signals(lake, drug="voclosporin", min_count=1,
                      case_definition={"event_level": "group", "event_groups": str(groups)})
    g = grp.table.iloc[0]
    assert (g.event, g.a, g.b, g.c, g.d) == ("Neuro", 2, 0, 2, 4)
    assert len(grp.table) == 1
    # one distinct count cannot identify a two-gamma prior: EBGM is undefined, with the reason
    assert np.isnan(g.ebgm) and g.ebgm_reason.startswith("MGPS prior not estimable")
    # …unless the user supplies a prior (here the real-FAERS prior of FACTS-2.md §7)
    given = api.signals(lake, drug="voclosporin", min_count=1, mgps={"prior": [0.983, 0.393, 0.386, 0.00326, 0.806]},
                        case_definition={"event_level": "group", "event_groups": str(groups)})
    assert given.table.iloc[0].ebgm > 0 and given.metadata["mgps_prior"]["source"] == "given in the configuration"
    with pytest.raises(ConfigError, match="needs meddra"):
        api.signals(lake, case_definition={"event_level": "soc"})
