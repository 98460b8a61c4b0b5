"""Forest, volcano and over-time figures: the plotted points are the signal table's values,
the axes are the stated scales, labels are escaped text, and output is deterministic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pvsignal.errors import ConfigError, InputFileError
from pvsignal.report import figures
from pvsignal.report.figures.signals import forest_figure, forest_rows, neg_log10_p, volcano_figure
from pvsignal.stats.flags import signal_flags
from pvsignal.stats.mgps import ebgm_scores
from pvsignal.stats.mgps.likelihood import GammaMixturePrior
from pvsignal.stats.ratios import classic_scores

SCRIPT = "<script>alert(1)</script>"
EVENTS = ["HEADACHE", "TREMOR", SCRIPT, "NAUSEA", "RASH", "COST $X$"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """A drug's signal table from hand-made cells (N = 100,000 reports, 1,000 with the drug),
    scored by the same functions as signals(); a fixed MGPS prior."""
    N, nd = 100_000, 1_000
    a = np.array([30, 12, 5, 2, 8, 1])
    ne = np.array([900, 300, 40, 2000, 400, 50])
    c = pd.DataFrame({"drug": "DRUGA", "event": EVENTS, "n": a, "a": a, "b": nd - a, "c": ne - a,
                      "d": N - nd - ne + a, "expected": nd * ne / N})
    eb = ebgm_scores(a, c["expected"].to_numpy(), GammaMixturePrior(0.2, 0.1, 2.0, 4.0, 0.1))[["ebgm", "eb05", "eb95"]]
    t = pd.concat([classic_scores(c), eb], axis=1)
    return pd.concat([t, signal_flags(t)], axis=1)


def _points(ax) -> dict[float, tuple[float, float, float]]:
    """y position → (x, lower, upper) of every errorbar in a forest panel."""
    out = {}
    for cont in ax.containers:
        xs, ys = cont.lines[0].get_xdata(), cont.lines[0].get_ydata()
        segs = cont.lines[2][0].get_segments()
        for x, y, seg in zip(xs, ys, segs):
            out[float(y)] = (float(x), float(seg[0][0]), float(seg[1][0]))
    return out


def test_forest_rows_are_ordered_by_ic025(table):
    rows = forest_rows(table, top=4)
    assert rows["event"].tolist() == table.sort_values("ic025", ascending=False)["event"].head(4).tolist()
    assert rows["ic025"].is_monotonic_decreasing


def test_forest_points_are_the_table_values(table):
    fig = forest_figure(table, top=6)
    rows = forest_rows(table, top=6)
    ror_ax, ic_ax, eb_ax = fig.axes
    pos = {float(p): lab.get_text() for p, lab in zip(ror_ax.get_yticks(), ror_ax.get_yticklabels())}
    top_down = [pos[y] for y in sorted(pos, reverse=True)]
    assert top_down == [f"{e} (n = {n})" for e, n in zip(rows["event"], rows["n"])]  # best row on top
    pos = {y: text.rsplit(" (n = ", 1)[0] for y, text in pos.items()}
    by_event = rows.set_index("event")
    for ax, (est, lo, hi) in ((ror_ax, ("ror", "ror_lower", "ror_upper")), (ic_ax, ("ic", "ic025", "ic975")),
                              (eb_ax, ("ebgm", "eb05", "eb95"))):
        pts = _points(ax)
        assert len(pts) == 6
        for y, (x, l, u) in pts.items():
            ref = by_event.loc[pos[y]]
            assert (x, l, u) == pytest.approx((ref[est], ref[lo], ref[hi]), rel=1e-12)
    assert ror_ax.get_xscale() == "log" and eb_ax.get_xscale() == "log" and ic_ax.get_xscale() == "linear"
    nulls = [[ln.get_xdata()[0] for ln in ax.lines if ln.get_linestyle() == "--"] for ax in fig.axes]
    assert nulls == [[1.0], [0.0], [1.0]]


def test_forest_flags_are_filled(table):
    fig = forest_figure(table, top=6, measures=("ror",))
    filled = {c.get_label(): len(c.lines[0].get_xdata()) for c in fig.axes[0].containers}
    assert filled == {"signal": int(table["flag_ror"].sum()), "no signal": int((~table["flag_ror"]).sum())}


def test_volcano_p_is_the_chi_square_p_with_one_df():
    # χ²(1) upper critical values: 3.841459 at p = 0.05 and 10.827566 at p = 0.001 (standard tables)
    y, which = neg_log10_p(pd.DataFrame({"chi2": [3.841458820694124, 10.827566170662733, 0.0]}), "chi2")
    assert y == pytest.approx([-np.log10(0.05), 3.0, 0.0], abs=1e-9)
    assert "χ²" in which
    # Fisher p from the table when present (auto), clipped at the smallest double
    y, which = neg_log10_p(pd.DataFrame({"chi2": [1.0, 1.0], "fisher_p": [1e-3, 0.0]}))
    assert y[0] == pytest.approx(3.0) and np.isfinite(y[1]) and "Fisher" in which
    with pytest.raises(ConfigError, match="--fisher"):
        neg_log10_p(pd.DataFrame({"chi2": [1.0]}), "fisher")


def test_volcano_points_are_log2_ror_and_minus_log10_p(table):
    from scipy.stats import chi2

    fig = volcano_figure(table, label=3)
    ax = fig.axes[0]
    pts = np.vstack([c.get_offsets() for c in ax.collections])
    want = np.column_stack([np.log2(table["ror"]), -np.log10(chi2.sf(table["chi2"], 1))])
    assert sorted(map(tuple, pts.round(9))) == sorted(map(tuple, want.round(9)))
    assert ax.get_xlabel() == "log2 ROR" and ax.get_ylabel() == "−log10 χ² p (Pearson, 1 df)"
    named = [t.get_text() for t in ax.texts]
    assert named == table.assign(y=want[:, 1]).sort_values("y", ascending=False)["event"].head(3).tolist()


def test_eb05_variant_plots_n_against_eb05_on_log_axes(table):
    ax = volcano_figure(table, variant="eb05").axes[0]
    pts = np.vstack([c.get_offsets() for c in ax.collections])
    assert sorted(map(tuple, pts)) == sorted(zip(table["n"].astype(float), table["eb05"]))
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert [ln.get_ydata()[0] for ln in ax.lines] == [2.0]  # the EB05 ≥ 2 criterion


def test_svg_text_is_escaped_and_deterministic(table):
    svg = figures.forest_svg(table)
    assert svg == figures.forest_svg(table)
    assert "<script" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    for ev in ("HEADACHE", "TREMOR", "NAUSEA", "RASH", "COST $X$"):
        assert f">{ev} (n = " in svg  # a <text> element, not glyph paths
    v = figures.volcano_svg(table)
    assert "<script" not in v and "&lt;script&gt;" in v and v == figures.volcano_svg(table)


def test_files_are_written_and_identical_on_every_run(table, tmp_path):
    for suffix in (".png", ".svg"):
        a = figures.forest(table, tmp_path / f"a{suffix}").read_bytes()
        assert a == figures.forest(table, tmp_path / f"b{suffix}").read_bytes()
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = figures.volcano(table, tmp_path / "v.svg").read_text()
    assert "<script" not in svg and "&lt;script&gt;" in svg  # glyphs as paths, the label in an escaped comment
    with pytest.raises(InputFileError, match="png or .svg"):
        figures.forest(table, tmp_path / "x.pdf")


def test_figure_mistakes_are_user_errors(table):
    two = pd.concat([table, table.assign(drug="DRUGB")])
    with pytest.raises(ConfigError, match="2 drugs"):
        forest_figure(two)
    assert forest_rows(two, "drugb")["drug"].eq("DRUGB").all()
    with pytest.raises(ConfigError, match="no row of DRUGC"):
        forest_rows(two, "drugc")
    with pytest.raises(ConfigError, match="sort the forest"):
        forest_rows(table, sort_by="banana")
    with pytest.raises(ConfigError, match="measures"):
        forest_figure(table, measures=("prr",))
    with pytest.raises(ConfigError, match="variant"):
        volcano_figure(table, variant="x")


def test_over_time_points_are_the_cumulative_ror(synth_lake):
    from pvsignal import api

    res = api.signals_over_time("voclosporin", "headache", lake=synth_lake, prior="final")
    fig = figures.over_time_figure(res, event="headache")
    ax = fig.axes[0]
    cum = res.series("cumulative").sort_values("period")
    line = ax.containers[0].lines[0]
    assert list(line.get_ydata()) == pytest.approx(cum["ror"].tolist(), rel=1e-12)
    assert [t.get_text() for t in ax.get_xticklabels()] == cum["period"].tolist()
    assert ax.get_yscale() == "log"
    svg = api.figure_svg("trend", res, event="headache")
    assert ">HEADACHE<" in svg and svg == api.figure_svg("trend", res, event="headache")
    with pytest.raises(ConfigError, match="figure kind"):
        api.figure_svg("pie", res)


def test_profile_embeds_the_forest_and_over_time_plots(full_profile, synth_lake, tmp_path):
    import base64
    import re

    from pvsignal.report.render import render

    sec = full_profile.section("signals")
    assert len(sec.figures) == 2
    assert "ROR, IC and EBGM" in sec.figures[0].title and "cumulative ROR by quarter" in sec.figures[1].title
    assert all(f.synthetic and f.title.startswith("SYNTHETIC DATA") for f in sec.figures)
    shown = [r[0] for r in sec.tables[0].rows]
    forest_svg = base64.b64decode(sec.figures[0].data).decode()
    assert all(f"<!-- {ev} (n = " in forest_svg for ev in shown)  # every row of the table is in the plot
    first = sec.tables[1]
    res = figures_api_over_time(synth_lake)
    assert [r[0] for r in first.rows] == ["HEADACHE", "TREMOR"]
    ref = res.first_signal.set_index("event")
    assert [r[2] or "" for r in first.rows] == [ref.at[e, "first_ror"] for e in ("HEADACHE", "TREMOR")]
    md = render(full_profile, tmp_path / "p.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+signals[^)]*)\)", md)
    assert len(links) == 2 and all((tmp_path / link).is_file() for link in links)
    html = render(full_profile, tmp_path / "p.html").read_text(encoding="utf-8")
    assert all(f.data in html for f in sec.figures)
    pytest.importorskip("weasyprint", reason="PDF needs pip install 'pvsignal[pdf]'")
    assert render(full_profile, tmp_path / "p.pdf").read_bytes()[:5] == b"%PDF-"


def figures_api_over_time(lake):
    from pvsignal import api

    return api.signals_over_time("voclosporin", "headache,tremor", lake=lake, prior="final")


@pytest.fixture
def awkward(table) -> pd.DataFrame:
    """The table with intervals a forest plot cannot draw as given: EB05 above EBGM by rounding
    noise (1e-15 relative) and by a real margin (rounded to 2 decimals), a NaN and an infinite
    limit, IC limits swapped, ROR undefined (a zero cell)."""
    t = table.set_index("event").copy()
    t.loc["HEADACHE", "eb05"] = t.loc["HEADACHE", "ebgm"] * (1 + 1e-15)  # noise: a bar of length 0
    t.loc["TREMOR", ["ebgm", "eb05"]] = [1.234, 1.24]  # EBGM outside [EB05, EB95]
    t.loc["NAUSEA", "eb95"] = np.nan
    t.loc["RASH", "ror_upper"] = np.inf
    lo, hi = t.at[SCRIPT, "ic025"], t.at[SCRIPT, "ic975"]
    t.loc[SCRIPT, "ic025"], t.loc[SCRIPT, "ic975"] = hi, lo  # swapped
    t.loc["COST $X$", ["ror", "ror_lower", "ror_upper"]] = np.nan
    return t.reset_index()


def test_interval_bars_clip_noise_only():
    e, l, u = np.array([2.0, 2.0, 2.0, np.nan, 2.0, 2.0]), np.array([2.0 * (1 + 1e-15), 2.1, np.nan, 1, -np.inf, 0.0]), \
        np.array([3.0, 3.0, 3.0, 3, 3.0, 3.0])
    below, above, why = figures.signals.interval_bars(e, l, u, log=True)
    assert below[0] == 0.0 and above[0] == 1.0  # noise: drawn as length 0
    assert list(why) == ["", "estimate outside its interval", "interval undefined", "estimate undefined",
                         "interval unbounded", "lower limit ≤ 0 on a log axis"]
    assert np.isnan(below[1:]).all() and np.isnan(above[1:]).all()
    assert figures.signals.interval_bars(e[-1:], l[-1:], u[-1:], log=False)[2].tolist() == [""]  # 0 is fine on IC's axis


def test_forest_never_crashes_and_says_which_intervals_are_not_drawn(awkward, tmp_path):
    """Before: matplotlib raised "xerr must not contain negative values" on these rows."""
    fig = forest_figure(awkward, top=6)
    ror_ax, ic_ax, eb_ax = fig.axes[:3]
    by_y = {float(p): lab.get_text().rsplit(" (n = ", 1)[0] for p, lab in zip(ror_ax.get_yticks(), ror_ax.get_yticklabels())}

    def bars(ax):
        return {by_y[y]: v for y, v in _points(ax).items()}

    def bare(ax):
        in_bars = {id(c.lines[0]) for c in ax.containers}
        return {by_y[float(y)]: float(x) for ln in ax.lines if ln.get_marker() == "o" and id(ln) not in in_bars
                for x, y in zip(ln.get_xdata(), ln.get_ydata())}

    ref = awkward.set_index("event")
    eb = bars(eb_ax)
    assert eb["HEADACHE"] == pytest.approx((ref.at["HEADACHE", "ebgm"], ref.at["HEADACHE", "ebgm"],
                                            ref.at["HEADACHE", "eb95"]), rel=1e-12)  # noise clipped, bar kept
    assert set(bare(eb_ax)) == {"TREMOR", "NAUSEA"} and bare(eb_ax)["TREMOR"] == 1.234
    assert set(bare(ror_ax)) == {"RASH"} and "COST $X$" not in bars(ror_ax)  # undefined ROR: no point
    assert set(bare(ic_ax)) == {SCRIPT}
    note = "\n".join(t.get_text() for t in fig.texts).replace("\n  ", " ")
    assert "Note: EBGM drawn without its interval (estimate outside its interval): TREMOR (1.234 outside 1.24–" in note
    assert "Note: EBGM drawn without its interval (interval undefined): NAUSEA" in note
    assert "Note: ROR drawn without its interval (interval unbounded): RASH" in note
    assert "Note: ROR not shown (estimate undefined): COST $X$" in note
    ic = ref.loc[SCRIPT, ["ic", "ic025", "ic975"]]
    assert (f"Note: IC drawn without its interval (estimate outside its interval): {SCRIPT} ({ic['ic']:.6g} outside "
            f"{ic['ic025']:.6g}–{ic['ic975']:.6g})") in note and ic["ic025"] > ic["ic"] > ic["ic975"]
    assert "HEADACHE" not in note  # rounding noise is not a gap
    svg = figures.forest_svg(awkward)
    assert "Note: ROR not shown" in svg and "<script" not in svg  # the note is escaped text on the web page
    assert figures.forest(awkward, tmp_path / "f.png").is_file()
    assert not [t for t in forest_figure(table_rows_ok(awkward)).texts if "Note" in t.get_text()]


def table_rows_ok(t: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``t`` every panel draws as given."""
    return t[t["event"].isin(["HEADACHE"])]
