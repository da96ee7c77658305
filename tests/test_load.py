"""A short load test: several simulated users at once, no errors, no feedback lost.

The load test is a program (``python -m benchmarks.loadtest``); the suite runs it against
the session's chat server the way a maintainer would, and reads its JSON report.
"""

import json
import subprocess
import sys

import pytest

from tests.conftest import ARTIFACTS, REPO

pytestmark = pytest.mark.slow


def test_concurrent_users_get_answers_without_errors_and_all_feedback_is_kept(chat_server, tmp_path):
    url, db = chat_server
    out = tmp_path / "load.json"
    subprocess.run([sys.executable, "-m", "benchmarks.loadtest", "--url", url, "--feedback-db", str(db),
                    "--users", "6", "--seconds", "10", "--feedback-every", "2", "--processes", "2", "--out", str(out)],
                   cwd=REPO, check=True, capture_output=True, text=True, timeout=300)
    [report] = json.loads(out.read_text())
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load-short.json").write_text(json.dumps(report, indent=1))
    assert report["errors"] == 0, report["error_samples"]
    assert report["requests"] >= 12
    assert report["feedback_acknowledged"] >= 3
    assert report["feedback_found"] == report["feedback_acknowledged"]
    assert report["latency_p95_ms"] < 10_000
