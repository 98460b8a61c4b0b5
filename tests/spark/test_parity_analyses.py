"""Case series, time to onset and interaction counts are identical on DuckDB and Spark.

One case definition, one set of Ibis expressions (:mod:`pvsignal.analysis.population`):
the same analyses run over the prepared views of the generated lake (tests/spark/conftest.py)
registered in DuckDB (a connection) and in Spark (an ``Engine``), with the default and with
a filtered definition. Counts must agree exactly; quantiles of age/weight to the last bits.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pvsignal.analysis.cases import case_series
from pvsignal.analysis.interactions import co_reported_perpetrators, interaction_counts
from pvsignal.analysis.onset import onset_by_event, onset_days
from pvsignal.analysis.population import CaseDefinition
from pvsignal.prepare.build import connect, open_prepared

pytestmark = [pytest.mark.spark, pytest.mark.slow]

DEFINITIONS = {
    "default": CaseDefinition(),
    "filtered": CaseDefinition(roles="PS,SS,I", quarters="2012Q3:2019Q1", sex="female", age_groups=["18-64", "65+"],
                               years=[2012, 2019], drop_probable_duplicates=True),
}


@pytest.fixture(scope="module")
def engines(lakes, spark_engine):
    """``(duckdb connection, spark engine)`` over the prepared views of the same lake."""
    duck, _ = lakes
    con = connect(duck)
    eng = open_prepared(duck, engine=spark_engine)
    yield con, eng
    con.close()


@pytest.fixture(scope="module")
def drug_event(engines):
    """The most reported suspect ingredient and its most reported PT."""
    con, _ = engines
    drug = con.execute("SELECT ingredient FROM case_drugs WHERE role_cod IN ('PS', 'SS') "
                       "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    event = con.execute("SELECT r.pt FROM case_reactions r JOIN case_drugs d USING (caseid) WHERE d.ingredient = ? "
                        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1", [drug]).fetchone()[0]
    return drug, event


@pytest.mark.parametrize("key", DEFINITIONS)
def test_case_series_is_identical(engines, drug_event, key):
    con, eng = engines
    drug, event = drug_event
    for ev in (None, event):
        a = case_series(con, drug, ev, definition=DEFINITIONS[key])
        b = case_series(eng, drug, ev, definition=DEFINITIONS[key])
        assert a.n_cases == b.n_cases > 10
        for name, t in a.tables().items():
            if name == "summary":
                pd.testing.assert_frame_equal(t, b.summary, check_exact=False, rtol=1e-12, check_dtype=False)
            else:
                pd.testing.assert_frame_equal(t, b.tables()[name], check_exact=True, check_dtype=False)
    assert a.parameters == b.parameters


@pytest.mark.parametrize("key", DEFINITIONS)
def test_onset_rows_and_summaries_are_identical(engines, drug_event, key):
    con, eng = engines
    drug, _ = drug_event
    d = DEFINITIONS[key]

    def norm(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        for c in ("start_dt", "event_dt"):
            df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
        df["days"] = df["days"].astype("float64")
        return df.sort_values(["event", "caseid"], na_position="first", ignore_index=True)

    for allow_month in (False, True):
        a = onset_days(con, drug, definition=d, by_event=True, allow_month=allow_month)
        b = onset_days(eng, drug, definition=d, by_event=True, allow_month=allow_month)
        assert len(a) > 10 and a["excluded"].isna().sum() > 5
        pd.testing.assert_frame_equal(norm(a), norm(b), check_dtype=False)
    pd.testing.assert_frame_equal(onset_by_event(con, drug, definition=d, min_cases=2),
                                  onset_by_event(eng, drug, definition=d, min_cases=2), check_dtype=False)


@pytest.mark.parametrize("key", DEFINITIONS)
def test_interaction_counts_are_identical(engines, key):
    con, eng = engines
    d = DEFINITIONS[key]
    a = interaction_counts(con, "TACROLIMUS", "cyp3a4-inhibitor", definition=d)
    b = interaction_counts(eng, "TACROLIMUS", "cyp3a4-inhibitor", definition=d)
    assert len(a) > 10 and a["n11_"].iloc[0] > 0
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    ca = co_reported_perpetrators(con, "TACROLIMUS", definition=d)
    cb = co_reported_perpetrators(eng, "TACROLIMUS", definition=d)
    assert ca.n_drug_cases == cb.n_drug_cases > 0
    pd.testing.assert_frame_equal(ca.by_drug, cb.by_drug, check_exact=True, check_dtype=False)
    pd.testing.assert_frame_equal(ca.by_class, cb.by_class, check_exact=True, check_dtype=False)


def test_the_filter_changes_the_counts(engines, drug_event):
    con, _ = engines
    drug, _ = drug_event
    assert case_series(con, drug, definition=DEFINITIONS["filtered"]).n_cases < case_series(con, drug).n_cases
