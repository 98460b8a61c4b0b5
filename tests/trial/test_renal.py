"""CKD-EPI 2021 eGFR against the published/computed vectors of FACTS §5.2."""

import numpy as np
import pandas as pd
import pytest

from pvsignal.trial import egfr, kdigo_category
from pvsignal.trial.renal import RenalInputError

# FACTS.md §5.2: (sex, age, Scr mg/dL, exact value to 3 decimals). Equation: Inker et al.
# NEJM 2021;385:1737; the published rounded values are "about 76"
# (creatinineclearancecalculator.net), 71 (kidney.org calculator), 82 (calc_ckd_epi_2021 test).
VECTORS = [
    ("F", 55, 0.9, 75.499),
    ("M", 55, 1.2, 71.418),
    ("M", 50, 1.1, 81.782),
    ("M", 60, 1.0, 86.163),
    ("F", 40, 0.7, 112.054),
    ("F", 30, 0.6, 123.758),
    ("F", 50, 1.0, 68.633),
    ("M", 70, 2.0, 35.243),
    ("M", 45, 0.8, 111.222),
]


@pytest.mark.parametrize("sex,age,scr,expected", VECTORS)
def test_ckd_epi_2021_scalar_vectors(sex, age, scr, expected):
    assert round(egfr(scr, age, sex), 3) == pytest.approx(expected, abs=5e-4)


def test_published_rounded_values():
    assert round(egfr(0.9, 55, "F")) == 75  # page says "about 76"; exact 75.499 (FACTS §5.2)
    assert round(egfr(1.2, 55, "M")) == 71
    assert round(egfr(1.1, 50, "M")) == 82


def test_vectorised_matches_scalars_and_keeps_series_index():
    sex, age, scr, expected = map(list, zip(*VECTORS))
    out = egfr(np.array(scr), np.array(age), np.array(sex, dtype=object))
    assert np.round(out, 3) == pytest.approx(expected, abs=5e-4)
    s = egfr(pd.Series(scr, index=list("abcdefghi")), age, ["female" if x == "F" else "male" for x in sex])
    assert list(s.index) == list("abcdefghi")
    assert s["c"] == pytest.approx(81.782, abs=5e-4)


def test_umol_per_litre_divides_by_88_42():
    # 1.2 mg/dL = 106.104 µmol/L (× 88.42)
    assert egfr(1.2 * 88.42, 55, "M", unit="umol/L") == pytest.approx(71.418, abs=5e-4)
    assert egfr(1.2 * 88.42, 55, "M", unit="µmol/L") == pytest.approx(egfr(1.2, 55, "M"), rel=1e-12)
    # a unit per value
    out = egfr([1.2 * 88.42, 1.2], [55, 55], ["M", "M"], unit=["umol/L", "mg/dL"])
    assert out[0] == pytest.approx(out[1], rel=1e-12)


def test_invalid_inputs_raise_by_default_and_are_nan_on_request():
    with pytest.raises(RenalInputError, match="creatinine must be > 0"):
        egfr(-0.5, 55, "F")
    with pytest.raises(RenalInputError, match="age < 18"):
        egfr(0.9, 17, "F")
    with pytest.raises(RenalInputError, match="unknown sex code 'U'"):
        egfr(0.9, 55, "U")
    with pytest.raises(RenalInputError, match="unit"):
        egfr(0.9, 55, "F", unit="mmol/L")
    out = egfr([0.9, 0.0, 0.9, 0.9, np.nan], [55, 55, 17, 55, 55], ["F", "F", "F", "X", "F"], invalid="nan")
    assert out[0] == pytest.approx(75.499, abs=5e-4)
    assert np.isnan(out[1:]).all()  # invalid → NaN; missing creatinine → NaN without error
    assert np.isnan(egfr(np.nan, 55, "F"))


def test_kdigo_boundaries_lower_inclusive():
    assert list(kdigo_category([90, 89.99, 60, 45, 30, 15, 14.9])) == ["G1", "G2", "G2", "G3a", "G3b", "G4", "G5"]


def test_one_invalid_value_is_named_without_array_advice():
    # the command line passes one value: the message says what is wrong, not how to call egfr()
    with pytest.raises(RenalInputError) as err:
        egfr(1.2, 55, "X")
    assert str(err.value) == "outside the CKD-EPI 2021 domain: unknown sex code 'X'"
