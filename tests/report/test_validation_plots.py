"""ROC figures of a validation: written as PNG and SVG, byte-identical on a rerun, labelled SYNTHETIC."""

from __future__ import annotations

import pandas as pd
import pytest

from pvsignal.analysis.validation import SCORES, Validation, evaluate
from pvsignal.errors import InputFileError
from pvsignal.report.validation_plots import roc_plot, roc_title


def _result(synthetic: bool, status: str = "scored") -> Validation:
    pairs = pd.DataFrame({"control": [1, 1, 0, 0], "status": status, "n": [4, 5, 3, 6], "chi2_yates": 9.0})
    for s in SCORES:
        pairs[s] = [3.0, 1.1, 1.5, 0.7]
    metrics, auc, roc = evaluate(pairs)
    return Validation(pairs, metrics, auc, roc, {"controls": 4, "synthetic": synthetic})


def test_png_and_svg_deterministic_and_labelled(tmp_path):
    res = _result(True)
    png = roc_plot(res, tmp_path / "roc.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    a = roc_plot(res, tmp_path / "a.svg").read_bytes()
    b = roc_plot(res, tmp_path / "b.svg").read_bytes()
    assert a == b
    assert b"SYNTHETIC DATA" in a  # matplotlib keeps each drawn text as a comment in the SVG
    assert roc_title(res) == "SYNTHETIC DATA — ROC: 2 positive and 2 negative controls scored of 4"
    assert roc_title(_result(False)) == "ROC: 2 positive and 2 negative controls scored of 4"


def test_nothing_scored_still_draws(tmp_path):
    res = _result(False, status="drug not in the data")
    assert res.roc.empty
    assert roc_plot(res, tmp_path / "roc.svg").is_file()


def test_bad_suffix(tmp_path):
    with pytest.raises(InputFileError, match=".png or .svg"):
        roc_plot(_result(False), tmp_path / "roc.pdf")
