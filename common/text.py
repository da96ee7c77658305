"""What a word is, everywhere in the project: search terms, stems and typo distance.

``terms`` is the one definition of a search term (lowercased word of 2+ characters, not a
stopword, Snowball-stemmed). The BM25 index, answer composition and routing all use it, so
word overlap is measured everywhere exactly the way search measures it. Typo tolerance
(``within_edits``, ``typo_limit``, ``deletions``) lets "dystnia" still count as "dystonia".
"""

from __future__ import annotations

import re
import threading

_WORD = re.compile(r"(?u)\b\w\w+\b")
_local = threading.local()  # PyStemmer objects must not be shared between threads


def stem(word: str) -> str:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return str(stemmer.stemWord(word))


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


def deletions(word: str, limit: int) -> set[str]:
    """``word`` and every string made by deleting up to ``limit`` of its characters."""
    found, frontier = {word}, {word}
    for _ in range(limit):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def typo_limit(word: str) -> int:
    """How many edits a word of this length may carry and still count as a typo."""
    return 0 if len(word) < 6 else 1 if len(word) < 9 else 2
