"""A bounded load test on loopback: 20 concurrent clients for a few seconds, no error
(the full 30 s run is bench/bench_serve.py, reported in BENCHMARKS.md)."""

from __future__ import annotations

from urllib.parse import urlencode


def test_twenty_clients_no_errors(web_app, scored):
    from pvsignal.web.load import live_server, load_test

    drugs = list(scored["drug"].value_counts().index[:8])
    urls = [("drug", "/drug?" + urlencode({"drug": d})) for d in drugs]
    urls += [("drug", "/drug?" + urlencode({"drug": d, "sort": "eb05", "flag": "ror"})) for d in drugs[:4]]
    for d in drugs[:4]:
        ev = scored.loc[scored["drug"] == d, "event"].iloc[0]
        urls.append(("event", "/event?" + urlencode({"drug": d, "event": ev})))
    urls.append(("suggest", "/suggest?q=a"))
    with live_server(web_app) as base:
        import httpx

        assert httpx.get(base + "/", timeout=600).status_code == 200  # the scored pairs are ready
        res = load_test(base, urls, clients=20, seconds=4)
    s = res.summary()
    print({k: {m: round(v, 1) for m, v in x.items()} for k, x in s.items()})
    assert res.errors == []
    assert s["all"]["requests"] >= 20  # every client got at least one answer
    assert {"drug", "drug (first)"} <= set(res.latencies)
    assert s["all"]["p50_ms"] <= s["all"]["p95_ms"]
