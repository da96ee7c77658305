"""Warm per-question latency of the whole answer pipeline on the dystonia corpus.

    python -m benchmarks.answer_latency [--index var/index] [--questions 100] [--out FILE.md]

Takes the first N evaluation questions (every kind: answers, emergencies, refusals,
follow-ups, therapists' questions), warms up, then times ``Assistant.ask`` end to end and
reads the pipeline's own stage timings from each reply (``Reply.stages_ms``): preparing the
query (cleaning, follow-ups, subject, facet, the embeddings), routing, retrieval, assessing
the evidence (features and the learned scorer) and composing. PyTorch runs on one thread,
as the chat does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
STAGES = ("prepare", "route", "retrieve", "assess", "compose")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def measure(index_dir: Path, count: int) -> dict:
    from assistant.pipeline import Assistant
    from evals.reference import load_split

    assistant = Assistant.load(index_dir)
    items = [i for i in load_split("all") if isinstance(i.question, str) and i.question.strip()][:count]
    for item in items[:5]:
        assistant.ask(item.question, history=list(item.history), audience=item.audience)
    timings: dict[str, list[float]] = {name: [] for name in ("total", *STAGES)}
    for item in items:
        started = time.perf_counter()
        reply = assistant.ask(item.question, history=list(item.history), audience=item.audience)
        timings["total"].append((time.perf_counter() - started) * 1000)
        for stage in STAGES:
            timings[stage].append(reply.stages_ms.get(stage, 0.0))
    return {"questions": len(items), **timings}


def report(result: dict) -> str:
    rows = [f"| {stage} | {statistics.median(result[stage]):.1f} | {percentile(result[stage], 95):.1f} |"
            for stage in ("total", *STAGES)]
    return "\n".join([
        "# Answer latency (dystonia corpus)", "",
        f"{result['questions']} evaluation questions, warm, one process, PyTorch on 1 thread; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; {dt.date.today()}.", "",
        "Command: `python -m benchmarks.answer_latency`", "",
        "| stage | p50 ms | p95 ms |", "|---|---|---|", *rows, "",
        "`total` is `Assistant.ask` end to end; the stages are the pipeline's own timings of the same calls "
        "(`route` counts both routing steps; an emergency stops after the first).", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=Path("var/index"))
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    text = report(measure(args.index, args.questions))
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
