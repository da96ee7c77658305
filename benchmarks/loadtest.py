"""Load test of the web chat: N simulated users for a fixed time, through gradio_client.

    python -m benchmarks.loadtest --users 16 --users 64 --seconds 60 --out benchmarks/LOAD.md
    python -m benchmarks.loadtest --replicas 2 --feedback-db postgresql://... --users 16 --seconds 60 \
        --out benchmarks/LOAD.md

Starts ``dystonia chat`` on 127.0.0.1 (a free port, a fresh feedback database, no rate
limit, since every simulated user asks as fast as the server answers), or with
``--replicas N`` that many replicas behind nginx (``deploy.cluster``, sharing the
``--feedback-db`` store), or loads a chat already running at ``--url``. Each user opens its
own client session and loops: ask a question, and every few answers rate it with a unique
comment. Users are spread over several client processes so the client side's own overhead
does not become the bottleneck. Reports throughput, p50/p95 latency and errors, then checks
that every feedback row the server acknowledged is in the database. ``--timeline`` adds
every question's start, end and outcome (Unix times), to see what a failure did and when.

The test suite runs short versions (``tests/test_load.py``, ``tests/test_proxy.py``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from chat.process import free_port, start_chat, stop
from common.errors import DystoniaError

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
    timeline: list[tuple[float, float, bool]] = field(default_factory=list)  # (start, end, answered)


def _user(url: str, deadline: float, feedback_every: int, seed: int, timeout: float = 60) -> dict:
    """One simulated user: its own client session (and so its own affinity cookie behind
    nginx), asking until the deadline. A question that gets no answer within ``timeout`` is
    an error, so a lost event cannot hang the run."""
    from gradio_client import Client

    rng = random.Random(seed)
    latencies, errors, tokens, timeline = [], [], [], []
    client = Client(url, verbose=False, analytics_enabled=False)
    try:
        answered = 0
        while time.monotonic() < deadline:
            started, wall = time.perf_counter(), time.time()
            try:
                messages, _, _ = client.submit(rng.choice(QUESTIONS), "patient", api_name="/ask").result(timeout)
                if "class='disclaimer'" not in str(messages[-1]):
                    raise RuntimeError("answer without disclaimer")
                latencies.append((time.perf_counter() - started) * 1000)
                timeline.append((wall, time.time(), True))
                answered += 1
                if answered % feedback_every == 0:
                    token = f"load-{uuid.uuid4()}"
                    if "saved" in client.submit("up", token, api_name="/feedback").result(timeout):
                        tokens.append(token)
            except Exception as error:  # every failure is counted and reported, never hidden
                errors.append(f"{type(error).__name__}: {error}"[:200])
                timeline.append((wall, time.time(), False))
    finally:
        client.close()
    return {"latencies": latencies, "errors": errors, "tokens": tokens, "timeline": timeline}


def _worker(args) -> list[dict]:
    url, users, deadline, feedback_every, seed = args
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(users) as pool:
        return list(pool.map(lambda i: _user(url, deadline, feedback_every, seed + i), range(users)))


def run_load(url: str, users: int, seconds: float, feedback_db: str, *, feedback_every: int = 4,
             processes: int = 4, timeline: bool = False) -> LoadReport:
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
        feedback_acknowledged=len(tokens), feedback_found=_found(feedback_db, tokens),
        timeline=sorted(t for r in results for t in r["timeline"]) if timeline else [])


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
    parser.add_argument("--concurrency", type=int, default=2, help="questions each server answers at once")
    parser.add_argument("--url", default=None,
                        help="load a chat that is already running (with --feedback-db) instead of starting one")
    parser.add_argument("--replicas", type=int, default=0,
                        help="start this many chat processes behind nginx (deploy.cluster) instead of one")
    parser.add_argument("--feedback-db", default=None,
                        help="the chat's feedback store: required with --url; with --replicas, the store they share "
                             "(a postgresql:// URL; default a fresh SQLite file)")
    parser.add_argument("--feedback-every", type=int, default=4, help="rate every Nth answer")
    parser.add_argument("--processes", type=int, default=4, help="client processes the users are spread over")
    parser.add_argument("--timeline", action="store_true", help="add each question's (start, end, answered)")
    parser.add_argument("--out", type=Path, default=None,
                        help="write the reports here: a Markdown section if the name ends in .md (other sections of "
                             "an existing file are kept), else JSON")
    args = parser.parse_args(argv)
    if args.url is not None and args.feedback_db is None:
        parser.error("--url needs --feedback-db: the running chat's feedback store")
    if args.url is not None and args.replicas:
        parser.error("--url and --replicas exclude each other")
    reports = []
    with tempfile.TemporaryDirectory() as work:
        url, db, stop_server = args.url, args.feedback_db or str(Path(work) / "feedback.sqlite3"), None
        try:
            if url is None:
                url, stop_server = _start(args, db, Path(work))
            for users in args.users or [16, 64]:
                report = run_load(url, users, args.seconds, db, feedback_every=args.feedback_every,
                                  processes=args.processes, timeline=args.timeline)
                reports.append(asdict(report))
                print(json.dumps({k: v for k, v in asdict(report).items() if k != "timeline"}), flush=True)
        except DystoniaError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        finally:
            if stop_server is not None:
                stop_server()
    if args.out:
        if args.out.suffix == ".md":
            title = f"Through nginx, {args.replicas} replicas" if args.replicas else "One chat process"
            write_section(args.out, title, markdown(reports, argv if argv is not None else sys.argv[1:],
                                                    args.replicas, args.concurrency))
        else:
            args.out.write_text(json.dumps(reports, indent=1), encoding="utf-8")
    failed = [r for r in reports if r["errors"] or r["feedback_found"] != r["feedback_acknowledged"]]
    return 1 if failed else 0


def _start(args: argparse.Namespace, db: str, work: Path) -> tuple[str, Callable[[], None]]:
    """The chat to load: one process, or ``args.replicas`` behind nginx; (url, how to stop it)."""
    if args.replicas:
        from deploy.cluster import Cluster

        cluster = Cluster(args.index, db, work / "deploy", [free_port() for _ in range(args.replicas)], free_port(),
                          rate_limit=0, concurrency=args.concurrency).start()
        return cluster.url, cluster.stop
    process, url = start_chat(args.index, db, work / "server.log", "--rate-limit", "0",
                              "--concurrency", str(args.concurrency))
    return url, lambda: stop(process)


def machine() -> str:
    """Cores, CPU model and memory of this machine, for the record."""
    cpu = ""
    try:
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
        cpu = found.group(1).strip() if found else ""
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 if hasattr(os, "sysconf") else 0
    return ", ".join(part for part in [f"{os.cpu_count()} cores", cpu or platform.machine(),
                                       f"{memory:.0f} GiB RAM" if memory else ""] if part)


def _nginx_version() -> str:
    try:
        from deploy.nginx import find_nginx

        done = subprocess.run([find_nginx(), "-v"], capture_output=True, text=True, timeout=10)
        return done.stderr.strip().removeprefix("nginx version: ")
    except (DystoniaError, OSError, subprocess.SubprocessError):
        return "nginx"


def markdown(reports: list[dict], argv: list[str], replicas: int = 0, concurrency: int = 2) -> str:
    """One section of LOAD.md: the machine, the exact command, the table, what to read into it."""
    rows = [f"| {r['users']} | {r['seconds']:.0f} | {r['requests']} | {r['throughput_per_s']:.1f} | "
            f"{r['latency_p50_ms']:.0f} | {r['latency_p95_ms']:.0f} | {r['errors']} | "
            f"{r['feedback_found']}/{r['feedback_acknowledged']} |" for r in reports]
    if replicas:
        setting = (f"{replicas} `dystonia chat` replicas (each answering {concurrency} questions at a time) behind "
                   f"{_nginx_version()} with the config of `deploy/nginx.conf.template`, one feedback store")
        note = (f"Every simulated user is its own session with its own affinity cookie, so nginx spreads users "
                f"over the replicas and keeps each on one. Honest caveat: the machine has {os.cpu_count()} cores and "
                f"runs the {replicas} replicas, nginx, the feedback database and the simulated users all at once, so "
                "the replicas compete for the same CPU: this shows the proxy adds no errors and loses no rating, "
                "not how throughput scales with replicas on separate cores or machines.")
    else:
        setting = "one `dystonia chat` process"
        note = ("Latency is what a user waits for an answer through Gradio's queue, so at 64 users it is mostly "
                f"queueing: the server answers {concurrency} questions at a time and the machine has "
                f"{os.cpu_count()} cores.")
    return "\n".join([
        f"{machine()}; {setting}; server and simulated users on the same machine; {time.strftime('%Y-%m-%d')}.", "",
        f"Command: `python -m benchmarks.loadtest {' '.join(argv)}`", "",
        "| users | seconds | questions answered | per second | p50 ms | p95 ms | errors "
        "| feedback rows found/acknowledged |",
        "|---|---|---|---|---|---|---|---|", *rows, "", note, ""])


def write_section(path: Path, title: str, body: str) -> None:
    """Put ``body`` under ``## title`` in the Markdown file ``path``, replacing that section if it
    is there and keeping every other one, so each kind of run keeps its latest results."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Load test of the web chat\n"
    parts = re.split(r"(?m)^(?=## )", text)
    section = f"## {title}\n\n{body}"
    for i, part in enumerate(parts):
        if part.splitlines()[0:1] == [f"## {title}"]:
            parts[i] = section + ("\n" if i < len(parts) - 1 else "")
            break
    else:
        parts[-1] = parts[-1].rstrip("\n") + "\n\n"
        parts.append(section)
    path.write_text("".join(parts), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
