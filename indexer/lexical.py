"""BM25 keyword search over chunk texts (bm25s), on the project's search terms.

A term is what ``common.text.terms`` says it is (stemmed, no stopwords), so word overlap is
measured the same way here as in routing and composition. ``near`` answers "does the corpus
use this word, a longer word it starts, or a word it is a typo of?" for routing.
"""

from __future__ import annotations

import bisect
import math
from pathlib import Path

import numpy as np

from common.text import deletions, terms, typo_limit, within_edits

PARAMS = {"k1": 1.5, "b": 0.75, "method": "lucene"}


class LexicalIndex:
    def __init__(self, retriever, size: int):
        self.retriever = retriever
        self.size = size
        self.vocab: dict[str, int] = retriever.vocab_dict
        self.doc_freq = np.diff(np.asarray(retriever.scores["indptr"]))
        self._sorted: list[str] = []
        self._deletions: dict[str, list[str]] | None = None  # built on first use by ``near``

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        import bm25s
        from bm25s.tokenization import Tokenized

        vocab: dict[str, int] = {"": 0}
        ids = [[vocab.setdefault(t, len(vocab)) for t in terms(text)] for text in texts]
        retriever = bm25s.BM25(**PARAMS)
        retriever.index(Tokenized(ids=ids, vocab=vocab), show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25.load(str(folder), show_progress=False)
        return cls(retriever, int(retriever.scores["num_docs"]))

    def idf(self, term: str) -> float:
        """Inverse document frequency over chunks; a term the corpus never uses gets the largest."""
        row = self.vocab.get(term)
        df = int(self.doc_freq[row]) if row is not None and row < len(self.doc_freq) else 0
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def knows(self, term: str) -> bool:
        row = self.vocab.get(term)
        return row is not None and row < len(self.doc_freq) and self.doc_freq[row] > 0

    def near(self, term: str) -> bool:
        """True if ``term`` is a term the corpus uses, a prefix of one ("golf" of "golfer"),
        or a likely typo of one (within ``typo_limit`` edits)."""
        if self.knows(term):
            return True
        self.prepare_near()
        position = bisect.bisect_left(self._sorted, term)
        if len(term) >= 4 and position < len(self._sorted) and self._sorted[position].startswith(term):
            return True
        limit = typo_limit(term)
        table = self._deletions or {}
        candidates = {known for variant in deletions(term, limit) for known in table.get(variant, ())}
        return any(within_edits(term, known, limit) for known in candidates)

    def prepare_near(self) -> None:
        """Build the symmetric-deletion lookup ``near`` uses (as in SymSpell): typo candidates
        without scanning the vocabulary. Done once; call it at start-up to keep it off a request."""
        if self._deletions is not None:
            return
        known = sorted(t for t in self.vocab if t and self.knows(t))
        table: dict[str, list[str]] = {}
        for term in known:
            for variant in deletions(term, typo_limit(term)):
                table.setdefault(variant, []).append(term)
        self._sorted, self._deletions = known, table

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (all zeros when no query term is known)."""
        ids = [self.vocab[t] for t in terms(query) if t in self.vocab]
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.retriever.get_scores_from_ids(ids), dtype=np.float32)
