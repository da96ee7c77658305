"""Several chat processes share one feedback store: PostgreSQL, started for real by the suite."""

import csv
import threading

import pytest

from chat.feedback import Feedback, PostgresStore, open_store
from chat.process import free_port
from tests.conftest import need
from tests.postgres import TemporaryPostgres, binaries

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def postgres_url():
    need(binaries() is not None, "PostgreSQL server binaries not found (apt-get install postgresql)")
    server = TemporaryPostgres(free_port()).start()
    yield server.url
    server.stop()


def feedback(n: int) -> Feedback:
    return Feedback(rating=1 if n % 2 else -1, question=f"question {n}", answer=f"answer {n}", kind="answer",
                    audience="patient", citations=[{"n": 1, "doc_id": "d", "quote": "q"}], session=f"s{n}")


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
