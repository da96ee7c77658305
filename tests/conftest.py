"""Fixtures shared by the suite. Heavy things (the model, the real index) are built once
per session; unit tests use tiny inline data and need neither."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO.parent / "shared" / "sources"
ARTIFACTS = REPO / "test-artifacts"
REQUIRE_ALL = os.environ.get("DYSTONIA_REQUIRE_ALL_TESTS") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip when a system dependency is missing locally; in CI (DYSTONIA_REQUIRE_ALL_TESTS=1) fail."""
    if not condition:
        if REQUIRE_ALL:
            pytest.fail(f"required for CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def embedder():
    from indexer.embedding import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def corpus():
    from indexer.loading import load_corpus

    return load_corpus(REPO / "corpus")


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory, corpus, embedder) -> Path:
    """The real corpus, really embedded, built once for the whole session."""
    from indexer.build import build_index

    out = tmp_path_factory.mktemp("real-index") / "index"
    build_index(corpus, out, embedder, progress=False)
    return out


@pytest.fixture(scope="session")
def index(index_dir, embedder):
    from indexer.store import load_index

    return load_index(index_dir, model_id=embedder.model_id, dimension=embedder.dimension)


@pytest.fixture(scope="session")
def assistant(index, embedder):
    from assistant.pipeline import Assistant

    return Assistant(index, embedder)


def free_port() -> int:
    from benchmarks.loadtest import free_port as pick

    return pick()


def start_chat(index_dir: Path, feedback_db: str, log_path: Path, *extra: str):
    """A real `dystonia chat` process on a free local port; returns (process, url)."""
    from benchmarks.loadtest import start_server

    try:
        return start_server(index_dir, feedback_db, log_path, *extra)
    except RuntimeError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def chat_server(index_dir, tmp_path_factory):
    """One real chat server for the browser tests: (url, feedback database path)."""
    folder = tmp_path_factory.mktemp("chat")
    db = folder / "feedback.sqlite3"
    process, url = start_chat(index_dir, str(db), folder / "server.log")
    yield url, db
    process.terminate()
    process.wait(timeout=20)
