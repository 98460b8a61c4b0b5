"""Reference sets load directly: the three shared sets (counts as their READMEs and sources state)
and the generic layout; a malformed file is a clear InputFileError."""

from __future__ import annotations

import pandas as pd
import pytest

from pvsignal.errors import InputFileError
from pvsignal.knowledge.reference_sets import load_reference_set

REF = "data/reference-sets"


@pytest.mark.parametrize("name, pairs, positives, outcomes, source", [
    # Ryan et al. 2013: 399 pairs, 165 positive and 234 negative controls, 4 outcomes
    ("omop2013_reference_set.csv", 399, 165, 4, "omop"),
    # Coloma et al. 2013 as OHDSI MethodEvaluation ships it: 93 pairs (43 positive), 10 outcomes
    ("euadr_reference_set.csv", 93, 43, 10, "omop"),
    # Harpaz et al. 2014: 62 positive test cases and 75 negative controls, 38 events
    ("harpaz2014_reference_set.csv", 137, 62, 38, "harpaz"),
])
def test_shared_reference_sets_load_directly(shared_dir, name, pairs, positives, outcomes, source):
    ref = load_reference_set(shared_dir / REF / name)
    assert list(ref.columns) == ["drug", "outcome", "control", "label_date", "source"]
    assert len(ref) == pairs
    assert int(ref["control"].sum()) == positives
    assert ref["outcome"].nunique() == outcomes
    assert (ref["source"] == source).all()
    assert ref["label_date"].isna().all()  # none of the three files carries the label-change dates


def test_omop_outcome_names_have_blanks_collapsed(shared_dir):
    ref = load_reference_set(shared_dir / REF / "omop2013_reference_set.csv")
    # the source spells it "OMOP Acute myocardial Infarction  1" (two blanks)
    assert "OMOP Acute myocardial Infarction 1" in set(ref["outcome"])
    assert ((ref["outcome"] == "OMOP Acute Liver Failure 1") & (ref["control"] == 1)).sum() == 81


def test_generic_layout_with_label_dates(tmp_path):
    p = tmp_path / "ref.csv"
    p.write_text("drug,outcome,control,label_change_date\n"
                 "Pantoprazole,Taste disorders,1,2013-06-30\n"
                 "pantoprazole,Taste disorders,1,2013-06-30\n"  # the same row again (case differs): an error
                 "Lisinopril,Taste disorders,0,\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="more than once"):
        load_reference_set(p)
    p.write_text("drug,outcome,control,label_change_date\n"
                 "Pantoprazole,Taste disorders,1,2013-06-30\n"
                 "Pantoprazole,Taste disorders,1,2013-06-30\n"  # an exact repeat counts once
                 "Lisinopril,Taste disorders,0,\n", encoding="utf-8")
    ref = load_reference_set(p)
    assert ref["control"].tolist() == [1, 0]
    assert ref["label_date"].iloc[0] == pd.Timestamp("2013-06-30") and pd.isna(ref["label_date"].iloc[1])
    assert (ref["source"] == "generic").all()


@pytest.mark.parametrize("text, match", [
    ("a,b,c\n1,2,3\n", "not a reference set I know"),
    ("drug,outcome,control\nx,y,2\n", "must hold 1"),
    ("drug,outcome,control,label_change_date\nx,y,1,30/06/2013\n", "ISO date"),
    ("drug,outcome,control\n,y,1\n", "empty drug"),
])
def test_malformed_reference_sets(tmp_path, text, match):
    p = tmp_path / "ref.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=match):
        load_reference_set(p)


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        load_reference_set(tmp_path / "nope.csv")
