"""Signal flags: thresholds at their edges, NaN never flags, configurable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pydantic
import pytest

from pvsignal.stats.flags import Thresholds, ebgm_flag, ic_flag, prr_flag, ror_flag, signal_flags
from pvsignal.errors import AnalysisError


def test_ror_flag_needs_lower_above_1_and_three_reports():
    # van Puijenbroek 2002 criterion: ROR025 > 1 (strict) and n ≥ 3
    n = [3, 2, 3, 3]
    lower = [1.01, 5.0, 1.0, np.nan]
    assert list(ror_flag(n, lower)) == [True, False, False, False]


def test_prr_flag_evans():
    # Evans 2001: PRR ≥ 2, χ² ≥ 4, n ≥ 3 — all edges inclusive
    assert list(prr_flag([3, 3, 3, 2, 3], [2.0, 1.99, 2.0, 5.0, np.nan], [4.0, 9.0, 3.99, 9.0, 9.0])) == [
        True, False, False, False, False,
    ]


def test_ic_and_ebgm_flags():
    assert list(ic_flag([1, 1, 1], [0.01, 0.0, np.nan])) == [True, False, False]
    assert list(ebgm_flag([1, 1, 1], [2.0, 1.99, np.nan])) == [True, False, False]


def test_signal_flags_frame_and_configured_thresholds():
    scores = pd.DataFrame({
        "n": [3, 5], "ror_lower": [1.5, 0.9], "prr": [2.5, 3.0], "chi2": [3.0, 10.0],
        "chi2_yates": [4.5, 2.0], "ic025": [0.2, -0.1], "eb05": [2.1, 1.0],
    }, index=[10, 11])
    f = signal_flags(scores)
    assert list(f.columns) == ["flag_ror", "flag_prr", "flag_ic", "flag_ebgm"]
    assert list(f.index) == [10, 11]
    assert f.to_dict("list") == {
        "flag_ror": [True, False], "flag_prr": [True, False], "flag_ic": [True, False], "flag_ebgm": [True, False],
    }
    # plain χ² and n ≥ 4 (a setting some papers use)
    t = Thresholds(prr_chi2="plain", prr_min_n=4, ror_lower_gt=0.8)
    f2 = signal_flags(scores, t)
    assert list(f2["flag_prr"]) == [False, True]
    assert list(f2["flag_ror"]) == [True, True]
    # only the methods present are flagged
    assert list(signal_flags(scores[["n", "ic025"]]).columns) == ["flag_ic"]
    with pytest.raises(AnalysisError, match="'n'"):
        signal_flags(scores.drop(columns="n"))


def test_thresholds_reject_unknown_keys():
    with pytest.raises(pydantic.ValidationError):
        Thresholds(ror_lower=1)  # misspelt key in a config file is an error, not ignored
