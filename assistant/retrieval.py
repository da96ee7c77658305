"""Hybrid retrieval: dense (FAISS) and lexical (BM25) candidates fused by reciprocal rank.

Why fuse ranks rather than scores: cosine and BM25 live on different scales, and RRF needs
no calibration between them. After fusion the list is diversified (at most ``per_doc``
chunks per document) so one long document cannot fill every slot.

The lexical list's weight in the fusion follows how informative the query's words are
(their best inverse document frequency): for "what is dystonia?" every chunk matches the one
content word and BM25's ranking is noise, so it must not outvote a strong dense match;
for "botox side effects" it counts fully.

Every hit keeps both raw scores and both ranks, so ``dystonia search`` can show why a chunk
was chosen. ``mode`` selects dense-only or lexical-only ranking for ablations.

``focus`` names documents whose main subject is what the question asks about (from their
front matter): their best passages join the results even when wording ranked them lower,
because the subject's own page is where its answer usually is.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from assistant.tuning import RetrievalTuning
from common.text import terms
from indexer.chunking import Chunk
from indexer.store import Index

MODES = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class Hit:
    row: int
    chunk: Chunk
    fused: float
    dense: float
    lexical: float
    dense_rank: int | None  # 1-based rank among dense candidates, None if not a candidate
    lexical_rank: int | None


class Retriever:
    def __init__(self, index: Index, tuning: RetrievalTuning, *, mode: str = "hybrid"):
        if mode not in MODES:
            raise ValueError(f"retriever must be one of {', '.join(MODES)}")
        self.index, self.tuning, self.mode = index, tuning, mode
        self.rows_of: dict[str, list[int]] = {}
        for row, chunk in enumerate(index.chunks):
            self.rows_of.setdefault(chunk.doc_id, []).append(row)
        ef = index.manifest.get("dense", {}).get("hnsw_ef_search")
        if ef and hasattr(index.dense, "hnsw"):
            index.dense.hnsw.efSearch = max(ef, tuning.candidates)

    def search(self, query: str, vector: np.ndarray, k: int = 6, diversify: bool = True,
               focus: Collection[str] = ()) -> list[Hit]:
        n = len(self.index.chunks)
        if n == 0:
            return []
        depth = min(self.tuning.candidates, n)
        dense_rows, dense_scores = self._dense(vector, depth)
        lexical_all = self.index.lexical.scores(query)
        lexical_rows = _top(lexical_all, depth)
        fused = self._fuse(dense_rows, lexical_rows, self._lexical_weight(query))
        dense_rank = {row: r for r, row in enumerate(dense_rows, 1)}
        lexical_rank = {row: r for r, row in enumerate(lexical_rows, 1)}
        dense_of = dict(zip(dense_rows, dense_scores))
        hits = []
        for row, score in sorted(fused.items(), key=lambda item: (-item[1], item[0])):
            dense = dense_of.get(row)
            if dense is None:
                dense = float(self.index.chunk_vectors[row] @ vector)
            hits.append(Hit(row, self.index.chunks[row], score, float(dense), float(lexical_all[row]),
                            dense_rank.get(row), lexical_rank.get(row)))
        chosen = self._diversified(hits, k) if diversify else hits[:k]
        return chosen + self._focused(focus, vector, lexical_all, {h.row for h in chosen})

    def _focused(self, focus: Collection[str], vector: np.ndarray, lexical: np.ndarray, taken: set[int]) -> list[Hit]:
        """The best passages (by cosine) of the ``focus`` documents that are not already in."""
        found = []
        for doc in focus:
            rows = [r for r in self.rows_of.get(doc, ()) if r not in taken]
            if rows:
                dense = np.asarray(self.index.chunk_vectors[rows], np.float32) @ vector
                found += sorted(zip(rows, dense.tolist()), key=lambda pair: -pair[1])[:self.tuning.focus_chunks]
        return [Hit(row, self.index.chunks[row], 0.0, score, float(lexical[row]), None, None) for row, score in found]

    def _dense(self, vector: np.ndarray, depth: int) -> tuple[list[int], list[float]]:
        scores, rows = self.index.dense.search(np.asarray(vector, np.float32).reshape(1, -1), depth)
        pairs = [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]
        return [r for r, _ in pairs], [s for _, s in pairs]

    def _lexical_weight(self, query: str) -> float:
        idf = max((self.index.lexical.idf(t) for t in terms(query) if self.index.lexical.knows(t)), default=0.0)
        return min(1.0, idf / self.tuning.full_weight_idf)

    def _fuse(self, dense_rows: list[int], lexical_rows: list[int], lexical_weight: float) -> dict[int, float]:
        fused: dict[int, float] = {}
        lists = {"hybrid": ((dense_rows, 1.0), (lexical_rows, lexical_weight)), "dense": ((dense_rows, 1.0),),
                 "lexical": ((lexical_rows, 1.0),)}[self.mode]
        for rows, weight in lists:
            for rank, row in enumerate(rows, 1):
                fused[row] = fused.get(row, 0.0) + weight / (self.tuning.rrf_k + rank)
        return fused

    def _diversified(self, hits: list[Hit], k: int) -> list[Hit]:
        chosen: list[Hit] = []
        per_doc: dict[str, int] = {}
        for hit in hits:
            if per_doc.get(hit.chunk.doc_id, 0) < self.tuning.per_doc:
                chosen.append(hit)
                per_doc[hit.chunk.doc_id] = per_doc.get(hit.chunk.doc_id, 0) + 1
            if len(chosen) == k:
                break
        return chosen


def _top(scores: np.ndarray, depth: int) -> list[int]:
    """Rows of the ``depth`` highest positive scores, best first (ties by row)."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > depth:
        positive = positive[np.argpartition(-scores[positive], depth - 1)[:depth]]
    return sorted(positive.tolist(), key=lambda row: (-scores[row], row))
