"""The web chat in a real headless browser (Debian Chromium through Playwright)."""

import json
import os
import re
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, need

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    need(os.path.exists(CHROMIUM), f"Debian chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, chat_server):
    context = browser.new_context(viewport={"width": 1200, "height": 1500}, accept_downloads=True)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(chat_server[0])
    yield page
    context.close()


def ask(page, question: str, answers_before: int):
    from playwright.sync_api import expect

    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    bot = page.locator("#chat [data-testid='bot']")
    expect(bot).to_have_count(answers_before + 1, timeout=60_000)
    return bot.last


def test_a_patient_asks_opens_a_citation_rates_it_and_follows_up(page, chat_server):
    from playwright.sync_api import expect

    _, db = chat_server
    expect(page.locator("#notice")).to_contain_text("not medical advice")
    started = time.perf_counter()
    answer = ask(page, "What is focal dystonia?", 0)
    first_answer_seconds = time.perf_counter() - started
    expect(answer.locator(".disclaimer")).to_contain_text("not a substitute for professional medical advice")
    marker = answer.locator("details.cite summary").first
    expect(marker).to_have_text("[1]")
    marker.click()
    passage = answer.locator("details.cite[open] .passage").first
    expect(passage).to_be_visible()
    expect(passage.locator("mark")).not_to_be_empty()
    expect(passage).to_contain_text("original page")

    buttons = page.locator("#chat .message-buttons-left").last
    buttons.get_by_role("button", name="Like", exact=True).click()
    expect(page.locator("#feedback-status")).to_contain_text("your feedback was saved", timeout=20_000)
    with closing(sqlite3.connect(db)) as connection:
        row = connection.execute("SELECT rating, question, citations FROM feedback ORDER BY id DESC").fetchone()
    assert row[0] == 1 and row[1] == "What is focal dystonia?" and json.loads(row[2])[0]["quote"]

    followup = ask(page, "Is it inherited?", 1)
    expect(followup).to_contain_text("focal dystonia")
    expect(followup).to_contain_text("sporadic")
    term = followup.locator("details.term summary", has_text="autosomal dominant")
    term.focus()  # a hard term opens from the keyboard, and says where its explanation comes from
    page.keyboard.press("Enter")
    definition = followup.locator("details.term[open] .definition")
    expect(definition).to_be_visible()
    expect(definition).to_contain_text("in the words of")

    emergency = ask(page, "I can't breathe properly since my botox injection", 2)
    expect(emergency.locator(".emergency")).to_be_visible()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
    timings = {"first_answer_seconds": round(first_answer_seconds, 2)}
    (ARTIFACTS / "browser-timings.json").write_text(json.dumps(timings))


def test_html_in_a_question_is_shown_as_text_and_never_runs(page):
    from playwright.sync_api import expect

    attack = "<img src=x onerror=alert(1)> what is dystonia?"
    answer = ask(page, attack, 0)
    expect(page.locator("#chat [data-testid='user']").last).to_contain_text("<img src=x onerror=alert(1)>")
    expect(answer.locator(".disclaimer")).to_be_visible()
    page.wait_for_timeout(500)
    assert page.dialogs == []
    assert page.locator("#chat img[src='x']").count() == 0


def test_the_sources_tab_lists_the_library(page, index):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Sources").click()
    table = page.locator("#library table.library")
    expect(table).to_contain_text("Physiotherapy and the management of focal dystonias")
    expect(table.locator("tbody tr")).to_have_count(len(index.documents))


def test_the_sources_tab_shows_what_the_library_covers_and_what_it_does_not(page):
    from playwright.sync_api import expect

    from assistant.coverage import known_gaps

    page.get_by_role("tab", name="Sources").click()
    coverage = page.locator("#coverage table.coverage")
    expect(coverage).to_contain_text("blepharospasm")
    expect(coverage.locator("thead th", has_text="inheritance")).to_have_count(1)
    gaps = page.locator("#coverage ul.gaps li")
    expect(gaps).to_have_count(len(known_gaps()))
    expect(gaps.first).to_contain_text(known_gaps()[0])


def test_therapists_can_read_every_caution_with_its_source(page):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="For massage therapists").click()
    cautions = page.locator("#cautions ul.cautions-list li")
    expect(cautions.first).to_contain_text("“")
    expect(cautions.first.locator("a")).to_have_attribute("href", re.compile(r"^https://"))
    expect(page.locator("#cautions")).to_contain_text("stretching")


def test_the_conversation_downloads_as_markdown_made_in_memory(page):
    ask(page, "Can botox help my neck?", 0)
    with page.expect_download() as download:
        page.locator("#download").click()
    assert download.value.url.startswith("blob:")  # saved from the page's memory: no file or URL on the server
    assert download.value.suggested_filename == "dystonia-conversation.md"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "> Can botox help my neck?" in text and "not a substitute for professional medical advice" in text
