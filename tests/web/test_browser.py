"""End to end in real headless Chromium (Debian ``chromium``, driven by Playwright through its
executable path: no browser download): search a drug → sort by EB05 → open an event → line
listing and onset plot visible → the CSV export equals ``pvsignal signals`` for that drug; a
hostile PT shows as text and runs nothing.

Screenshots are kept under ``test-artifacts/explorer/`` (gitignored).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "explorer"
CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
HOSTILE_PT = "<script>alert('pt')</script>"  # as tests/web/conftest.py plants it

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not found: apt-get install -y chromium "
                                                "(the CI script .ci/run installs it)"),
]


@pytest.fixture(scope="module")
def base_url(web_app):
    from pvsignal.web.load import live_server

    with live_server(web_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    pg = ctx.new_page()
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    ctx.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_search_sort_event_export(page, base_url, onset_pair, web_lake, tmp_path):
    from pvsignal import api

    drug, event = onset_pair
    page.goto(base_url + "/")
    assert page.locator("#synthetic-banner").is_visible()
    page.fill("#q", drug[:4].lower())
    suggestion = page.locator("#suggestions a", has_text=drug).first
    suggestion.wait_for(state="visible", timeout=15000)
    _shot(page, "1-search")
    suggestion.click()
    page.wait_for_selector("#drug-name")
    assert page.inner_text("#drug-name") == drug

    page.click('th[data-column="ror"] a')  # the page opens sorted by EB05: another order first
    page.wait_for_url("**sort=ror**")
    page.click('th[data-column="eb05"] a')
    page.wait_for_url("**sort=eb05**")
    heads = page.locator("table#signals thead th").all_inner_texts()
    col = [h.strip() for h in heads].index("eb05")
    eb05 = [float(r) for r in page.locator(f"table#signals tbody tr td:nth-child({col + 1})").all_inner_texts()]
    assert len(eb05) > 1 and eb05 == sorted(eb05, reverse=True)
    page.locator("#volcano img").wait_for(state="visible")
    _shot(page, "2-drug-sorted-by-eb05")

    with page.expect_download() as dl:
        page.click("p.caption a.export >> text=CSV")
    got = pd.read_csv(dl.value.path())
    want_path = tmp_path / "signals.csv"
    api.write_table(api.signals(web_lake, drug=drug).table, want_path)  # = `pvsignal signals --drug X --out`
    want = pd.read_csv(want_path)
    key = ["event"]
    pd.testing.assert_frame_equal(got.sort_values(key).reset_index(drop=True),
                                  want.sort_values(key).reset_index(drop=True))

    page.click(f"table#signals a >> text='{event}'")
    page.wait_for_selector("#event-name")
    assert page.inner_text("#event-name") == event
    page.wait_for_selector("section#listing[data-loaded=ok] table#line-listing", timeout=60000)
    page.wait_for_selector("section#onset[data-loaded=ok] #onset-plot img", timeout=60000)
    assert page.locator("table#line-listing").is_visible()
    img = page.locator("#onset-plot img")
    assert img.is_visible() and img.evaluate("i => i.naturalWidth") > 100
    n_rows = page.locator("table#line-listing tbody tr").count()
    assert n_rows == min(len(api.case_listing(drug, event, lake=web_lake)), 200)
    page.wait_for_selector("section#trend[data-loaded=ok]", timeout=60000)
    page.wait_for_selector("section#interactions[data-loaded]", timeout=60000)
    _shot(page, "3-event")
    assert page.errors == [] and page.dialogs == []


def test_hostile_pt_shows_as_text(page, base_url, hostile_drug):
    from urllib.parse import urlencode

    page.goto(base_url + "/drug?" + urlencode({"drug": hostile_drug, "rows": 5000}))
    cell = page.locator("table#signals td a", has_text="<SCRIPT>")
    assert cell.count() == 1 and cell.inner_text().upper() == HOSTILE_PT.upper()
    _shot(page, "4-hostile-drug")
    cell.click()
    page.wait_for_selector("#event-name")
    assert page.inner_text("#event-name").upper() == HOSTILE_PT.upper()
    page.wait_for_selector("section#listing[data-loaded]", timeout=60000)
    page.wait_for_selector("section#cases[data-loaded]", timeout=60000)
    assert page.evaluate("document.scripts.length") == 1  # app.js only
    _shot(page, "5-hostile-event")
    assert page.dialogs == [] and page.errors == []
