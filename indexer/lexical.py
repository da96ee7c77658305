"""BM25 keyword search over chunk texts (bm25s), with English stemming and stopwords.

``terms`` is the one definition of a search term (lowercased word of 2+ characters, not a
stopword, Snowball-stemmed); answer composition and routing use it too, so word overlap
is measured everywhere exactly the way search measures it.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
from pathlib import Path

import numpy as np

PARAMS = {"k1": 1.5, "b": 0.75, "method": "lucene"}
_WORD = re.compile(r"(?u)\b\w\w+\b")
_local = threading.local()  # PyStemmer objects must not be shared between threads


def stem(word: str) -> str:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer.stemWord(word)


def terms(text: str) -> list[str]:
    """Search terms of ``text`` in order, repeats kept."""
    from bm25s.stopwords import STOPWORDS_EN

    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS_EN]


def within_edits(a: str, b: str, limit: int) -> bool:
    """Levenshtein distance of a and b is at most ``limit`` (banded, early exit)."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def _deletions(word: str, limit: int) -> set[str]:
    """``word`` and every string made by deleting up to ``limit`` of its characters."""
    found, frontier = {word}, {word}
    for _ in range(limit):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def typo_limit(word: str) -> int:
    """How many edits a word of this length may carry and still count as a typo."""
    return 0 if len(word) < 6 else 1 if len(word) < 9 else 2


class LexicalIndex:
    def __init__(self, retriever, size: int):
        self.retriever = retriever
        self.size = size
        self.vocab: dict[str, int] = retriever.vocab_dict
        self.doc_freq = np.diff(np.asarray(retriever.scores["indptr"]))
        self._sorted: list[str] = []
        self._deletions: dict[str, list[str]] | None = None  # built on first use by ``near``

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
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
    def load(cls, folder: Path) -> "LexicalIndex":
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
        candidates = {known for variant in _deletions(term, limit) for known in self._deletions.get(variant, ())}
        return any(within_edits(term, known, limit) for known in candidates)

    def prepare_near(self) -> None:
        """Build the symmetric-deletion lookup ``near`` uses (as in SymSpell): typo candidates
        without scanning the vocabulary. Done once; call it at start-up to keep it off a request."""
        if self._deletions is not None:
            return
        known = sorted(t for t in self.vocab if t and self.knows(t))
        deletions: dict[str, list[str]] = {}
        for term in known:
            for variant in _deletions(term, typo_limit(term)):
                deletions.setdefault(variant, []).append(term)
        self._sorted, self._deletions = known, deletions

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (all zeros when no query term is known)."""
        ids = [self.vocab[t] for t in terms(query) if t in self.vocab]
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.retriever.get_scores_from_ids(ids), dtype=np.float32)
