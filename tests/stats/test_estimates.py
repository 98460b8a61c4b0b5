"""The shared pieces of the statistics: the log-normal interval, RatioEstimate, the reason
registry, and the purity of the package (numpy/scipy, no I/O, nothing of pvsignal but errors)."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest

import pvsignal.stats
from pvsignal.stats.estimates import RatioEstimate, lognormal_interval, z_value
from pvsignal.stats.ratios import ror
from pvsignal.stats.reasons import REASON, REASONS, first_reason, reason_text

STATS = Path(pvsignal.stats.__file__).parent


def test_lognormal_interval_is_exp_of_log_wald_limits():
    # FACTS.md §2.4 (YUN example table 122/1320/381/31341): ROR 7.6028 (6.1553–9.3906)
    lr = math.log(122 * 31341 / (1320 * 381))
    se = math.sqrt(1 / 122 + 1 / 1320 + 1 / 381 + 1 / 31341)
    lo, hi = lognormal_interval(lr, se)
    assert (float(lo), float(hi)) == pytest.approx((6.1553, 9.3906), abs=1e-4)
    assert z_value(0.95) == pytest.approx(1.959963984540054, rel=1e-15)
    lo, hi = lognormal_interval([0.0, np.nan], [0.0, 1.0], level=0.9)
    assert lo[0] == hi[0] == 1.0 and np.isnan(lo[1]) and np.isnan(hi[1])
    with pytest.raises(ValueError, match="level"):
        lognormal_interval(0.0, 1.0, level=0.0)


def test_ratio_estimate_names_and_frame():
    r = ror([122, 0], [1320, 5], [381, 3], [31341, 7])
    assert isinstance(r, RatioEstimate) and r.measure == "ror"
    assert r.ror is r.estimate and r.ror_lower is r.lower and r.ror_upper is r.upper
    assert list(r.to_frame().columns) == ["ror", "ror_lower", "ror_upper", "ror_reason"]
    f = r.to_frame("ror_both_vs_drug")
    assert list(f.columns) == ["ror_both_vs_drug", "ror_both_vs_drug_lower", "ror_both_vs_drug_upper",
                               "ror_both_vs_drug_reason"]
    assert f["ror_both_vs_drug_reason"].tolist()[1] == "zero cell" and f["ror_both_vs_drug_reason"].isna()[0]
    with pytest.raises(AttributeError):
        r.prr  # noqa: B018
    h = ror([0, 2], 5, 3, 7, correction="haldane")
    assert h.corrected.tolist() == [True, False]


def test_reason_registry_codes_are_stable():
    # codes are stored in result arrays: the first labels must keep their numbers
    assert REASONS[:7] == (None, "zero cell", "zero margin", "no reports without the drug",
                           "no informative stratum", "zero Mantel-Haenszel numerator",
                           "zero Mantel-Haenszel denominator")
    assert len(set(REASONS)) == len(REASONS)
    code = first_reason((np.array([True, True, False]), "empty arm"),
                        (np.array([False, True, True]), "zero cell"))
    assert code.tolist() == [REASON["empty arm"], REASON["empty arm"], REASON["zero cell"]]
    assert reason_text(np.array([0, 1], dtype=np.int8)).tolist() == ["", "zero cell"]


ALLOWED = {"numpy", "scipy", "pandas", "pydantic", "math", "os", "dataclasses", "typing",
           "collections", "concurrent", "functools", "__future__"}


@pytest.mark.parametrize("path", sorted(STATS.rglob("*.py")), ids=lambda p: str(p.relative_to(STATS)))
def test_stats_is_pure(path):
    # numpy/scipy (+ pandas frames, pydantic thresholds), no I/O library, nothing of pvsignal
    # but pvsignal.errors and pvsignal.stats itself
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
        for name in names:
            top = name.split(".")[0]
            if top == "pvsignal":
                if not (name == "pvsignal.errors" or name.startswith("pvsignal.stats")):
                    bad.append(name)
            elif top not in ALLOWED:
                bad.append(name)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "open":
            bad.append("open()")
    assert not bad, f"{path.name} imports or does {bad}"
