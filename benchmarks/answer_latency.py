"""Warm per-question latency of the whole answer pipeline on the dystonia corpus.

    python -m benchmarks.answer_latency [--index var/index] [--questions 100] [--out FILE.md]

Takes the first N reference questions (every kind: answers, emergencies, refusals,
follow-ups), warms up, then times ``Assistant.ask`` end to end; and, for the same
questions, the three stages on their own: embedding (the question and its resolved
follow-up form, one batch), search (hybrid retrieval) and composing (sentence choice and
citations). Routing runs inside ``ask`` and is the difference between the two.
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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def measure(index_dir: Path, count: int) -> dict:
    from assistant.conversation import resolve_followup
    from assistant.pipeline import Assistant, clean, normalize_history
    from assistant.routing import without_instructions
    from evals.reference import load_reference

    assistant = Assistant.load(index_dir)
    items = [i for i in load_reference() if isinstance(i.question, str) and i.question.strip()][:count]
    for item in items[:5]:
        assistant.ask(item.question, history=list(item.history), audience=item.audience)
    total, embed, search, compose = [], [], [], []
    for item in items:
        started = time.perf_counter()
        assistant.ask(item.question, history=list(item.history), audience=item.audience)
        total.append((time.perf_counter() - started) * 1000)
        text = without_instructions(clean(item.question)) or clean(item.question)
        query = assistant.vocabulary.expand(resolve_followup(text, normalize_history(item.history),
                                                             assistant.vocabulary)[0])
        t0 = time.perf_counter()
        vector = assistant.embedder.embed([text, query] if query != text else [text])[-1]
        t1 = time.perf_counter()
        hits = assistant.retriever.search(query, vector)
        t2 = time.perf_counter()
        assistant.composer.compose(query, vector, hits, audience=item.audience)
        t3 = time.perf_counter()
        embed.append((t1 - t0) * 1000), search.append((t2 - t1) * 1000), compose.append((t3 - t2) * 1000)
    return {"questions": len(items), "total": total, "embed": embed, "search": search, "compose": compose}


def report(result: dict) -> str:
    rows = [f"| {stage} | {statistics.median(result[stage]):.1f} | {percentile(result[stage], 95):.1f} |"
            for stage in ("total", "embed", "search", "compose")]
    return "\n".join([
        "# Answer latency (dystonia corpus)", "",
        f"{result['questions']} reference questions, warm, one process, PyTorch on 1 thread; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; {dt.date.today()}.", "",
        "Command: `python -m benchmarks.answer_latency`", "",
        "| stage | p50 ms | p95 ms |", "|---|---|---|", *rows, "",
        "`total` is `Assistant.ask` end to end (validation, follow-up resolution, embedding, routing, "
        "retrieval, composing); the stages are timed separately on the same questions.", ""])


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
