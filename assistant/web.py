"""The web chat: a thin Gradio adapter over ``Assistant``.

``create_app`` builds the page from an already loaded assistant (or the reason it could
not be loaded), so tests can build it without a server; ``serve`` loads everything once
and launches. Per-browser state (the conversation, which answers were rated) lives on the
server, keyed by Gradio's session id, and is dropped when the browser goes away; nothing
about a question is written to disk unless the user rates the answer.

Endpoints for programs (``gradio_client``): ``/ask`` (question, audience) and
``/feedback`` (rating "up"|"down", optional comment) on the latest answer of the session.
"""

# No `from __future__ import annotations` here: Gradio reads the handlers' type hints
# (gr.Request, gr.LikeData) at run time to inject them.
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from assistant.chat_html import library_html, reply_html
from assistant.feedback import Feedback, FeedbackStore, open_store
from assistant.ratelimit import RateLimiter
from assistant.render import render_markdown
from assistant.reply import Reply
from assistant.settings import Settings
from indexer.errors import DystoniaError, FeedbackError, IndexCorrupt, IndexMissing, IndexStale, ModelError

log = logging.getLogger("dystonia.web")

NOTICE = (
    "**Before you ask:** answers come only from a small library of vetted sources, and every sentence "
    "shows where it comes from (click the [1] markers). This is general information, **not medical "
    "advice**: it cannot diagnose you or advise on your own treatment. **In an emergency** — trouble "
    "breathing or swallowing, signs of a stroke, chest pain, or thoughts of harming yourself — call your "
    "local emergency number now."
)
EXAMPLES = [
    "What is focal dystonia?",
    "Can botox help my neck?",
    "Is dystonia inherited?",
    "What does physiotherapy for dystonia involve?",
    "Which massage techniques suit a client with dystonia?",
]
AUDIENCE_CHOICES = [("Patient or family", "patient"), ("Massage therapist", "therapist")]
SHOWN_QUESTION_CHARS = 500
SAVED = "Thank you — your feedback was saved."
NOT_SAVED = "Sorry — your feedback could not be saved right now. Your conversation is not affected."
CSS = """
#chat .reply .para{margin:.3em 0}
#chat details.cite{display:inline}
#chat details.cite>summary{display:inline;cursor:pointer;color:#1d4ed8;font-weight:600;list-style:none}
#chat details.cite>summary::-webkit-details-marker{display:none}
#chat details.cite[open]>.passage{display:block;margin:.4em 0;padding:.5em .7em;border-left:4px solid #1d4ed8;
  background:#eef4ff;color:#111;font-size:.92em}
#chat .passage mark{background:#fde68a;color:#111}
#chat .passage .section{display:block;font-style:italic;color:#444}
#chat .emergency{border:3px solid #b91c1c;background:#fee2e2;color:#7f1d1d;padding:.6em .8em;border-radius:6px}
#chat .emergency .alert-title{font-size:1.2em;font-weight:800;margin:0 0 .3em}
#chat .kind-title{font-weight:700}
#chat .sources{margin-top:.5em;font-size:.9em}
#chat .sources-title{font-weight:700;margin:0}
#chat .disclaimer{margin-top:.6em;font-size:.82em;color:#555;border-top:1px solid #ddd;padding-top:.3em}
#notice{border:2px solid #1d4ed8;border-radius:6px;padding:.4em .8em}
#index-error{border:2px solid #b91c1c;border-radius:6px;padding:.4em .8em}
table.library td,table.library th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}
table.library td.num{text-align:right}
"""


@dataclass
class Session:
    exchanges: list[tuple[str, Reply]] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    message_exchange: list[int | None] = field(default_factory=list)  # chat message -> exchange
    feedback_rows: dict[int, int] = field(default_factory=dict)  # exchange -> stored feedback row
    last_rated: int | None = None
    seen: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Sessions:
    """Conversations of the browsers currently connected; idle ones expire."""

    def __init__(self, ttl_seconds: float = 4 * 3600):
        self.ttl, self._sessions, self._lock = ttl_seconds, {}, threading.Lock()

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
            history = [turn for _, r in session.exchanges[-5:] for turn in
                       ({"role": "user", "content": r.question}, {"role": "assistant", "content": r.answer})]
            reply = self.assistant.ask(question, history=history, audience=audience)
        except Exception:  # never show a traceback or a path to a user; the log has it
            log.exception("answering failed")
            return self._say(session, question, "<p>Sorry, something went wrong while answering. Please try again.</p>")
        if reply.kind != "invalid":
            session.exchanges.append((audience, reply))
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
                audience, reply = session.exchanges[exchange]
                row = self.store.add(Feedback(rating or 0, reply.question, reply.answer, reply.kind, audience,
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


def create_app(chat: Chat):
    import gradio as gr

    with gr.Blocks(title="Dystonia questions — answers from vetted sources", analytics_enabled=False) as app:
        gr.Markdown("# Dystonia questions\nAnswers from vetted sources, with the passage behind every sentence.")
        gr.Markdown(NOTICE, elem_id="notice")
        if chat.load_error:
            gr.Markdown(f"**The chat cannot answer yet.** {escape(chat.load_error)}", elem_id="index-error")
        with gr.Tab("Chat"):
            _chat_tab(gr, chat)
        with gr.Tab("Sources"):
            gr.Markdown("The vetted library the assistant answers from. Each document was reviewed on the date "
                        "shown; *Passages* is how many searchable passages it contributes.")
            gr.HTML(library_html(chat.assistant.index) if chat.assistant else "<p>No index loaded.</p>",
                    elem_id="library")
        def forget(request: gr.Request):
            chat.forget(request.session_hash)

        app.unload(forget)
    return app


def _chat_tab(gr, chat: Chat) -> None:
    audience = gr.Radio(AUDIENCE_CHOICES, value="patient", label="I am a", elem_id="audience")
    chatbot = gr.Chatbot(elem_id="chat", height=520, render_markdown=False, sanitize_html=True,
                         buttons=["copy"], label="Conversation", placeholder="Ask a question below.")
    with gr.Row():
        question = gr.Textbox(label="Your question", placeholder="e.g. What is focal dystonia?", elem_id="question",
                              max_length=2000, scale=5, autofocus=True, interactive=chat.assistant is not None)
        send = gr.Button("Ask", variant="primary", elem_id="ask", scale=1)
    gr.Examples(EXAMPLES, inputs=question, label="Example questions")
    with gr.Accordion("Rate an answer", open=False):
        gr.Markdown("Use 👍 / 👎 under an answer. You can add a comment to the answer you rated last. Only "
                    "answers you rate are stored (question, answer, sources, rating, comment).")
        comment = gr.Textbox(label="Comment (optional)", elem_id="comment", max_length=2000)
        send_comment = gr.Button("Send comment", elem_id="send-comment")
    status = gr.Markdown(elem_id="feedback-status")
    download = gr.DownloadButton("Download this conversation (Markdown)", elem_id="download")

    def respond(text, who, request: gr.Request):
        messages, path = chat.respond(text, who, request.session_hash)
        return messages, "", path

    def like(data: gr.LikeData, request: gr.Request):
        index = data.index if isinstance(data.index, int) else data.index[0]
        return chat.rate_message(index, data.liked, request.session_hash)

    def add_comment(text, request: gr.Request):
        return chat.comment(text, request.session_hash), ""

    outputs = [chatbot, question, download]
    send.click(respond, [question, audience], outputs, api_name="ask")
    question.submit(respond, [question, audience], outputs, api_visibility="private")
    chatbot.like(like, None, status, api_visibility="private")
    send_comment.click(add_comment, comment, [status, comment], api_visibility="private")

    def feedback(rating: str, comment: str = "", request: gr.Request = None) -> str:
        """Rate the latest answer of this session: rating is "up" or "down"; comment is optional."""
        value = {"up": 1, "down": -1}.get((rating or "").lower())
        if value is None:
            return 'rating must be "up" or "down"'
        return chat.comment(comment, request.session_hash, rating=value)

    gr.api(feedback, api_name="feedback")


def public_reason(error: DystoniaError) -> str:
    """What the page says when the chat cannot answer: the fix, without server paths."""
    if isinstance(error, IndexMissing):
        return "The search index has not been built yet. On the server, run `make chat` or `dystonia index`."
    if isinstance(error, IndexStale):
        return "The search index was built by another version or model. On the server, run `dystonia index`."
    if isinstance(error, IndexCorrupt):
        return "The search index is damaged. On the server, run `dystonia index --force`."
    if isinstance(error, ModelError):
        return "The language model could not be loaded. On the server, run `make install`."
    return "The assistant could not start. The server log says why."


def serve(settings: Settings) -> None:
    """Load the model and index once, open the feedback store, and run the chat until stopped."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "faiss", "faiss.loader", "sentence_transformers", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from assistant.auth import verifier
    from assistant.pipeline import Assistant

    auth = verifier(settings.auth_file) if settings.auth_file else None
    assistant, load_error = None, None
    try:
        assistant = Assistant.load(settings.index_dir, settings.model)
    except DystoniaError as error:
        load_error = public_reason(error)
        log.error("starting without answers: %s", error)
    store = None
    try:
        store = open_store(settings.feedback_db)
    except FeedbackError as error:
        log.error("feedback will not be saved: %s", error)
    app = create_app(Chat(assistant, store, settings, load_error))
    app.queue(default_concurrency_limit=settings.concurrency, max_size=512)
    print(f"Dystonia chat: open http://{settings.host}:{settings.port} in your browser (Ctrl+C stops it)")
    app.launch(server_name=settings.host, server_port=settings.port, share=False, auth=auth,
               auth_message="Please sign in to use the dystonia assistant.", show_error=False, css=CSS,
               quiet=True)
