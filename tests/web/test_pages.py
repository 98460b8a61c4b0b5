"""The explorer's pages over HTTP (httpx through the ASGI app): numbers equal the api's, every
parameter validated, names escaped, exports formula-safe."""

from __future__ import annotations

import io
import re
from html import escape, unescape
from urllib.parse import urlencode

import pandas as pd
import pytest

BANNER = 'id="synthetic-banner"'
HOSTILE_PT = "<script>alert('pt')</script>"  # as tests/web/conftest.py plants them
FORMULA_PT = '=HYPERLINK("http://x","y")'


def _cells(html: str, table_id: str) -> tuple[list[str], list[list[str]]]:
    """Header and body cells (text) of the table ``table_id`` in ``html``."""
    t = re.search(rf'<table class="data" id="{table_id}">(.*?)</table>', html, re.S).group(1)
    strip = lambda s: unescape(re.sub(r"<[^>]+>", "", s)).strip()  # noqa: E731
    head = [strip(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", t.split("</thead>")[0], re.S)]
    rows = [[strip(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for r in re.findall(r"<tr>(.*?)</tr>", t.split("<tbody>")[1], re.S)]
    return head, rows


def _top_drug(scored) -> str:
    return str(scored["drug"].value_counts().index[0])


def test_home_lists_drugs_and_labels_synthetic(client, scored):
    r = client.get("/")
    assert r.status_code == 200 and BANNER in r.text
    assert f">{_top_drug(scored)}</a>" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_suggestions_and_search(client, scored, web_app):
    drug = _top_drug(scored)
    got = client.get("/suggest", params={"q": drug[:3].lower()}).json()
    assert {"name": drug, "ingredient": drug} in got and len(got) <= 12
    assert all(drug[:3] in g["name"] for g in got)
    r = client.get("/search", params={"q": drug.lower()})
    assert r.status_code == 303 and r.headers["location"] == "/drug?" + urlencode({"drug": drug})
    # a brand name from the lake's drug-name map opens its ingredient
    names = web_app.state.lake.names()
    brand, ingredient = next((n, i) for n, i in sorted(names.items()) if n != i)
    loc = client.get("/search", params={"q": brand}).headers["location"]
    assert loc == "/drug?" + urlencode({"drug": ingredient, "as": brand})
    page = client.get(loc).text  # the page says which name it resolved
    assert f'id="resolved-name">{escape(brand)} → {escape(ingredient)}' in page
    assert client.get("/suggest", params={"q": ""}).json() == []


def test_drug_page_has_every_signals_column_and_the_api_numbers(client, scored):
    drug = _top_drug(scored)
    r = client.get("/drug", params={"drug": drug, "rows": 5000})
    assert r.status_code == 200 and BANNER in r.text
    head, rows = _cells(r.text, "signals")
    assert set(head) == set(scored.columns)
    want = scored[scored["drug"] == drug]
    assert len(rows) == len(want)
    shown = {row[head.index("event")]: int(row[head.index("n")].replace(",", "")) for row in rows}
    assert shown == dict(zip(want["event"], want["n"]))


def test_sort_flags_and_min_count(client, scored):
    drug = _top_drug(scored)
    r = client.get("/drug", params={"drug": drug, "sort": "eb05", "order": "desc", "rows": 5000})
    head, rows = _cells(r.text, "signals")
    eb05 = [float(x[head.index("eb05")]) for x in rows]
    assert eb05 == sorted(eb05, reverse=True)
    want = scored[(scored["drug"] == drug) & scored["flag_ebgm"] & (scored["n"] >= 5)]
    r = client.get("/drug?" + urlencode({"drug": drug, "flag": "ebgm", "min_count": 5}))
    head, rows = _cells(r.text, "signals")
    assert sorted(x[head.index("event")] for x in rows) == sorted(want["event"])


def test_export_csv_equals_pvsignal_signals(client, scored, web_lake, tmp_path):
    from pvsignal import api

    drug = _top_drug(scored)
    # sorted as the command sorts (ROR); the page's default order (EB05) holds the same rows
    r = client.get("/drug/export", params={"drug": drug, "format": "csv", "sort": "ror"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    got = pd.read_csv(io.BytesIO(r.content))
    res = api.signals(web_lake, drug=drug)  # what `pvsignal signals --drug X --out f.csv` writes
    api.write_table(res.table, tmp_path / "cli.csv")
    want = pd.read_csv(tmp_path / "cli.csv")
    pd.testing.assert_frame_equal(got, want)
    default = pd.read_csv(io.BytesIO(client.get("/drug/export", params={"drug": drug}).content))
    assert list(default["eb05"]) == sorted(default["eb05"], reverse=True)
    pd.testing.assert_frame_equal(default.sort_values("event").reset_index(drop=True),
                                  want.sort_values("event").reset_index(drop=True))


def test_excel_export_opens(client, scored):
    import openpyxl

    drug = _top_drug(scored)
    r = client.get("/drug/export", params={"drug": drug, "format": "xlsx"})
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    ws = wb.worksheets[0]
    assert ws.max_row == 1 + int((scored["drug"] == drug).sum())


def test_unknown_drug_gives_close_matches(client, scored):
    drug = _top_drug(scored)
    typo = drug[:-1] + ("X" if drug[-1] != "X" else "Y")
    r = client.get("/drug", params={"drug": typo})
    assert r.status_code == 404 and BANNER in r.text
    assert f'href="/drug?{urlencode({"drug": drug})}">{drug}</a>' in r.text


@pytest.mark.parametrize("query, message", [
    ({"min_count": "abc"}, "min_count must be a whole number"),
    ({"min_count": "0"}, "min_count must be between 1"),
    ({"sort": "nonsense"}, "sort must be one of"),
    ({"order": "up"}, "order must be one of asc, desc"),
    ({"flag": "xyz"}, "flag must be one of ror, prr, ic, ebgm"),
    ({"level": "soc"}, "level must be one of pt"),
    ({"rows": "99999"}, "rows must be between 1 and 5000"),
])
def test_malformed_queries_are_400_with_a_message(client, scored, query, message):
    r = client.get("/drug", params={"drug": _top_drug(scored), **query})
    assert r.status_code == 400
    assert message in unescape(r.text) and "Traceback" not in r.text


@pytest.mark.parametrize("drug, message", [
    ("", "give a drug name"), ("A" * 201, "at most 200 characters"), ("ASP\x00IRIN", "control characters")])
def test_bad_names_are_400(client, drug, message):
    r = client.get("/drug", params={"drug": drug})
    assert r.status_code == 400 and message in r.text


def test_event_page_numbers_equal_the_api(client, scored, web_lake, onset_pair):
    from pvsignal import api

    drug, event = onset_pair
    row = scored[(scored["drug"] == drug) & (scored["event"] == event)].iloc[0]
    r = client.get("/event", params={"drug": drug, "event": row["event"].lower()})
    assert r.status_code == 200 and BANNER in r.text
    two = re.search(r'id="two-by-two">(.*?)</table>', r.text, re.S).group(1)
    for k in "abcd":
        assert f"{k} = {int(row[k]):,}" in two
    for name in ("cases", "onset", "listing", "interactions", "trend"):
        assert f'data-panel="/event/panel?{urlencode({"drug": drug, "event": event, "level": "pt"})}&panel={name}"' \
            in unescape(r.text)
    q = {"drug": drug, "event": event}
    listing = api.case_listing(drug, row["event"], lake=web_lake)
    html = client.get("/event/panel", params={**q, "panel": "listing"}, headers={"X-Panel": "1"}).text
    assert "<html" not in html  # a fragment for the page's script
    head, rows = _cells(html, "line-listing")
    assert head == list(listing.columns) and len(rows) == min(len(listing), 200)
    assert sorted(x[0] for x in rows) == sorted(listing["caseid"].astype(str).head(200))
    html = client.get("/event/panel", params={**q, "panel": "onset"}).text
    assert BANNER in html  # without the header: a page of its own
    assert 'id="onset-plot"' in html and 'src="data:image/svg+xml;base64,' in html
    onset = api.onset(drug, row["event"], lake=web_lake)
    head, rows = _cells(html, "onset-summary")
    assert onset.n >= 3 and dict(rows)["n"] == f"{onset.n:,}"
    assert dict(rows)["median_days"] == f"{onset.median_days:.4g}"


def test_event_panels_and_exports(client, scored, web_lake):
    drug = _top_drug(scored)
    ev = scored[scored["drug"] == drug].sort_values("n", ascending=False)["event"].iloc[0]
    q = {"drug": drug, "event": ev}
    trend = client.get("/event/panel", params={**q, "panel": "trend"})
    assert trend.status_code == 200 and 'id="cumulative"' in trend.text
    inter = client.get("/event/panel", params={**q, "panel": "interactions"})
    assert inter.status_code == 200 and BANNER in inter.text and 'id="by-drug"' in inter.text
    cases = client.get("/event/panel", params={**q, "panel": "cases"}, headers={"X-Panel": "1"})
    assert cases.status_code == 200 and 'id="cases-sex"' in cases.text
    assert client.get("/event/panel", params={**q, "panel": "nope"}).status_code == 400
    for table in ("listing", "cases", "onset", "trend", "pair"):
        r = client.get("/event/export", params={**q, "table": table})
        assert r.status_code == 200 and len(pd.read_csv(io.BytesIO(r.content))) > 0, table
    assert client.get("/event/export", params={**q, "table": "secrets"}).status_code == 400


def test_unknown_event_gives_close_matches(client, scored):
    drug = _top_drug(scored)
    ev = str(scored[scored["drug"] == drug]["event"].iloc[0])
    r = client.get("/event", params={"drug": drug, "event": ev + "Q"})
    assert r.status_code == 404 and ev in unescape(r.text)


def test_hostile_names_are_text_everywhere(client, hostile_drug):
    for url, params in (("/drug", {"drug": hostile_drug}),
                        ("/event", {"drug": hostile_drug, "event": HOSTILE_PT}),
                        ("/event", {"drug": hostile_drug, "event": HOSTILE_PT + "x"})):
        r = client.get(url, params=params)
        assert r.status_code in (200, 404)
        assert "<script>alert" not in r.text.lower()
        assert "&lt;script&gt;alert(" in r.text.lower()
        assert HOSTILE_PT.upper() in unescape(r.text).upper()


def test_exports_neutralise_formulas(client, scored):
    t = scored[scored["event"].str.upper() == FORMULA_PT.upper()]
    drug = str(t["drug"].iloc[0])
    got = pd.read_csv(io.BytesIO(client.get("/drug/export", params={"drug": drug}).content))
    cell = got.loc[got["event"].str.contains("HYPERLINK", case=False), "event"].iloc[0]
    assert not cell.startswith("=")


def test_about_page(client, web_lake):
    from pvsignal import api

    st = api.status(web_lake)
    r = client.get("/about")
    assert r.status_code == 200 and "synthetic data" in r.text and "2023Q1" in r.text and "2023Q2" in r.text
    head, rows = _cells(r.text, "tally")
    assert dict(rows)["cases"] == f"{st['cases']:,}" and dict(rows)["reports"] == f"{st['reports']:,}"
    assert client.get("/about/export", params={"table": "rejects"}).status_code == 200


def test_profile_is_the_profile_html(client, scored):
    drug = _top_drug(scored)
    r = client.get("/drug/profile", params={"drug": drug})
    assert r.status_code == 200 and drug in r.text and "SYNTHETIC DATA" in r.text
    assert "<script" not in r.text.lower()


def test_read_only_and_unknown_pages(client, scored):
    assert client.post("/drug", params={"drug": _top_drug(scored)}).status_code == 405
    r = client.get("/nothing-here")
    assert r.status_code == 404 and BANNER in r.text
    assert client.get("/trial").status_code == 404  # started without ADaM files


def test_figures_are_svg_images(client, scored):
    drug = _top_drug(scored)
    page = client.get("/drug", params={"drug": drug, "sort": "eb05"}).text
    urls = [unescape(u) for u in re.findall(r'<img src="(/figure\?[^"]+)"', page)]
    assert [u.split("kind=")[1].split("&")[0] for u in urls] == ["volcano", "forest"]
    for u in urls:
        r = client.get(u)
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
        assert r.text.lstrip().startswith(("<svg", "<?xml")) and "<script" not in r.text.lower()
    assert client.get("/figure", params={"kind": "pie", "drug": drug}).status_code == 400


def test_cells():
    import numpy as np

    from pvsignal.web.tables import cell

    assert [cell(np.bool_(True)), cell(False), cell(np.int64(12345)), cell(12345, plain=True)] == ["✓", "", "12,345", "12345"]
    assert [cell(np.float64(0.123456)), cell(float("nan")), cell(None), cell(pd.NA), cell(float("inf"))] == \
        ["0.1235", "—", "—", "—", "∞"]
    assert cell("<b>") == "<b>"  # text: the template escapes it


def test_brand_from_the_drug_dictionary(client, scored):
    # HUMIRA is not a drug name of the synthetic lake; api.resolve_drug knows it is adalimumab
    assert "ADALIMUMAB" in set(scored["drug"])
    r = client.get("/search", params={"q": "Humira"})
    assert r.status_code == 303 and r.headers["location"] == "/drug?drug=ADALIMUMAB&as=Humira"
    assert 'id="resolved-name">humira → ADALIMUMAB' in client.get("/drug", params={"drug": "humira"}).text
