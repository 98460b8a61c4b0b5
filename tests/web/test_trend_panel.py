"""The explorer's over-time panel: the numbers of ``pvsignal trends`` (the API's) for the pair, read
from the lake's stored counts by quarter with the slice priors the server readied."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from pvsignal import api
from pvsignal.analysis import trends
from pvsignal.prepare.build import connect


def test_trend_panel_and_export_are_the_trends_numbers(client, scored, web_lake, web_app):
    drug = str(scored["drug"].value_counts().index[0])
    ev = str(scored[scored["drug"] == drug].sort_values("n", ascending=False)["event"].iloc[0])
    r = client.get("/event/export", params={"drug": drug, "event": ev, "table": "trend", "format": "csv"})
    assert r.status_code == 200
    got = pd.read_csv(io.BytesIO(r.content))
    con = connect(web_lake)
    try:  # counted and fitted on the prepared views, as with any other definition
        counted = trends.signals_over_time(con, drug).table
    finally:
        con.close()
    for want in (api.signals_over_time(drug, lake=web_lake).table, counted):
        want = want[want["event"] == ev].reset_index(drop=True)
        assert list(got.columns) == list(want.columns) and len(got) == len(want) > 0
        for col in ("n", "n_drug", "n_event", "n_total", "a", "b", "c", "d"):
            assert (got[col].to_numpy() == want[col].to_numpy()).all(), col
        for col in ("expected", "ror", "ror_lower", "prr", "ic", "ic025", "ebgm", "eb05", "eb95"):
            np.testing.assert_allclose(got[col].to_numpy(float), want[col].to_numpy(float), rtol=1e-12, err_msg=col)
    state = web_app.state.lake
    assert state.over_time_priors() == api.over_time_priors(web_lake)  # readied once per lake version
    assert state.over_time_priors()["fits"]


def test_priors_that_cannot_be_read_leave_the_panel_to_fit(web_lake, monkeypatch):
    from pvsignal.web.state import LakeState

    def broken(lake):
        raise OSError("a stored file went missing")

    monkeypatch.setattr(api, "over_time_priors", broken)
    state = LakeState(web_lake)
    try:
        assert state.over_time_priors() is None  # logged, not raised: the analysis fits its own priors
    finally:
        state.close()
