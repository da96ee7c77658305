"""Warm per-question latency, split into the pieces a user's question goes through.

Warm means: the model and index are loaded and a few questions have already run, so the
numbers are what a running server sees, not start-up cost.
"""

from __future__ import annotations

import time

from benchmarks.measure import summary_ms


def ours(embedder, retriever, composer, queries: list[str], warmup: list[str]) -> dict:
    """embed -> search (k=6, diversified, as the product does) -> compose, timed separately."""
    for query in warmup:
        vector = embedder.embed([query])[0]
        composer.compose(query, vector, retriever.search(query, vector, k=6))
    parts = {"embed": [], "search": [], "compose": [], "retrieve": [], "search_compose": [], "total": []}
    for query in queries:
        t0 = time.perf_counter()
        vector = embedder.embed([query])[0]
        t1 = time.perf_counter()
        hits = retriever.search(query, vector, k=6)
        t2 = time.perf_counter()
        composer.compose(query, vector, hits)
        t3 = time.perf_counter()
        for name, seconds in (("embed", t1 - t0), ("search", t2 - t1), ("compose", t3 - t2),
                              ("retrieve", t2 - t0), ("search_compose", t3 - t1), ("total", t3 - t0)):
            parts[name].append(seconds)
    return {name: summary_ms(samples) for name, samples in parts.items()}


def peer(store, queries: list[str], warmup: list[str]) -> dict:
    """The total is one public ``similarity_search_with_score`` call per question (its own
    query embedding included), deepened until 10 documents. To show where the time goes,
    the query embedding and the by-vector search are also timed alone, as separate calls
    made before it; they are not part of the total."""
    from benchmarks.peer import ranked_documents

    def run(search) -> list[str]:
        return ranked_documents(search, store.index.ntotal)

    for query in warmup:
        run(lambda k, q=query: store.similarity_search_with_score(q, k=k))
    parts = {"embed": [], "search": [], "total": []}
    for query in queries:
        t0 = time.perf_counter()
        vector = store.embedding_function.embed_query(query)
        t1 = time.perf_counter()
        run(lambda k: store.similarity_search_with_score_by_vector(vector, k))
        t2 = time.perf_counter()
        run(lambda k: store.similarity_search_with_score(query, k=k))
        t3 = time.perf_counter()
        for name, seconds in (("embed", t1 - t0), ("search", t2 - t1), ("total", t3 - t2)):
            parts[name].append(seconds)
    return {name: summary_ms(samples) for name, samples in parts.items()}
