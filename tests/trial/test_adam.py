"""Reading ADaM from SAS transport (pyreadstat), CSV and Parquet."""

import datetime as dt

import pandas as pd
import pyreadstat
import pytest

from pvsignal.trial import read_adlb, read_adsl, read_dataset
from pvsignal.trial.adam import MissingVariablesError
from pvsignal.errors import InputFileError


def _write_xpt(df, path):
    pyreadstat.write_xport(df, str(path), file_format_version=5, table_name="ADLB",
                           variable_format={"ADT": "DATE9."})


def test_xpt_keeps_exact_zero_and_dates(tmp_path):
    # pandas.read_sas returns 5.397605e-79 (2**-260) for these zeros (pandas #50670, FACTS-2 §6.2)
    df = pd.DataFrame({
        "usubjid": ["S1", "S1", "S2"],
        "PARAMCD": ["EGFR", "EGFR", "CREAT"],
        "AVAL": [0.0, 61.25, 1.1],
        "ADT": [dt.date(1960, 1, 1), dt.date(2024, 3, 5), dt.date(2024, 3, 6)],
        "ABLFL": ["Y", "", ""],
    })
    path = tmp_path / "adlb.xpt"
    _write_xpt(df, path)
    got = read_adlb(path)
    assert list(got.columns) == ["USUBJID", "PARAMCD", "AVAL", "ADT", "ABLFL"]  # upper-cased
    assert got["AVAL"].iloc[0] == 0.0  # exactly zero, not 5.4e-79
    assert got["AVAL"].iloc[1] == 61.25
    assert got["ADT"].iloc[0] == pd.Timestamp("1960-01-01")  # SAS day 0
    assert got["ADT"].iloc[1] == pd.Timestamp("2024-03-05")
    assert got["ABLFL"].tolist() == ["Y", "", ""]


def test_csv_and_parquet_read_alike(tmp_path):
    df = pd.DataFrame({"USUBJID": ["001", "002"], "SAFFL": ["Y", ""], "TRT01A": ["Drug", "Placebo"], "AGE": [55, 61]})
    df.to_csv(tmp_path / "adsl.csv", index=False)
    df.to_parquet(tmp_path / "adsl.parquet", index=False)
    a = read_adsl(tmp_path / "adsl.csv", arm_var="TRT01A")
    b = read_adsl(tmp_path / "adsl.parquet", arm_var="TRT01A")
    assert a["USUBJID"].tolist() == ["001", "002"]  # identifiers stay text (leading zeros kept)
    assert a["SAFFL"].tolist() == ["Y", ""] == b["SAFFL"].tolist()
    assert a["AGE"].tolist() == [55, 61] == b["AGE"].tolist()


def test_missing_variables_are_named_with_those_found(tmp_path):
    pd.DataFrame({"USUBJID": ["1"], "TRT01A": ["A"]}).to_csv(tmp_path / "adsl.csv", index=False)
    with pytest.raises(MissingVariablesError) as e:
        read_adsl(tmp_path / "adsl.csv", arm_var="TRT01A")
    assert "lacks required variable(s) SAFFL" in str(e.value)
    assert "variables found: USUBJID, TRT01A" in str(e.value)


def test_bad_files_are_clear_errors(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        read_dataset(tmp_path / "nope.xpt")
    (tmp_path / "x.sav").write_text("x")
    with pytest.raises(InputFileError, match="suffix must be one of .sas7bdat, .xpt"):
        read_dataset(tmp_path / "x.sav")
    (tmp_path / "x.sas7bdat").write_text("x")  # .sas7bdat is read (pyreadstat); this one is not SAS
    with pytest.raises(InputFileError, match="cannot read"):
        read_dataset(tmp_path / "x.sas7bdat")
    (tmp_path / "broken.xpt").write_bytes(b"not a transport file")
    with pytest.raises(InputFileError, match="cannot read"):
        read_dataset(tmp_path / "broken.xpt")
    pd.DataFrame({"USUBJID": ["1"], "ADT": ["5 March"]}).to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(InputFileError, match="not dates"):
        read_dataset(tmp_path / "d.csv")
