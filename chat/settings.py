"""Run-time settings: a frozen record built from CLI flags, whose defaults come from
environment variables (``DYSTONIA_*``) and then from the values below."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from common.errors import UsageError
from indexer.store import DEFAULT_INDEX_DIR

DEFAULT_FEEDBACK_DB = "var/feedback.sqlite3"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
DEFAULT_TTL_SECONDS = 4 * 3600
DEFAULT_MAX_SESSIONS = 1000
DEFAULT_MAX_TURNS = 40


@dataclass(frozen=True)
class Settings:
    index_dir: Path = Path(DEFAULT_INDEX_DIR)
    model: str | None = None
    feedback_db: str = DEFAULT_FEEDBACK_DB
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    auth_file: Path | None = None
    rate_limit: int = 30  # questions per client address per minute, and as many ratings; 0 turns the limits off
    concurrency: int = 2  # questions answered at once (the model is CPU-bound)
    trusted_proxies: tuple[str, ...] = ()  # proxies whose X-Forwarded-For names the client; none by default
    session_ttl: float = DEFAULT_TTL_SECONDS  # an idle conversation is forgotten after this
    max_sessions: int = DEFAULT_MAX_SESSIONS  # conversations kept at once; the one idle longest goes first
    max_turns: int = DEFAULT_MAX_TURNS  # questions (with their answers) kept per conversation


def trusted_proxy(value: str) -> str:
    """``value`` checked as a proxy's IP address or network (``10.0.0.0/8``); never "*",
    which would let any client name its own address."""
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise UsageError(f"--trusted-proxy takes the IP address (or network) of your reverse proxy, "
                         f"for example 127.0.0.1; {value!r} is not one") from None
