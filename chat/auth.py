"""Optional logins for deployed chats: an auth file of ``username:pbkdf2-hash`` lines.

Passwords are never stored: each line holds a PBKDF2-SHA256 hash with its own salt, so the
file can be read by the service without revealing them. ``dystonia auth add`` writes it.

``login_check`` is what the chat gives Gradio: the hash runs in a small thread pool, off the
event loop, so logins (wrong ones included) never stall other users' questions; failed
attempts back off exponentially per username and per client address; and an unknown
username costs the same hash as a known one, so timing does not tell who has an account.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import math
import os
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chat.guard import current_client
from chat.ratelimit import Backoff, client_key
from common.errors import UsageError

ITERATIONS = 240_000
HASHING_THREADS = 1  # logins hashed at once; the rest wait, and the other cores stay free for answers
REFUSAL_DELAY = 1.0  # seconds a refused login waits (without work) before its answer: slows a client that hammers
USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


def hash_password(password: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"pbkdf2_sha256${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, expected = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        secret = password.encode("utf-8", "surrogatepass")  # a lone surrogate matches nothing, never raises
        digest = hashlib.pbkdf2_hmac("sha256", secret, base64.b64decode(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(base64.b64encode(digest).decode(), expected)


def load_users(path: str | Path) -> dict[str, str]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read auth file {path}: {error}") from None
    users = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, stored = line.strip().partition(":")
        if not USERNAME.match(name) or not stored.startswith("pbkdf2_sha256$"):
            raise UsageError(f"{path}:{number}: expected 'username:pbkdf2_sha256$...'; "
                             "create lines with `dystonia auth add USERNAME --auth-file FILE`")
        users[name] = stored
    if not users:
        raise UsageError(f"auth file {path} has no users; add one with `dystonia auth add`")
    return users


def add_user(path: str | Path, username: str, password: str) -> None:
    if not USERNAME.match(username):
        raise UsageError("username may use letters, digits, '.', '_', '@' and '-' (at most 64)")
    if len(password) < 10:
        raise UsageError("password must be at least 10 characters")
    path = Path(path)
    users = load_users(path) if path.exists() and path.read_text(encoding="utf-8").strip() else {}
    users[username] = hash_password(password)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("".join(f"{u}:{h}\n" for u, h in users.items()), encoding="utf-8")
    temporary.chmod(0o600)
    os.replace(temporary, path)


def verifier(path: str | Path) -> Callable[[str, str], bool]:
    """A blocking ``(username, password) -> bool`` check against the auth file.

    An unknown username is checked against a dummy hash with the same parameters as the
    file's, so it costs the same time as a wrong password for a real user.
    """
    users = load_users(path)
    iterations = Counter(_iterations(stored) for stored in users.values()).most_common(1)[0][0]
    dummy = hash_password(os.urandom(16).hex(), iterations=iterations)

    def verify(username: str, password: str) -> bool:
        stored = users.get(username)
        matches = check_password(password, stored or dummy)
        return stored is not None and matches

    return verify


def _iterations(stored: str) -> int:
    try:
        return int(stored.split("$")[1])
    except (IndexError, ValueError):
        return ITERATIONS


def login_check(path: str | Path, backoff: Backoff | None = None) -> Callable[[str, str], Awaitable[bool]]:
    """Gradio's ``auth=`` for the users in ``path``, throttled and off the event loop.

    After a failed login, the username and the client address (``chat.guard``) are each
    refused for a while (``Backoff``: 1 s, doubling up to 5 min, reset by a success), even
    with the right password; a refusal costs no hash and answers 400 with ``Retry-After``
    (Gradio's login form shows nothing for other statuses) after ``REFUSAL_DELAY``, so a
    client hammering the form gets few answers per second.

    It returns a real ``async def`` function: Gradio awaits ``auth`` only when
    ``inspect.iscoroutinefunction`` says so, and calls anything else without awaiting, so an
    object with an async ``__call__`` would let every password in.
    """
    verify = verifier(path)
    backoff = backoff or Backoff()
    hashing = ThreadPoolExecutor(HASHING_THREADS, thread_name_prefix="login")

    def wait(keys: tuple[str, ...]) -> float:
        return max(backoff.retry_after(key) for key in keys)

    def verify_unless_refused(username: str, password: str, keys: tuple[str, ...]) -> bool | None:
        """Checked again when its turn to hash comes: a burst of parallel guesses is refused
        as soon as the first of them has failed. None: refused without hashing."""
        if wait(keys) > 0:
            return None
        accepted = verify(username, password)
        for key in keys:
            (backoff.succeeded if accepted else backoff.failed)(key)
        return accepted

    async def check(username: str, password: str) -> bool:
        keys = (f"user:{username.casefold()[:64]}", f"address:{client_key(current_client())}")
        if wait(keys) == 0:
            accepted = await asyncio.get_running_loop().run_in_executor(
                hashing, verify_unless_refused, username, password, keys)
            if accepted is not None:
                return accepted
        from fastapi import HTTPException

        await asyncio.sleep(min(wait(keys), REFUSAL_DELAY))
        seconds = max(1, math.ceil(wait(keys)))
        raise HTTPException(400, f"Too many failed sign-ins. Try again in {seconds} s.",
                            headers={"Retry-After": str(seconds)})

    return check
