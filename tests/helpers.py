"""Small real test data and test doubles shared by the tests."""

from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from common.text import terms
from indexer.embedding import Embedder

if TYPE_CHECKING:  # the chat (Gradio) is imported only by the tests that serve it
    from chat.handlers import Chat
    from chat.settings import Settings

FRONT_MATTER = """---
id: {id}
title: {title}
publisher: Test Publisher
url: https://example.org/{id}
license: CC BY 4.0
collection: tests
reviewed_on: 2026-11-21
subjects:
- condition: dystonia
---

"""


def write_doc(folder: Path, doc_id: str, body: str, title: str = "A test page", name: str | None = None) -> Path:
    path = Path(folder) / (name or f"{doc_id}.md")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FRONT_MATTER.format(id=doc_id, title=title) + body, encoding="utf-8")
    return path


def sidecar(path: Path, doc_id: str, **overrides) -> Path:
    fields = {"id": doc_id, "title": "A leaflet", "publisher": "Test Publisher", "url": f"https://example.org/{doc_id}",
              "license": "CC BY 4.0", "collection": "tests", "reviewed_on": "2026-11-21", **overrides}
    meta = Path(str(path) + ".yml")
    meta.write_text("".join(f"{k}: {v}\n" for k, v in fields.items() if v is not None) +
                    "subjects:\n- condition: dystonia\n", encoding="utf-8")
    return meta


class FakeEmbedder(Embedder):
    """Deterministic vectors from a hash of the text: lets build tests count model calls
    without loading a model. Retrieval quality is meaningless with it."""

    model_id = "test/fake-hash-embedder"
    dimension = 16

    def __init__(self, delay: float = 0.0, fail_after: int | None = None):
        super().__init__()
        self.delay, self.fail_after, self.batches = delay, fail_after, 0

    def embed_batch(self, texts):
        self.batches += 1
        if self.fail_after is not None and self.batches > self.fail_after:
            raise RuntimeError("embedding failed half-way (simulated)")
        time.sleep(self.delay)
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], dtype=np.uint8) for t in texts]
        return np.asarray(rows, dtype=np.float32) - 127.5


class WordHashEmbedder(Embedder):
    """A stand-in model for fast tests: each search term adds to one of 256 hashed
    dimensions, so similarity is word overlap. Retrieval with it is crude but meaningful
    ("focal dystonia" finds the focal dystonia page), and it costs microseconds, not a model."""

    model_id = "test/word-hash-embedder"
    dimension = 256

    def embed_batch(self, texts):
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        vectors[:, 0] = 0.01  # no all-zero vector for a text without terms
        for row, text in enumerate(texts):
            for term in terms(text):
                digest = hashlib.md5(term.encode()).digest()
                vectors[row, 1 + digest[0] % (self.dimension - 1)] += 1.0 if digest[1] % 2 else -1.0
        return vectors


def stand_in_models(dimension: int = WordHashEmbedder.dimension):
    """Learned models for a stand-in embedder: facet classifiers that know nothing (every
    facet equally likely) and an untrained scorer (every sentence 0.5). Pipeline logic runs
    end to end with them; answer quality is the slow tests' business."""
    from assistant.facets import FACETS, OTHER, FacetModels, LinearModel
    from assistant.scorer import SentenceScorer

    labels = (*FACETS, OTHER)
    blank = LinearModel(labels, np.zeros((len(labels), dimension), np.float32), np.zeros(len(labels), np.float32))
    return FacetModels(blank, blank, WordHashEmbedder.model_id), SentenceScorer.untrained()


def make_pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF whose text pypdf can extract (no PDF library needed)."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(
        f"({line.replace('(', '[').replace(')', ']')}) Tj T*" for line in lines) + " ET"
    stream = zlib.compress(content.encode("latin-1"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def encrypted_pdf(lines: list[str], password: str = "secret") -> bytes:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(lines))))
    writer.encrypt(user_password=password, owner_password=password, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@contextmanager
def local_chat(chat: Chat, settings: Settings | None = None) -> Iterator[str]:
    """The chat served in this process, with the same launch as ``dystonia chat``; yields its
    URL. ``settings`` default to no rate limit."""
    from chat.app import create_app, launch
    from chat.process import free_port
    from chat.settings import Settings

    port = free_port()
    app = create_app(chat)
    launch(app, replace(settings or Settings(rate_limit=0), port=port), block=False)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()
