"""What each chat event does (ask, rate, comment, leave), independent of Gradio widgets.

``Chat`` is the behaviour the web page adapts: every public method is one event and takes
plain values (text, the session id), so tests drive it without a browser or a server.
Answers come from the shared ``Assistant``; ratings go to a ``FeedbackStore``; nothing
about a question is stored unless its answer is rated.
"""

from __future__ import annotations

import logging
import tempfile
from html import escape
from pathlib import Path

from chat.feedback import Feedback, FeedbackStore
from chat.html import reply_html
from chat.ratelimit import RateLimiter
from chat.sessions import Session, Sessions
from chat.settings import Settings
from chat.transcript import render_markdown
from common.errors import FeedbackError

log = logging.getLogger("dystonia.chat")

SHOWN_QUESTION_CHARS = 500
SAVED = "Thank you — your feedback was saved."
NOT_SAVED = "Sorry — your feedback could not be saved right now. Your conversation is not affected."


class Chat:
    """The chat's behaviour, independent of Gradio widgets (each method is one event)."""

    def __init__(self, assistant, store: FeedbackStore | None, settings: Settings, load_error: str | None = None):
        self.assistant, self.store, self.settings, self.load_error = assistant, store, settings, load_error
        self.sessions = Sessions()
        self.limiter = RateLimiter(settings.rate_limit)
        self.files = Path(tempfile.gettempdir()) / "dystonia-chat"

    def respond(self, question, audience: str, session_id: str) -> tuple[list[dict], str | None]:
        session = self.sessions.get(session_id)
        with session.lock:
            self._respond(session, question if isinstance(question, str) else "", audience, session_id)
            return list(session.messages), self._transcript(session, session_id)

    def _respond(self, session: Session, question: str, audience: str, session_id: str) -> None:
        if self.assistant is None:
            return self._say(session, question, f"<p class='kind-title'>The chat cannot answer yet</p>"
                                               f"<p>{escape(self.load_error or '')}</p>")
        if not self.limiter.allow(session_id):
            return self._say(session, question, "<p>You are sending questions very quickly. Please wait a "
                                                "minute and ask again.</p>")
        try:
            history = [turn for r in session.exchanges[-5:] for turn in
                       ({"role": "user", "content": r.question}, {"role": "assistant", "content": r.answer})]
            reply = self.assistant.ask(question, history=history, audience=audience)
        except Exception:  # never show a traceback or a path to a user; the log has it
            log.exception("answering failed")
            return self._say(session, question, "<p>Sorry, something went wrong while answering. Please try again.</p>")
        if reply.kind != "invalid":
            session.exchanges.append(reply)
        self._say(session, question, reply_html(reply, self.assistant.index),
                  len(session.exchanges) - 1 if reply.kind != "invalid" else None)

    def _say(self, session: Session, question: str, answer_html: str, exchange: int | None = None) -> None:
        if question.strip():
            shown = question if len(question) <= SHOWN_QUESTION_CHARS else \
                f"{question[:SHOWN_QUESTION_CHARS]}… ({len(question):,} characters)"
            session.messages.append({"role": "user", "content": escape(shown)})
            session.message_exchange.append(exchange)
        session.messages.append({"role": "assistant", "content": answer_html})
        session.message_exchange.append(exchange)

    def _transcript(self, session: Session, session_id: str) -> str | None:
        if not session.exchanges:
            return None
        folder = self.files / "".join(ch for ch in session_id if ch.isalnum())[:40]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "dystonia-conversation.md"
        path.write_text(render_markdown(session.exchanges), encoding="utf-8")
        return str(path)

    def rate_message(self, message_index: int, liked, session_id: str) -> str:
        """A thumbs up/down on a chat message (``liked`` "" withdraws it)."""
        session = self.sessions.get(session_id)
        with session.lock:
            if not 0 <= message_index < len(session.message_exchange):
                return ""
            exchange = session.message_exchange[message_index]
            if exchange is None:
                return "Only answers can be rated."
            rating = {True: 1, False: -1}.get(liked, 0)
            return self._store(session, exchange, rating=rating, session_id=session_id, withdraw=liked == "")

    def comment(self, comment: str, session_id: str, rating: int | None = None) -> str:
        """A comment (and optionally a rating) on the last rated answer, else the latest one."""
        session = self.sessions.get(session_id)
        with session.lock:
            if not session.exchanges:
                return "Ask a question first; then you can rate the answer."
            comment = (comment or "").strip()[:2000]
            if not comment and rating is None:
                return "Type a comment first."
            exchange = session.last_rated if session.last_rated is not None and rating is None else \
                len(session.exchanges) - 1
            return self._store(session, exchange, rating=rating, comment=comment or None, session_id=session_id)

    def _store(self, session: Session, exchange: int, *, rating: int | None = None, comment: str | None = None,
               session_id: str = "", withdraw: bool = False) -> str:
        if self.store is None:
            return NOT_SAVED
        row = session.feedback_rows.get(exchange)
        try:
            if withdraw:
                if row is not None:
                    self.store.delete(row)
                    del session.feedback_rows[exchange]
                return "Your rating was withdrawn."
            if row is None:
                reply = session.exchanges[exchange]
                row = self.store.add(Feedback(rating or 0, reply.question, reply.answer, reply.kind, reply.audience,
                                              [c.public() for c in reply.citations], comment, session_id))
                session.feedback_rows[exchange] = row
            else:
                self.store.update(row, rating=rating, comment=comment)
        except FeedbackError:
            log.exception("feedback not saved")
            return NOT_SAVED
        session.last_rated = exchange
        return SAVED

    def forget(self, session_id: str) -> None:
        self.sessions.drop(session_id)
        self.limiter.forget(session_id)
