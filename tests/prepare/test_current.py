"""A prepared build is current only for the drug dictionary shipped now (issue 15: an upgrade
that changes name → ingredient mappings must not leave old mappings silently in use)."""

from __future__ import annotations

import copy

from pvsignal.prepare.drugs import dictionary_provenance
from pvsignal.prepare.views import PREPARED_FILES, is_current


def _manifest(dictionary) -> dict:
    params = {"strip_salts": True, "synonym_files": []}
    if dictionary is not None:
        params["drug_dictionary"] = dictionary
    return {"quarters": {"2020Q3": {}, "2017Q2": {}},
            "prepared": {"quarters": ["2017Q2", "2020Q3"], "files": {name: f"prepared/{name}.parquet" for name in PREPARED_FILES},
                         "parameters": params}}


def test_a_build_with_todays_dictionary_is_current():
    assert is_current(_manifest(dictionary_provenance()))


def test_a_build_by_another_dictionary_or_none_recorded_is_stale():
    other = copy.deepcopy(dictionary_provenance())
    other["built"] = "2019-01-01T00:00:00Z"
    assert not is_current(_manifest(other))
    assert not is_current(_manifest(None))  # a lake prepared before the dictionary was recorded
