"""The chat's behaviour (what each event does), with a real SQLite store.

Most tests use the tiny index and the word-hash stand-in model (fast); the one whose
assertion depends on answer quality uses the real assistant (slow). Privacy, abuse and
login protections have their own files: test_privacy.py, test_abuse.py, test_auth.py."""

import sqlite3
from contextlib import closing

import pytest

from chat.app import create_app
from chat.feedback import SQLiteStore, open_store
from chat.handlers import NOT_SAVED, RATE_FIRST, SAVED, Chat
from chat.settings import Settings
from common.errors import FeedbackError


@pytest.fixture
def store(tmp_path):
    return SQLiteStore(tmp_path / "feedback.sqlite3")


@pytest.fixture
def chat(tiny_assistant, store):
    return Chat(tiny_assistant, store, Settings(rate_limit=0))


def rows(store):
    return store.rows()


def test_an_answer_shows_citations_that_open_on_the_passage_and_the_disclaimer(chat):
    messages = chat.respond("what is focal dystonia?", "patient", "s1")
    assert [m["role"] for m in messages] == ["user", "assistant"]
    html = messages[1]["content"]
    assert "<details class='cite'><summary" in html and "<mark>" in html
    assert "original page" in html and "class='disclaimer'" in html


def test_user_and_corpus_text_are_escaped(chat):
    messages = chat.respond("<img src=x onerror=alert(1)> what is dystonia?", "patient", "s2")
    assert messages[0]["content"] == "&lt;img src=x onerror=alert(1)&gt; what is dystonia?"
    assert "<img" not in messages[1]["content"]


def test_emergencies_are_styled_to_stand_out(chat):
    messages = chat.respond("my throat is closing and I can't breathe", "patient", "s3")
    assert "class='emergency' role='alert'" in messages[-1]["content"]


def test_empty_and_oversized_questions_get_a_clear_message(chat):
    messages = chat.respond("   ", "patient", "s4")
    assert len(messages) == 1 and "Please type a question" in messages[0]["content"]
    messages = chat.respond("spasm " * 200_000, "patient", "s4")
    assert "1,200,000 characters" in messages[-2]["content"]  # the question is shown shortened
    assert "please keep it under 2,000 characters" in messages[-1]["content"]


def test_follow_ups_use_the_session_history(assistant, store):
    chat = Chat(assistant, store, Settings(rate_limit=0))
    chat.respond("what is blepharospasm?", "patient", "s5")
    messages = chat.respond("is it inherited?", "patient", "s5")
    assert "blepharospasm" in messages[-1]["content"].lower()


def test_a_rating_stores_question_answer_citations_and_time(chat, store):
    chat.respond("what is focal dystonia?", "patient", "s6")
    assert chat.rate_message(1, True, "s6") == SAVED
    [row] = rows(store)
    assert row[2] == 1 and row[6] == "what is focal dystonia?" and "doc_id" in row[8] and row[1]
    assert chat.comment("clear and useful", "s6") == SAVED
    assert rows(store)[0][3] == "clear and useful"
    assert chat.rate_message(1, "", "s6") == "Your rating was withdrawn."
    assert rows(store) == []


def test_a_comment_goes_with_a_rating(chat, store):
    chat.respond("what is focal dystonia?", "patient", "s6b")
    assert chat.comment("unclear", "s6b") == RATE_FIRST
    assert rows(store) == []
    chat.rate_message(1, False, "s6b")
    assert chat.comment("unclear", "s6b") == SAVED
    assert [(r[2], r[3]) for r in rows(store)] == [(-1, "unclear")]


def test_nothing_is_stored_without_feedback(chat, store):
    chat.respond("what is focal dystonia?", "patient", "s7")
    assert rows(store) == []


def test_a_broken_feedback_store_keeps_the_chat_answering(tiny_assistant, tmp_path):
    path = tmp_path / "feedback.sqlite3"
    store = SQLiteStore(path)
    chat = Chat(tiny_assistant, store, Settings(rate_limit=0))
    path.unlink()
    path.mkdir()  # the database is now a folder: every write fails
    messages = chat.respond("what is dystonia?", "patient", "s8")
    assert "class='disclaimer'" in messages[-1]["content"]
    assert chat.rate_message(1, True, "s8") == NOT_SAVED


def test_an_unusable_feedback_location_is_reported(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(FeedbackError, match="cannot"):
        open_store(str(blocker / "sub" / "feedback.sqlite3"))


def test_the_store_uses_write_ahead_logging(store):
    with closing(sqlite3.connect(store.path)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_rate_limit_per_client_address_whatever_the_session(tiny_assistant, store):
    chat = Chat(tiny_assistant, store, Settings(rate_limit=2))
    for session in ("busy-1", "busy-2"):
        chat.respond("what is dystonia?", "patient", session, "203.0.113.7")
    messages = chat.respond("what is dystonia?", "patient", "busy-3", "203.0.113.7")
    assert "very quickly" in messages[-1]["content"]
    other = chat.respond("what is dystonia?", "patient", "calm", "198.51.100.1")
    assert "very quickly" not in other[-1]["content"]


def test_without_an_index_the_page_explains_how_to_build_it(store):
    chat = Chat(None, store, Settings(), load_error="no index at var/index; run `dystonia index` to rebuild it")
    messages = chat.respond("what is dystonia?", "patient", "s9")
    assert "dystonia index" in messages[-1]["content"]
    create_app(chat)  # builds without an index


def test_the_transcript_has_questions_answers_quotes_links_and_disclaimer(chat):
    assert chat.transcript("s10") == ""
    chat.respond("what is focal dystonia?", "patient", "s10")
    text = chat.transcript("s10")
    assert "> what is focal dystonia?" in text and "https://" in text and "   > " in text
    assert "not a substitute for professional medical advice" in text


def test_the_app_builds_with_its_api(chat):
    app = create_app(chat)
    names = {d.api_name for d in app.fns.values() if d.api_name}
    assert {"ask", "feedback"} <= names


class TinySQLiteStore(SQLiteStore):
    """A real SQLite database that may grow to only a few pages: writes fail with 'database or disk is full'."""

    def _connect(self):
        connection = super()._connect()
        connection.execute("PRAGMA max_page_count = 3")
        return connection


def test_a_full_feedback_database_keeps_the_chat_answering(tiny_assistant, tmp_path):
    store = TinySQLiteStore(tmp_path / "full.sqlite3")
    chat = Chat(tiny_assistant, store, Settings(rate_limit=0))
    for number in range(3):
        chat.respond(f"what is dystonia? ({number})", "patient", "full")
    outcomes = {chat.rate_message(2 * n + 1, True, "full") for n in range(3)} | \
        {chat.comment("x" * 2000, "full") for _ in range(3)}
    assert NOT_SAVED in outcomes
    messages = chat.respond("what is blepharospasm?", "patient", "full")
    assert "class='disclaimer'" in messages[-1]["content"]
