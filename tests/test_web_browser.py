"""The dashboard in a real browser: Playwright driving Debian's headless Chromium against `voc serve`
on the demo corpora (built once for this module, about two minutes). Set VOC_SCREENSHOTS=DIR to keep
a screenshot of each page (`make screenshots` writes docs/screenshots/)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser import CHROMIUM_ARGS, ROOT, LiveServer, chromium_path, overflows, sign_in, unlabelled_controls

pytestmark = pytest.mark.slow

#: where screenshots go (a relative path is taken from the checkout: the tests run in temporary folders)
SHOTS = ROOT / os.environ["VOC_SCREENSHOTS"] if os.environ.get("VOC_SCREENSHOTS") else None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("live")).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_sign_in_lands_on_the_overview_with_charts(page, server):
    page.goto(server.url + "/themes")
    assert "/signin" in page.url
    assert unlabelled_controls(page) == []
    sign_in(page, server, "admin")
    page.goto(server.url + "/")
    assert page.get_by_role("heading", name="Overview").is_visible()
    page.wait_for_selector("figure.chart[data-drawn] svg")
    assert page.locator("figure.chart svg circle").count() > 5
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Upload").is_visible()
    assert page.get_by_role("heading", name="Promise gaps").is_visible()
    shot(page, "overview")


def test_a_wrong_key_is_told_so(page, server):
    page.goto(server.url + "/signin")
    page.get_by_label("API key").fill("voc_wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("That key is not valid")


def test_browse_a_theme_and_filter_its_verbatims(page, server):
    sign_in(page, server, "product")
    assert page.url.endswith("/themes")
    n_themes = page.locator("table.themes tbody tr").count()
    assert n_themes >= 8
    assert page.locator("table.themes .spark[data-drawn] svg").count() == n_themes
    assert unlabelled_controls(page) == []
    shot(page, "themes")
    page.get_by_label("Theme name or keyword").fill("refund")
    page.get_by_role("button", name="Apply").click()
    assert 1 <= page.locator("table.themes tbody tr").count() < n_themes
    link = page.locator("table.themes tbody tr a").first
    label = link.inner_text()
    link.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith(label)
    page.wait_for_selector("figure.chart[data-drawn] svg")
    quotes = page.locator("ol.verbatims li")
    assert quotes.count() > 0
    shot(page, "theme")
    page.get_by_label("Kind").select_option("complaint")
    page.get_by_role("button", name="Apply").click()
    assert "kind=complaint" in page.url
    kinds = page.locator("ol.verbatims li small").all_inner_texts()
    assert kinds and all(k.startswith("complaint") for k in kinds)


def test_semantic_search_finds_meaning_not_only_words(page, server):
    sign_in(page, server, "analyst")
    page.goto(server.url + "/search")
    page.get_by_label("Look for").fill("still waiting for my money back")
    page.get_by_label("Match").select_option("semantic")
    page.get_by_role("button", name="Search").click()
    hits = page.locator("ol.hits li blockquote").all_inner_texts()
    assert len(hits) >= 10
    assert sum("refund" in h.lower() for h in hits[:10]) >= 3, hits[:10]
    shot(page, "search")


def test_a_department_acknowledges_then_resolves_an_insight(page, server):
    sign_in(page, server, "department", "billing")
    assert "/inbox" in page.url
    card = page.locator("li[id^=insight-][data-status=new]").first
    insight_id = card.get_attribute("id").split("-", 1)[1]
    shot(page, "inbox")
    page.locator(f"#ack-{insight_id} button").click()
    page.wait_for_load_state()
    assert page.locator(f"#insight-{insight_id}").get_attribute("data-status") == "acknowledged"
    page.locator(f"#insight-{insight_id} summary", has_text="Resolve").click()
    page.locator(f"#note-{insight_id}").fill("Refund batch re-run; customers credited")
    page.locator(f"#resolve-{insight_id} button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{server.url}/insights/{insight_id}")
    history = page.locator("#history").inner_text()
    assert "acknowledged" in history and "resolved" in history and "customers credited" in history
    shot(page, "insight")
    # the department's own inbox only: another department's is refused
    assert page.goto(f"{server.url}/inbox/network").status == 403


def test_marketing_sees_promise_gaps_and_adds_a_promise(page, server):
    sign_in(page, server, "marketing")
    assert page.url.endswith("/promises")
    cards = page.locator("[id^=promise-]:not(#promise-unregistered):not(#promise-form)")
    assert cards.count() >= 5
    shot(page, "promises")
    page.locator("#add-promise").click()
    page.locator("#f-id").fill("porting-1-day")
    page.locator("#f-text").fill("Your number moves to Northwind within one working day")
    page.locator("#f-department").select_option(index=1)
    page.locator("#f-target").fill("1 business day")
    page.locator("#save-promise").click()
    page.wait_for_load_state()
    assert "saved=porting-1-day" in page.url
    assert page.locator("#promise-porting-1-day").is_visible()


CALL = """Northwind Mobile phone call 901
Date: 2026-10-02
Channel: phone

Agent (Quinn): Thank you for calling Northwind Mobile, this is Quinn. How can I help?
Customer: My internet has been down for three days and nobody has fixed it. I am furious.
Agent (Quinn): I'm sorry, that is not acceptable. I can see the fault on your line and I've booked an engineer for tomorrow morning.
Customer: Last time they told me it would be fixed within 24 hours and it never was.
Agent (Quinn): I understand. I'll call you back tomorrow at noon to make sure it's working.
Customer: OK, thank you Quinn, that's really helpful. I feel much better now.
"""


def test_contact_center_uploads_a_transcript_and_sees_it_analysed(page, server, tmp_path):
    call = tmp_path / "call_2026-10-02_quinn.txt"
    call.write_text(CALL)
    junk = tmp_path / "scan.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    sign_in(page, server, "contact_center")
    page.goto(server.url + "/upload")
    assert unlabelled_controls(page) == []
    page.get_by_label("Files to upload").set_input_files([str(call), str(junk)])
    page.get_by_role("button", name="Upload and analyse").click()
    page.wait_for_selector("ul#upload-file-results li")
    results = {li.get_attribute("data-status"): li.inner_text()
               for li in page.locator("ul#upload-file-results li").all()}
    assert "ingested" in results and "rejected" in results, results
    page.wait_for_function("document.querySelector('#job-status') && "
                           "/^(Done|The analysis failed)/.test(document.querySelector('#job-status').textContent)",
                           timeout=300_000)
    assert page.locator("#job-status").inner_text().startswith("Done"), page.locator("#job-status").inner_text()
    assert page.locator("progress#job-progress").get_attribute("value") == "100"
    shot(page, "upload")
    page.goto(server.url + "/agents")
    page.wait_for_selector("#agents-chart[data-drawn] svg")
    row = page.locator("#agents-table tr", has=page.locator("th[scope=row] a", has_text="Quinn"))
    assert row.count() == 1
    shot(page, "agents")
    page.locator("#agents-table th[scope=row] a", has_text="Quinn").click()
    shift = page.locator("article.conversation").first.inner_text()
    assert "call back" in shift.lower() or "commitment" in shift.lower(), shift


@pytest.mark.parametrize("path", ["/", "/themes", "/search?q=refund", "/promises", "/inbox", "/agents", "/upload"])
def test_pages_fit_a_phone(browser, server, path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    p = context.new_page()
    try:
        sign_in(p, server, "admin")
        p.goto(server.url + path)
        assert p.locator("main h1").count() == 1
        assert not overflows(p), f"{path} scrolls sideways at 390 px"
        assert unlabelled_controls(p) == []
        if path == "/":
            shot(p, "overview-phone")
    finally:
        context.close()
