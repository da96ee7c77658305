"""Fixtures shared by the suite.

Two worlds, so the quick edit loop (`make check`) stays quick:
- **fast**: a tiny index of six real corpus documents, built with ``WordHashEmbedder``
  (similarity = word overlap) in well under a second: ``tiny_index_dir``, ``tiny_index``,
  ``tiny_assistant``. Pipeline, CLI and chat logic is tested here.
- **slow**: the real model and the whole corpus, built once per session: ``embedder``,
  ``index_dir``, ``index``, ``assistant``, ``chat_server`` (and ``postgres_url``, a real
  PostgreSQL server). A test that uses any of them is
  marked ``slow`` automatically (as are browser and PostgreSQL tests); `make check` skips
  them and `make test` runs everything.
"""

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
FUZZ_SCALE = float(os.environ.get("DYSTONIA_FUZZ_SCALE", "1"))  # `make check` runs a tenth of the cases


def examples(count: int) -> int:
    """Hypothesis cases for a property: ``count`` in the full suite, fewer in the quick loop."""
    return max(20, int(count * FUZZ_SCALE))


REAL_FIXTURES = {"embedder", "index_dir", "index", "assistant", "chat_server", "postgres_url"}
TINY_CORPUS = ["medquad-dystonia/medlineplus-0000307-dystonia.md", "medquad-dystonia/gard-0002400-focal-dystonia.md",
               "medquad-dystonia/ghr-0000116-benign-essential-blepharospasm.md",
               "medquad-dystonia/medlineplus-0000119-botox.md", "medquad-dystonia/ninds-0000112-dystonias.md",
               "seeds/massagetoday-focal-dystonia-massage.md"]


def pytest_collection_modifyitems(items):
    for item in items:
        if REAL_FIXTURES & set(item.fixturenames) or item.get_closest_marker("browser") \
                or item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.slow)


def need(condition: bool, reason: str) -> None:
    """Skip when a system dependency is missing locally; in CI (DYSTONIA_REQUIRE_ALL_TESTS=1) fail."""
    if not condition:
        if REQUIRE_ALL:
            pytest.fail(f"required for CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL server (the real binaries, no root), shared by the session."""
    from chat.process import free_port
    from tests.postgres import TemporaryPostgres, binaries

    need(binaries() is not None, "PostgreSQL server binaries not found (apt-get install postgresql)")
    server = TemporaryPostgres(free_port()).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def tiny_index_dir(tmp_path_factory) -> Path:
    """Six real corpus documents, indexed with the word-hash stand-in model."""
    import shutil

    from indexer.build import build_index
    from indexer.loading import load_corpus
    from tests.helpers import WordHashEmbedder

    folder = tmp_path_factory.mktemp("tiny")
    for name in TINY_CORPUS:
        target = folder / "corpus" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "corpus" / name, target)
    out = folder / "index"
    build_index(load_corpus(folder / "corpus"), out, WordHashEmbedder(), progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_index(tiny_index_dir):
    from indexer.store import load_index

    return load_index(tiny_index_dir)


@pytest.fixture(scope="session")
def tiny_assistant(tiny_index):
    from assistant.pipeline import Assistant
    from tests.helpers import WordHashEmbedder, stand_in_models

    facets, scorer = stand_in_models()
    return Assistant.build(tiny_index, WordHashEmbedder(), facets=facets, scorer=scorer)


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

    return Assistant.build(index, embedder)


def start_chat(index_dir: Path, feedback_db: str, log_path: Path, *extra: str):
    """A real `dystonia chat` process on a free local port; returns (process, url)."""
    from chat.process import start_chat as start

    try:
        return start(index_dir, feedback_db, log_path, *extra)
    except RuntimeError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def chat_server(index_dir, tmp_path_factory):
    """One real chat server for the browser and load tests: (url, feedback database path).
    No rate limit: every simulated user comes from 127.0.0.1 (test_abuse tests the limit)."""
    folder = tmp_path_factory.mktemp("chat")
    db = folder / "feedback.sqlite3"
    process, url = start_chat(index_dir, str(db), folder / "server.log", "--rate-limit", "0")
    yield url, db
    from chat.process import stop

    stop(process, timeout=20)
