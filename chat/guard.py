"""What every HTTP request passes before it reaches Gradio (pure ASGI middleware).

- ``ClientAddress`` remembers the request's client address for code that Gradio calls
  without the request (the login check). The address is the socket peer, or the one a
  trusted proxy put in ``X-Forwarded-For``: uvicorn decides that before this runs, trusting
  only the addresses in ``FORWARDED_ALLOW_IPS`` (``chat.app`` sets it from
  ``--trusted-proxy``, and to nobody without it).
- ``NoUploads`` refuses Gradio's upload routes and any multipart body except the login
  form: the chat takes no files, and Gradio would otherwise write uploads to its temp
  folder (even with ``max_file_size``, an empty upload is stored).
- ``NoStore`` marks every response but the page's code and styles ``Cache-Control: no-store``:
  browsers otherwise keep the event streams, which carry the questions and answers, in
  their disk cache.
- Bodies larger than ``MAX_BODY_BYTES`` are refused (413) by FastAPI's own limit.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

MAX_BODY_BYTES = 64 * 1024
UPLOAD_ROUTES = re.compile(r"/gradio_api/(upload|upload_progress|process_recording|component_server|"
                           r"stream/[^/]+(/close)?|run-history/.*)/?$")
LOGIN_ROUTE = re.compile(r"/login/?$")
CACHEABLE = re.compile(r"^/(assets|static)/|^/favicon\.ico$")

_client: ContextVar[str] = ContextVar("dystonia_client_address", default="")


def current_client() -> str:
    """The client address of the HTTP request being handled ("" outside one)."""
    return _client.get()


class ClientAddress:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        token = _client.set((scope.get("client") or ("", 0))[0])
        try:
            await self.app(scope, receive, send)
        finally:
            _client.reset(token)


class NoUploads:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and is_upload(scope["path"], dict(scope["headers"]).get(b"content-type", b"")):
            return await _refuse(send, 403, b"This service does not accept uploads.")
        await self.app(scope, receive, send)


class NoStore:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or CACHEABLE.search(scope["path"]):
            return await self.app(scope, receive, send)

        async def send_uncached(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                message = {**message, "headers": [*headers, (b"cache-control", b"no-store")]}
            await send(message)

        await self.app(scope, receive, send_uncached)


def is_upload(path: str, content_type: bytes) -> bool:
    """True for an upload-style route, or a multipart body anywhere but the login form."""
    multipart = content_type.decode("latin-1").strip().lower().startswith("multipart/")
    return bool(UPLOAD_ROUTES.search(path)) or (multipart and not LOGIN_ROUTE.search(path))


def middleware() -> list:
    """The guards, outermost first, for ``launch(app_kwargs={"middleware": ...})``."""
    from starlette.middleware import Middleware

    return [Middleware(ClientAddress), Middleware(NoUploads), Middleware(NoStore)]


async def _refuse(send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
