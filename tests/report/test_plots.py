"""Figures: written where asked, valid PNG/SVG of sensible size, identical on every run."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from pvsignal.analysis.cases import CaseSeries
from pvsignal.analysis.onset import summarise_onset
from pvsignal.errors import InputFileError
from pvsignal.report.plots import age_bars, bar_chart, onset_histogram, outcome_bars

DAYS = [0, 1, 2, 2, 3, 5, 7, 8, 12, 15, 20, 30, 45, 60, 90, 150, 400]


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def is_svg(path) -> bool:
    return ET.parse(path).getroot().tag == "{http://www.w3.org/2000/svg}svg"


def case_series() -> CaseSeries:
    t = pd.DataFrame({"category": ["Death", "Hospitalisation", "unknown code: $X$"], "n": [1, 4, 1],
                      "share": [0.1, 0.4, 0.1]})
    ages = pd.DataFrame({"category": ["<18", "18-64", "65-85", ">85", "missing"], "n": [2, 5, 2, 0, 1],
                         "share": [0.2, 0.5, 0.2, 0.0, 0.1]})
    kw = {name: t for name in ("sex", "weight_group", "summary", "reporter_occupation", "report_type",
                               "report_source", "reporter_country", "occurrence_country", "receipt_year",
                               "seriousness", "outcomes", "indications", "co_reported_drugs")}
    return CaseSeries(parameters={"drug": "DRUGA", "event": None}, n_cases=10, age_group=ages, **kw)


def test_onset_histogram_png_and_svg(tmp_path):
    r = summarise_onset(DAYS, drug="DRUGA", event="HEADACHE")
    png = onset_histogram(r, tmp_path / "sub" / "onset.png", dpi=100)
    assert png.exists() and png_size(png) == (640, 400)
    assert 5_000 < png.stat().st_size < 500_000
    svg = onset_histogram(r, tmp_path / "onset.svg")
    assert is_svg(svg) and 5_000 < svg.stat().st_size < 2_000_000


def test_figures_are_deterministic(tmp_path):
    r = summarise_onset(DAYS, drug="DRUGA")
    for suffix in (".png", ".svg"):
        a = onset_histogram(r, tmp_path / f"a{suffix}").read_bytes()
        b = onset_histogram(r, tmp_path / f"b{suffix}").read_bytes()
        assert a == b


def test_onset_histogram_without_fit(tmp_path):
    r = summarise_onset([4, 4], drug="DRUGA")  # too few values for a Weibull fit
    assert r.weibull is None
    assert png_size(onset_histogram(r, tmp_path / "few.png", dpi=100)) == (640, 400)


def test_outcome_and_age_bars(tmp_path):
    cs = case_series()
    out = outcome_bars(cs, tmp_path / "outcomes.png")
    assert png_size(out)[0] == 960  # 6.4 in × 150 dpi
    age = age_bars(cs, tmp_path / "age.svg")
    assert is_svg(age)
    assert age.stat().st_size > 5_000


def test_bad_suffix_is_a_user_error(tmp_path):
    with pytest.raises(InputFileError, match="png or .svg"):
        bar_chart(case_series().outcomes, tmp_path / "x.pdf", title="t")
