"""Optional logins for deployed chats: an auth file of ``username:pbkdf2-hash`` lines.

Passwords are never stored: each line holds a PBKDF2-SHA256 hash with its own salt, so the
file can be read by the service without revealing them. ``dystonia auth add`` writes it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from pathlib import Path

from common.errors import UsageError

ITERATIONS = 240_000
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
        digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), base64.b64decode(salt), int(iterations))
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


def verifier(path: str | Path):
    """A ``(username, password) -> bool`` check for Gradio's ``auth=``."""
    users = load_users(path)

    def verify(username: str, password: str) -> bool:
        stored = users.get(username)
        return stored is not None and check_password(password, stored)

    return verify
