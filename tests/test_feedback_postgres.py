"""Several chat processes share one feedback store: PostgreSQL, started for real by the suite."""

import csv
import threading
import uuid

import pytest

from chat.feedback import COLUMNS, Feedback, PostgresStore, open_store

pytestmark = pytest.mark.postgres

LEGACY_TABLE = """CREATE TABLE feedback (id BIGSERIAL PRIMARY KEY, created_at TEXT NOT NULL, rating INTEGER NOT NULL,
    comment TEXT, kind TEXT NOT NULL, audience TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL,
    citations TEXT NOT NULL, session TEXT NOT NULL)"""


def feedback(n: int) -> Feedback:
    return Feedback(rating=1 if n % 2 else -1, question=f"question {n}", answer=f"answer {n}", kind="answer",
                    audience="patient", citations=[{"n": 1, "doc_id": "d", "quote": "q"}])


def test_a_postgresql_url_selects_the_postgresql_store(postgres_url):
    assert isinstance(open_store(postgres_url), PostgresStore)


def test_rows_round_trip_and_export(postgres_url, tmp_path):
    store = open_store(postgres_url)
    row = store.add(feedback(1))
    store.update(row, comment="clear")
    out = tmp_path / "feedback.csv"
    count = store.export_csv(out)
    with out.open(encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    assert count == len(exported) >= 1
    mine = next(r for r in exported if r["id"] == str(row))
    assert (mine["comment"], mine["question"], mine["rating"]) == ("clear", "question 1", "1")
    store.delete(row)
    assert all(r[0] != row for r in store.rows())


def test_text_postgresql_refuses_is_stored_cleaned(postgres_url):
    """A NUL and a lone surrogate (both possible in JSON from a browser) cannot fail a write."""
    store = open_store(postgres_url)
    row = store.add(Feedback(1, "what is\x00 dystonia?\ud800", "answer", "answer", "patient", [{"quote": "q\udfff"}],
                             "odd\x00 comment \ud83d"))
    store.update(row, comment="still\x00 odd \udc00")
    [(question, comment, citations)] = [(r[6], r[3], r[8]) for r in store.rows() if r[0] == row]
    assert (question, comment) == ("what is  dystonia?\ufffd", "still  odd \ufffd") and "\ufffd" in citations


def test_a_table_from_before_the_session_column_was_dropped_keeps_working(postgres_url, tmp_path):
    """Earlier versions stored a (NOT NULL) browser session id: it is emptied, never written, never exported."""
    import psycopg

    database = f"legacy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {database}")
    url = postgres_url.rsplit("/", 1)[0] + f"/{database}"
    with psycopg.connect(url) as connection:
        connection.execute(LEGACY_TABLE)
        connection.execute("INSERT INTO feedback (created_at, rating, comment, kind, audience, question, answer, "
                           "citations, session) VALUES ('2025-01-01', 1, NULL, 'answer', 'patient', 'q', 'a', '[]', "
                           "'browser-1234')")
    store = open_store(url)
    store.add(feedback(7))
    with psycopg.connect(url) as connection:
        assert {r[0] for r in connection.execute("SELECT session FROM feedback")} == {""}
    out = tmp_path / "feedback.csv"
    store.export_csv(out)
    with out.open(encoding="utf-8") as handle:
        header, *exported = list(csv.reader(handle))
    assert tuple(header) == COLUMNS and "session" not in header and len(exported) == 2


def test_several_writers_lose_nothing(postgres_url):
    """Eight 'chat processes' (separate stores, separate connections) writing at once."""
    before = len(open_store(postgres_url).rows())
    written, errors = [], []

    def writer(worker: int):
        store = open_store(postgres_url)
        for i in range(25):
            try:
                written.append(store.add(feedback(worker * 100 + i)))
            except Exception as error:  # collect, so the assertion shows them
                errors.append(error)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = open_store(postgres_url).rows()
    assert len(rows) == before + 200 and set(written) <= {r[0] for r in rows}


def test_two_chat_processes_share_one_feedback_store(postgres_url, index_dir, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    from tests.conftest import start_chat

    with ThreadPoolExecutor(2) as pool:
        servers = list(pool.map(lambda n: start_chat(index_dir, postgres_url, tmp_path / f"server{n}.log"), (1, 2)))
    try:
        for number, (_, url) in enumerate(servers):
            client = Client(url, verbose=False, analytics_enabled=False)
            client.predict("what is blepharospasm?", "patient", api_name="/ask")
            assert "saved" in client.predict("up", f"from process {number}", api_name="/feedback")
            client.close()
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=30)
    comments = {row[3] for row in open_store(postgres_url).rows()}
    assert {"from process 0", "from process 1"} <= comments
