"""Hard words explained in place, with explanations the library itself gives.

The NIH pages often explain a word where they use it: "quick, involuntary muscle jerking
or twitching (myoclonus)", "dysarthria (slurred or slow speech)", "autosomal dominant
pattern, which means one copy of the altered gene in each cell is sufficient to cause the
disorder", "the basal ganglia, which are structures deep within the brain...". ``mine``
finds these four shapes in every document; each entry keeps the explanation and the
passage it came from verbatim, with its document and offsets, so it is as vetted as any
answer sentence. Nothing is written by hand: a word the library never explains gets no
entry.

``Glossary.for_text`` picks the entries for the hard words an answer uses, so the chat can
show each as an expandable definition and ``ask --json`` can list them.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from assistant.readability import syllables
from indexer.documents import Document

# "<plain words> (<term>)" or "<term> (<plain words>)": the plainer side explains the other
PARENTHESIS = re.compile(r"(?P<before>[^.;:()\n]{2,160}?)\s\((?P<inside>[^()\n]{2,90})\)")
# "<term>, which means <explanation>" / "<term>, which is a <explanation>"
WHICH = re.compile(r"(?P<before>[^.;:()\n]{2,80}?), which (?P<verb>means(?: that)?|is|are) "
                   r"(?P<explanation>[^.;()\n]{10,160})")
NOUN_START = re.compile(r"^(a|an|one|the|structures|chemicals?|proteins?)\b", re.I)
LEADING = re.compile(r"^(?:(?:they|it|he|she|people|individuals|affected|some|children|patients|also|usually|often|"
                     r"may|can|will|develop|experience|have|has|include|including|involve|involves|such as|and|or|"
                     r"but|begin to|start to|tend to|to|found inside|found in|leading to|resulting in|caused by|"
                     r"rarely|especially|typically|is|are|called|known as|with|cause|causes|a condition called),?\s+)+",
                     re.I)
# where the explaining words start inside a longer clause ("X is a disorder that involves <words>")
CLAUSE_CUT = re.compile(r"\s(?:that|which|who)\s(?:involves?|causes?|means|includes?)\s|"
                        r"\s(?:is|are|has|have|or)\s(?=\S+\s\S)")
LIST_END = re.compile(r",\s(?:and|or)\s[\w-]+$")  # "...brain, liver, and blood (X)": X names the list, not a phrase
MAX_PHRASE_WORDS = 10
EVERYDAY = {"inheritance", "medications", "deficiency", "cognition", "generalized", "mutations", "disorder"}
MODIFIERS = {"muscle", "nerve", "spasmodic", "basal", "dominant", "recessive", "essential", "optic", "postural"}
BAD_START = re.compile(r"^(which|or|and|other|such as|including|sometimes|most|e\.g|i\.e|see|when|these|those|this|"
                       r"it|for|in|on|at|by|as|from|no longer|\d)\b", re.I)
FUNCTION_WORDS = {"and", "or", "the", "a", "an", "of", "in", "to", "with", "for", "by", "as", "and/or", "is", "are",
                  "was", "were", "may", "can", "their", "this", "that", "these", "its", "some", "other", "such",
                  "most", "also", "called", "condition", "using", "include", "what", "it"}
MAX_EXPLANATION_WORDS = 16


@dataclass(frozen=True)
class Entry:
    term: str  # as the library writes it, lowercase ("myoclonus", "basal ganglia")
    explanation: str  # verbatim: the library's own plain words for it
    doc_id: str
    quote: str  # verbatim passage holding both: document.text[start:end]
    start: int
    end: int

    def public(self) -> dict:
        """The fields of the ``ask --json`` contract."""
        return {"term": self.term, "explanation": self.explanation, "doc_id": self.doc_id, "quote": self.quote}


class Glossary:
    def __init__(self, entries: list[Entry]):
        best: dict[str, Entry] = {}
        for entry in entries:  # the shortest explanation of a term is usually the plainest
            if entry.term not in best or len(entry.explanation) < len(best[entry.term].explanation):
                best[entry.term] = entry
        self.entries = best
        self._pattern = re.compile(r"\b(" + "|".join(re.escape(t) for t in sorted(best, key=len, reverse=True))
                                   + r")\b", re.I) if best else None

    @classmethod
    def mine(cls, documents: list[Document]) -> Glossary:
        return cls([entry for doc in documents for entry in mine_document(doc)])

    def for_text(self, text: str, skip: Collection[str] = frozenset()) -> list[Entry]:
        """Entries for the terms ``text`` uses, in order of first use, except those in
        ``skip`` (what the question is about needs no explaining in its own answer)."""
        if self._pattern is None:
            return []
        found = dict.fromkeys(m.group(1).lower() for m in self._pattern.finditer(text))
        return [self.entries[term] for term in found if term not in skip and term in self.entries]


def mine_document(doc: Document) -> list[Entry]:
    text = doc.text
    entries = []
    for match in PARENTHESIS.finditer(text):
        entry = _parenthesis_entry(doc, match)
        if entry:
            entries.append(entry)
    for match in WHICH.finditer(text):
        entry = _which_entry(doc, match)
        if entry:
            entries.append(entry)
    return entries


def _parenthesis_entry(doc: Document, match: re.Match) -> Entry | None:
    before, inside = match.group("before"), match.group("inside")
    phrase = _explaining_phrase(before)
    if _is_term(inside) and _explains(phrase, inside):
        term, explanation = inside, phrase  # "slurred speech (dysarthria)"
        start = match.start() + before.rindex(phrase)
        if not phrase:
            return None
    elif _is_term(_tail(before)) and _explains(inside, _tail(before)):
        term, explanation = _tail(before), inside  # "dysarthria (slurred or slow speech)"
        start = match.start() + len(before.rstrip()) - len(term)
    else:
        return None
    return Entry(term.lower(), explanation, doc.id, doc.text[start:match.end()], start, match.end())


def _which_entry(doc: Document, match: re.Match) -> Entry | None:
    term = _tail(match.group("before"))
    explanation = match.group("explanation").strip()
    if match.group("verb") in ("is", "are") and not NOUN_START.match(explanation):
        return None
    if not _is_term(term) or not _explains(explanation, term):
        return None
    start = match.start("before") + len(match.group("before").rstrip()) - len(term)
    return Entry(term.lower(), explanation, doc.id, doc.text[start:match.end()], start, match.end())


def _explaining_phrase(before: str) -> str:
    """The plain words right before a parenthesis: the last clause, without a leading
    subject or verb ("Some people experience involuntary tensing..." -> "involuntary tensing...")."""
    if LIST_END.search(before):
        return ""
    parts = [part.strip() for part in before.split(",")]
    phrase, i = parts[-1], len(parts) - 2
    while len(phrase.split()) < 3 and i >= 0:
        phrase, i = f"{parts[i]}, {phrase}", i - 1
    phrase = " ".join(CLAUSE_CUT.split(phrase)[-1].split()[-MAX_PHRASE_WORDS:])
    return LEADING.sub("", phrase).strip(" ,\"“”")


def _explains(explanation: str, term: str) -> bool:
    """Plain words that can stand as a definition of ``term``: 2-16 words, not starting
    mid-thought, not using the term itself, and plainer (fewer syllables a word)."""
    words = explanation.split()
    if not 2 <= len(words) <= MAX_EXPLANATION_WORDS or BAD_START.match(explanation):
        return False
    if term.lower() in explanation.lower():
        return False
    return _syllables_per_word(explanation) < _syllables_per_word(term)


def _tail(text: str) -> str:
    """The term right before a parenthesis or ", which": its last word, with up to two
    modifiers before it ("basal ganglia", "autosomal dominant pattern", "ataxia")."""
    words = text.strip(" ,").split()
    term = words[-1:] if words else []
    for word in reversed(words[:-1][-2:]):
        lower = word.lower()
        modifier = lower.endswith(("al", "ic", "ous", "ive", "ary", "ar", "ant", "ent")) or lower in MODIFIERS
        if not modifier or word.lower() in FUNCTION_WORDS or word[-1] in ",;" or not word[0].isalpha():
            break
        term.insert(0, word)
    return " ".join(term)


def _is_term(text: str) -> bool:
    """A word or short phrase that reads as a technical term: letters, 1-3 words, not a
    function word, and hard (a word of three syllables or more)."""
    words = text.strip().split()
    if not 1 <= len(words) <= 3 or words[0].lower() in FUNCTION_WORDS:
        return False
    if not all(re.fullmatch(r"[A-Za-z][A-Za-z'-]*", w) for w in words) or any(w.isupper() for w in words):
        return False
    if text.lower() in EVERYDAY:
        return False
    return any(syllables(w) >= 3 for w in words)


def _syllables_per_word(text: str) -> float:
    words = re.findall(r"[A-Za-z]+", text)
    return sum(map(syllables, words)) / len(words) if words else 0.0
