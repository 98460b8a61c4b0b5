"""Restricted backgrounds (active comparator, indication, unmasking), the masking recount and
the onset comparison give the same answers on DuckDB and Spark (same Ibis queries; the lake of
tests/spark/conftest.py). The comparator, indication and masker are the lake's most
frequent ones besides the drug, chosen from the DuckDB views."""

from __future__ import annotations

import pandas as pd
import pytest

from pvsignal.analysis.masking import unmask_top
from pvsignal.analysis.onset_compare import compare_onset
from pvsignal.analysis.pair_table import pair_table
from pvsignal.analysis.population import CaseDefinition
from pvsignal.analysis.signals import signals
from pvsignal.prepare.build import connect, open_prepared

pytestmark = [pytest.mark.spark, pytest.mark.slow]
DRUG = "VOCLOSPORIN"


@pytest.fixture(scope="module")
def both(lakes, spark_engine):
    con = connect(lakes[0])
    yield con, open_prepared(lakes[0], engine=spark_engine)
    con.close()


@pytest.fixture(scope="module")
def names(both):
    con = both[0]
    top = con.execute("SELECT ingredient FROM case_drugs WHERE role_cod IN ('PS', 'SS') AND ingredient <> ? "
                      "GROUP BY 1 ORDER BY count(DISTINCT caseid) DESC, 1 LIMIT 2", [DRUG]).fetchall()
    indi = con.execute("SELECT upper(trim(indi_pt)) FROM case_indi WHERE indi_pt IS NOT NULL GROUP BY 1 "
                       "ORDER BY count(DISTINCT caseid) DESC, 1 LIMIT 1").fetchone()[0]
    return {"comparator": top[0][0], "masker": top[1][0], "indication": indi}


@pytest.mark.parametrize("kind", ["comparator", "indication", "unmask"])
def test_pair_counts_are_identical(lakes, spark_engine, names, kind):
    d = {"comparator": CaseDefinition(comparator=names["comparator"]),
         "indication": CaseDefinition(indication=names["indication"], drop_probable_duplicates=True),
         "unmask": CaseDefinition(unmask=[names["masker"]], roles="all")}[kind]
    duck, spark = pair_table(lakes[0], d), pair_table(lakes[0], d, engine=spark_engine)
    assert len(duck) > 0
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False)


def test_masking_recount_and_onset_comparison_are_identical(lakes, both, names):
    res = signals(lakes[0], drug=DRUG, min_count=1)
    a, b = (unmask_top(src, res, 2).table for src in both)
    assert (a["removed"] > 0).any()
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    c1, c2 = (compare_onset(src, DRUG, drug_2=names["comparator"]) for src in both)
    pd.testing.assert_frame_equal(c1.groups, c2.groups, check_dtype=False)
    assert (c1.ks_statistic, c1.logrank_z) == (c2.ks_statistic, c2.logrank_z)
