"""Conversation turns and follow-up resolution.

A follow-up such as "how is it treated?" names nothing; the retrieval query must say what
"it" is. We look for the most recent earlier user question that names a dystonia topic and
add its topic words to the follow-up. No language model is involved: follow-ups are
recognised by pronouns ("it", "that"), continuation openers ("what about ...") or by having
no topic of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def conversation_topic(history: list[Turn], vocabulary: Vocabulary) -> str:
    """What the user has been asking about: the topic carried forward through follow-ups."""
    topic = ""
    for turn in history:
        if turn.role != "user":
            continue
        own = " ".join(vocabulary.topics(turn.content))
        if is_followup(turn.content, vocabulary):
            topic = " ".join(dict.fromkeys(f"{own} {topic}".split()))
        else:
            topic = own or _content_words(turn.content)
    return topic


def resolve_followup(question: str, history: list[Turn], vocabulary: Vocabulary) -> tuple[str, str]:
    """The retrieval query for ``question`` given the conversation so far, and the topic it
    carried over from earlier turns ("" when the question stands on its own)."""
    if not history or not is_followup(question, vocabulary):
        return question, ""
    topic = conversation_topic(history, vocabulary)
    return (f"{question} ({topic})", topic) if topic else (question, "")
