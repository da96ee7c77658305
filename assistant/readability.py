"""Flesch–Kincaid grade level, computed offline.

Why not textstat: its current releases download NLTK's CMU dictionary at run time, which
this project may not do, and its older releases import the removed ``pkg_resources``.
We count syllables the way textstat falls back to, with pyphen's bundled hyphenation
dictionary (hyphenation points + 1), and use the standard formula:

    0.39 * words / sentences + 11.8 * syllables / words - 15.59
"""

from __future__ import annotations

import re
from functools import lru_cache

from indexer.sentences import sentence_spans


@lru_cache(maxsize=1)
def _hyphenator():
    import pyphen

    return pyphen.Pyphen(lang="en_US")


def syllables(word: str) -> int:
    return len(_hyphenator().positions(word.lower())) + 1


def flesch_kincaid_grade(text: str) -> float | None:
    words = re.findall(r"[A-Za-z]+(?:'[a-z]+)?", text)
    sentences = max(1, len(sentence_spans(text)))
    if not words:
        return None
    return 0.39 * len(words) / sentences + 11.8 * sum(map(syllables, words)) / len(words) - 15.59
