"""Case listing and signals over time are identical on DuckDB and Spark (same Ibis queries;
the lake of tests/spark/conftest.py), with the default and a filtered case definition."""

from __future__ import annotations

import pandas as pd
import pytest

from pvsignal.analysis.listing import case_listing
from pvsignal.analysis.population import CaseDefinition
from pvsignal.analysis.trends import quarter_counts, signals_over_time
from pvsignal.prepare.build import connect, open_prepared

pytestmark = [pytest.mark.spark, pytest.mark.slow]
FILTERED = CaseDefinition(quarters="2012Q3:2019Q1", sex="F")


@pytest.fixture(scope="module")
def both(lakes, spark_engine):
    con = connect(lakes[0])
    yield con, open_prepared(lakes[0], engine=spark_engine)
    con.close()


@pytest.mark.parametrize("definition", [CaseDefinition(), FILTERED], ids=["default", "filtered"])
def test_listing_is_identical(both, definition):
    duck, spark = (case_listing(src, "voclosporin", definition=definition) for src in both)
    assert len(duck) > 0
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False)


def test_quarter_counts_and_scores_are_identical(both):
    duck, spark = (quarter_counts(src, FILTERED) for src in both)
    for name in duck:
        pd.testing.assert_frame_equal(duck[name].reset_index(drop=True), spark[name].reset_index(drop=True),
                                      check_dtype=False)
    a, b = (signals_over_time(None, "voclosporin", counts=c).table for c in (duck, spark))
    pd.testing.assert_frame_equal(a, b)


def test_sampled_prior_counts_are_identical(both):
    duck, spark = (quarter_counts(src, FILTERED, drug="voclosporin", prior_sample=3) for src in both)
    assert set(duck) == {"pairs", "prior_pairs", "drugs", "events", "reports"} and len(duck["prior_pairs"]) > 0
    for name in duck:
        pd.testing.assert_frame_equal(duck[name].reset_index(drop=True), spark[name].reset_index(drop=True),
                                      check_dtype=False)
