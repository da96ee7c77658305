"""The first stage of answering: turn the raw question into one ``Query`` record.

Everything later stages need to know about the question is worked out here, once: the
cleaned text (control characters, lone surrogates and invisible formatting removed), the
text with embedded instructions, markup and links cut out, what it is about (subject, from
the text or carried through a follow-up), what it asks (facet), the retrieval text with
the sources' names for everyday words, and its embeddings (one model call).

Text that tries to instruct the assistant ("ignore previous instructions") is cut before
anything looks at the question: nothing here or downstream follows instructions in text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.conversation import Context, Turn, context, is_continuation, resolve
from assistant.facets import FacetModels
from assistant.reply import AUDIENCES
from assistant.subjects import GENERAL, AskedSubject, Catalogue, SubjectInfo
from assistant.tuning import RoutingTuning
from assistant.vocabulary import Vocabulary
from indexer.embedding import Embedder

MAX_QUESTION_CHARS = 2000
MAX_HISTORY_TURNS = 10
_I = re.IGNORECASE
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.?!]{0,60}\b(instructions?|rules?|prompts?|guidelines?)\b[^.?!]*[.?!]?|"
    r"\byou are now\b[^.?!]*[.?!]?|\b(system prompt|developer mode|jailbreak|system override)\b[^.?!:]*[.?!:]?|"
    r"\b(safety )?(filters?|guardrails?|restrictions?) (are |is )?(now )?(disabled|off|removed)\b[^.?!]*[.?!]?|"
    r"\bpretend (to be|you are)\b[^.?!]*[.?!]?|\bas (my|your|a) (doctor|physician|neurologist)\b,?|"
    r"\b((also|and|then|please),? )?(end|finish|start|sign) (your|the) (answer|reply|response)s? (with|by)\b"
    r"[^.?!]*[.?!]?|"
    r"\b(also |and )?(add|include|append|insert) (the |this |a )?(line|link|text|sentence)\b[^.?!:]*[.?!:]?", _I)
MARKUP = re.compile(r"<(script|style)\b[^>]*>.*?</(script|style)\s*>|<[^>]{0,200}>|"
                    r"\[([^\]]{0,200})\]\((?:[^()]|\([^()]*\)){0,500}\)|(?:https?|javascript|vbscript|data):\S*|"
                    r"\b(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|info|io|biz|ru|xyz|co\.uk)\b\S*|"
                    r"\b[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,}/\S*", _I)
# SQL typed into the box ("'; DROP TABLE feedback; --"): nothing runs it, but its words would steer the search
SQL = re.compile(r"['\"`]?\s*;?\s*\b(?:(?:DROP|TRUNCATE|ALTER)\s+TABLE|DELETE\s+FROM|INSERT\s+INTO|"
                 r"UNION\s+(?:ALL\s+)?SELECT)\b[^;]*;?\s*(?:--)?|\s--\s|\bOR\s+1\s*=\s*1\b", _I)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
_INTERROGATIVE = re.compile(r"((and|or|but|also|so),? )?(what|how|why|when|where|which|who|is|are|does|do|did|"
                            r"can|could|should|would|will)\b", re.I)
GENERIC_LINK_TEXT = re.compile(r"^\s*(click here|here|link|this|read more|more|open|visit)\s*$", _I)


@dataclass(frozen=True)
class Query:
    text: str  # the question as shown back to the user: cleaned, on one line
    search_text: str  # without instructions, markup and links
    audience: str
    resolved: str  # the search text plus the conversation's topic, for a follow-up
    expanded: str  # plus the sources' names for the everyday words it uses (lexical search)
    subject: AskedSubject
    facet: str
    facet_scores: dict[str, float]
    followup: bool
    names_subject: bool  # it names, or keeps from the conversation, a library condition or treatment (in domain)
    foreign: bool  # it asks only about a condition the library mentions but is not about (Parkinson's disease)
    own_vector: np.ndarray  # embedding of the search text alone
    vector: np.ndarray  # retrieval and sentence similarity: the expanded text, and its asked sentence if it describes
    aspect_vector: np.ndarray  # embedding of what it asks beyond naming its subject ("...affect driving?")

    @property
    def together(self) -> tuple[str, str] | None:
        """Two treatments a cautions question asks about together ("when can I massage after
        botox?"): only a caution naming both answers it."""
        first, second = self.subject.treatment, self.subject.with_treatment
        return (first, second) if self.facet == "cautions" and first and second else None


class QueryPreparer:
    """Built once per process; ``prepare`` is the pipeline's first stage."""

    def __init__(self, embedder: Embedder, vocabulary: Vocabulary, catalogue: Catalogue, facets: FacetModels,
                 tuning: RoutingTuning):
        self.embedder, self.vocabulary, self.catalogue = embedder, vocabulary, catalogue
        self.facets, self.tuning = facets, tuning

    def prepare(self, question: str, history: Sequence, audience: str) -> Query:
        text = clean(question)
        search_text = without_instructions(text) or text
        before = context(normalize_history(history), self.vocabulary, self.catalogue)
        resolved, followup = resolve(search_text, before, self.vocabulary)
        named = self._with_sources_names(search_text)
        subject = self.catalogue.asked(named, before.subject if followup else None)
        expanded = self._expanded(resolved, subject)
        aspect = self.catalogue.masked(search_text)
        # the description in "violinist client, his hand is worse before concerts. is stress part of it?"
        # would outweigh what it asks in one embedding: search with the asked sentence as well
        asked = [_naming(sentence, subject)] if (sentence := asked_sentence(search_text)) else []
        texts = list(dict.fromkeys([search_text, aspect, expanded, *asked]))  # one model call, no text twice
        vectors = dict(zip(texts, self.embedder.embed(texts)))
        search_vector = _mean(vectors[expanded], *(vectors[a] for a in asked))
        facet, scores = self.facets.asked(vectors[search_text], vectors[aspect])
        if followup and is_continuation(search_text, self.vocabulary) and \
                scores[facet] < self.tuning.followup_facet_confidence:
            facet = self._facet_of(before.last_question)  # "and for kids?" asks the last question again
        mentioned = [self.catalogue.subjects[m.subject] for m in self.catalogue.find(named, typos=True)]
        names_subject = any(info.main_in or (info.listed_in and self._within_library(info)) for info in mentioned) \
            or subject.carried  # "what do doctors give for it?" after "client has hypertonia"
        foreign = bool(mentioned) and not names_subject and not self.vocabulary.topics(search_text) \
            and all(info.kind == "condition" and GENERAL not in self.catalogue.lineage(info.name) for info in mentioned)
        return Query(text, search_text, audience, resolved, expanded, subject, facet, scores, followup,
                     names_subject, foreign, vectors[search_text], search_vector, vectors[aspect])

    def _within_library(self, info: SubjectInfo) -> bool:
        """A treatment, or a form of dystonia (musician's dystonia), that some page covers without
        being its main subject; a condition only listed beside dystonia (Parkinson's disease) is not."""
        return info.kind == "treatment" or GENERAL in self.catalogue.lineage(info.name)

    def _with_sources_names(self, text: str) -> str:
        """``text``, plus the sources' names for its everyday words when it names no condition
        itself: "pianist client, her fingers curl under when she plays" is about musician's dystonia."""
        if any(m.kind == "condition" for m in self.catalogue.find(text, typos=True)):
            return text
        return " ".join([text, *self.vocabulary.sources_words(text)])

    def _facet_of(self, text: str) -> str:
        text = without_instructions(clean(text))
        aspect = self.catalogue.masked(text)
        full, masked = self.embedder.embed([text, aspect])
        return self.facets.asked(full, masked)[0]

    def _expanded(self, text: str, subject: AskedSubject) -> str:
        """``text`` plus synonyms, plus the catalogue name of a subject it named by an alias."""
        expanded = self.vocabulary.expand(text)
        names = [n for n in (subject.condition, subject.treatment)
                 if n and n != GENERAL and n.lower() not in expanded.lower()]
        return f"{expanded} {' '.join(names)}" if names and not subject.carried else expanded


def asked_sentence(text: str) -> str | None:
    """The one sentence that asks, in a question that also describes ("violinist client, his
    hand is worse the week before concerts. is stress part of it?"); None when all of the text
    is the question: one sentence, or several that each ask something."""
    parts = [p.strip() for p in _SENTENCE_END.split(text) if len(p.split()) >= 2]
    questions = [p for p in parts if p.endswith("?") or _INTERROGATIVE.match(p)]
    if len(parts) < 2 or len(questions) > 1:
        return None
    return questions[0] if questions else parts[-1]


def _naming(sentence: str, subject: AskedSubject) -> str:
    """The sentence with the subject's names it leaves to "it" or "that"."""
    names = [n for n in (subject.condition, subject.treatment) if n and n.lower() not in sentence.lower()]
    return " ".join([sentence, *names])


def _mean(*vectors: np.ndarray) -> np.ndarray:
    total = np.sum(vectors, axis=0)
    return total / np.linalg.norm(total)


def validate(question, audience: str = "patient") -> str | None:
    """A message for the user if the question cannot be answered as given, else None."""
    if audience not in AUDIENCES:
        return f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}"
    if not isinstance(question, str):
        return "the question must be text"
    if len(question) > MAX_QUESTION_CHARS:
        return (f"your question is {len(question):,} characters long; please keep it under "
                f"{MAX_QUESTION_CHARS:,} characters")
    if not clean(question):
        return "please type a question"
    return None


def clean(text: str) -> str:
    """Text without control or invisible formatting characters, on one line; a lone UTF-16
    surrogate (valid JSON, not valid text) becomes the replacement character."""
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", _SURROGATE.sub("\ufffd", text)))
    return re.sub(r"\s+", " ", text).strip()


def without_instructions(text: str) -> str:
    """The question with embedded instructions to the assistant, markup and links cut out.

    We follow no instructions and render no markup anyway; removing them keeps them from
    steering retrieval and routing. Link text is kept, its target dropped.
    """
    cleaned = MARKUP.sub(lambda m: f" {m.group(3)} " if m.group(3) and not GENERIC_LINK_TEXT.match(m.group(3))
                         else " ", text)
    cleaned = SQL.sub(" ", INSTRUCTION.sub(" ", cleaned.replace("<", " ").replace(">", " ")))
    return re.sub(r"\s+", " ", cleaned).strip()


def normalize_history(history: Sequence) -> list[Turn]:
    """The last turns of a conversation as ``Turn`` records; malformed entries are dropped."""
    turns = []
    for entry in list(history or [])[-MAX_HISTORY_TURNS:]:
        role, content = (entry.role, entry.content) if isinstance(entry, Turn) else \
            (entry.get("role"), entry.get("content")) if isinstance(entry, dict) else (None, None)
        if role in ("user", "assistant") and isinstance(content, str) and clean(content):
            turns.append(Turn(role, clean(content)[:MAX_QUESTION_CHARS]))
    return turns


__all__ = ["MAX_QUESTION_CHARS", "Context", "Query", "QueryPreparer", "asked_sentence", "clean", "normalize_history",
           "validate", "without_instructions"]
