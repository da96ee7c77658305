"""Per-browser conversations, kept in server memory only, keyed by Gradio's session id.

A session holds what the chat needs between events: the exchanges (audience travels on
each ``Reply``), the messages shown, and which answers were rated. Idle sessions expire,
and a browser that goes away drops its own (``Chat.forget``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from assistant.reply import Reply


@dataclass
class Session:
    exchanges: list[Reply] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    message_exchange: list[int | None] = field(default_factory=list)  # chat message -> exchange
    feedback_rows: dict[int, int] = field(default_factory=dict)  # exchange -> stored feedback row
    last_rated: int | None = None
    seen: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Sessions:
    """Conversations of the browsers currently connected; idle ones expire."""

    def __init__(self, ttl_seconds: float = 4 * 3600):
        self.ttl = ttl_seconds
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Session:
        now = time.monotonic()
        with self._lock:
            for stale in [k for k, s in self._sessions.items() if now - s.seen > self.ttl]:
                del self._sessions[stale]
            session = self._sessions.setdefault(key, Session())
            session.seen = now
            return session

    def drop(self, key: str) -> None:
        with self._lock:
            self._sessions.pop(key, None)
