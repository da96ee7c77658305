"""Per-browser conversations, kept in server memory only, keyed by Gradio's session id.

A session holds what the chat needs between events: the turns shown (each question, the
reply to it, and whether it was rated). Memory is bounded three ways, so neither a long
conversation nor a flood of new sessions can grow it without limit: idle sessions expire
after ``ttl_seconds``; at most ``max_sessions`` are kept (the one idle longest is dropped
first); each keeps only its last ``max_turns`` turns. A browser that goes away drops its
own (``Chat.forget``).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from assistant.reply import Reply
from chat.settings import DEFAULT_MAX_SESSIONS, DEFAULT_MAX_TURNS, DEFAULT_TTL_SECONDS


@dataclass(eq=False)
class Turn:
    """One question and what the chat showed for it.

    ``reply`` is set only for a real answer (not a refusal, an error or an invalid question):
    only those can be rated, followed up or downloaded. ``feedback_row`` is the stored rating
    of this answer, if the user rated it (one per answer; a new rating replaces it).
    """

    question_html: str | None
    answer_html: str
    reply: Reply | None = None
    feedback_row: int | None = None

    def messages(self) -> list[dict]:
        shown = [] if self.question_html is None else [{"role": "user", "content": self.question_html}]
        return [*shown, {"role": "assistant", "content": self.answer_html}]


@dataclass
class Session:
    turns: list[Turn] = field(default_factory=list)
    last_rated: Turn | None = None
    seen: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def messages(self) -> list[dict]:
        """The conversation as the chat window shows it (the browser's like index counts these)."""
        return [message for turn in self.turns for message in turn.messages()]

    def answer_at(self, message_index: int) -> Turn | None:
        """The turn whose answer is message ``message_index`` of ``messages()``; None if that
        message is a question or does not exist."""
        position = 0
        for turn in self.turns:
            position += 0 if turn.question_html is None else 1
            if position == message_index:
                return turn
            position += 1
        return None

    def answers(self) -> list[Turn]:
        """Turns with a real answer, oldest first."""
        return [turn for turn in self.turns if turn.reply is not None]

    def add(self, turn: Turn, max_turns: int) -> None:
        self.turns.append(turn)
        del self.turns[:-max_turns]
        if self.last_rated is not None and self.last_rated not in self.turns:
            self.last_rated = None


class Sessions:
    """Conversations of the browsers currently connected, bounded in time, number and length."""

    def __init__(self, ttl_seconds: float = DEFAULT_TTL_SECONDS, max_sessions: int = DEFAULT_MAX_SESSIONS,
                 max_turns: int = DEFAULT_MAX_TURNS, clock=time.monotonic):
        self.ttl, self.max_sessions, self.max_turns, self.clock = ttl_seconds, max_sessions, max_turns, clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    def get(self, key: str) -> Session:
        """The session ``key`` (a new one if unknown or expired), marked as just used."""
        now = self.clock()
        with self._lock:
            while self._sessions and now - next(iter(self._sessions.values())).seen > self.ttl:
                self._sessions.popitem(last=False)
            session = self._sessions.get(key)
            if session is None:
                session = self._sessions[key] = Session()
                while len(self._sessions) > self.max_sessions:
                    self._sessions.popitem(last=False)
            self._sessions.move_to_end(key)
            session.seen = now
            return session

    def find(self, key: str) -> Session | None:
        """The session ``key`` if it exists and has not expired (marked as just used); never creates one."""
        now = self.clock()
        with self._lock:
            session = self._sessions.get(key)
            if session is None or now - session.seen > self.ttl:
                return None
            self._sessions.move_to_end(key)
            session.seen = now
            return session

    def drop(self, key: str) -> None:
        with self._lock:
            self._sessions.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)
