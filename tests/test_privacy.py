"""Nothing about a question outlives the session unless the user rates it.

Not on the server's disk (no transcript files: the download is made in memory when asked
for), not in the API's replies (no server paths), not in the server log (not even when
something fails), not in the browser (no run history in localStorage), and not in the
feedback store (only rated answers, and nothing that identifies a browser).
"""

import json
import logging
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import pytest

from chat.feedback import COLUMNS, FeedbackStore, SQLiteStore
from chat.handlers import SAVED, Chat
from chat.process import start_chat, stop
from chat.settings import Settings
from tests.conftest import REPO, need
from tests.helpers import local_chat
from tests.test_browser import ARGS, CHROMIUM


def traces(secret: str, *folders: Path) -> list[str]:
    """Files under ``folders`` that hold ``secret`` as UTF-8 or UTF-16 (Chromium's localStorage encoding)."""
    needles = (secret.encode("utf-8"), secret.encode("utf-16-le"))
    found = []
    for folder in folders:
        for path in (p for p in Path(folder).rglob("*") if p.is_file() and not p.is_symlink()):
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if any(needle in data for needle in needles):
                found.append(str(path))
    return found


@pytest.mark.browser
def test_an_unrated_question_leaves_no_trace_once_the_page_is_closed(index_dir, tmp_path):
    need(Path(CHROMIUM).exists(), f"Debian chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    secret, probe = uuid.uuid4().hex, uuid.uuid4().hex
    server_tmp, gradio_tmp, profile = tmp_path / "tmp", tmp_path / "gradio", tmp_path / "profile"
    for folder in (server_tmp, gradio_tmp, profile):
        folder.mkdir()
    db, log = tmp_path / "feedback.sqlite3", tmp_path / "server.log"
    process, url = start_chat(index_dir, str(db), log, env={"TMPDIR": str(server_tmp),
                                                             "GRADIO_TEMP_DIR": str(gradio_tmp)})
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, args=ARGS)
            page = context.new_page()
            page.goto(url)
            page.evaluate("probe => localStorage.setItem('probe', probe)", probe)  # proves the profile search works
            page.locator("#question textarea").fill(f"What is focal dystonia? {secret}")
            page.locator("#ask").click()
            expect(page.locator("#chat [data-testid='bot']")).to_have_count(1, timeout=60_000)
            expect(page.locator("#chat [data-testid='user']")).to_contain_text(secret)
            page.close()
            context.close()
        assert traces(secret, server_tmp, gradio_tmp, REPO / "var") == []
    finally:
        stop(process)
    assert secret not in log.read_text(encoding="utf-8", errors="replace")
    assert traces(probe, profile), "the search found nothing in the browser profile, so it proves nothing"
    assert traces(secret, profile) == []
    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 0
    assert traces(secret, tmp_path) == []


def test_the_ask_api_replies_with_the_conversation_and_no_server_path(tiny_assistant, tmp_path):
    from gradio_client import Client

    with local_chat(Chat(tiny_assistant, SQLiteStore(tmp_path / "feedback.sqlite3"), Settings(rate_limit=0))) as url:
        client = Client(url, verbose=False, analytics_enabled=False)
        reply = client.predict("what is focal dystonia?", "patient", api_name="/ask")
        client.close()
    messages, question_box, status = reply
    assert "class='disclaimer'" in json.dumps(messages) and question_box == "" and status == ""
    text = json.dumps(reply)
    assert '"path"' not in text and "file=" not in text and "dystonia-conversation" not in text


def test_the_download_is_made_in_memory_only_when_asked_for(tiny_assistant, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    chat = Chat(tiny_assistant, None, Settings(rate_limit=0))
    chat.respond("what is focal dystonia?", "patient", "s1")
    assert "> what is focal dystonia?" in chat.transcript("s1")
    assert list(tmp_path.iterdir()) == []


def test_browsers_keep_no_run_history_and_no_cached_copy(tiny_assistant):
    import httpx

    with local_chat(Chat(tiny_assistant, None, Settings(rate_limit=0))) as url:
        config = httpx.get(url + "config")
        runs = httpx.get(url + "gradio_api/runs")
        with httpx.stream("GET", url + "gradio_api/heartbeat/x") as events:
            stream_caching = events.headers["cache-control"]
    assert config.json()["run_history"] is False and runs.status_code == 404
    assert config.headers["cache-control"] == stream_caching == "no-store"


@pytest.mark.browser
def test_run_history_left_by_earlier_launches_is_removed(tiny_assistant):
    need(Path(CHROMIUM).exists(), f"Debian chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with local_chat(Chat(tiny_assistant, None, Settings(rate_limit=0))) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(url)
        page.evaluate("""() => { localStorage.setItem('gradio:run-history:v2:1234', '[{"inputs": ["old question"]}]');
                                 sessionStorage.setItem('gradio:run-history:replay:v2:1234', 'old question');
                                 localStorage.setItem('unrelated', 'kept'); }""")
        page.reload()
        page.wait_for_selector("#question textarea")
        kept = page.evaluate("() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)]")
        browser.close()
    assert kept == ["unrelated"]


class ExplodingAssistant:
    """Fails the way a bug could: with the question in the exception's message."""

    index = None

    def ask(self, question, history=(), audience="patient"):
        raise ValueError(f"cannot parse {question!r}")


class DetailedFailureStore(FeedbackStore):
    """A database whose errors quote the row, as PostgreSQL's DETAIL lines do."""

    def __init__(self):
        self.location = "postgresql://chat:hunter2-password@db.internal/feedback"
        self.legacy_session = False

    def _connect(self):
        raise RuntimeError("null value violates not-null constraint\nDETAIL: Failing row contains (SECRET-ROW).")


def test_failures_are_logged_without_what_the_user_typed(tiny_assistant, caplog):
    caplog.set_level(logging.INFO)
    broken = Chat(ExplodingAssistant(), None, Settings(rate_limit=0))
    messages = broken.respond("my private question SECRET-Q", "patient", "s1")
    assert "something went wrong" in messages[-1]["content"]
    chat = Chat(tiny_assistant, DetailedFailureStore(), Settings(rate_limit=0))
    chat.respond("what is focal dystonia? SECRET-Q2", "patient", "s2")
    assert "could not be saved" in chat.rate_message(1, True, "s2")
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "answering failed: ValueError" in logged and "not-null constraint" in logged
    for secret in ("SECRET-Q", "SECRET-ROW", "hunter2"):
        assert secret not in logged


def test_a_refused_audience_is_not_echoed_into_the_server_log(tiny_assistant, capfd):
    from gradio_client import Client

    with local_chat(Chat(tiny_assistant, None, Settings(rate_limit=0))) as url:
        client = Client(url, verbose=False, analytics_enabled=False)
        with pytest.raises(Exception, match="Not one of the choices"):
            client.predict("what is dystonia?", "SECRET-AUDIENCE", api_name="/ask")
        client.close()
    printed = capfd.readouterr()
    assert "SECRET-AUDIENCE" not in printed.out + printed.err


def test_nothing_that_identifies_a_browser_is_stored_or_exported(tiny_assistant, tmp_path):
    db = tmp_path / "feedback.sqlite3"
    chat = Chat(tiny_assistant, SQLiteStore(db), Settings(rate_limit=0))
    chat.respond("what is focal dystonia?", "patient", "browser-session-7f3a", "203.0.113.77")
    assert chat.rate_message(1, True, "browser-session-7f3a", "203.0.113.77") == SAVED
    SQLiteStore(db).export_csv(tmp_path / "feedback.csv")
    assert "session" not in COLUMNS
    assert traces("browser-session-7f3a", tmp_path) == [] and traces("203.0.113.77", tmp_path) == []


LEGACY_TABLE = """CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL,
    rating INTEGER NOT NULL, comment TEXT, kind TEXT NOT NULL, audience TEXT NOT NULL, question TEXT NOT NULL,
    answer TEXT NOT NULL, citations TEXT NOT NULL, session TEXT NOT NULL)"""


def test_session_ids_stored_by_earlier_versions_are_erased_and_never_written_again(tiny_assistant, tmp_path):
    db = tmp_path / "feedback.sqlite3"
    with closing(sqlite3.connect(db)) as connection, connection:
        connection.execute(LEGACY_TABLE)
        connection.execute("INSERT INTO feedback (created_at, rating, kind, audience, question, answer, citations, "
                           "session) VALUES ('2025-01-01', 1, 'answer', 'patient', 'q', 'a', '[]', 'old-browser-id')")
    chat = Chat(tiny_assistant, SQLiteStore(db), Settings(rate_limit=0))
    chat.respond("what is focal dystonia?", "patient", "new-browser-id")
    assert chat.rate_message(1, False, "new-browser-id") == SAVED
    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute("SELECT session FROM feedback").fetchall() == [("",), ("",)]
    assert traces("old-browser-id", tmp_path) == [] and traces("new-browser-id", tmp_path) == []


def test_a_withdrawn_rating_leaves_nothing_in_the_database_file(tiny_assistant, tmp_path):
    secret = uuid.uuid4().hex
    chat = Chat(tiny_assistant, SQLiteStore(tmp_path / "feedback.sqlite3"), Settings(rate_limit=0))
    chat.respond(f"what is focal dystonia? {secret}", "patient", "s1")
    assert chat.rate_message(1, True, "s1") == SAVED and chat.comment(f"note {secret}", "s1") == SAVED
    assert traces(secret, tmp_path)
    assert chat.rate_message(1, "", "s1") == "Your rating was withdrawn."
    assert traces(secret, tmp_path) == []
