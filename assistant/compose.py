"""Compose a short answer from the sources' own sentences, with a citation for each.

No language model: the answer is made of sentences taken verbatim from retrieved passages
(at most a leading connective such as "However," is trimmed, which does not change their
meaning). Nothing is added but fixed framing text chosen by the pipeline.

How sentences are chosen:
- candidates are the sentences of the retrieved chunks, minus ones that cannot stand alone
  (list lead-ins ending in ':', questions, link lists, first-person anecdotes);
- each is scored by similarity to the question (its passage-aware vector from the index),
  by the share of the question's rarer words it contains, and by its chunk's rank;
- the best are taken until the answer reaches its target length; a sentence saying the same
  thing as one already taken (from another source) adds its citation instead of repeating;
- they are ordered by source, then by position in the source, so each source's sentences
  read in their original order.

A citation covers a run of consecutive sentences of one document; its quote is exactly
``document.text[start:end]`` for that run, so it can be located and highlighted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant.conversation import QUESTION_WORDS
from assistant.reply import AUDIENCE_TABLE, Citation
from assistant.retrieval import Hit
from assistant.tuning import ComposeTuning
from common.text import stem, terms
from indexer.store import Index

CONNECTIVE = re.compile(
    r"^(However|Additionally|Moreover|Furthermore|In addition|Also|So|Therefore|Thus|In conclusion|"
    r"Unfortunately|Generally speaking|Currently|For example|For instance|Instead|Similarly|Overall),\s+")
ANAPHORIC_START = re.compile(r"^(It|Its|This|These|They|Their|He|She|Such|That|Those|Both|The latter)\b")
LEAD_IN = re.compile(r"\b(the following|listed below|as follows|below are|see also|click here)\b", re.I)
LINK_ITEM = re.compile(r"^[A-Z][\w .,'&()/-]{2,70}: [A-Z][^.]*$")
FIRST_PERSON = re.compile(r"\bI\b|\bI'(m|ve|d)\b")
CAUTION = re.compile(
    r"\b(may|can|could|might) (make|worsen|aggravate|exacerbate|trigger)\b|\bworse\b|\bavoid\w*|contraindicat|"
    r"\bcaution|\bshould not\b|\bmust not\b|not (be )?(suitable|appropriate)|not always appropriate|"
    r"inappropriate|\bimportant (that|to)\b|\bseek\b|\brefer(ral|red)?\b|detrimental|guidance from an expert|"
    r"\baggravate|\bdiscuss with\b", re.I)
GENERIC_STEMS = {stem(w) for w in QUESTION_WORDS} | {stem(w) for w in ("dystonia", "dystonias")}
DEFINITION_QUESTION = re.compile(r"^\s*(what|whats|what's)\s+(is|are)\b|\bmeaning\b|\bwhat does .{1,40} mean\b|"
                                 r"\bdefin", re.I)
DEFINITION = re.compile(r"^(?P<subject>([\w'’-]+\s+){0,6}?)(is|are)\s+(a|an|the|one|any|movement|neurological|"
                        r"characteri[sz]ed)\b", re.I)
TARGET = re.compile(r"\b(?:what|whats|what's)\s+(?:is|are)\s+(?:a |an |the )?(?P<target>[^?.,;]{2,60})", re.I)
QUOTED_READER = re.compile(r"^(Question|Q|Reader question)\s*:", re.I)


@dataclass
class Sentence:
    row: int
    doc_row: int
    start: int
    end: int
    text: str
    hit_rank: int
    similarity: float = 0.0
    score: float = 0.0
    also: list[Sentence] = field(default_factory=list)  # same fact in other sources

    @property
    def shown(self) -> str:
        trimmed = CONNECTIVE.sub("", self.text)
        return trimmed[:1].upper() + trimmed[1:] if trimmed != self.text else self.text

    @property
    def words(self) -> int:
        return len(self.shown.split())


@dataclass(frozen=True)
class Composition:
    text: str
    citations: tuple[Citation, ...]


class Composer:
    def __init__(self, index: Index, tuning: ComposeTuning):
        self.index, self.tuning = index, tuning

    def candidates(self, query: str, vector: np.ndarray, hits: list[Hit], topic: str = "") -> list[Sentence]:
        """Scored stand-alone sentences of the hits, best first."""
        weights = self._term_weights(query)
        on_topic = self._on_topic_documents(topic, hits)
        definition = _definition_target(query) if DEFINITION_QUESTION.search(query) else None
        seen, pool = set(), []
        for rank, hit in enumerate(hits):
            for row in range(hit.chunk.first_sentence, hit.chunk.last_sentence + 1):
                if row in seen:
                    continue
                seen.add(row)
                sentence = self._sentence(row, rank)
                if _stands_alone(sentence.text) and not self._in_quoted_question(sentence):
                    scored = self._scored(sentence, vector, weights, definition)
                    scored.score += self.tuning.on_topic * (sentence.doc_row in on_topic)
                    pool.append(scored)
        return sorted(pool, key=lambda s: (-s.score, s.row))

    def best_similarity(self, vector: np.ndarray, hits: list[Hit]) -> float:
        rows = [r for h in hits for r in range(h.chunk.first_sentence, h.chunk.last_sentence + 1)]
        return float((self.index.sentence_vectors[rows] @ vector).max()) if rows else 0.0

    def compose(self, query: str, vector: np.ndarray, hits: list[Hit], *, audience: str = "patient",
                lead: str = "", topic: str = "") -> Composition:
        """``topic``: what earlier turns were about, for a follow-up; its sources are preferred."""
        pool = self.candidates(query, vector, hits, topic)
        heading = AUDIENCE_TABLE[audience].caution_heading
        cautions = self._pick_cautions(pool) if heading else []
        taken = {c.row for c in cautions}
        main = self._select([s for s in pool if s.row not in taken])
        citations: list[Citation] = []
        body = self._render(self._ordered(main), citations)
        if cautions:
            items = [self._render([c], citations) for c in self._ordered(cautions)]
            body += f"\n\n{heading}\n" + "\n".join(f"- {item}" for item in items)
        text = f"{lead}\n\n{body}".strip() if body else lead
        return Composition(text, tuple(citations))

    def _term_weights(self, query: str) -> dict[str, float]:
        wanted = [t for t in dict.fromkeys(terms(query)) if t not in GENERIC_STEMS]
        return {t: self.index.lexical.idf(t) for t in wanted}

    def _sentence(self, row: int, rank: int) -> Sentence:
        doc_row, start, end = (int(x) for x in self.index.sentences[row])
        return Sentence(row, doc_row, start, end, self.index.documents[doc_row].text[start:end], rank)

    def _on_topic_documents(self, topic: str, hits: list[Hit]) -> set[int]:
        """Documents among the hits whose title or section names every word of the topic."""
        wanted = set(terms(topic)) - GENERIC_STEMS
        if not wanted:
            return set()
        rows = set()
        for hit in hits:
            doc_row = self.index.doc_row[hit.chunk.doc_id]
            heading = self.index.documents[doc_row].title + " " + " ".join(hit.chunk.section)
            if wanted <= set(terms(heading)):
                rows.add(doc_row)
        return rows

    def _in_quoted_question(self, sentence: Sentence) -> bool:
        """Part of a reader's question a source quotes ("Question: I have a client..."), not its answer."""
        text = self.index.documents[sentence.doc_row].text
        blank_line = text.rfind("\n\n", 0, sentence.start)
        paragraph_start = blank_line + 2 if blank_line >= 0 else 0
        return QUOTED_READER.match(text[paragraph_start:sentence.start + 20]) is not None

    def _scored(self, sentence: Sentence, vector: np.ndarray, weights: dict[str, float],
                definition: tuple[str, ...] | None = None) -> Sentence:
        sentence.similarity = float(self.index.sentence_vectors[sentence.row] @ vector)
        total = sum(weights.values())
        present = set(terms(sentence.text))
        overlap = sum(w for t, w in weights.items() if t in present) / total if total else 0.0
        t = self.tuning
        penalty = t.anaphora_penalty * bool(ANAPHORIC_START.match(sentence.shown)) + \
            t.long_penalty * (sentence.words > t.long_sentence_words)
        bonus = self._definition_bonus(sentence.shown, definition) if definition is not None else 0.0
        sentence.score = t.similarity * sentence.similarity + t.overlap * overlap + t.rank / (1 + sentence.hit_rank) \
            + bonus - penalty
        return sentence

    def _select(self, pool: list[Sentence]) -> list[Sentence]:
        if not pool:
            return []
        chosen: list[Sentence] = []
        handled: set[int] = set()  # rows chosen, or merged into a chosen sentence as a second source
        t = self.tuning
        for floor in (pool[0].score - margin for margin in t.floors):
            for sentence in pool:
                if sentence.score < floor or sentence.row in handled:
                    continue
                handled.add(sentence.row)
                if _covered(sentence, chosen, t.same_fact_overlap):
                    continue
                if sum(s.words for s in chosen) + sentence.words > t.max_words and chosen:
                    continue
                chosen.append(sentence)
                follower = self._continuation(sentence, pool, handled)
                if follower and sum(s.words for s in chosen) + follower.words <= t.max_words:
                    chosen.append(follower)
                    handled.add(follower.row)
                if sum(s.words for s in chosen) >= t.target_words:
                    return chosen
            if sum(s.words for s in chosen) >= t.min_words:
                break
        return chosen

    def _continuation(self, sentence: Sentence, pool: list[Sentence], handled: set[int]) -> Sentence | None:
        """The next sentence of the same paragraph if it leans on this one ("These contractions ...")."""
        follower = next((s for s in pool if s.row == sentence.row + 1 and s.doc_row == sentence.doc_row), None)
        if follower is None or follower.row in handled or not ANAPHORIC_START.match(follower.text):
            return None
        gap = self.index.documents[sentence.doc_row].text[sentence.end:follower.start]
        return follower if "\n" not in gap and follower.score >= sentence.score - self.tuning.continuation_margin \
            else None

    def _ordered(self, sentences: list[Sentence]) -> list[Sentence]:
        """By source (best-scoring source first), then in each source's own order."""
        doc_order: dict[int, int] = {}
        for s in sorted(sentences, key=lambda s: -s.score):
            doc_order.setdefault(s.doc_row, len(doc_order))
        return sorted(sentences, key=lambda s: (doc_order[s.doc_row], s.start))

    def _render(self, sentences: list[Sentence], citations: list[Citation]) -> str:
        parts, run = [], []
        for i, sentence in enumerate(sentences):
            run.append(sentence)
            following = sentences[i + 1] if i + 1 < len(sentences) else None
            if following is None or sentence.also or not self._adjacent(sentence, following):
                markers = [self._cite(run[0].doc_row, run[0].start, run[-1].end, citations)]
                markers += [self._cite(o.doc_row, o.start, o.end, citations) for o in sentence.also]
                text = " ".join(s.shown for s in run)
                parts.append(text + " " + "".join(f"[{n}]" for n in dict.fromkeys(markers)))
                run = []
        return " ".join(parts)

    def _adjacent(self, a: Sentence, b: Sentence) -> bool:
        if a.doc_row != b.doc_row or b.row != a.row + 1:
            return False
        return not self.index.documents[a.doc_row].text[a.end:b.start].strip()

    def _definition_bonus(self, text: str, target: tuple[str, ...]) -> float:
        """Reward a sentence that defines something; most if it defines exactly what was asked."""
        match = DEFINITION.match(text)
        if not match:
            return 0.0
        subject = tuple(terms(match.group("subject")))
        return self.tuning.exact_definition if target and subject == target else self.tuning.any_definition

    def _pick_cautions(self, pool: list[Sentence]) -> list[Sentence]:
        t = self.tuning
        cautions = [s for s in pool if CAUTION.search(s.text) and s.similarity >= t.caution_similarity
                    and not ANAPHORIC_START.match(s.shown)]  # a caution must make sense on its own
        picked: list[Sentence] = []
        for sentence in cautions:
            if not _covered(sentence, picked, t.same_fact_overlap):
                picked.append(sentence)
            if len(picked) == t.max_cautions:
                break
        return picked

    def _cite(self, doc_row: int, start: int, end: int, citations: list[Citation]) -> int:
        doc = self.index.documents[doc_row]
        for citation in citations:
            if citation.doc_id == doc.id and citation.start == start and citation.end == end:
                return citation.n
        section = _section_of(self.index, doc_row, start)
        citations.append(Citation(len(citations) + 1, doc.id, doc.title, doc.publisher, doc.url,
                                  doc.text[start:end], start, end, section, doc.published, doc.reviewed_on,
                                  doc.license))
        return citations[-1].n


def _definition_target(query: str) -> tuple[str, ...]:
    """Stems of what a "what is X?" question asks about (empty if it cannot tell)."""
    match = TARGET.search(query)
    return tuple(terms(match.group("target"))) if match else ()


def _stands_alone(text: str) -> bool:
    stripped = text.strip()
    return (len(stripped.split()) >= 4 and not stripped.endswith((":", "?")) and not LEAD_IN.search(stripped)
            and not LINK_ITEM.match(stripped) and not FIRST_PERSON.search(stripped))


def _covered(candidate: Sentence, chosen: list[Sentence], same_fact: float) -> bool:
    """True if ``candidate`` repeats a chosen sentence; a repeat from another source is
    recorded on that sentence so its citation is shown too."""
    mine = set(terms(candidate.text))
    for sentence in chosen:
        theirs = set(terms(sentence.text))
        overlap = len(mine & theirs) / max(1, len(mine | theirs))
        if overlap >= same_fact:
            if sentence.doc_row != candidate.doc_row and len(sentence.also) < 2:
                sentence.also.append(candidate)
            return True
    return False


def _section_of(index: Index, doc_row: int, start: int) -> tuple[str, ...]:
    for chunk in index.chunks_by_doc[doc_row]:
        if chunk.start <= start < chunk.end:
            return chunk.section
    return ()
