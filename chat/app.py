"""The web chat: a thin Gradio adapter over ``Assistant``.

``create_app`` builds the page from an already loaded assistant (or the reason it could
not be loaded), so tests can build it without a server; ``launch`` serves it with the
chat's protections (``SECURITY.md``); ``serve`` loads everything once and launches.
Per-browser state (the conversation, which answers were rated) lives on the server, keyed
by Gradio's session id, and is dropped when the browser goes away; nothing about a
question is written to disk unless the user rates the answer.

Endpoints for programs (``gradio_client``): ``/ask`` (question, audience) returns the
conversation, an empty question box and an empty feedback status; ``/feedback`` (rating
"up"|"down", optional comment) rates the latest answer of the session.
"""

# No `from __future__ import annotations` here: Gradio reads the handlers' type hints
# (gr.Request, gr.LikeData) at run time to inject them.
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from pathlib import Path

from assistant.reply import AUDIENCE_TABLE
from chat.feedback import open_store
from chat.guard import MAX_BODY_BYTES, middleware
from chat.handlers import Chat
from chat.html import cautions_html, coverage_html, library_html
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
AUTH_MESSAGE = ("Please sign in to use the dystonia assistant. After a wrong password, wait a few seconds before "
                "trying again.")
# Gradio 6 records each public event's inputs and outputs in localStorage unless run_history is off, and
# turning it off deletes only the current launch's key: this removes what earlier launches left.
PURGE_RUN_HISTORY = ("<script>try{for(const s of [localStorage,sessionStorage])for(const k of Object.keys(s))"
                     "if(k.startsWith('gradio:run-history:'))s.removeItem(k)}catch(e){}</script>")
# The transcript is made on the server when asked for and saved by the browser from memory: no file
# on the server, no path or URL in any response. Returns "" to empty the hidden box again.
SAVE_MARKDOWN = """(text) => {
  if (!text) return "";
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], {type: 'text/markdown;charset=utf-8'}));
  link.download = 'dystonia-conversation.md';
  document.body.appendChild(link); link.click(); link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  return "";
}"""
NOTHING_TO_DOWNLOAD = "Ask a question first; then you can download the conversation."


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
            _sources_tab(gr, chat)
        with gr.Tab("For massage therapists"):
            _therapist_tab(gr, chat)

        def forget(request: gr.Request):
            chat.forget(request.session_hash or "")

        app.unload(forget)
    return app


def _sources_tab(gr, chat: Chat) -> None:
    """The library, what it covers per subject, and what it is known not to cover: where a
    "the sources don't say" reply sends people."""
    from assistant.coverage import known_gaps, subject_coverage
    from assistant.facets import FACETS

    gr.Markdown("The vetted library the assistant answers from. Each document was reviewed on the date "
                "shown; *Passages* is how many searchable passages it contributes.")
    assistant = chat.assistant
    if assistant is None:
        gr.HTML("<p>No index loaded.</p>", elem_id="library")
        return
    gr.HTML(library_html(assistant.index), elem_id="library")
    gr.Markdown("## What the library covers\nFor each subject, how many documents answer each kind of question.")
    rows = subject_coverage(assistant.index, assistant.assessor.annotations, assistant.catalogue)
    gr.HTML(coverage_html(rows, FACETS, known_gaps()), elem_id="coverage")


def _therapist_tab(gr, chat: Chat) -> None:
    """Every caution for hands-on work the library holds, so a therapist can read them all at once."""
    from assistant.coverage import caution_entries, uncovered_topics

    gr.Markdown("Cautions for hands-on work with dystonia clients that the vetted sources give, in their own "
                "words, each with its source. Ask in the Chat tab as a massage therapist for answers about a "
                "particular client.")
    assistant = chat.assistant
    if assistant is None:
        gr.HTML("<p>No index loaded.</p>", elem_id="cautions")
        return
    cautions = assistant.composer.cautions
    entries = caution_entries(assistant.index, assistant.assessor.annotations, cautions)
    gr.HTML(cautions_html(entries, uncovered_topics(cautions)), elem_id="cautions")


def _chat_tab(gr, chat: Chat) -> None:
    audience = _quiet_choices(gr, gr.Radio(AUDIENCE_CHOICES, value="patient", label="I am a", elem_id="audience"))
    chatbot = gr.Chatbot(elem_id="chat", height=520, render_markdown=False, sanitize_html=True,
                         buttons=["copy"], label="Conversation", placeholder="Ask a question below.")
    with gr.Row():
        question = gr.Textbox(label="Your question", placeholder="e.g. What is focal dystonia?", elem_id="question",
                              max_length=2000, scale=5, autofocus=True, interactive=chat.assistant is not None,
                              html_attributes=_unremembered(gr))
        send = gr.Button("Ask", variant="primary", elem_id="ask", scale=1)
    gr.Examples(EXAMPLES, inputs=question, label="Example questions")
    with gr.Accordion("Rate an answer", open=False):
        gr.Markdown("Use 👍 / 👎 under an answer. You can add a comment to the answer you rated last. Only "
                    "answers you rate are stored (question, answer, sources, rating, comment).")
        comment = gr.Textbox(label="Comment (optional)", elem_id="comment", max_length=2000,
                             html_attributes=_unremembered(gr))
        send_comment = gr.Button("Send comment", elem_id="send-comment")
    status = gr.Markdown(elem_id="feedback-status")
    download = gr.Button("Download this conversation (Markdown)", elem_id="download")
    markdown = gr.Textbox(visible=False)

    def respond(text, who, request: gr.Request):
        return chat.respond(text, who, request.session_hash or "", client_address(request)), "", ""

    def like(data: gr.LikeData, request: gr.Request):
        index = data.index[0] if isinstance(data.index, list | tuple) and data.index else data.index
        shown = data.value[0] if isinstance(data.value, list) and data.value else data.value  # first of its group
        return chat.rate_message(index, data.liked, request.session_hash or "", client_address(request),
                                 shown=shown if isinstance(shown, str) else "")

    def add_comment(text, request: gr.Request):
        return chat.comment(text, request.session_hash or "", client_address(request)), ""

    def transcript(request: gr.Request):
        text = chat.transcript(request.session_hash or "")
        return text, "" if text else NOTHING_TO_DOWNLOAD

    outputs = [chatbot, question, status]
    send.click(respond, [question, audience], outputs, api_name="ask")
    question.submit(respond, [question, audience], outputs, api_visibility="private")
    chatbot.like(like, None, status, api_visibility="private")
    send_comment.click(add_comment, comment, [status, comment], api_visibility="private")
    download.click(transcript, None, [markdown, status], api_visibility="private").then(
        None, markdown, markdown, js=SAVE_MARKDOWN, api_visibility="private")

    def feedback(rating: str, comment: str = "", request: gr.Request = None) -> str:
        """Rate the latest answer of this session: rating is "up" or "down"; comment is optional."""
        return chat.rate_latest(rating, comment, request.session_hash or "", client_address(request))

    gr.api(feedback, api_name="feedback")


def _unremembered(gr):
    """Typed text the browser does not keep: with autocomplete off, Chromium neither offers it
    again nor saves it with the tab for session restore (its profile would hold the question)."""
    return gr.InputHTMLAttributes(autocomplete="off")


def _quiet_choices(gr, radio):
    """Refuse a value that is not one of ``radio``'s choices without echoing it: Gradio's own
    refusal prints the caller's text to the server log."""
    original = radio.preprocess
    allowed = {value for _, value in radio.choices}

    def preprocess(payload):
        if payload is not None and (not isinstance(payload, str) or payload not in allowed):
            raise gr.Error("Not one of the choices.", print_exception=False)
        return original(payload)

    radio.preprocess = preprocess
    return radio


def client_address(request) -> str:
    """The client's address as uvicorn resolved it: the socket peer, or the address a trusted
    proxy named in X-Forwarded-For (``launch``)."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", "") or "")


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


def launch(app, settings: Settings, *, block: bool = True) -> None:
    """Serve ``app`` on ``settings.host:port`` with the chat's protections: no run history in
    browsers, no uploads, small request bodies, the queue as the only way in, throttled
    logins when ``settings.auth_file`` is set, and client addresses taken from
    X-Forwarded-For only when the connection comes from a ``settings.trusted_proxies``
    address. ``block=False`` returns once the server is up (tests)."""
    from chat.auth import login_check

    app.queue(default_concurrency_limit=settings.concurrency, max_size=512, api_open=False)
    with _forwarded_for_from(settings.trusted_proxies):
        app.launch(server_name=settings.host, server_port=settings.port, share=False, quiet=True, show_error=False,
                   auth=login_check(settings.auth_file) if settings.auth_file else None, auth_message=AUTH_MESSAGE,
                   css=CSS, head=PURGE_RUN_HISTORY, run_history=False, max_file_size=1,
                   app_kwargs={"middleware": middleware(), "max_body_size": MAX_BODY_BYTES},
                   prevent_thread_lock=not block)


@contextmanager
def _forwarded_for_from(proxies: tuple[str, ...]) -> Iterator[None]:
    """Gradio starts uvicorn without proxy settings, so uvicorn reads the addresses whose
    X-Forwarded-For it believes from FORWARDED_ALLOW_IPS, by default 127.0.0.1 (any local
    process could then name any address). Set it to exactly ``proxies`` (empty: believe
    nobody) while the server starts."""
    before = os.environ.get("FORWARDED_ALLOW_IPS")
    os.environ["FORWARDED_ALLOW_IPS"] = ",".join(proxies)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("FORWARDED_ALLOW_IPS", None)
        else:
            os.environ["FORWARDED_ALLOW_IPS"] = before


def serve(settings: Settings) -> None:
    """Load the model and index once, open the feedback store, and run the chat until stopped."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "faiss", "faiss.loader", "sentence_transformers", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from assistant.pipeline import Assistant

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
    print(f"Dystonia chat: open http://{settings.host}:{settings.port} in your browser (Ctrl+C stops it)")
    launch(app, settings)
