"""Run-time settings: a frozen record built from CLI flags, whose defaults come from
environment variables (``DYSTONIA_*``) and then from the values below."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indexer.store import DEFAULT_INDEX_DIR

DEFAULT_FEEDBACK_DB = "var/feedback.sqlite3"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


@dataclass(frozen=True)
class Settings:
    index_dir: Path = Path(DEFAULT_INDEX_DIR)
    model: str | None = None
    feedback_db: str = DEFAULT_FEEDBACK_DB
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    auth_file: Path | None = None
    rate_limit: int = 30  # questions per session per minute; 0 turns the limit off
    concurrency: int = 2  # questions answered at once (the model is CPU-bound)
