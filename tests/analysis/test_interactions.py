"""Ω shrinkage interaction measure, stratified ROR, and the store queries.

Ω reference: Norén GN, Sundberg R, Bate A, Edwards IR. Stat Med 2008;27:3057–3070
(eq. 16 for g11, eq. 19–20 for the limits); reference values from UMC's own implementation
Uppsala-Monitoring-Centre/PVomega (tests/testthat fixtures and tests), and worked examples
computed by hand from the formula in shared/domain/FACTS-2.md §2.2–§2.3.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pvsignal.analysis.interactions import (
    STRATA_COLUMNS,
    co_reported_perpetrators,
    interaction_counts,
    interaction_signals,
    margins_to_strata,
    omega,
    stratified_ror,
)
from pvsignal.analysis.population import CaseDefinition
from pvsignal.errors import ConfigError, UnknownNameError

# PVomega tests/testthat/fixtures/omega_validation_data.csv (commit 6fdb254):
# id, nxyz=n111, nxy=n11., nxz=n1.1, nyz=n.11, nx=n1.., ny=n.1., nz=n..1, n=n..., Ω, Ω025
PVOMEGA_FIXTURE = [
    (1, 45, 250, 120, 85, 580, 420, 340, 50000, -1.0478, -1.5003),
    (2, 25, 250, 120, 85, 580, 420, 340, 50000, -2.2590, -2.8801),
    (3, 80, 250, 120, 85, 580, 420, 340, 50000, 1.1732, 0.8396),
    (4, 5, 50, 20, 15, 120, 100, 70, 5000, -1.6685, -3.1960),
    (5, 250, 5000, 3500, 2800, 12000, 8500, 6500, 45000000, -3.9613, -4.1457),
    (6, 500, 5000, 3500, 2800, 12000, 8500, 6500, 45000000, -2.8613, -2.9905),
    (7, 100, 5000, 3500, 2800, 12000, 8500, 6500, 45000000, -5.3364, -5.6332),
    (8, 800, 8000, 6000, 5000, 20000, 15000, 11200, 45000000, -2.7935, -2.8953),
    (9, 150, 3500, 2500, 2000, 10000, 7000, 5000, 45000000, -3.8685, -4.1087),
    (10, 23, 278, 78, 67, 1775, 1613, 305, 9822, 0.9380, 0.2882),
    (11, 10, 23, 10, 19, 39, 1489, 39, 5503, 4.0335, 3.0034),
    (12, 5, 27, 63, 11, 6083, 5071, 3695, 3200000, 2.8554, 1.3278),
]


@pytest.mark.parametrize("row", PVOMEGA_FIXTURE, ids=lambda r: f"pvomega-{r[0]}")
def test_omega_matches_pvomega_fixture(row):
    # The fixture prints 4 decimals; its row 12 Ω025 (1.3278) differs from the exact gamma
    # quantile (1.327935) by 1.4e-4, so the tolerance is 2e-4.
    _, *counts, exp_omega, exp_lower = row
    est = omega(**margins_to_strata(*counts))
    assert est.omega[0] == pytest.approx(exp_omega, abs=2e-4)
    assert est.omega_lower[0] == pytest.approx(exp_lower, abs=2e-4)


def test_omega_paper_table_ii_intermediates():
    # Norén 2008 Table II example (itraconazole + oral contraceptives, delayed bleeding), with
    # the intermediates printed by PVomega tests/testthat/test-omega-from-counts.R (n1..=33).
    # f10 = 0 < f00, so g11 = f01 (the drug below background adds nothing, eq. 16).
    est = omega(**margins_to_strata(10, 23, 10, 19, 33, 1489, 39, 5503)).iloc[0]
    assert est.f00 == pytest.approx(0.004995, abs=1e-6)
    assert est.f10 == 0.0
    assert est.f01 == pytest.approx(0.006139, abs=1e-6)
    assert est.f11 == pytest.approx(0.434783, abs=1e-6)
    assert est.g11 == pytest.approx(est.f01, rel=1e-12)
    assert est.expected == pytest.approx(0.141201, abs=1e-6)
    assert est.omega == pytest.approx(4.033470, abs=1e-6)
    assert est.omega_lower == pytest.approx(3.003327, abs=1e-6)
    assert est.omega_upper == pytest.approx(4.790041, abs=1e-6)
    assert est.omega0 == pytest.approx(6.146111, abs=1e-6)


def test_omega_pvomega_diana_sample_with_zero_observed():
    # PVomega tests/testthat/test-omega.R on DiAna sample data: n111 = 0 is defined.
    est = omega(**margins_to_strata(0, 6, 5, 0, 51, 15, 15, 1000)).iloc[0]
    assert est.reason == ""
    assert est.g11 == pytest.approx(0.111111, abs=1e-6)
    assert est.expected == pytest.approx(0.666667, abs=1e-6)
    assert est.omega == pytest.approx(-1.222392, abs=1e-6)
    assert est.omega_lower == pytest.approx(-11.214280, abs=1e-5)
    assert est.omega_upper == pytest.approx(1.106411, abs=1e-6)


def test_omega_worked_example_a():
    # FACTS-2 §2.3 Example A, by hand: f00=0.005, f10=0.01, f01=0.02, f11=0.25;
    # g11 = 1 − 1/(o10 + o01 − o00 + 1) = 0.024851; E111 = 20·g11 = 0.497015;
    # Ω = log2(5.5/0.997015) = 2.463745; exact Gamma(5.5, 0.997015) limits.
    est = omega(5, 20, 10, 1000, 40, 2000, 500, 100000).iloc[0]
    o = lambda f: f / (1 - f)  # noqa: E731
    g11 = 1 - 1 / (o(0.01) + o(0.02) - o(0.005) + 1)
    assert est.g11 == pytest.approx(g11, rel=1e-12)
    assert est.g11 == pytest.approx(0.024851, abs=1e-6)
    assert est.expected == pytest.approx(0.497015, abs=1e-6)
    assert est.omega == pytest.approx(2.463745, abs=1e-6)
    assert est.omega_lower == pytest.approx(0.936279, abs=1e-6)
    assert est.omega_upper == pytest.approx(3.458492, abs=1e-6)
    assert est.omega0 == pytest.approx(3.330567, abs=1e-6)


def test_omega_worked_example_b_crescenddi_faers_counts():
    # FACTS-2 §2.3 Example B: CRESCENDDI DR1_FAERS_COUNTS.xlsx row 1 (real FAERS counts).
    est = omega(5, 10, 437, 9680, 463, 4737, 27574, 9188812).iloc[0]
    assert est.g11 == pytest.approx(0.132395, abs=1e-6)
    assert est.expected == pytest.approx(1.323953, abs=1e-6)
    assert est.omega == pytest.approx(1.592363, abs=1e-6)
    assert est.omega_lower == pytest.approx(0.064898, abs=1e-6)
    assert est.omega_upper == pytest.approx(2.587111, abs=1e-6)


def test_omega_no_background_variant_example_a():
    # Norén 2008 §4 robustness variant g'11 = 1 − 1/(o10 + o01 + 1), by hand on Example A.
    o10, o01 = 0.01 / 0.99, 0.02 / 0.98
    g = 1 - 1 / (o10 + o01 + 1)
    est = omega(5, 20, 10, 1000, 40, 2000, 500, 100000, background=False).iloc[0]
    assert est.g11 == pytest.approx(g, rel=1e-12)
    assert est.omega == pytest.approx(math.log2(5.5 / (20 * g + 0.5)), rel=1e-12)


def test_omega_vectorised_over_many_triples_equals_one_at_a_time():
    strata = margins_to_strata(*np.array([r[1:9] for r in PVOMEGA_FIXTURE]).T)
    reps = 5000  # 60 000 triples in one call
    many = omega(**{k: np.tile(v, reps) for k, v in strata.items()})
    assert len(many) == 12 * reps
    one = pd.concat([omega(**{k: v[i] for k, v in strata.items()}) for i in range(12)], ignore_index=True)
    for col in ("omega", "omega_lower", "omega_upper", "expected"):
        np.testing.assert_allclose(many[col].to_numpy().reshape(reps, 12), np.tile(one[col].to_numpy(), (reps, 1)), rtol=1e-12)


def test_omega_best_achievable_lower_limit_by_case_count():
    # FACTS-2 §2.1 item 8: with E111 → 0 (every other stratum has rate 0, so g11 = 0) the
    # best Ω025 is log2(q_0.025(Gamma(n+0.5, rate 0.5))): −9.99, −2.21, −0.27, +0.76 for n = 0..3
    # — fewer than 3 cases can never signal.
    n = np.array([0, 1, 2, 3])
    est = omega(n, 10, 0, 10, 0, 10, 0, 10)
    assert (est.expected == 0).all()
    np.testing.assert_allclose(est.omega_lower, [-9.99, -2.21, -0.27, 0.76], atol=0.006)
    assert list(est.omega_lower > 0) == [False, False, False, True]


@pytest.mark.parametrize(
    "cells, reason",
    [
        ((0, 0, 1, 10, 1, 10, 1, 10), "empty stratum"),          # n11. = 0
        ((1, 5, 0, 0, 1, 10, 1, 10), "empty stratum"),           # n10. = 0
        ((1, 5, 1, 10, 0, 0, 1, 10), "empty stratum"),           # n01. = 0
        ((1, 5, 1, 10, 1, 10, 0, 0), "empty stratum"),           # n00. = 0
        ((1, 5, 1, 10, 1, 10, 10, 10), "f00, f10 or f01 = 1"),  # f00 = 1
        ((1, 5, 10, 10, 1, 10, 1, 10), "f00, f10 or f01 = 1"),  # f10 = 1
        ((1, 5, 1, 10, 10, 10, 1, 10), "f00, f10 or f01 = 1"),  # f01 = 1
        ((6, 5, 1, 10, 1, 10, 1, 10), "inconsistent counts"),    # more events than reports
        ((1, 5, -1, 10, 1, 10, 1, 10), "inconsistent counts"),
    ],
)
def test_omega_undefined_cases_are_nan_with_reason(cells, reason):
    # Validity rules: PVomega R/omega_from_counts.R (FACTS-2 §2.1 item 11).
    est = omega(*cells).iloc[0]
    assert est.reason == reason
    assert math.isnan(est.omega) and math.isnan(est.omega_lower) and math.isnan(est.omega_upper)


def test_omega_all_exposed_with_event_is_defined():
    # f11 = 1 is fine (only f00, f10, f01 = 1 make the odds infinite).
    est = omega(5, 5, 1, 10, 1, 10, 1, 10).iloc[0]
    assert est.reason == "" and est.f11 == 1.0 and np.isfinite(est.omega)


def test_omega_mixed_valid_and_invalid_rows_in_one_call():
    est = omega([5, 0], [20, 0], [10, 1], [1000, 10], [40, 1], [2000, 10], [500, 1], [100000, 10])
    assert est.omega[0] == pytest.approx(2.463745, abs=1e-6)
    assert math.isnan(est.omega[1]) and est.reason[1] == "empty stratum"


def test_omega_rejects_bad_parameters():
    with pytest.raises(ValueError):
        omega(1, 2, 1, 2, 1, 2, 1, 2, alpha=0)
    with pytest.raises(ValueError):
        omega(1, 2, 1, 2, 1, 2, 1, 2, level=1.0)


@settings(max_examples=60, deadline=None)
@given(
    n111=st.integers(0, 50), extra=st.integers(1, 200),
    n101=st.integers(0, 40), n10=st.integers(41, 1000),
    n011=st.integers(0, 40), n01=st.integers(41, 1000),
    n001=st.integers(0, 500), n00=st.integers(501, 100000),
)
def test_omega_interval_brackets_estimate(n111, extra, n101, n10, n011, n01, n001, n00):
    est = omega(n111, n111 + extra, n101, n10, n011, n01, n001, n00).iloc[0]
    assert est.omega_lower < est.omega < est.omega_upper
    # a narrower interval sits inside a wider one
    est90 = omega(n111, n111 + extra, n101, n10, n011, n01, n001, n00, level=0.90).iloc[0]
    assert est.omega_lower < est90.omega_lower and est90.omega_upper < est.omega_upper


def test_stratified_ror_example_a_by_hand():
    # Both vs drug alone: a=5, b=20−5=15, c=10, d=1000−10=990 → ROR = 5·990/(15·10) = 33;
    # SE = sqrt(1/5+1/15+1/10+1/990) = 0.606366; CI = 33·exp(∓1.959964·SE) (Woolf).
    r = stratified_ror(5, 20, 10, 1000, 40, 2000, 500, 100000).iloc[0]
    se = math.sqrt(1 / 5 + 1 / 15 + 1 / 10 + 1 / 990)
    assert r.ror_both_vs_drug == pytest.approx(33.0)
    assert r.ror_both_vs_drug_lower == pytest.approx(33 * math.exp(-1.959964 * se), rel=1e-6)
    assert r.ror_both_vs_drug_upper == pytest.approx(33 * math.exp(1.959964 * se), rel=1e-6)
    assert r.ror_both_vs_drug_lower == pytest.approx(10.0549, abs=1e-4)
    # Both vs perpetrator alone: 5·1960/(15·40) = 16.3333
    assert r.ror_both_vs_perpetrator == pytest.approx(5 * 1960 / (15 * 40))
    assert (r.rate_both, r.rate_drug_alone, r.rate_perpetrator_alone, r.rate_neither) == (0.25, 0.01, 0.02, 0.005)


def test_stratified_ror_zero_cell_is_nan():
    r = stratified_ror(5, 20, 0, 1000, 40, 2000, 500, 100000).iloc[0]
    assert math.isnan(r.ror_both_vs_drug) and r.ror_reason == "zero cell"
    assert r.ror_both_vs_perpetrator == pytest.approx(5 * 1960 / (15 * 40))


# --------------------------------------------------------------------------- store


def _store(tmp_path, drugs, reactions) -> duckdb.DuckDBPyConnection:
    """A real DuckDB file with the prepared-view names and columns the queries read."""
    con = duckdb.connect(str(tmp_path / "prepared.duckdb"))
    con.execute("CREATE TABLE case_drugs (caseid BIGINT, primaryid BIGINT, drug_seq BIGINT, role_cod VARCHAR, "
                "drugname VARCHAR, prod_ai VARCHAR, ingredient VARCHAR)")
    con.execute("CREATE TABLE case_reactions (caseid BIGINT, primaryid BIGINT, pt VARCHAR, drug_rec_act VARCHAR)")
    d = pd.DataFrame(drugs, columns=["caseid", "ingredient", "role_cod"])
    r = pd.DataFrame(reactions, columns=["caseid", "pt"])
    con.register("d_in", d)
    con.register("r_in", r)
    con.execute("INSERT INTO case_drugs SELECT caseid, caseid * 10, 1, role_cod, ingredient, ingredient, ingredient FROM d_in")
    con.execute("INSERT INTO case_reactions SELECT caseid, caseid * 10, pt, NULL FROM r_in")
    con.unregister("d_in")
    con.unregister("r_in")
    return con


# Hand-made cases. Exposure roles PS/SS/I by default; C does not count.
#   case 1: VOCLOSPORIN PS + KETOCONAZOLE SS      → both        TREMOR, HEADACHE
#   case 2: VOCLOSPORIN PS                       → drug only   TREMOR
#   case 3: ITRACONAZOLE PS                      → perp only   HEADACHE
#   case 4: ASPIRIN PS                           → neither     TREMOR
#   case 5: VOCLOSPORIN C + CLARITHROMYCIN I     → perp only (voclosporin only concomitant)  TREMOR
#   case 6: VOCLOSPORIN PS + DILTIAZEM HYDROCHLORIDE SS (moderate) → drug only for 'strong'  NAUSEA
#   case 7: no drug row                          → neither     NAUSEA
#   case 8: VOCLOSPORIN PS + NIZORAL C (brand)   → drug only (perp concomitant)   TREMOR
#   case 9: VOCLOSPORIN PS, no reaction row      → outside the universe
DRUGS = [
    (1, "VOCLOSPORIN", "PS"), (1, "KETOCONAZOLE", "SS"), (2, "VOCLOSPORIN", "PS"), (3, "ITRACONAZOLE", "PS"),
    (4, "ASPIRIN", "PS"), (5, "VOCLOSPORIN", "C"), (5, "CLARITHROMYCIN", "I"), (6, "VOCLOSPORIN", "PS"),
    (6, "DILTIAZEM HYDROCHLORIDE", "SS"), (8, "VOCLOSPORIN", "PS"), (8, "NIZORAL", "C"), (9, "VOCLOSPORIN", "PS"),
]
REACTIONS = [
    (1, "TREMOR"), (1, "HEADACHE"), (2, "TREMOR"), (3, "HEADACHE"), (4, "TREMOR"), (5, "TREMOR"),
    (6, "NAUSEA"), (7, "NAUSEA"), (8, "TREMOR"), (8, "TREMOR"),  # duplicate row counts once
]


def test_counts_by_hand_strong_cyp3a4_inhibitor_default_roles(tmp_path):
    con = _store(tmp_path, DRUGS, REACTIONS)
    c = interaction_counts(con, "voclosporin", "strong-cyp3a4-inhibitor", "tremor").iloc[0]
    # strata: both {1}; drug only {2, 6, 8}; perp only {3, 5}; neither {4, 7}; case 9 has no reaction
    # tremor: both {1}; drug only {2, 8}; perp only {5}; neither {4}
    assert c.event == "TREMOR"
    assert [int(c[k]) for k in STRATA_COLUMNS] == [1, 1, 2, 3, 1, 2, 1, 2]


def test_counts_roles_are_configurable(tmp_path):
    con = _store(tmp_path, DRUGS, REACTIONS)
    c = interaction_counts(con, "voclosporin", "strong-cyp3a4-inhibitor", "tremor", roles="PS,SS,C,I").iloc[0]
    # every mention counts: both {1, 5, 8}; drug only {2, 6}; perp only {3}; neither {4, 7}
    # tremor: both {1, 5, 8}; drug only {2}; perp only {}; neither {4}
    assert [int(c[k]) for k in STRATA_COLUMNS] == [3, 3, 1, 2, 0, 1, 1, 2]
    c = interaction_counts(con, "voclosporin", "strong-cyp3a4-inhibitor", "tremor",
                           perpetrator_roles=["PS", "SS", "C", "I"]).iloc[0]
    # voclosporin PS/SS/I, perpetrator any role: both {1, 8}; drug only {2, 6}; perp only {3, 5}
    assert [int(c[k]) for k in STRATA_COLUMNS] == [2, 2, 1, 2, 1, 2, 1, 2]


def test_counts_class_of_all_strengths_resolves_salt_forms(tmp_path):
    con = _store(tmp_path, DRUGS, REACTIONS)
    c = interaction_counts(con, "LUPKYNIS", "cyp3a4-inhibitor", ["nausea"]).iloc[0]
    # DILTIAZEM HYDROCHLORIDE → DILTIAZEM (moderate): both {1, 6}; drug only {2, 8}; perp {3, 5}; neither {4, 7}
    assert [int(c[k]) for k in STRATA_COLUMNS] == [1, 2, 0, 2, 0, 2, 1, 2]


def test_counts_every_event_in_one_query(tmp_path):
    con = _store(tmp_path, DRUGS, REACTIONS)
    df = interaction_counts(con, "voclosporin", "strong-cyp3a4-inhibitor")
    assert list(df.event) == ["HEADACHE", "NAUSEA", "TREMOR"]
    assert df.set_index("event").loc["HEADACHE", ["n111", "n101", "n011", "n001"]].tolist() == [1, 0, 1, 0]
    assert df.set_index("event").loc["NAUSEA", ["n111", "n101", "n011", "n001"]].tolist() == [0, 1, 0, 1]
    assert (df.n11_ == 1).all() and (df.n00_ == 2).all()
    assert list(interaction_counts(con, "voclosporin", "strong-cyp3a4-inhibitor", min_n111=1).event) == ["HEADACHE", "TREMOR"]


def test_counts_single_perpetrator_drug_and_attrs(tmp_path):
    con = _store(tmp_path, DRUGS, REACTIONS)
    df = interaction_counts(con, "voclosporin", "nizoral", "tremor")  # brand → KETOCONAZOLE
    assert [int(df.iloc[0][k]) for k in STRATA_COLUMNS] == [1, 1, 2, 3, 0, 0, 2, 4]
    assert df.attrs["drug"] == "VOCLOSPORIN" and df.attrs["perpetrator_ingredients"] == ["KETOCONAZOLE"]


def test_counts_unknown_names_give_clear_errors(tmp_path):
    con = _store(tmp_path, DRUGS, REACTIONS)
    with pytest.raises(UnknownNameError, match="voclosporin"):
        interaction_counts(con, "voclosporn", "strong-cyp3a4-inhibitor", "tremor")
    with pytest.raises(UnknownNameError, match="tremor"):
        interaction_counts(con, "voclosporin", "strong-cyp3a4-inhibitor", "tremour")
    with pytest.raises(UnknownNameError, match="ketoconazole"):
        interaction_counts(con, "voclosporin", "ketoconazol", "tremor")
    with pytest.raises(ConfigError, match="role.*PS, SS, C, I"):  # one role vocabulary: ConfigError with the choices
        interaction_counts(con, "voclosporin", "strong-cyp3a4-inhibitor", "tremor", roles="PS,XX")


def test_signals_find_planted_interaction(tmp_path):
    # 10 000 cases built so the counts are known exactly: tremor 1 % without either drug,
    # 2 % with voclosporin alone, 2 % with a strong CYP3A4 inhibitor alone, 30 % with both.
    rng = np.random.default_rng(7)
    drugs, reacs, cid = [], [], 0
    perps = ["KETOCONAZOLE", "ITRACONAZOLE", "CLARITHROMYCIN"]
    for x, y, n, k in [(1, 1, 40, 12), (1, 0, 500, 10), (0, 1, 1500, 30), (0, 0, 7960, 80)]:
        for i in range(n):
            cid += 1
            if x:
                drugs.append((cid, "VOCLOSPORIN", "PS"))
            if y:
                drugs.append((cid, perps[rng.integers(3)], "SS"))
            drugs.append((cid, "MYCOPHENOLATE MOFETIL", "C"))
            reacs.append((cid, "TREMOR" if i < k else "NAUSEA"))
    con = _store(tmp_path, drugs, reacs)
    res = interaction_signals(con, "voclosporin", "strong-cyp3a4-inhibitor", ["tremor", "nausea"])
    assert list(res.event) == ["TREMOR", "NAUSEA"]  # sorted by Ω025
    t = res.iloc[0]
    assert [int(t[k]) for k in STRATA_COLUMNS] == [12, 40, 10, 500, 30, 1500, 80, 7960]
    expected = omega(12, 40, 10, 500, 30, 1500, 80, 7960).iloc[0]
    assert t.omega == pytest.approx(expected.omega) and t.omega_lower == pytest.approx(expected.omega_lower)
    assert t.omega_lower > 0 and bool(t.signal)
    assert t.ror_both_vs_drug == pytest.approx(12 * 490 / (28 * 10))
    assert res.iloc[1].omega_lower < 0 and not bool(res.iloc[1].signal)
    assert t.roles == "PS,SS,I" and t.perpetrator == "strong CYP3A4 inhibitors"


def test_co_reported_perpetrators_by_drug_and_class(tmp_path):
    con = _store(tmp_path, DRUGS, REACTIONS)
    co = co_reported_perpetrators(con, "voclosporin")
    # voclosporin cases (PS/SS/I): 1, 2, 6, 8, 9 → 5; perpetrators any role:
    # KETOCONAZOLE in 1 and 8 (NIZORAL brand), DILTIAZEM HYDROCHLORIDE in 6.
    assert co.n_drug_cases == 5
    bd = co.by_drug.set_index("ingredient")
    assert bd.loc["KETOCONAZOLE", "n_cases"] == 2 and bd.loc["KETOCONAZOLE", "pct"] == pytest.approx(40.0)
    assert bd.loc["DILTIAZEM", "n_cases"] == 1
    assert "strong CYP3A4 inhibitor" in bd.loc["KETOCONAZOLE", "classes"]
    bc = co.by_class.set_index("class")["n_cases"].to_dict()
    assert bc == {"strong CYP3A4 inhibitor": 2, "P-gp inhibitor": 2, "moderate CYP3A4 inhibitor": 1}
    only = co_reported_perpetrators(con, "voclosporin", classes="strong-cyp3a4-inhibitor", perpetrator_roles="PS,SS,I")
    assert only.by_class.to_dict("records") == [{"class": "strong CYP3A4 inhibitor", "n_cases": 1, "pct": 20.0}]


# --------------------------------------------------------------------------- case sets = full pass
@pytest.mark.parametrize("perpetrator, kwargs", [
    ("strong-cyp3a4-inhibitor", {}), ("cyp3a4-inhibitor", {"roles": "PS,SS,C,I"}),
    ("pgp-inhibitor", {"definition": CaseDefinition(roles="interacting", sex="F")}),
    ("nizoral", {"perpetrator_roles": "all"}),
])
def test_few_named_events_by_case_sets_equal_the_full_pass(planted_con, perpetrator, kwargs):
    """interaction_counts of named events (the case-set path, interaction_cells) equals the rows of
    the same events from the every-event pass, cell by cell, sizes included."""
    full = interaction_counts(planted_con, "voclosporin", perpetrator, **kwargs)
    events = list(full.sort_values(["n111", "event"], ascending=[False, True])["event"].head(5))
    events += ["TREMOR", "HEADACHE"]
    named = interaction_counts(planted_con, "voclosporin", perpetrator, events, **kwargs)
    want = full.set_index("event").reindex(events).reset_index()
    pd.testing.assert_frame_equal(named.reset_index(drop=True), want.astype(named.dtypes.to_dict()),
                                  check_like=False)
    assert named["n111"].sum() > 0 and (named["n00_"] > 0).all()


def test_few_named_events_on_real_faers(shared_dir, tmp_path):
    """The same equality on the real 2020Q3 head: its most reported drug against its most co-reported one."""
    from pvsignal import api

    lake = tmp_path / "lake"
    api.ingest([shared_dir / "data/faers-samples/faers_2020q3_head"], lake=lake, allow_partial=True)
    con = api.connect(lake)
    top = con.execute("SELECT ingredient FROM case_drugs WHERE role_cod IN ('PS','SS','I') AND ingredient IS NOT NULL "
                      "GROUP BY 1 ORDER BY count(DISTINCT caseid) DESC, 1 LIMIT 2").fetchall()
    drug, other = top[0][0], top[1][0]
    full = interaction_counts(con, drug, other, perpetrator_roles="all")
    events = list(full.sort_values(["n011", "event"], ascending=[False, True])["event"].head(8))
    named = interaction_counts(con, drug, other, events, perpetrator_roles="all")
    pd.testing.assert_frame_equal(named, full.set_index("event").reindex(events).reset_index().astype(
        named.dtypes.to_dict()))
    assert named["n011"].sum() > 0
    con.close()


def test_several_perpetrators_in_one_pass_equal_each_alone(planted_con):
    from pvsignal.analysis.interactions import interaction_signals

    perps, events = ["nizoral", "strong-cyp3a4-inhibitor", "pgp-inhibitor"], ["TREMOR", "HEADACHE", "NAUSEA"]
    both = interaction_signals(planted_con, "voclosporin", perps, events)
    alone = pd.concat([interaction_signals(planted_con, "voclosporin", p, events) for p in perps], ignore_index=True)
    key = ["perpetrator", "event"]
    pd.testing.assert_frame_equal(both.sort_values(key).reset_index(drop=True),
                                  alone.sort_values(key).reset_index(drop=True))
    assert len(both) == 9
    singles = [interaction_signals(planted_con, "voclosporin", p, events).attrs for p in perps]
    assert both.attrs["perpetrator"] == [a["perpetrator"] for a in singles]
    assert both.attrs["perpetrator_ingredients"] == [a["perpetrator_ingredients"] for a in singles]
    assert list(both["omega_lower"].dropna()) == sorted(both["omega_lower"].dropna(), reverse=True)
