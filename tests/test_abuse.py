"""Abuse resistance: limits per client address, hostile text, ratings that cannot be forged,
no uploads, bounded memory, and a CSV export no spreadsheet runs as formulas."""

import csv
import os
import sqlite3
from contextlib import closing

import pytest
from click.testing import CliRunner

from chat.feedback import COLUMNS, FORMULA_START, SQLiteStore
from chat.handlers import ASK_FIRST, FEEDBACK_TOO_FAST, NOT_A_RATING, ONLY_ANSWERS, SAVED, Chat
from chat.ratelimit import RateLimiter, client_key
from chat.sessions import Sessions
from chat.settings import Settings
from cli.main import cli
from tests.helpers import local_chat


@pytest.fixture
def store(tmp_path):
    return SQLiteStore(tmp_path / "feedback.sqlite3")


def ask_as_new_visitor(url: str, question: str, forwarded_for: str | None = None) -> str:
    """One question from a brand-new client session (optionally claiming an address); the answer's HTML."""
    from gradio_client import Client

    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else None
    client = Client(url, verbose=False, analytics_enabled=False, headers=headers)
    try:
        messages, _, _ = client.predict(question, "patient", api_name="/ask")
    finally:
        client.close()
    return str(messages[-1]["content"])


def limited(answer: str) -> bool:
    return "very quickly" in answer


def test_a_new_session_for_every_question_does_not_escape_the_rate_limit(tiny_assistant):
    settings = Settings(rate_limit=3)
    with local_chat(Chat(tiny_assistant, None, settings), settings) as url:
        answers = [ask_as_new_visitor(url, "what is dystonia?") for _ in range(4)]
    assert [limited(a) for a in answers] == [False, False, False, True]


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(tiny_assistant):
    untrusting = Settings(rate_limit=2)
    with local_chat(Chat(tiny_assistant, None, untrusting), untrusting) as url:
        spoofed = [ask_as_new_visitor(url, "what is dystonia?", f"203.0.113.{n}") for n in range(3)]
    assert [limited(a) for a in spoofed] == [False, False, True]  # the header was ignored: one address

    behind_proxy = Settings(rate_limit=2, trusted_proxies=("127.0.0.1/32",))
    with local_chat(Chat(tiny_assistant, None, behind_proxy), behind_proxy) as url:
        clients = [ask_as_new_visitor(url, "what is dystonia?", f"203.0.113.{n}") for n in range(3)]
        one_client = [ask_as_new_visitor(url, "what is dystonia?", "198.51.100.9") for _ in range(3)]
    assert not any(limited(a) for a in clients)
    assert [limited(a) for a in one_client] == [False, False, True]
    assert "FORWARDED_ALLOW_IPS" not in os.environ  # set only while the server starts


def test_addresses_are_limited_as_ipv4_hosts_or_ipv6_64_blocks():
    assert client_key("203.0.113.7") == "203.0.113.7"
    assert client_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("") == client_key(None) == "unknown"


def test_ratings_and_comments_are_rate_limited_per_address(tiny_assistant, store):
    chat = Chat(tiny_assistant, store, Settings(rate_limit=2))
    for session in ("a", "b"):
        chat.respond("what is focal dystonia?", "patient", session, "203.0.113.7")
    assert chat.rate_message(1, True, "a", "203.0.113.7") == SAVED
    assert chat.comment("first", "a", "203.0.113.7") == SAVED
    assert chat.rate_latest("down", "", "b", "203.0.113.7") == FEEDBACK_TOO_FAST
    assert chat.comment("again", "a", "203.0.113.7") == FEEDBACK_TOO_FAST
    assert [(r[2], r[3]) for r in store.rows()] == [(1, "first")]


def ask_over_the_queue(url: str, session_hash: str, question_json: str) -> list:
    """/ask through Gradio's queue protocol with a hand-written JSON string (client libraries
    refuse to encode a lone surrogate; a browser or a script does not); the conversation."""
    import json

    import httpx

    config = httpx.get(url + "config").json()
    fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "ask")
    body = f'{{"data": [{question_json}, "patient"], "fn_index": {fn_index}, "session_hash": "{session_hash}"}}'
    joined = httpx.post(url + "gradio_api/queue/join", content=body, headers={"content-type": "application/json"})
    joined.raise_for_status()
    with httpx.stream("GET", url + "gradio_api/queue/data", params={"session_hash": session_hash},
                      timeout=30) as events:
        for line in events.iter_lines():
            message = json.loads(line[len("data:"):]) if line.startswith("data:") else {}
            if message.get("msg") == "process_completed":
                assert message["success"], message
                return message["output"]["data"][0]
    raise AssertionError("the queue closed without an answer")


def test_a_lone_surrogate_in_a_question_does_not_cut_off_later_answers(tiny_assistant):
    settings = Settings(rate_limit=0)
    with local_chat(Chat(tiny_assistant, None, settings), settings) as url:
        first = ask_over_the_queue(url, "s-surrogate", '"what is \\ud800 dystonia?"')
        later = ask_over_the_queue(url, "s-surrogate", '"what is focal dystonia?"')
    assert "\ufffd" in str(first[0]["content"]) and "class='disclaimer'" in str(first[1]["content"])
    assert len(later) == 4 and "class='disclaimer'" in str(later[-1]["content"])


def test_unencodable_comments_are_stored_cleaned(tiny_assistant, store):
    chat = Chat(tiny_assistant, store, Settings(rate_limit=0))
    chat.respond("what is focal dystonia?\udfff", "patient", "s1")
    assert chat.rate_message(1, True, "s1") == SAVED
    assert chat.comment("clear \ud83d but\x00 long", "s1") == SAVED
    assert chat.rate_latest("up", "\udc00again", "s1") == SAVED
    [row] = store.rows()
    assert row[3] == "\ufffdagain" and "\udfff" not in row[6]


def test_only_answers_shown_to_this_session_can_be_rated(tiny_assistant, store):
    chat = Chat(tiny_assistant, store, Settings(rate_limit=0))
    assert chat.rate_latest("up", "", "nobody") == ASK_FIRST
    chat.respond("what is focal dystonia?", "patient", "mine")
    assert chat.rate_message(1, True, "someone-else") == ASK_FIRST
    chat.respond("   ", "patient", "other")
    assert chat.rate_message(0, True, "other") == ONLY_ANSWERS  # an invalid question's reply
    assert chat.rate_latest("up", "", "other") == ASK_FIRST
    assert chat.rate_message(0, True, "mine") == ONLY_ANSWERS  # the question, not the answer
    assert chat.rate_message(3, True, "mine") == ONLY_ANSWERS  # not shown (yet)
    assert chat.rate_message(-1, True, "mine") == ONLY_ANSWERS
    assert store.rows() == []


def test_a_rating_lands_on_the_answer_the_browser_showed_or_nowhere(tiny_assistant, store):
    """A long conversation drops its oldest turn, which moves the others up: a 👍 clicked on the
    list shown before must not land on the answer that has moved into its place."""
    chat = Chat(tiny_assistant, store, Settings(rate_limit=0, max_turns=2))
    chat.respond("what is focal dystonia?", "patient", "s1")
    shown = chat.respond("what is blepharospasm?", "patient", "s1")
    chat.respond("can botox help my neck?", "patient", "s1")  # the focal dystonia turn is dropped
    assert chat.rate_message(1, True, "s1", shown=shown[1]["content"]) == ONLY_ANSWERS
    assert chat.rate_message(3, True, "s1", shown=shown[3]["content"]) == ONLY_ANSWERS
    assert store.rows() == []
    assert chat.rate_message(1, True, "s1", shown=shown[3]["content"]) == SAVED
    assert store.rows()[0][6] == "what is blepharospasm?"


def test_one_rating_per_answer_per_session_and_the_latest_wins(tiny_assistant, store):
    chat = Chat(tiny_assistant, store, Settings(rate_limit=0))
    chat.respond("what is focal dystonia?", "patient", "s1")
    assert chat.rate_message(1, True, "s1") == SAVED
    assert chat.rate_message(1, False, "s1") == SAVED
    assert chat.rate_latest("up", "now clear", "s1") == SAVED
    assert [(r[2], r[3]) for r in store.rows()] == [(1, "now clear")]


@pytest.mark.parametrize("liked", ["maybe", 1, 0, None, ["up"]])
def test_a_like_that_is_not_up_or_down_is_refused(tiny_assistant, store, liked):
    chat = Chat(tiny_assistant, store, Settings(rate_limit=0))
    chat.respond("what is focal dystonia?", "patient", "s1")
    assert chat.rate_message(1, liked, "s1") == NOT_A_RATING
    assert store.rows() == []


@pytest.mark.parametrize("rating", ["sideways", "", "0", 1, None, "up!"])
def test_an_api_rating_that_is_not_up_or_down_is_refused_never_stored_as_zero(tiny_assistant, store, rating):
    chat = Chat(tiny_assistant, store, Settings(rate_limit=0))
    chat.respond("what is focal dystonia?", "patient", "s1")
    assert chat.rate_latest(rating, "a comment", "s1") == NOT_A_RATING
    assert store.rows() == []


def test_uploads_and_large_bodies_are_refused_and_asking_still_works(tiny_assistant):
    import httpx

    settings = Settings(rate_limit=0)
    with local_chat(Chat(tiny_assistant, None, settings), settings) as url:
        api = url + "gradio_api/"
        refused = [httpx.post(api + "upload", files={"files": ("notes.txt", content)}).status_code
                   for content in (b"some text", b"")]
        refused.append(httpx.post(api + "process_recording", files={"data": ("a.wav", b"RIFF")}).status_code)
        refused.append(httpx.post(api + "component_server", files={"data": ("x", b"{}")}).status_code)
        refused.append(httpx.post(url + "somewhere", files={"file": ("x", b"x")}).status_code)
        too_big = httpx.post(api + "queue/join", content=b"[" + b"1," * 60_000 + b"1]",
                             headers={"content-type": "application/json"}).status_code
        bypass = httpx.post(api + "run/ask", json={"data": ["what is dystonia?", "patient"]}).status_code
        answer = ask_as_new_visitor(url, "what is focal dystonia?")
    assert refused == [403] * 5 and too_big == 413 and bypass == 404
    assert "class='disclaimer'" in answer


def test_a_flood_of_new_sessions_keeps_memory_bounded(tiny_assistant):
    chat = Chat(tiny_assistant, None, Settings(rate_limit=0, max_sessions=20))
    for n in range(200):
        chat.respond("what is dystonia?", "patient", f"flood-{n}")
    assert len(chat.sessions) == 20
    assert chat.transcript("flood-0") == "" and chat.transcript("flood-199") != ""
    limiter = RateLimiter(5, max_keys=100)
    for n in range(1000):
        limiter.allow(f"198.51.{n // 256}.{n % 256}")
    assert len(limiter) == 100


def test_a_long_conversation_keeps_only_its_last_turns(tiny_assistant, store):
    chat = Chat(tiny_assistant, store, Settings(rate_limit=0, max_turns=3))
    for n in range(5):
        messages = chat.respond(f"what is focal dystonia? ({n})", "patient", "s1")
    assert len(messages) == 6 and "(2)" in messages[0]["content"]
    assert chat.transcript("s1").count("## Question") == 3
    assert chat.rate_message(1, True, "s1") == SAVED
    assert store.rows()[0][6] == "what is focal dystonia? (2)"


def test_idle_sessions_expire():
    now = [0.0]
    sessions = Sessions(ttl_seconds=60, clock=lambda: now[0])
    sessions.get("idle").turns.append("kept while active")
    now[0] = 59
    assert sessions.find("idle") is not None
    now[0] = 120
    assert sessions.find("idle") is None
    sessions.get("new")
    assert len(sessions) == 1


HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1",
           "\n=1+1", "=cmd|' /C calc'!A0", "＝1+1"]


def test_the_csv_export_neutralises_every_cell_a_spreadsheet_would_run(tmp_path):
    """Rows written raw, as any version (or anyone with database access) might have stored them."""
    db, out = tmp_path / "feedback.sqlite3", tmp_path / "feedback.csv"
    SQLiteStore(db)
    rows = [("2025-01-01", -1, text, text, text, text, text, text) for text in HOSTILE]
    rows.append(("2025-01-01", 1, "helpful", "answer", "patient", "what is dystonia? =fine inside", "It is.", "[]"))
    with closing(sqlite3.connect(db)) as connection, connection:
        connection.executemany("INSERT INTO feedback (created_at, rating, comment, kind, audience, question, answer, "
                               "citations) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    CliRunner().invoke(cli, ["feedback", "export", "--csv", str(out), "--db", str(db)], catch_exceptions=False)
    with out.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert tuple(header) == COLUMNS and len(rows) == len(HOSTILE) + 1
    text_columns = [i for i, name in enumerate(COLUMNS) if name not in ("id", "rating")]
    for row in rows:
        assert all(not row[i].startswith(FORMULA_START) for i in text_columns), row
        assert row[COLUMNS.index("rating")] in ("1", "-1") and row[COLUMNS.index("id")].isdigit()
    for row, text in zip(rows, HOSTILE):
        assert row[COLUMNS.index("question")] == row[COLUMNS.index("citations")] == "'" + text
    assert rows[-1][COLUMNS.index("question")] == "what is dystonia? =fine inside"
