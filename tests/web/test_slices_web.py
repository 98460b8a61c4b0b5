"""The explorer's case panels read the drug's slice (web.slices), built when the drug page opens,
and show exactly what they show when computed on the lake."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from pvsignal.web.slices import slices


def _pair(scored, rank: int = 0) -> tuple[str, str]:
    drug = str(scored["drug"].value_counts().index[rank])
    ev = scored[scored["drug"] == drug].sort_values(["n", "event"], ascending=[False, True])["event"].iloc[0]
    return drug, str(ev)


def _exports(client, drug: str, ev: str) -> dict[str, pd.DataFrame]:
    q = {"drug": drug, "event": ev}
    return {t: pd.read_csv(io.BytesIO(client.get("/event/export", params={**q, "table": t}).content))
            for t in ("listing", "cases", "onset", "co_reported")}


def test_drug_page_builds_the_slice_and_panels_read_it(client, web_app, scored):
    state = web_app.state.lake
    drug, ev = _pair(scored, 1)
    assert client.get("/drug", params={"drug": drug}).status_code == 200
    sl = slices(state)
    sl._future(drug).result(timeout=120)  # the build the page started
    assert drug in sl.built
    r = client.get("/event/panel", params={"drug": drug, "event": ev, "panel": "listing"}, headers={"X-Panel": "1"})
    assert r.status_code == 200 and 'id="line-listing"' in r.text


def test_sliced_panels_equal_the_lakes(client, web_app, scored, web_lake):
    """Exports of a drug read from its slice, then (a new lake state: slicing off) from the lake."""
    from starlette.testclient import TestClient

    from pvsignal.web import create_app

    drug, ev = _pair(scored, 2)
    client.get("/drug", params={"drug": drug})
    sliced = _exports(client, drug, ev)
    assert drug in slices(web_app.state.lake).built
    app = create_app(web_lake)
    with TestClient(app, raise_server_exceptions=False) as plain:
        slices(app.state.lake).max_cases = 0  # every drug on the lake
        on_lake = _exports(plain, drug, ev)
        assert not slices(app.state.lake).built
    for name, frame in sliced.items():
        assert len(frame) > 0, name
        pd.testing.assert_frame_equal(frame, on_lake[name], obj=name)


def test_a_drug_over_the_cap_is_served_from_the_lake(web_app, scored):
    from pvsignal.web.slices import Slices

    state = web_app.state.lake
    drug, _ = _pair(scored, 3)
    sl = Slices(state)
    sl.max_cases = sl.cases_of(drug) - 1
    assert not sl.sliced(drug)
    sl.warm(drug)
    assert drug not in sl._slices
    assert sl.run(drug, lambda cur: cur.execute("SELECT count(*) FROM case_drugs").fetchall()[0][0]) \
        == state.with_cursor(lambda cur: cur.execute("SELECT count(*) FROM case_drugs").fetchall()[0][0])
    assert not sl._slices


def test_least_recently_used_slices_are_closed(web_app, scored):
    sl = slices(web_app.state.lake)
    old = sl.keep
    try:
        sl.keep = 1
        drugs = [str(d) for d in scored["drug"].value_counts().index[4:6]]
        first = sl._future(drugs[0]).result(timeout=120)
        sl._future(drugs[1]).result(timeout=120)
        sl._future(drugs[1])  # evicts the first (done) one
        assert list(sl._slices) == [drugs[1]]
        try:
            first.execute("SELECT 1")
            raise AssertionError("the evicted slice is still open")
        except Exception as exc:  # noqa: BLE001 — DuckDB's "connection closed"
            assert "closed" in str(exc).lower()
    finally:
        sl.keep = old


def test_only_the_latest_warm_up_waits_in_the_queue(web_app, scored):
    """A burst of drug pages queues no backlog: of the warm-ups not started, only the last is kept;
    a slice a panel waits for is never dropped."""
    import threading

    from pvsignal.web.slices import Slices

    gate = threading.Event()
    sl = Slices(web_app.state.lake)
    sl._build = lambda drug: (gate.wait(60), drug)[1]  # a build that waits for the test
    a, b, c, d = [str(x) for x in scored["drug"].value_counts().index[:4]]
    sl.warm(a)  # running (blocked)
    sl.warm(b)  # queued
    sl.warm(c)  # replaces b
    assert list(sl._slices) == [a, c]
    wanted = sl._future(c, wanted=True)  # a panel waits for c
    sl.warm(d)  # c is wanted: kept
    assert list(sl._slices) == [a, c, d]
    gate.set()
    assert wanted.result(timeout=60) == c and sl._slices[d].result(timeout=60) == d


def test_slices_over_the_memory_budget_are_closed_but_the_last(web_app, scored):
    from pvsignal.web.slices import Slices

    sl = Slices(web_app.state.lake, memory_budget=1)  # every slice is over
    a, b = [str(x) for x in scored["drug"].value_counts().index[6:8]]
    first = sl._future(a).result(timeout=120)
    assert list(sl._slices) == [a] and sl.memory[a] > 1  # alone: kept although over
    sl._future(b).result(timeout=120)
    assert list(sl._slices) == [b] and a not in sl.memory
    with pytest.raises(Exception, match="(?i)closed"):
        first.execute("SELECT 1")
