"""What each chat event does (ask, rate, comment, download, leave), independent of Gradio widgets.

``Chat`` is the behaviour the web page adapts: every public method is one event and takes
plain values (text, the session id, the client address), so tests drive it without a
browser or a server. Answers come from the shared ``Assistant``; ratings go to a
``FeedbackStore``.

Privacy: nothing about a question is stored unless its answer is rated, and the server log
never holds what a user typed (failures are logged by exception type and code location
only: messages and tracebacks can quote the input). Everything typed passes ``safe_text``
first. Questions, and ratings with comments, are rate-limited per client address.
"""

from __future__ import annotations

import functools
import logging
import traceback
from html import escape

from chat.feedback import Feedback, FeedbackStore
from chat.html import reply_html
from chat.ratelimit import RateLimiter, client_key
from chat.sessions import Session, Sessions, Turn
from chat.settings import Settings
from chat.text import safe_text
from chat.transcript import render_markdown
from common.errors import FeedbackError

log = logging.getLogger("dystonia.chat")

SHOWN_QUESTION_CHARS = 500
COMMENT_CHARS = 2000
SAVED = "Thank you — your feedback was saved."
NOT_SAVED = "Sorry — your feedback could not be saved right now. Your conversation is not affected."
WITHDRAWN = "Your rating was withdrawn."
NOT_A_RATING = 'Not saved: a rating is "up" (👍) or "down" (👎).'
RATE_FIRST = "Rate an answer with 👍 or 👎 first; your comment is saved with that rating."
ASK_FIRST = "Ask a question first; then you can rate the answer."
ONLY_ANSWERS = "Only answers can be rated."
FEEDBACK_TOO_FAST = "Not saved: you are sending feedback very quickly. Please wait a minute and try again."
QUESTIONS_TOO_FAST = "<p>You are sending questions very quickly. Please wait a minute and ask again.</p>"
FAILED = "<p>Sorry, something went wrong while answering. Please try again.</p>"
SORRY = "Sorry, something went wrong. Please try again."


def log_failure(what: str, error: BaseException) -> None:
    """Log a failure by exception type and where it was raised, never by its message."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    log.error("%s: %s%s", what, type(error).__name__, where)


def _text_free_failures(fallback: str):
    """Turn any failure of an event into ``fallback`` for the user and a text-free log line
    (Gradio would print the traceback, message included)."""
    def decorate(method):
        @functools.wraps(method)
        def guarded(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except Exception as error:
                log_failure(f"{method.__name__} failed", error)
                return fallback
        return guarded
    return decorate


class Chat:
    """The chat's behaviour, independent of Gradio widgets (each method is one event)."""

    def __init__(self, assistant, store: FeedbackStore | None, settings: Settings, load_error: str | None = None):
        self.assistant, self.store, self.settings, self.load_error = assistant, store, settings, load_error
        self.sessions = Sessions(settings.session_ttl, settings.max_sessions, settings.max_turns)
        self.questions = RateLimiter(settings.rate_limit)
        self.ratings = RateLimiter(settings.rate_limit)  # ratings and comments: their own budget of the same size

    def respond(self, question, audience, session_id: str, client: str = "") -> list[dict]:
        """Answer ``question`` in this session; returns the whole conversation to show."""
        text = safe_text(question)
        session = self.sessions.get(session_id)
        with session.lock:
            session.add(self._turn(session, text, audience if isinstance(audience, str) else "", client),
                        self.sessions.max_turns)
            return session.messages()

    def _turn(self, session: Session, question: str, audience: str, client: str) -> Turn:
        shown = _shown(question)
        if self.assistant is None:
            return Turn(shown, f"<p class='kind-title'>The chat cannot answer yet</p>"
                               f"<p>{escape(self.load_error or '')}</p>")
        if not self.questions.allow(client_key(client)):
            return Turn(shown, QUESTIONS_TOO_FAST)
        try:
            reply = self.assistant.ask(question, history=_history(session), audience=audience)
            html = reply_html(reply, self.assistant.index)
        except Exception as error:  # never a traceback or a path for the user, never the question in the log
            log_failure("answering failed", error)
            return Turn(shown, FAILED)
        return Turn(shown, html, reply if reply.kind != "invalid" else None)

    @_text_free_failures(SORRY)
    def rate_message(self, message_index, liked, session_id: str, client: str = "", shown=None) -> str:
        """A 👍 (``liked`` True) or 👎 (False) on answer message ``message_index`` as this
        session shows it; ``liked`` "" withdraws the rating. One rating per answer: a new
        one replaces the old. ``shown``, when given, is the message as the browser showed
        it: the rating counts only if that is still the answer at ``message_index`` (a
        long conversation drops its oldest turns, which moves the others up)."""
        if liked == "":
            return self._withdraw(session_id, message_index, shown)
        if liked is not True and liked is not False:
            return NOT_A_RATING
        session = self.sessions.find(session_id)
        if session is None:
            return ASK_FIRST
        with session.lock:
            turn = _answer(session, message_index, shown)
            if turn is None or turn.reply is None:
                return ONLY_ANSWERS
            return self._save(session, turn, client, rating=1 if liked else -1)

    @_text_free_failures(SORRY)
    def rate_latest(self, rating, comment, session_id: str, client: str = "") -> str:
        """The API's rating: "up" or "down" on this session's latest answer, with an optional comment."""
        value = {"up": 1, "down": -1}.get(rating.strip().lower()) if isinstance(rating, str) else None
        if value is None:
            return NOT_A_RATING
        session = self.sessions.find(session_id)
        if session is None:
            return ASK_FIRST
        with session.lock:
            answers = session.answers()
            if not answers:
                return ASK_FIRST
            return self._save(session, answers[-1], client, rating=value, comment=_comment(comment) or None)

    @_text_free_failures(SORRY)
    def comment(self, text, session_id: str, client: str = "") -> str:
        """A comment on the answer this session rated last (it replaces an earlier comment)."""
        comment = _comment(text)
        if not comment:
            return "Type a comment first."
        session = self.sessions.find(session_id)
        if session is None or session.last_rated is None:
            return RATE_FIRST
        with session.lock:
            return self._save(session, session.last_rated, client, comment=comment)

    @_text_free_failures("")
    def transcript(self, session_id: str) -> str:
        """The conversation's answers as Markdown, made in memory when the user asks to
        download it ("" before the first answer)."""
        session = self.sessions.find(session_id)
        replies = [turn.reply for turn in session.answers() if turn.reply] if session else []
        return render_markdown(replies) if replies else ""

    def forget(self, session_id: str) -> None:
        self.sessions.drop(session_id)

    def _save(self, session: Session, turn: Turn, client: str, *, rating: int | None = None,
              comment: str | None = None) -> str:
        if not self.ratings.allow(client_key(client)):
            return FEEDBACK_TOO_FAST
        if self.store is None or turn.reply is None:
            return NOT_SAVED
        try:
            if turn.feedback_row is None:
                if rating is None:
                    return RATE_FIRST
                reply = turn.reply
                turn.feedback_row = self.store.add(Feedback(rating, reply.question, reply.answer, reply.kind,
                                                            reply.audience, [c.public() for c in reply.citations],
                                                            comment))
            else:
                self.store.update(turn.feedback_row, rating=rating, comment=comment)
        except FeedbackError as error:
            log.error("feedback not saved: %s", error)
            return NOT_SAVED
        session.last_rated = turn
        return SAVED

    def _withdraw(self, session_id: str, message_index, shown) -> str:
        session = self.sessions.find(session_id)
        if session is None:
            return ASK_FIRST
        with session.lock:
            turn = _answer(session, message_index, shown)
            if turn is None or turn.feedback_row is None:
                return WITHDRAWN
            if self.store is None:
                return NOT_SAVED
            try:
                self.store.delete(turn.feedback_row)
            except FeedbackError as error:
                log.error("rating not withdrawn: %s", error)
                return NOT_SAVED
            turn.feedback_row = None
            if session.last_rated is turn:
                session.last_rated = None
            return WITHDRAWN


def _shown(question: str) -> str | None:
    """The question as the conversation shows it (escaped, long ones shortened); None if blank."""
    if not question.strip():
        return None
    shown = question if len(question) <= SHOWN_QUESTION_CHARS else \
        f"{question[:SHOWN_QUESTION_CHARS]}… ({len(question):,} characters)"
    return escape(shown)


def _answer(session: Session, message_index, shown) -> Turn | None:
    """The turn whose answer is message ``message_index``, if it is what the browser showed there."""
    turn = session.answer_at(message_index) if isinstance(message_index, int) else None
    if turn is not None and shown is not None and shown != turn.answer_html:
        return None
    return turn


def _history(session: Session) -> list[dict]:
    """The last answered exchanges, for follow-up questions."""
    return [turn for t in session.answers()[-5:] if t.reply for turn in
            ({"role": "user", "content": t.reply.question}, {"role": "assistant", "content": t.reply.answer})]


def _comment(text) -> str:
    return safe_text(text).strip()[:COMMENT_CHARS]
