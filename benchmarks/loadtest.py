"""Load test of the web chat: N simulated users for a fixed time, through gradio_client.

    python -m benchmarks.loadtest --users 16 --users 64 --seconds 60

Starts ``dystonia chat`` on 127.0.0.1 (a free port, a fresh feedback database, no rate
limit, since every simulated user asks as fast as the server answers), then each user
opens its own client session and loops: ask a question, and every few answers rate it with
a unique comment. Users are spread over several client processes so the client side's
own overhead does not become the bottleneck. Reports throughput, p50/p95 latency and
errors, then checks that every feedback row the server acknowledged is in the database.

The test suite runs a short version (``tests/test_load.py``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from chat.process import start_chat, stop

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "What is focal dystonia?", "Can botox help my neck?", "Is dystonia inherited?",
    "What does physiotherapy for dystonia involve?", "How is blepharospasm treated?",
    "What are the early symptoms of dystonia?", "What is writer's cramp?", "Does dystonia get worse over time?",
    "Which massage techniques suit a client with dystonia?", "What causes dystonia?",
]


@dataclass
class LoadReport:
    users: int
    seconds: float
    requests: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    throughput_per_s: float = 0.0
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    feedback_acknowledged: int = 0
    feedback_found: int = 0


def _user(url: str, deadline: float, feedback_every: int, seed: int) -> dict:
    """One simulated user: its own client session, asking until the deadline."""
    from gradio_client import Client

    rng = random.Random(seed)
    latencies, errors, tokens = [], [], []
    client = Client(url, verbose=False, analytics_enabled=False)
    try:
        answered = 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                messages, _, _ = client.predict(rng.choice(QUESTIONS), "patient", api_name="/ask")
                if "class='disclaimer'" not in str(messages[-1]):
                    raise RuntimeError("answer without disclaimer")
                latencies.append((time.perf_counter() - started) * 1000)
                answered += 1
                if answered % feedback_every == 0:
                    token = f"load-{uuid.uuid4()}"
                    if "saved" in client.predict("up", token, api_name="/feedback"):
                        tokens.append(token)
            except Exception as error:  # every failure is counted and reported, never hidden
                errors.append(f"{type(error).__name__}: {error}"[:200])
    finally:
        client.close()
    return {"latencies": latencies, "errors": errors, "tokens": tokens}


def _worker(args) -> list[dict]:
    url, users, deadline, feedback_every, seed = args
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(users) as pool:
        return list(pool.map(lambda i: _user(url, deadline, feedback_every, seed + i), range(users)))


def run_load(url: str, users: int, seconds: float, feedback_db: str, *, feedback_every: int = 4,
             processes: int = 4) -> LoadReport:
    processes = max(1, min(processes, users))
    deadline = time.monotonic() + seconds
    shares = [users // processes + (i < users % processes) for i in range(processes)]
    jobs = [(url, share, deadline, feedback_every, 1000 * i) for i, share in enumerate(shares) if share]
    started = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        results = [r for batch in pool.map(_worker, jobs) for r in batch]
    elapsed = time.monotonic() - started
    latencies = [x for r in results for x in r["latencies"]]
    errors = [e for r in results for e in r["errors"]]
    tokens = [t for r in results for t in r["tokens"]]
    return LoadReport(
        users=users, seconds=round(elapsed, 1), requests=len(latencies), errors=len(errors),
        error_samples=errors[:5], throughput_per_s=round(len(latencies) / elapsed, 2),
        latency_p50_ms=round(statistics.median(latencies), 1) if latencies else 0.0,
        latency_p95_ms=round(sorted(latencies)[int(0.95 * (len(latencies) - 1))], 1) if latencies else 0.0,
        feedback_acknowledged=len(tokens), feedback_found=_found(feedback_db, tokens))


def _found(feedback_db: str, tokens: list[str]) -> int:
    """How many acknowledged ratings are really in the store (SQLite file or PostgreSQL URL)."""
    from chat.feedback import COLUMNS, open_store

    if not tokens:
        return 0
    with open_store(feedback_db) as store:
        stored = {row[COLUMNS.index("comment")] for row in store.rows()}
    return sum(token in stored for token in tokens)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, action="append", help="simulated users (repeatable; default 16 and 64)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long each run lasts")
    parser.add_argument("--index", type=Path, default=REPO / "var" / "index")
    parser.add_argument("--concurrency", type=int, default=2, help="questions the server answers at once")
    parser.add_argument("--url", default=None,
                        help="load a chat that is already running (with --feedback-db) instead of starting one")
    parser.add_argument("--feedback-db", default=None, help="the running chat's feedback store (with --url)")
    parser.add_argument("--feedback-every", type=int, default=4, help="rate every Nth answer")
    parser.add_argument("--processes", type=int, default=4, help="client processes the users are spread over")
    parser.add_argument("--out", type=Path, default=None,
                        help="write the reports here: a Markdown table if the name ends in .md, else JSON")
    args = parser.parse_args(argv)
    if (args.url is None) != (args.feedback_db is None):
        parser.error("--url and --feedback-db go together")
    reports = []
    with tempfile.TemporaryDirectory() as work:
        url, db, process = args.url, args.feedback_db, None
        if url is None:
            db = str(Path(work) / "feedback.sqlite3")
            process, url = start_chat(args.index, db, Path(work) / "server.log", "--rate-limit", "0",
                                      "--concurrency", str(args.concurrency))
        try:
            for users in args.users or [16, 64]:
                report = run_load(url, users, args.seconds, db, feedback_every=args.feedback_every,
                                  processes=args.processes)
                reports.append(asdict(report))
                print(json.dumps(asdict(report)), flush=True)
        finally:
            if process is not None:
                stop(process)
    if args.out:
        text = markdown(reports, argv if argv is not None else sys.argv[1:]) if args.out.suffix == ".md" \
            else json.dumps(reports, indent=1)
        args.out.write_text(text, encoding="utf-8")
    failed = [r for r in reports if r["errors"] or r["feedback_found"] != r["feedback_acknowledged"]]
    return 1 if failed else 0


def markdown(reports: list[dict], argv: list[str]) -> str:
    rows = [f"| {r['users']} | {r['seconds']:.0f} | {r['requests']} | {r['throughput_per_s']:.1f} | "
            f"{r['latency_p50_ms']:.0f} | {r['latency_p95_ms']:.0f} | {r['errors']} | "
            f"{r['feedback_found']}/{r['feedback_acknowledged']} |" for r in reports]
    return "\n".join([
        "# Load test of the web chat", "",
        f"{os.cpu_count()} cores, server and simulated users on the same machine; {time.strftime('%Y-%m-%d')}.", "",
        f"Command: `python -m benchmarks.loadtest {' '.join(argv)}`", "",
        "| users | seconds | questions answered | per second | p50 ms | p95 ms | errors "
        "| feedback rows found/acknowledged |",
        "|---|---|---|---|---|---|---|---|", *rows, "",
        "Latency is what a user waits for an answer through Gradio's queue, so at 64 users it is mostly "
        "queueing: the server answers two questions at a time and the machine has two cores.", ""])


if __name__ == "__main__":
    sys.exit(main())
