"""The counts by quarter stored beside the pair table (analysis.trend_store).

They must be what counting gives (:func:`quarter_counts` of the default definition, table by
table), stay so after ``pvsignal update`` (equal to a full rebuild, priors included), and
signals over time read from them must equal signals over time counted and fitted from the
prepared views: every column, counts exactly, scores to 1e-12 relative (they are in fact
computed from the same arrays). Generated quarters (:func:`pvsignal.synth.synthesize`,
follow-up versions and deleted cases included) and the real FAERS samples in ../shared/data.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pvsignal import api
from pvsignal.analysis import pair_store, trend_store, trends
from pvsignal.analysis.population import CaseDefinition
from pvsignal.analysis.trend_counts import quarter_counts
from pvsignal.prepare.build import connect
from pvsignal.store.lake import Lake

FAERS = ("aers_ascii_2004q1.zip", "faers_ascii_2017q2.zip", "faers_2020q3_head")
VARIANTS = [{}, {"split": "2019-02-10"}, {"prior": "final"}, {"prior_sample": 3}, {"split": "2019Q1", "prior": "final"}]


def _stored(lake) -> dict[str, pd.DataFrame]:
    files = trend_store.stored_files(Lake(lake).manifest())
    assert files is not None
    return trend_store.read(trend_store.paths(lake, files))


def _priors(lake) -> pd.DataFrame:
    return pd.read_parquet(lake / Lake(lake).manifest()["pair_table"]["files"]["slice_priors"])


def _counted(lake) -> dict[str, pd.DataFrame]:
    con = connect(lake)
    try:
        return quarter_counts(con, CaseDefinition())
    finally:
        con.close()


def _same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for name in ("pairs", "drugs", "events", "reports"):
        pd.testing.assert_frame_equal(a[name].reset_index(drop=True), b[name].reset_index(drop=True), obj=name)


@pytest.fixture(scope="module")
def lakes(tmp_path_factory):
    """``full``: four generated quarters ingested at once; ``inc``: three, then the fourth by
    update; ``old``: as ``inc`` from a pair table written before the store existed (no files)."""
    from pvsignal.synth import synthesize

    root = tmp_path_factory.mktemp("trend-store")
    paths = synthesize(root / "q", quarters="2018Q3:2019Q2", reports_per_quarter=700, seed=5).paths
    lakes = {name: root / name for name in ("full", "inc", "old")}
    api.ingest(paths, lake=lakes["full"])
    for name in ("inc", "old"):
        api.ingest(paths[:-1], lake=lakes[name])
    m = json.loads((lakes["old"] / "manifest.json").read_text())
    del m["pair_table"]["files"]
    (lakes["old"] / "manifest.json").write_text(json.dumps(m))
    for name in ("inc", "old"):
        assert api.update(paths[-1:], lake=lakes[name]).mode == "incremental"
    return lakes


@pytest.fixture
def faers_lake(shared_dir, tmp_path_factory):
    """The three real FAERS/AERS samples (2004Q1, 2017Q2, 2020Q3 head: no INDI), ingested at
    once (``full``), and the first two then the third by update (``inc``)."""
    root = tmp_path_factory.mktemp("trend-store-faers")
    paths = [shared_dir / "data" / "faers-samples" / f for f in FAERS]
    api.ingest(paths, lake=root / "full", allow_partial=True)
    api.ingest(paths[:2], lake=root / "inc")
    assert api.update(paths[2:], lake=root / "inc", allow_partial=True).mode == "incremental"
    return root / "full", root / "inc"


def test_stored_counts_are_the_counts_and_their_totals_the_pair_table(lakes):
    for lake in lakes.values():
        stored = _stored(lake)
        _same_tables(stored, _counted(lake))
        pd.testing.assert_frame_equal(trend_store.totals(stored), pair_store.count_lake(lake)[pair_store.COUNT_COLUMNS])


def test_update_equals_a_full_rebuild_table_by_table(lakes):
    full = _stored(lakes["full"])
    for name in ("inc", "old"):  # by difference; counted afresh when the old pair table had none
        _same_tables(_stored(lakes[name]), full)
        assert "slice_priors" not in Lake(lakes[name]).manifest()["pair_table"]["files"]  # left to prepare
        # fitted on demand from the updated counts: the priors prepare stored for the same counts
        assert api.over_time_priors(lakes[name])["fits"] == api.over_time_priors(lakes["full"])["fits"]
    pri = _priors(lakes["full"])
    assert len(pri) == 2 * 4 - 1 and pri["error"].isna().all()  # 4 cumulative, 4 one-quarter slices, one shared


def test_stored_priors_are_the_fits_of_the_counts(lakes):
    lake = lakes["full"]
    fits = trends.slice_fits(_counted(lake))
    pri = _priors(lake).set_index(["first", "last"])
    assert set(fits) == set(pri.index)
    for key, fit in fits.items():  # ≈ 2 × quarters slices
        assert [fit[k] for k in trends.PRIOR_KEYS] == pri.loc[key, list(trends.PRIOR_KEYS)].tolist()


def _assert_same(got, want) -> None:
    """Every column of both results: text and counts exactly, scores to 1e-12 relative."""
    for attr in ("table", "first_signal"):
        a, b = getattr(got, attr), getattr(want, attr)
        assert list(a.columns) == list(b.columns) and len(a) == len(b) and len(a) > 0
        for col in a.columns:
            x, y = a[col].to_numpy(), b[col].to_numpy()
            if a[col].dtype.kind == "f":
                assert np.array_equal(np.isnan(x), np.isnan(y)), col
                ok = ~np.isnan(x)
                assert np.all(np.abs(x[ok] - y[ok]) <= 1e-12 * np.abs(y[ok])), col
            else:  # text, counts, flags (missing where missing)
                pd.testing.assert_series_equal(a[col], b[col], check_exact=True, obj=col)
    pd.testing.assert_frame_equal(got.priors, want.priors, rtol=1e-12)
    assert got.parameters == want.parameters


def _computed(lake, drug, **kwargs):
    con = connect(lake)
    try:
        return trends.signals_over_time(con, drug, **kwargs)
    finally:
        con.close()


@pytest.fixture
def counting_forbidden(monkeypatch):
    """Counting the lake by quarter fails: a result then came from the store."""
    def refuse(*args, **kwargs):
        raise AssertionError("counted instead of read from the store")

    monkeypatch.setattr(trends, "quarter_counts", refuse)


@pytest.mark.parametrize("name", ["full", "inc"])  # slice priors stored (prepare), fitted on demand (update)
@pytest.mark.parametrize("options", VARIANTS)
def test_read_from_the_store_equals_counted(lakes, name, options):
    lake = lakes[name]
    drug = _stored(lake)["drugs"].groupby("drug")["n"].sum().idxmax()
    want = _computed(lake, drug, **options)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(trends, "quarter_counts", lambda *a, **k: pytest.fail("counted instead of read"))
        got = api.signals_over_time(drug.lower(), lake=lake, **options)
    _assert_same(got, want)


def test_named_events_and_an_open_connection_with_the_folder(lakes, counting_forbidden):
    lake = lakes["full"]
    pairs = _stored(lake)["pairs"]
    drug = pairs["drug"].value_counts().index[0]
    events = sorted(pairs.loc[pairs["drug"] == drug, "event"].unique())[:2]
    con = connect(lake)
    try:
        got = api.signals_over_time(drug, ",".join(events), lake=con, stored=lake)
        want = trends.signals_over_time(con, drug, events, counts=_counted(lake))
    finally:
        con.close()
    _assert_same(got, want)
    assert sorted(got.table["event"].unique()) == events


def test_priors_given_are_used_only_with_the_counts_they_were_fitted_on(lakes, monkeypatch):
    inc, full = lakes["inc"], lakes["full"]
    drug = _stored(inc)["drugs"].groupby("drug")["n"].sum().idxmax()
    want = _computed(inc, drug)
    mine = api.over_time_priors(inc)
    with monkeypatch.context() as mp:  # nothing left to fit: the priors given are used
        mp.setattr(trends, "fit_slice", lambda *a, **k: pytest.fail("fitted although given"))
        _assert_same(api.signals_over_time(drug, lake=inc, priors=mine), want)
    bogus = {"counts": mine["counts"], "fits": {k: {**v, "alpha1": v["alpha1"] * 2} for k, v in mine["fits"].items()}}
    assert not api.signals_over_time(drug, lake=inc, priors=bogus).table["ebgm"].equals(want.table["ebgm"])
    other = {**bogus, "counts": Lake(full).manifest()["pair_table"]["files"]["quarter_pairs"]}
    _assert_same(api.signals_over_time(drug, lake=inc, priors=other), want)  # another lake version's: ignored


def test_another_definition_or_a_stale_store_is_counted(lakes, counting_forbidden):
    lake = lakes["full"]
    drug = _stored(lake)["drugs"]["drug"].iloc[0]
    with pytest.raises(AssertionError, match="counted instead"):
        api.signals_over_time(drug, lake=lake, definition=CaseDefinition(roles=("PS",)))
    con = connect(lake)
    try:
        with pytest.raises(AssertionError, match="counted instead"):  # an open connection alone: no folder to read
            api.signals_over_time(drug, lake=con)
    finally:
        con.close()


def test_unknown_drug_from_the_store_says_so(lakes):
    from pvsignal.errors import UnknownNameError

    with pytest.raises(UnknownNameError):
        api.signals_over_time("no such drug", lake=lakes["full"])


def test_real_faers_samples_stored_equals_counted(faers_lake):
    full, inc = faers_lake
    _same_tables(_stored(full), _counted(full))
    _same_tables(_stored(inc), _stored(full))
    assert api.over_time_priors(inc)["fits"] == api.over_time_priors(full)["fits"]  # fitted on demand = stored
    assert any(isinstance(f, str) for f in api.over_time_priors(full)["fits"].values())  # empty quarters: no prior
    drugs = _stored(full)["drugs"].groupby("drug")["n"].sum().sort_values(ascending=False)
    for drug in drugs.index[:3]:
        for options in ({}, {"prior": "final"}, {"split": "2017Q2"}):
            _assert_same(api.signals_over_time(drug, lake=inc, **options), _computed(full, drug, **options))
