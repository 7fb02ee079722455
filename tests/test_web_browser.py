"""The web application in a real browser: Playwright driving Debian's Chromium
(/usr/bin/chromium; `make test` installs it when missing and run as root).

Fill the form, read the sentence, follow a citation link, flip a reading, run a
whatif, save a record, upload a ledger. The server runs on a free loopback port."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("PYRULES_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"Debian's chromium is not installed at {CHROMIUM} (make browser installs it when run as root)",
)

playwright_sync = pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")


@pytest.fixture(scope="module")
def base_url():
    import uvicorn
    from pyrules.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    t.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 900})
    # the eCFR is not reachable from here: answer its pages locally, to follow a link
    ctx.route(
        "https://www.ecfr.gov/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<html><body><h1>eCFR stub</h1></body></html>"
        ),
    )
    pg = ctx.new_page()
    yield pg
    ctx.close()


def test_browser_fill_the_form_read_the_sentence_and_follow_a_citation(page, base_url):
    """742.6(b)(10): an Indian data center whose parent is headquartered in China; the
    sentence says presumption of denial and the policy citation links to the eCFR paragraph."""
    page.goto(base_url + "/")
    page.fill("#f-scenario", "Browser: Indian cloud, Chinese parent")
    page.fill("#f-date", "2025-06-01")
    page.select_option("#f-transaction-action", "export")
    page.fill("#f-transaction-from", "US")
    page.fill("#f-transaction-to", "IN")
    page.fill("#f-transaction-consignee", "AcmeCloud")
    page.select_option("#f-transaction-via_distributor", "false")
    page.select_option("#f-transaction-purpose", "data_center")
    page.fill("#f-entities-0-name", "AcmeCloud")
    page.fill("#f-entities-0-located", "IN")
    page.fill("#f-entities-0-headquartered", "IN")
    page.fill("#f-entities-0-parent", "HoldCo")
    page.fill("#f-entities-1-name", "HoldCo")
    page.fill("#f-entities-1-headquartered", "CN")
    page.select_option("#f-items-0-chip", "H100-SXM")
    page.fill("#f-items-0-quantity", "1000")
    page.fill("#f-facts-tier2_allocation_used_tpp", "0")
    page.click("#evaluate")
    sentence = page.text_content("#answer-sentence")
    assert sentence.startswith("A licence is required")
    assert "presumption of denial" in sentence
    link = page.locator("#policy a.cite").first
    href = link.get_attribute("href")
    assert href == "https://www.ecfr.gov/current/title-15/section-742.6#p-742.6(b)(10)"
    with page.context.expect_page() as new:
        link.click()
    opened = new.value
    opened.wait_for_load_state()
    assert opened.url == href
    assert "eCFR stub" in opened.text_content("h1")


def test_browser_error_beside_its_field_and_missing_fact_links_to_field(page, base_url):
    page.goto(base_url + "/?example=core_tier1_destination.json")
    page.fill("#f-transaction-to", "XX")
    page.click("#evaluate")
    err = page.text_content("#f-transaction-to-error")
    assert "ISO 3166-1" in err
    # a missing fact is a question linked to the field that answers it
    page.goto(base_url + "/?example=core_tier2_destination.json")
    page.click("#evaluate")
    q = page.locator("a.question").first
    target = q.get_attribute("href")
    assert target.startswith("#f-")
    assert page.locator(target).count() == 1
    q.click()
    assert page.locator(target).is_visible()
    assert page.url.endswith(target)


def test_browser_flip_a_reading_re_evaluates(page, base_url):
    """742.6(b)(10) states no precedence between Tier 1 location and a Tier 3 parent:
    switching tier_overlap to tier3_prevails gives a presumption of denial."""
    page.goto(base_url + "/?example=core_overlap_tier1_location_tier3_parent.json")
    page.click("#evaluate")
    assert page.locator("#readings").count() == 1
    before = page.text_content("#policy")
    page.click("button[data-reading='tier_overlap=tier3_prevails']")
    assert before.startswith("undecided")
    assert page.text_content("#policy").startswith("presumption of denial")
    assert "on" in page.get_attribute("button[data-reading='tier_overlap=tier3_prevails']", "class")


def test_browser_whatif_lpp_quantity_repair(page, base_url):
    """740.29: 2,000 H100s exceed LPP's annual limit; allowed to change only the quantity,
    the repair is 'at most 1,699', re-checked."""
    page.goto(base_url + "/?example=whatif_lpp_over_limit.json")
    page.click("#evaluate")
    page.select_option("#goal", "lpp")
    boxes = page.locator("input[name=may_change]")
    for i in range(boxes.count()):
        spec = json.loads(boxes.nth(i).get_attribute("value"))
        if spec.get("fact") != "quantity":
            boxes.nth(i).uncheck()
    page.click("#run-whatif")
    text = page.text_content("#repairs")
    assert "quantity of item 1 at most 1,699" in text
    assert "re-checked: reaches the goal" in text


def test_browser_save_a_record_html_and_json(page, base_url, tmp_path):
    """Records for 15 CFR 762: a self-contained printable page and JSON with the record."""
    page.goto(base_url + "/?example=india_cloud_chinese_parent.json")
    page.click("#evaluate")
    with page.expect_download() as dl:
        page.click("#save-html")
    path = tmp_path / "record.html"
    dl.value.save_as(path)
    html = path.read_text()
    assert "presumption of denial" in html and "Determination record" in html
    assert "<script" not in html and "<link" not in html and "@media print" in html
    with page.expect_download() as dl:
        page.click("#save-json")
    jpath = tmp_path / "record.json"
    dl.value.save_as(jpath)
    j = json.loads(jpath.read_text())
    assert j["licensing_policy"] == "presumption_of_denial"
    assert len(j["record"]["kb_sha256"]) == 64 and j["record"]["input"]["scenario"]


def test_browser_upload_a_ledger(page, base_url):
    """740.29 LPP per consignee per calendar year over a ledger: the summary shows the
    year's cap and the rows table the row over the limit."""
    page.goto(base_url + "/ledger")
    page.set_input_files("#ledger_file", str(ROOT / "queries" / "ledgers" / "sample.csv"))
    page.click("#run-ledger")
    assert "rows accounted" in page.text_content("#ledger-sentence")
    assert "lpp_year(Acme, 2025)" in page.text_content("#ledger-summary")
    assert "lpp annual limit" in page.text_content("#ledger-table")
    # the chart of shipments over time: one line per destination (AE and IN in the sample)
    assert page.locator("#ledger-chart svg polyline").count() == 2
    assert "2025-06-01" in page.text_content("#ledger-chart svg")
