"""Warm per-question latency, ours and the peer's measured side by side in one process.

Warm means: the model and index are loaded and a few questions have already run, so the
numbers are what a running server sees, not start-up cost. Paired means: each question is
run by both systems one right after the other (alternating who goes first), so both see the
same machine; on a shared machine, timings taken minutes apart differ by more than the
systems do.
"""

from __future__ import annotations

import time

from benchmarks.measure import summary_ms
from benchmarks.shared import ranked_documents


def ours_once(assistant, query: str) -> dict:
    """One ``Assistant.ask``; its own stage timings give the split (embed, search, compose)."""
    t0 = time.perf_counter()
    reply = assistant.ask(query)
    total = time.perf_counter() - t0
    stages = {name: ms / 1000 for name, ms in reply.stages_ms.items()}
    return {**stages, "total": total}


def peer_once(store, query: str) -> dict:
    """The total is one public ``similarity_search_with_score`` call (its own query embedding
    included), deepened until 10 documents. The embedding and the by-vector search are also
    timed alone, as separate calls made before it, to show the split; they are not in the total."""
    t0 = time.perf_counter()
    vector = store.embedding_function.embed_query(query)
    t1 = time.perf_counter()
    ranked_documents(lambda k: store.similarity_search_with_score_by_vector(vector, k), store.index.ntotal)
    t2 = time.perf_counter()
    ranked_documents(lambda k: store.similarity_search_with_score(query, k=k), store.index.ntotal)
    t3 = time.perf_counter()
    return {"embed": t1 - t0, "search": t2 - t1, "total": t3 - t2}


def ours(assistant, queries: list[str], warmup: list[str]) -> dict:
    """Ours alone (used before the peer is loaded, so memory readings are ours only)."""
    for query in warmup:
        ours_once(assistant, query)
    return _summaries([ours_once(assistant, query) for query in queries])


def paired(assistant, store, queries: list[str], warmup: list[str]) -> tuple[dict, dict]:
    for query in warmup:
        ours_once(assistant, query)
        peer_once(store, query)
    mine, theirs = [], []
    for number, query in enumerate(queries):
        if number % 2:
            theirs.append(peer_once(store, query))
            mine.append(ours_once(assistant, query))
        else:
            mine.append(ours_once(assistant, query))
            theirs.append(peer_once(store, query))
    return _summaries(mine), _summaries(theirs)


def _summaries(samples: list[dict]) -> dict:
    return {name: summary_ms([s[name] for s in samples]) for name in samples[0]}
