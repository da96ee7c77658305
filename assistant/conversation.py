"""Conversation turns, and what a follow-up carries over from them.

A follow-up such as "is it painful?" names nothing; it is about what the conversation has
been about. ``Context`` walks the user's earlier turns and keeps the subject they were
about (condition and treatment) and what the last one asked (its facet), so the follow-up
keeps the subject and changes only the facet. No language model is involved: a turn is a
follow-up if it opens as a continuation ("and for kids?", "what about surgery?"), refers
back ("it", "that"), or names no dystonia topic of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.subjects import GENERAL, AskedSubject, Catalogue
from assistant.vocabulary import Vocabulary

ROLES = ("user", "assistant")
QUESTION_WORDS = {
    "what", "whats", "how", "why", "when", "where", "which", "who", "whom", "whose", "is", "are", "was",
    "were", "do", "does", "did", "can", "could", "should", "would", "will", "may", "might", "a", "an",
    "the", "of", "to", "in", "on", "for", "with", "about", "and", "or", "me", "my", "i", "you", "your",
    "tell", "please", "explain", "know", "there", "any", "some", "be", "it", "its", "this", "that",
    "get", "have", "has", "had", "help", "much", "many", "really", "also", "so", "but", "if", "then",
}


@dataclass(frozen=True)
class Turn:
    role: str
    content: str


@dataclass(frozen=True)
class Context:
    """What the conversation before a question was about."""

    subject: AskedSubject | None = None  # None: no earlier question
    topic: str = ""  # the words that named it, added to a follow-up's retrieval query
    last_question: str = ""  # the user's last turn (what it asked is worked out only if needed)


def is_continuation(question: str, vocabulary: Vocabulary) -> bool:
    """Opens as a continuation of the last question ("and for kids?", "what about surgery?")."""
    lowered = question.lower().strip() + " "
    return any(lowered.startswith(opener) for opener in vocabulary.continuations)


def is_followup(question: str, vocabulary: Vocabulary) -> bool:
    lowered = f" {question.lower().strip()} "
    words = set(re.findall(r"[a-z']+", lowered))
    if any(lowered.lstrip().startswith(opener) for opener in vocabulary.continuations):
        return True
    if words & vocabulary.anaphora:
        return True
    return not vocabulary.topics(question) and len(words - QUESTION_WORDS) <= 3


def _content_words(text: str) -> str:
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text) if w.lower() not in QUESTION_WORDS]
    return " ".join(words)


def context(history: list[Turn], vocabulary: Vocabulary, catalogue: Catalogue) -> Context:
    """The subject, topic words and last question of the user's turns in ``history``."""
    current = Context()
    for turn in (t for t in history if t.role == "user"):
        followup = current.subject is not None and is_followup(turn.content, vocabulary)
        subject = catalogue.asked(turn.content, current.subject if followup else None)
        own = " ".join(vocabulary.topics(turn.content))
        topic = " ".join(dict.fromkeys(f"{own} {current.topic}".split())) if followup else \
            own or _content_words(turn.content)
        current = Context(subject, topic, turn.content)
    return current


def resolve(question: str, before: Context, vocabulary: Vocabulary) -> tuple[str, bool]:
    """The retrieval text for ``question`` (with the conversation's topic added if it is a
    follow-up) and whether it is one."""
    if before.subject is None or not is_followup(question, vocabulary):
        return question, False
    named = before.subject.label if before.subject.label != GENERAL else ""
    topic = " ".join(dict.fromkeys(f"{before.topic} {named}".split()))
    return (f"{question} ({topic})" if topic else question), True
