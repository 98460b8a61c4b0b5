"""Time-to-onset comparison: Kolmogorov–Smirnov and log-rank against values worked by hand.

KS: D = sup |F̂₁ − F̂₂|; for two fully separated samples of sizes m, n the exact two-sided
p is 2 / C(m + n, m) (Hodges, Ark Mat 1958;3:469–486). Log-rank (Mantel, Cancer
Chemother Rep 1966;50:163–170): Z = Σ(O₁ − E₁)/√ΣV, E₁ = n₁d/n, V = n₁n₂d(n − d)/(n²(n − 1))
at each distinct onset day; the sums are written out below.
"""

from __future__ import annotations

import math

import pytest

from background_lake import bg_con, bg_lake  # noqa: F401 (fixtures)
from pvsignal import api
from pvsignal.analysis.onset_compare import compare_onset, onset_tests
from pvsignal.errors import ConfigError


def test_tests_by_hand_on_separated_samples():
    d, p_ks, z, p_lr, note = onset_tests([1, 2, 3], [4, 5, 6])
    assert note is None
    assert d == 1.0 and p_ks == pytest.approx(2 / math.comb(6, 3))
    # t=1: E 3/6, V 9·5/(36·5); t=2: E 2/5, V 2·3·4/(25·4); t=3: E 1/4, V 1·3·3/(16·3)
    o_e = 3 - (0.5 + 0.4 + 0.25)
    z_hand = o_e / math.sqrt(0.25 + 0.24 + 0.1875)
    assert z == pytest.approx(z_hand, rel=1e-12) and z == pytest.approx(2.247590, abs=1e-6)
    assert p_lr == pytest.approx(math.erfc(z_hand / math.sqrt(2)), rel=1e-9)


def test_too_few_onsets_give_no_test():
    d, p_ks, z, p_lr, note = onset_tests([5], [1, 2])
    assert math.isnan(d) and math.isnan(z) and "fewer than 2" in note


def test_two_drugs_on_the_lake(bg_con):
    # AAA onsets (days): 10, 20, 30, 40 (reports 1, 2, 3, 11); BBB: 2, 4, 6 (5, 6, 7); report 4 has no event date
    c = compare_onset(bg_con, "AAA", drug_2="BBB")
    g = c.groups.set_index("group")
    assert g.loc["AAA", ["n", "n_excluded", "median_days", "q1_days", "q3_days"]].tolist() == [4, 1, 25, 17.5, 32.5]
    assert g.loc["BBB", ["n", "median_days", "q1_days", "q3_days"]].tolist() == [3, 4, 3, 5]
    assert c.ks_statistic == 1.0 and c.ks_p == pytest.approx(2 / math.comb(7, 3))
    # t=2: E 4/7, V 12/49; t=4: E 4/6, V 8/36; t=6: E 4/5, V 4/25; later days add O = E, V = 0
    z = -(4 / 7 + 4 / 6 + 4 / 5) / math.sqrt(12 / 49 + 8 / 36 + 4 / 25)
    assert c.logrank_z == pytest.approx(z, rel=1e-12)  # negative: AAA's onsets come later


def test_two_events_of_one_drug(bg_lake):
    # AAA–X: 10, 20; AAA–Y: 30, 40. t=10: E 1/2, V 1/4; t=20: E 1/3, V 2/9
    c = api.onset_compare("AAA", "X", event_2="Y", lake=bg_lake)
    assert c.labels == ["AAA – X", "AAA – Y"]
    assert c.ks_p == pytest.approx(2 / math.comb(4, 2))
    assert c.logrank_z == pytest.approx((2 - 1 / 2 - 1 / 3) / math.sqrt(1 / 4 + 2 / 9), rel=1e-12)
    assert c.to_dict()["logrank"]["chi2"] == pytest.approx(c.logrank_z ** 2)


def test_exactly_one_second_group(bg_con):
    for kw in ({}, {"drug_2": "BBB", "event_2": "Y"}):
        with pytest.raises(ConfigError, match="not both and not neither"):
            compare_onset(bg_con, "AAA", "X", **kw)
    with pytest.raises(ConfigError, match="--event"):
        compare_onset(bg_con, "AAA", event_2="Y")


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_plot_png_and_svg(bg_con, tmp_path, suffix, magic):
    c = compare_onset(bg_con, "AAA", drug_2="BBB")
    out = api.plot_onset_compare(c, tmp_path / f"onset{suffix}")
    assert out.read_bytes().startswith(magic)
    again = api.plot_onset_compare(c, tmp_path / f"again{suffix}")
    assert again.read_bytes() == out.read_bytes()  # deterministic
