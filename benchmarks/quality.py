"""Document-level retrieval quality: Recall@1/5/10 and MRR@10 with one relevant page per query.

Both systems rank chunks; a ranking is turned into documents by mapping each chunk to its
document and keeping the first occurrence, then cut at 10.
"""

from __future__ import annotations

import numpy as np

from benchmarks.shared import DEPTH, dedupe, ranked_documents

MODES = ("dense", "lexical", "hybrid")


def metrics(rankings: list[list[str]], relevant: list[str]) -> dict:
    ranks = [ranking.index(doc) + 1 if doc in ranking else None for ranking, doc in zip(rankings, relevant)]
    n = len(ranks)

    def recall(k: int) -> float:
        return sum(1 for r in ranks if r and r <= k) / n

    return {"recall@1": recall(1), "recall@5": recall(5), "recall@10": recall(10),
            "mrr@10": sum(1 / r for r in ranks if r and r <= DEPTH) / n, "n": n}


def ours(index, embedder, queries: list[dict]) -> dict:
    """Our dense, lexical and hybrid rankings (no per-document diversification, all candidates)."""
    from assistant.retrieval import Retriever
    from assistant.tuning import Tuning

    texts = [q["query"] for q in queries]
    vectors = embedder.embed(texts, batch_size=64)  # the same vectors as one at a time, faster
    tuning = Tuning.load().retrieval
    results = {}
    for mode in MODES:
        retriever = Retriever(index, tuning, mode=mode)
        rankings = [dedupe(h.chunk.doc_id for h in retriever.search(text, vector, k=2 * tuning.candidates,
                                                                    diversify=False))
                    for text, vector in zip(texts, vectors)]
        results[mode] = metrics(rankings, [q["doc"] for q in queries])
    return results


def peer(store, embeddings, queries: list[dict]) -> dict:
    """The peer's ranking: nearest chunks by its own FAISS index, deepened until 10 documents."""
    vectors = np.asarray(embeddings.embed_documents([q["query"] for q in queries]), dtype=np.float32)
    def search(vector: np.ndarray):
        return lambda k: store.similarity_search_with_score_by_vector(vector.tolist(), k)

    rankings = [ranked_documents(search(vector), store.index.ntotal) for vector in vectors]
    return metrics(rankings, [q["doc"] for q in queries])
