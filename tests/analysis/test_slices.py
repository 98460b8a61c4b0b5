"""A drug's slice (analysis.slices) answers the drug's case analyses exactly as the whole lake does.

Every analysis a slice serves (case series, onset, line listing, co-reported perpetrators)
runs twice, on the lake and on the slice, on a synthetic lake (planted voclosporin signals)
and on the real FAERS 2020Q3 head (../shared/data), for several pairs and case definitions;
the results must be equal, not close. The slice's rows are counted independently in DuckDB
SQL over the prepared Parquet files, not through our code.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pvsignal import api
from pvsignal.analysis.population import CaseDefinition
from pvsignal.analysis.slices import SLICE_VIEWS, covers, drug_slice
from pvsignal.errors import UnknownNameError
from pvsignal.prepare.views import prepared_files

HEAD = "data/faers-samples/faers_2020q3_head"


def _same(a, b) -> None:
    """Two results of one analysis are equal (frames by value, result objects by every table)."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif hasattr(a, "long"):  # CaseSeries
        assert a.n_cases == b.n_cases
        for name, t in a.tables().items():
            pd.testing.assert_frame_equal(t, b.tables()[name], obj=name)
    elif hasattr(a, "by_drug"):  # CoReported
        assert a.n_drug_cases == b.n_drug_cases
        pd.testing.assert_frame_equal(a.by_drug, b.by_drug)
        pd.testing.assert_frame_equal(a.by_class, b.by_class)
    else:  # OnsetResult
        da, db = a.to_dict(), b.to_dict()
        assert da == db
        pd.testing.assert_frame_equal(a.bins, b.bins)


def _analyses(drug: str, event: str, definition: CaseDefinition | None):
    kw = {"definition": definition} if definition is not None else {}
    return {
        "cases": lambda src: api.cases(drug, event, lake=src, **kw),
        "onset": lambda src: api.onset(drug, event, lake=src, **kw),
        "listing": lambda src: api.case_listing(drug, event, lake=src, **kw),
        "listing of the drug": lambda src: api.case_listing(drug, None, lake=src, **kw),
        "co-reported": lambda src: api.co_reported_perpetrators(drug, lake=src, **kw),
    }


def _top_pairs(con, k: int) -> list[tuple[str, str]]:
    rows = con.execute(
        "SELECT d.ingredient, r.pt, count(DISTINCT caseid) AS n FROM case_drugs d JOIN case_reactions r "
        "USING (caseid) WHERE d.role_cod IN ('PS', 'SS') AND d.ingredient IS NOT NULL "
        "GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT ?", [k]).fetchall()
    return [(d, e) for d, e, _ in rows]


def _check(con, drug: str, event: str, definition: CaseDefinition | None = None) -> None:
    sl = drug_slice(con, drug)
    try:
        for name, fn in _analyses(drug, event, definition).items():
            try:
                expected = fn(con)
            except Exception as exc:  # noqa: BLE001 — the slice must fail the same way
                with pytest.raises(type(exc)):
                    fn(sl)
                continue
            _same(fn(sl), expected)
    finally:
        sl.close()


@pytest.mark.parametrize("definition", [None, CaseDefinition(roles="primary"),
                                        CaseDefinition(sex="F", drop_probable_duplicates=True),
                                        CaseDefinition(age_groups=["18-64"], quarters="2022Q2:2022Q4")])
def test_synthetic_pairs_equal_on_slice_and_lake(planted_con, definition):
    pairs = _top_pairs(planted_con, 3) + [("VOCLOSPORIN", "HEADACHE"), ("VOCLOSPORIN", "TREMOR")]
    for drug, event in pairs:
        _check(planted_con, drug, event, definition)


@pytest.fixture(scope="module")
def head_con(tmp_path_factory):
    from tests.conftest import SHARED

    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED})")
    lake = tmp_path_factory.mktemp("head") / "lake"
    api.ingest([SHARED / HEAD], lake=lake, allow_partial=True)
    con = api.connect(lake)
    yield lake, con
    con.close()


def test_real_faers_pairs_equal_on_slice_and_lake(head_con):
    _, con = head_con
    for drug, event in _top_pairs(con, 6):
        _check(con, drug, event)


def test_slice_holds_every_row_of_the_drugs_cases_and_no_other(head_con):
    lake, con = head_con
    drug, _ = _top_pairs(con, 1)[0]
    files = prepared_files(lake)
    raw = duckdb.connect()
    ids = f"SELECT DISTINCT caseid FROM read_parquet('{files['case_drugs']}') WHERE ingredient = '{drug}'"
    sl = drug_slice(con, drug)
    try:
        for view in SLICE_VIEWS:
            want = raw.execute(f"SELECT count(*) FROM read_parquet('{files[view]}') "
                               f"WHERE caseid IN ({ids})").fetchall()[0][0]
            got = sl.execute(f"SELECT count(*) FROM {view}").fetchall()[0][0]
            assert got == want, view
            assert got > 0 or view not in ("cases", "case_drugs", "case_reactions")  # the head lacks some tables
        n_cases = raw.execute(f"SELECT count(*) FROM ({ids})").fetchall()[0][0]
        assert sl.execute("SELECT count(DISTINCT caseid) FROM cases").fetchall()[0][0] == n_cases
    finally:
        sl.close()


def test_unknown_drug_names_close_matches(planted_con):
    with pytest.raises(UnknownNameError, match="VOCLOSPORIN"):
        drug_slice(planted_con, "voclosporine")


def test_definitions_a_slice_cannot_answer():
    assert covers(None) and covers(CaseDefinition(sex="M", roles="all"))
    assert not covers(CaseDefinition(comparator="tacrolimus"))
    assert not covers(CaseDefinition(unmask=["tacrolimus"]))
    assert not covers(CaseDefinition(indication="lupus nephritis"))
    assert not covers(CaseDefinition(drug_level="class"))


def test_a_slice_refuses_what_it_cannot_answer(planted_con):
    """Another drug's cases, a definition reading other cases, and whole-lake analyses (scores, Ω)
    are errors on a slice, never numbers from the wrong population."""
    from pvsignal.analysis.population import population
    from pvsignal.errors import ConfigError

    sl = drug_slice(planted_con, "voclosporin")
    try:
        other = _top_pairs(planted_con, 1)[0][0]
        assert other != "VOCLOSPORIN"
        for call in (lambda: api.cases(other, lake=sl), lambda: api.co_reported_perpetrators(other, lake=sl),
                     lambda: api.cases("voclosporin", lake=sl, definition=CaseDefinition(comparator="tacrolimus")),
                     lambda: population(sl, CaseDefinition()),  # what signals and every count read
                     lambda: api.interaction_signals("voclosporin", "nizoral", ["TREMOR"], lake=sl)):
            with pytest.raises(ConfigError, match="drug slice"):
                call()
        assert api.cases("voclosporin", "HEADACHE", lake=sl).n_cases > 0  # what it holds, it answers
    finally:
        sl.close()
