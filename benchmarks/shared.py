"""Helpers more than one benchmark step needs, so the steps never import each other.

``ours``, ``peer``, ``latency`` and ``quality`` each import only this module and
``measure``; nothing in the project imports ``benchmarks``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

DEPTH = 10  # documents per ranking
DOC_ID = "doc_id"  # the peer's metadata key for our document id


def dedupe(doc_ids: Iterable[str], depth: int = DEPTH) -> list[str]:
    """Documents in order of their best chunk, at most ``depth``."""
    return list(dict.fromkeys(doc_ids))[:depth]


def ranked_documents(search: Callable[[int], list], total: int, depth: int = DEPTH, k: int = 40) -> list[str]:
    """The peer's ranking: ask ``search(k)`` for more chunks until they cover ``depth``
    distinct documents (or all chunks)."""
    while True:
        ranked = dedupe((doc.metadata[DOC_ID] for doc, _ in search(min(k, total))), depth)
        if len(ranked) >= depth or k >= total:
            return ranked
        k *= 2


def perturbed(vectors: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Unit vectors moved by Gaussian noise and renormalised: near-duplicates of the
    originals, but distinct points, so the ANN index faces ten times as many vectors."""
    noisy = np.asarray(vectors, dtype=np.float32) + rng.normal(0, sigma, vectors.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
