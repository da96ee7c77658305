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
from html import escape
from pathlib import Path

from assistant.reply import AUDIENCE_TABLE
from chat.feedback import open_store
from chat.handlers import Chat
from chat.html import library_html
from chat.settings import Settings
from common.errors import DystoniaError, FeedbackError, IndexCorrupt, IndexMissing, IndexStale, ModelError

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
AUDIENCE_CHOICES = [(a.label, a.name) for a in AUDIENCE_TABLE.values()]
CSS = Path(__file__).with_name("style.css").read_text(encoding="utf-8")


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
            chat.forget(request.session_hash or "")

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
    from assistant.pipeline import Assistant
    from chat.auth import verifier

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
