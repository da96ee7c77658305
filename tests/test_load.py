"""A short load test: several simulated users at once, no errors, no feedback lost."""

import json

from benchmarks.loadtest import run_load
from tests.conftest import ARTIFACTS


def test_concurrent_users_get_answers_without_errors_and_all_feedback_is_kept(chat_server):
    url, db = chat_server
    report = run_load(url, users=6, seconds=10, feedback_db=db, feedback_every=2, processes=2)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load-short.json").write_text(json.dumps(report.__dict__, indent=1))
    assert report.errors == 0, report.error_samples
    assert report.requests >= 12
    assert report.feedback_acknowledged >= 3
    assert report.feedback_found == report.feedback_acknowledged
    assert report.latency_p95_ms < 10_000
