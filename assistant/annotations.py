"""What the assistant knows about every sentence of the library, worked out once at start-up.

For each sentence row of the index: its text as shown (a leading "However," trimmed), what
condition it is about (``Catalogue.sentence_condition``), what it answers (the sentence
facet model) and what its section heading asks (the question facet model applied to the
heading, which on NIH pages is the question the section answers), whether it opens its
section, whether it leans on the sentence before ("This condition..."), whether it can
stand alone at all, its search terms and its reading grade. Scoring a candidate sentence
for a question then costs a few lookups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.facets import FacetModels
from assistant.readability import flesch_kincaid_grade
from assistant.subjects import Catalogue
from common.text import terms
from indexer.embedding import Embedder
from indexer.store import Index

CONNECTIVE = re.compile(
    r"^(However|Additionally|Moreover|Furthermore|In addition|Also|So|Therefore|Thus|In conclusion|"
    r"Unfortunately|Generally speaking|Currently|For example|For instance|Instead|Similarly|Overall),\s+")
ANAPHORIC_START = re.compile(
    r"^(It|Its|It's|This|These|They|Their|Them|He|She|His|Her|Such|That|Those|Both|The latter|The former|"
    r"The (disorder|condition|disease|syndrome|procedure|treatment|drug|medication|symptoms?|movements?|"
    r"abnormal movements|dystonia|episodes?|tremor))\b")
# "Sometimes they are painful.": a pronoun right after an opening adverb leans on what came before too
ANAPHORIC_SECOND = re.compile(r"^(Sometimes|Often|Usually|Also|Occasionally|Rarely|Typically|Still|Then|Now|"
                              r"Generally|Most often|In most cases|In some cases),?\s+"
                              r"(they|it|these|this|he|she|their|its)\b")
# "Others have it because...", "In some of these families...", "Most of them...": a quantity or
# a place that points back at people or things the sentence before named
ANAPHORIC_PHRASE = re.compile(
    r"^(Others|The others|The rest)\b|"
    r"^((In|For|Of|Among|With|Like|Unlike|Despite|Because of|In addition to)\s+)?"
    r"((some|many|most|all|one|each|both|none|half|several|few|either|neither|any) of\s+)?"
    r"(these|those|them|such)\b", re.I)
# "(For example, ...)", "Writer's cramp is one good example.": an aside or example of the sentence before
ASIDE = re.compile(r"^\(|^[^.]{0,60}\b(is|are) (one|another|one good|a good) examples?\.?$")
# "Other symptoms may include...", "Another form of DRD...", "For other individuals...", "Musicians,
# too, ...": the second of something; it reads well after others, but cannot open an answer
SECOND_OF = re.compile(r"^(Another|Other|The other)\b|^(In|For|Among|With|Unlike|Like) (an)?other\b|"
                       r"^[A-Z][\w'’ -]{0,40}, too,")
DUMMY_IT = re.compile(r"^It (is|was|has been|may be|can be) (generally|widely|often|also|not|important|essential|"
                      r"possible|thought|believed|estimated|unclear|likely|unlikely|recommended|known)\b")
RESOLVABLE_START = re.compile(r"^(This condition|The condition|This disorder|The disorder|This disease|"
                              r"The disease|This syndrome|The syndrome|This form of dystonia)\b")
MAX_ANTECEDENTS = 2  # a leaning sentence is shown with at most this many sentences before it
LEAD_IN = re.compile(r"\b(the following|listed below|as follows|below are|see also|click here|"
                     r"click on (the|this) link|learn more about this study)\b", re.I)
# "Doctors use it to treat health problems, including" (a list follows): not a sentence
CUT_OFF = re.compile(r"\b(including|include|includes|such as|like|and|or|of|the|a|to|with|are|is)$", re.I)
LINK_ITEM = re.compile(r"^[A-Z][\w .,'&()/-]{2,70}: [A-Z][^.]*$")
FIRST_PERSON = re.compile(r"\bI\b|\bI'(m|ve|d)\b")
QUOTED_READER = re.compile(r"^(Question|Q|Reader question)\s*:", re.I)


@dataclass(frozen=True)
class SentenceInfo:
    row: int
    doc_row: int
    start: int
    end: int
    text: str  # verbatim: document.text[start:end]
    shown: str  # as shown in an answer: a leading connective ("However,") trimmed
    section: tuple[str, ...]
    condition: str | None
    condition_named: bool  # the sentence names its condition in its opening words (else its document's)
    section_start: bool
    anaphoric: bool
    second_of: bool  # "Other symptoms...", "Another form...": may follow others, never open an answer
    stands_alone: bool
    words: int
    terms: frozenset[str]
    named: frozenset[str]  # subjects the sentence names anywhere


class Annotations:
    def __init__(self, index: Index, catalogue: Catalogue, facets: FacetModels, embedder: Embedder):
        self.index = index
        self.rows: list[SentenceInfo] = [self._info(row, catalogue) for row in range(len(index.sentences))]
        self.facet_labels = facets.sentence.labels
        self.heading_labels = facets.question.labels
        alone = np.asarray(index.sentence_alone_vectors, np.float32)
        empty = not self.rows
        # what each sentence itself answers (its own vector, not its passage's): the sentence
        # model, and the question model read on the sentence, which knows the facets MedQuAD's
        # answers cannot teach (side effects, massage, cautions) from our dev questions
        self.sentence_facets = np.zeros((0, len(self.facet_labels)), np.float32) if empty else \
            facets.sentence.probabilities(alone)
        self.asked_like = np.zeros((0, len(self.heading_labels)), np.float32) if empty else \
            facets.question.probabilities(alone)
        self.heading_facets = self._heading_facets(facets, embedder)
        self._grades: dict[int, float] = {}
        self._antecedents = {info.row: self._find_antecedents(info.row) for info in self.rows if info.anaphoric}
        self._resolvable = {info.row for info in self.rows if self._knows_referent(info, catalogue)}
        self.rows_using: dict[str, list[int]] = {}  # search term -> sentences that use it
        for info in self.rows:
            for term in info.terms:
                self.rows_using.setdefault(term, []).append(info.row)

    def __getitem__(self, row: int) -> SentenceInfo:
        return self.rows[row]

    def grade(self, row: int) -> float:
        """Flesch–Kincaid grade of the sentence (computed on first use, then kept)."""
        if row not in self._grades:
            self._grades[row] = flesch_kincaid_grade(self.rows[row].shown) or 0.0
        return self._grades[row]

    def _info(self, row: int, catalogue: Catalogue) -> SentenceInfo:
        doc_row, start, end = (int(x) for x in self.index.sentences[row])
        doc = self.index.documents[doc_row]
        text = doc.text[start:end]
        trimmed = CONNECTIVE.sub("", text)
        shown = trimmed[:1].upper() + trimmed[1:] if trimmed != text else text
        section = _section_of(self.index, doc_row, start)
        previous = row - 1 >= 0 and int(self.index.sentences[row - 1][0]) == doc_row and \
            _section_of(self.index, doc_row, int(self.index.sentences[row - 1][1])) == section
        condition = catalogue.sentence_condition(doc.id, text)
        return SentenceInfo(row, doc_row, start, end, text, shown, section, condition,
                            condition is not None and catalogue.names_in_opening(text, condition), not previous,
                            is_anaphoric(shown), SECOND_OF.match(shown) is not None,
                            _stands_alone(shown) and not _in_quoted_question(doc.text, start)
                            and not _list_fragment(doc.text, start, shown), len(shown.split()),
                            frozenset(terms(text)), frozenset(m.subject for m in catalogue.find(text)))

    def before(self, row: int) -> tuple[int, ...] | None:
        """The sentences a leaning sentence needs before it to be understood ("Dystonia is... These
        contractions... Sometimes they are painful."): () for one that can be read on its own;
        None when what it leans on cannot be shown (another paragraph, or too far back). An
        opening "This condition..." whose referent is known (``referent_known``) needs nothing
        when a label names that referent instead."""
        if not self.rows[row].anaphoric:
            return ()
        return self._antecedents[row]

    def _knows_referent(self, info: SentenceInfo, catalogue: Catalogue) -> bool:
        """An opening "This condition..." (or "The disorder", "This form of dystonia") whose
        referent is certain: its section heading names it (on NIH pages the heading is the
        question the section answers: "Is myoclonus-dystonia inherited?"), or its page is
        about that one condition and no other."""
        if not (info.anaphoric and RESOLVABLE_START.match(info.shown) and info.condition):
            return False
        conditions = [s.name for s in self.index.documents[info.doc_row].subjects if s.kind == "condition"]
        heading = info.section[-1] if info.section else ""
        return conditions == [info.condition] or any(m.subject == info.condition for m in catalogue.find(heading))

    def referent_known(self, row: int) -> bool:
        return row in self._resolvable

    def _find_antecedents(self, row: int) -> tuple[int, ...] | None:
        chain: list[int] = []
        current = self.rows[row]
        for _ in range(MAX_ANTECEDENTS):
            if current.row == 0 or current.section_start:
                return None
            before = self.rows[current.row - 1]
            between = self.index.documents[current.doc_row].text[before.end:current.start]
            if before.doc_row != current.doc_row or between.strip() or "\n\n" in between:
                return None  # not in the same paragraph: what it leans on is not the sentence before
            chain.insert(0, before.row)
            if not before.anaphoric:
                return tuple(chain) if before.stands_alone or len(before.shown.split()) >= 4 else None
            current = before
        return None

    def heading_facet(self, row: int) -> str | None:
        """What the sentence's section heading asks, if it has a heading."""
        if not self.rows[row].section:
            return None
        return self.heading_labels[int(self.heading_facets[row].argmax())]

    def heading_vector(self, row: int) -> np.ndarray | None:
        """The embedding of the sentence's section heading (None without a heading)."""
        section = self.rows[row].section
        return self._heading_vectors.get(section[-1]) if section else None

    def _heading_facets(self, facets: FacetModels, embedder: Embedder) -> np.ndarray:
        """Per sentence, what its section heading asks (facet probabilities of the heading read
        as a question); uniform where a sentence has no heading. Keeps the heading vectors."""
        headings = sorted({info.section[-1] for info in self.rows if info.section})
        labels = facets.question.labels
        vectors = embedder.embed(headings) if headings else np.zeros((0, embedder.dimension), np.float32)
        self._heading_vectors = dict(zip(headings, vectors))
        by_heading = dict(zip(headings, facets.question.probabilities(vectors))) if headings else {}
        uniform = np.full(len(labels), 1 / len(labels), np.float32)
        table = np.vstack([by_heading.get(info.section[-1], uniform) if info.section else uniform
                           for info in self.rows]) if self.rows else np.zeros((0, len(labels)), np.float32)
        return np.asarray(table, np.float32)


def _section_of(index: Index, doc_row: int, start: int) -> tuple[str, ...]:
    for chunk in index.chunks_by_doc[doc_row]:
        if chunk.start <= start < chunk.end:
            return chunk.section
    return ()


def _stands_alone(text: str) -> bool:
    stripped = text.strip()
    return (len(stripped.split()) >= 4 and not stripped.endswith((":", "?")) and not LEAD_IN.search(stripped)
            and not LINK_ITEM.match(stripped) and not FIRST_PERSON.search(stripped) and not CUT_OFF.search(stripped))


def is_anaphoric(text: str) -> bool:
    """Does the sentence open by leaning on one before it ("These contractions...", "Sometimes
    they...", "(For example, ...)")? A dummy "It is important that..." does not."""
    leans = ANAPHORIC_START.match(text) or ANAPHORIC_SECOND.match(text) or ANAPHORIC_PHRASE.match(text) \
        or ASIDE.search(text)
    return bool(leans) and not DUMMY_IT.match(text)


def _list_fragment(text: str, start: int, shown: str) -> bool:
    """A list item that is not a sentence ("Blepharospasm - uncontrollable blinking"): read
    alone, out of its list, it says nothing clear."""
    line_start = text.rfind("\n", 0, start) + 1
    marker = text[line_start:start].strip()
    is_item = marker in ("-", "*", "•") or re.fullmatch(r"\d{1,3}[.)]", marker) is not None
    return is_item and (len(shown.split()) < 6 or not shown.rstrip().endswith((".", "!", "?")))


def _in_quoted_question(text: str, start: int) -> bool:
    """Part of a reader's question a source quotes ("Question: I have a client..."), not its answer."""
    blank_line = text.rfind("\n\n", 0, start)
    paragraph_start = blank_line + 2 if blank_line >= 0 else 0
    return QUOTED_READER.match(text[paragraph_start:start + 20]) is not None
