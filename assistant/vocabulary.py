"""The dystonia vocabulary: which words put a question in the domain, and their synonyms.

Matching works on word stems (so "spasms" matches "spasm") and forgives a typo in a long
word ("dystnia", "blepharospasim"), because patients type quickly and on phones.
The word lists live in ``routing.yaml`` (read once by ``load_routing_data``, which also
holds the router's exemplars); this module only matches them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import yaml

from common.text import stem, typo_limit, within_edits

ROUTING_FILE = Path(__file__).with_name("routing.yaml")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w.replace("'", "")) for w in _WORD.findall(text.lower()))


class Vocabulary:
    def __init__(self, terms: list[str], synonyms: dict[str, str], anaphora: list[str], continuations: list[str]):
        self.terms = _Table({_stems(t): t for t in terms}, _domain_typos)
        # everyday words are not distinctive: "scales" is no typo of "scared"
        self.synonyms = _Table({_stems(k): v for k, v in synonyms.items()}, typo_limit)
        self.anaphora = frozenset(anaphora)
        self.continuations = tuple(continuations)

    @classmethod
    def from_data(cls, data: dict) -> Vocabulary:
        return cls(data["domain_terms"], data.get("synonyms", {}), data["anaphora"], data["continuations"])

    @classmethod
    def load(cls, path: Path = ROUTING_FILE) -> Vocabulary:
        return cls.from_data(load_routing_data(path))

    def topics(self, text: str) -> list[str]:
        """Domain phrases in ``text``, in order of appearance, each once."""
        return list(dict.fromkeys(self.terms.find(text)))

    def sources_words(self, text: str) -> list[str]:
        """The sources' names for the everyday words ``text`` uses ("pianist" -> "musician's dystonia")."""
        return list(dict.fromkeys(self.synonyms.find(text)))

    def expand(self, text: str) -> str:
        """``text`` plus the sources' names for the everyday words it uses."""
        extra = self.sources_words(text)
        return f"{text} {' '.join(extra)}" if extra else text


def load_routing_data(path: Path = ROUTING_FILE) -> dict:
    """``routing.yaml``: domain terms, synonyms, follow-up words and the router's exemplars."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _domain_typos(term: str) -> int:
    """Domain words are few and distinctive, so even a five-letter one ("botox") may carry a typo."""
    return 1 if 5 <= len(term) < 9 else typo_limit(term)


class _Table:
    """Phrases keyed by their stems, found in text exactly or (single long words) with a typo."""

    def __init__(self, phrases: dict[tuple[str, ...], str], typos: Callable[[str], int]):
        self.typos = typos
        self.by_first: dict[str, list[tuple[str, ...]]] = {}
        for key in phrases:
            self.by_first.setdefault(key[0], []).append(key)
        self.phrases = phrases
        self.single = [key[0] for key in phrases if len(key) == 1 and typos(key[0]) > 0]

    def find(self, text: str) -> list[str]:
        words = _WORD.findall(text.lower())
        stems = [stem(w.replace("'", "")) for w in words]
        found = []
        for position, current in enumerate(stems):
            exact = [k for k in self.by_first.get(current, ()) if tuple(stems[position:position + len(k)]) == k]
            if not exact and len(words[position]) >= 4:
                exact = [(t,) for t in self.single if t[0] == current[0]
                         and within_edits(current, t, self.typos(t))]
            found += [self.phrases[k] for k in exact]
        return found
