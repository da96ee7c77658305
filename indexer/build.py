"""Build the index from a validated corpus: chunk, embed (reusing what is unchanged), write.

Guarantees:
- Atomic: everything is written to a fresh build folder and published by swapping a
  symlink, so a build that fails or is killed leaves the previous index in place and valid.
- Incremental: a document whose content hash, model and chunking settings are unchanged
  keeps its stored vectors; only new or edited documents go through the model.
- Self-healing: an index with a missing, truncated or otherwise damaged file (checked by
  SHA-256 against its manifest) is never "up to date", and vectors are reused only from files
  whose hashes match, so `dystonia index` is the one command that repairs any damage.
- One build at a time per index path (a lock file beside it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from common.errors import IndexError_, IndexMissing, IndexStale, UsageError
from indexer.chunking import Chunk, ChunkingParams, chunk_document
from indexer.documents import Document
from indexer.embedding import Embedder
from indexer.loading import Corpus
from indexer.store import (
    EMBEDDING_INPUT_VERSION,
    FORMAT_NAME,
    FORMAT_VERSION,
    check_compatible,
    describe_files,
    embedding_input,
    read_manifest,
    resolve,
    verify_files,
)

VECTOR_FILES = ("chunk_vectors.npy", "sentence_vectors.npy", "sentence_alone_vectors.npy")


@dataclass(frozen=True)
class BuildSettings:
    chunking: ChunkingParams = field(default_factory=ChunkingParams)
    hnsw_threshold: int = 50_000  # above this many chunks, exact search gives way to HNSW
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 128


@dataclass(frozen=True)
class BuildReport:
    path: Path
    up_to_date: bool
    documents: int
    chunks: int
    sentences: int
    reused_documents: int = 0
    embedded_chunks: int = 0
    seconds: float = 0.0
    bytes_on_disk: int = 0
    dense_type: str = ""


@dataclass
class IndexData:
    """Everything that goes into an index folder, in memory (sentence ranges are global rows)."""

    documents: list[Document]
    chunks: list[Chunk]
    sentences: np.ndarray
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_alone_vectors: np.ndarray


@dataclass
class _Prepared:
    doc: Document
    sentences: list
    chunks: list[Chunk]
    chunk_vectors: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None
    sentence_alone_vectors: np.ndarray | None = None


def is_current(corpus: Corpus, out: str | Path, model_id: str, settings: BuildSettings = BuildSettings()) -> bool:
    """True when the index at ``out`` was built from exactly this corpus, model and settings
    and every one of its files is intact."""
    return rebuild_reason(corpus, out, model_id, settings) is None


def rebuild_reason(corpus: Corpus, out: str | Path, model_id: str,
                   settings: BuildSettings = BuildSettings()) -> str | None:
    """Why the index at ``out`` must be (re)built, in a few words; None when it is current.

    Files are hash-checked last, and only when everything else says "current": building is
    rare and a rebuild is cheap next to serving quotes from a damaged index."""
    try:
        manifest = read_manifest(out)
        check_compatible(manifest, resolve(out), model_id)
    except IndexMissing:
        return "there is no index yet"
    except IndexStale:
        return "it was built by other code, chunking or model"
    except IndexError_:
        return "its manifest is damaged"
    wanted = [[d.id, d.content_hash] for d in corpus.documents]
    built = [[d.get("id"), d.get("content_hash")] for d in manifest.get("documents", [])]
    if built != wanted:
        return "the corpus changed"
    if manifest.get("chunking") != settings.chunking.as_dict() \
            or manifest.get("dense", {}).get("hnsw_threshold") != settings.hnsw_threshold:
        return "the build settings changed"
    if not isinstance(manifest.get("sha256"), dict):
        return "it was built by older code (its manifest has no checksums)"
    if damaged := verify_files(out, manifest):
        return "damaged files: " + ", ".join(d.name for d in damaged)
    return None


def build_index(corpus: Corpus, out: str | Path, embedder: Embedder,
                settings: BuildSettings = BuildSettings(), *, progress: bool = True) -> BuildReport:
    started = time.perf_counter()
    out = resolve(out)
    with build_lock(out):
        previous = _previous_vectors(out, embedder, settings)
        prepared = [_prepare(doc, settings.chunking, previous.get(doc.id)) for doc in _progress(
            corpus.documents, progress, "chunking")]
        embedded = _embed_missing(prepared, embedder, progress)
        data = _assemble(prepared)
        extra = {"reused_documents": len(prepared) - embedded[0], "embedded_chunks": embedded[1]}
        path, size = write_index(out, data, settings, embedder.model_id, embedder.dimension,
                                 extra=extra, started=started)
    return BuildReport(path, False, len(data.documents), len(data.chunks), len(data.sentences),
                       extra["reused_documents"], extra["embedded_chunks"], time.perf_counter() - started,
                       size, _dense_type(len(data.chunks), settings))


def _progress(items, enabled: bool, description: str):
    if enabled and len(items) > 200:
        from tqdm import tqdm

        return tqdm(items, desc=description, unit="doc")
    return items


def _prepare(doc: Document, params: ChunkingParams, reusable) -> _Prepared:
    sentences, chunks = chunk_document(doc.id, doc.text, params)
    part = _Prepared(doc, sentences, chunks)
    if reusable and reusable[0] == doc.content_hash and len(reusable[1]) == len(chunks) \
            and len(reusable[2]) == len(sentences) == len(reusable[3]):
        part.chunk_vectors, part.sentence_vectors = np.asarray(reusable[1]), np.asarray(reusable[2])
        part.sentence_alone_vectors = np.asarray(reusable[3])
    return part


def _embed_missing(prepared: list[_Prepared], embedder: Embedder, progress: bool) -> tuple[int, int]:
    """Embed every chunk of documents without reusable vectors; returns (documents, chunks) embedded."""
    todo = [p for p in prepared if p.chunk_vectors is None]
    inputs, spans, owners = [], [], []
    for part in todo:
        for chunk in part.chunks:
            text = part.doc.text[chunk.start:chunk.end]
            head = embedding_input(part.doc, chunk, text)
            shift = len(head) - len(text) - chunk.start
            inputs.append(head)
            spans.append([(s.start + shift, s.end + shift)
                          for s in part.sentences[chunk.first_sentence:chunk.last_sentence + 1]])
            owners.append((part, chunk))
    if not inputs:
        return 0, 0
    vectors, pooled = embedder.embed_passages(inputs, spans, progress=progress)
    _distribute(todo, owners, vectors, pooled, embedder.dimension)
    _embed_alone(todo, embedder, progress)
    return len(todo), len(inputs)


def _embed_alone(todo: list[_Prepared], embedder: Embedder, progress: bool) -> None:
    """Each sentence embedded on its own, too: a sentence's own vector tells which sentence of
    a passage answers a question better than its vector pooled in the passage's context."""
    texts = [part.doc.text[s.start:s.end] for part in todo for s in part.sentences]
    vectors = embedder.embed(texts, progress=progress and len(texts) > 500, description="embedding sentences")
    start = 0
    for part in todo:
        part.sentence_alone_vectors = vectors[start:start + len(part.sentences)]
        start += len(part.sentences)


def _distribute(todo, owners, vectors, pooled, dimension: int) -> None:
    """Give each document its chunk vectors, and each sentence the vector from the first
    chunk that contains it (overlapping chunks contain some sentences twice)."""
    filled = {}
    for part in todo:
        part.chunk_vectors = np.zeros((len(part.chunks), dimension), np.float32)
        part.sentence_vectors = np.zeros((len(part.sentences), dimension), np.float32)
        filled[id(part)] = np.zeros(len(part.sentences), bool)
    for (part, chunk), vector, sentence_vectors in zip(owners, vectors, pooled):
        part.chunk_vectors[chunk.number] = vector
        done = filled[id(part)]
        for offset, row in enumerate(range(chunk.first_sentence, chunk.last_sentence + 1)):
            if not done[row]:
                part.sentence_vectors[row], done[row] = sentence_vectors[offset], True


def _assemble(prepared: list[_Prepared]) -> IndexData:
    documents, chunks, sentence_rows = [], [], []
    base = 0
    for doc_row, part in enumerate(prepared):
        documents.append(part.doc)
        chunks += [replace(c, first_sentence=c.first_sentence + base, last_sentence=c.last_sentence + base)
                   for c in part.chunks]
        sentence_rows += [(doc_row, s.start, s.end) for s in part.sentences]
        base += len(part.sentences)
    dimension = next((p.chunk_vectors.shape[1] for p in prepared if p.chunk_vectors is not None), 0)
    return IndexData(
        documents=documents,
        chunks=chunks,
        sentences=np.asarray(sentence_rows, dtype=np.int64).reshape(-1, 3),
        chunk_vectors=_stack([p.chunk_vectors for p in prepared], dimension),
        sentence_vectors=_stack([p.sentence_vectors for p in prepared], dimension),
        sentence_alone_vectors=_stack([p.sentence_alone_vectors for p in prepared], dimension),
    )


def _stack(parts: list[np.ndarray | None], dimension: int) -> np.ndarray:
    present = [p for p in parts if p is not None and len(p)]
    return np.vstack(present).astype(np.float32) if present else np.zeros((0, dimension), np.float32)


def _previous_vectors(out: Path, embedder: Embedder, settings: BuildSettings) -> dict:
    """{doc id: (content hash, chunk vectors, sentence vectors, sentence-alone vectors)} from a compatible
    previous index whose vector files match their manifest hashes; empty (embed everything) otherwise."""
    try:
        manifest = read_manifest(out)
        check_compatible(manifest, out, embedder.model_id, embedder.dimension)
        if manifest.get("chunking") != settings.chunking.as_dict():
            return {}
        if verify_files(out, manifest, VECTOR_FILES):
            return {}  # damaged vectors would be served as if they were the model's: embed again
        chunk_vectors = np.load(out / "chunk_vectors.npy", mmap_mode="r", allow_pickle=False)
        sentence_vectors = np.load(out / "sentence_vectors.npy", mmap_mode="r", allow_pickle=False)
        alone_vectors = np.load(out / "sentence_alone_vectors.npy", mmap_mode="r", allow_pickle=False)
    except (IndexError_, OSError, ValueError):
        return {}
    reusable, c, s = {}, 0, 0
    try:
        for entry in manifest.get("documents", []):
            nc, ns = entry["chunks"], entry["sentences"]
            reusable[entry["id"]] = (entry["content_hash"], chunk_vectors[c:c + nc], sentence_vectors[s:s + ns],
                                     alone_vectors[s:s + ns])
            c, s = c + nc, s + ns
    except (KeyError, TypeError):
        return {}
    if c != len(chunk_vectors) or s != len(sentence_vectors) or s != len(alone_vectors):
        return {}  # inconsistent: rebuild everything rather than trust it
    return reusable


def _dense_type(n_chunks: int, settings: BuildSettings) -> str:
    return "hnsw" if n_chunks > settings.hnsw_threshold else "flat"


def build_dense(vectors: np.ndarray, settings: BuildSettings):
    import faiss

    dimension = vectors.shape[1]
    index: faiss.Index
    if _dense_type(len(vectors), settings) == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dimension, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = settings.hnsw_ef_construction
        hnsw.hnsw.efSearch = settings.hnsw_ef_search
        index = hnsw
    else:
        index = faiss.IndexFlatIP(dimension)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def write_index(out: Path, data: IndexData, settings: BuildSettings, model_id: str, dimension: int, *,
                extra: dict | None = None, started: float | None = None) -> tuple[Path, int]:
    """Write ``data`` as a new build folder and publish it at ``out``; returns (path, bytes)."""
    import faiss

    from indexer.lexical import LexicalIndex

    builds = out.parent / f".{out.name}.builds"
    builds.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=builds, prefix=f"{dt.datetime.now():%Y%m%dT%H%M%S}-"))
    folder.chmod(0o755)  # mkdtemp makes it private; a server may run as another user
    by_id = {doc.id: doc for doc in data.documents}
    _write_jsonl(folder / "documents.jsonl", [_document_record(d) for d in data.documents])
    _write_jsonl(folder / "chunks.jsonl", [_chunk_record(c) for c in data.chunks])
    np.save(folder / "sentences.npy", data.sentences)
    np.save(folder / "chunk_vectors.npy", data.chunk_vectors)
    np.save(folder / "sentence_vectors.npy", data.sentence_vectors.astype(np.float16))
    np.save(folder / "sentence_alone_vectors.npy", data.sentence_alone_vectors.astype(np.float16))
    faiss.write_index(build_dense(data.chunk_vectors, settings), str(folder / "dense.faiss"))
    lexical_texts = [embedding_input(by_id[c.doc_id], c, by_id[c.doc_id].text[c.start:c.end]) for c in data.chunks]
    LexicalIndex.build(lexical_texts).save(folder / "lexical")
    manifest = _manifest(data, settings, model_id, dimension, folder, extra or {}, started)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    _publish(folder, out)
    _remove_old_builds(builds, folder)
    return out, sum(manifest["files"].values())


def _write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _document_record(doc: Document) -> dict:
    return {**doc.metadata(), "text": doc.text, "source_path": doc.source_path}


def _chunk_record(chunk: Chunk) -> dict:
    return {"id": chunk.id, "doc_id": chunk.doc_id, "number": chunk.number, "section": list(chunk.section),
            "start": chunk.start, "end": chunk.end, "first_sentence": chunk.first_sentence,
            "last_sentence": chunk.last_sentence}


def _manifest(data: IndexData, settings: BuildSettings, model_id: str, dimension: int, folder: Path,
              extra: dict, started: float | None) -> dict:
    sentences_per_doc = np.bincount(data.sentences[:, 0], minlength=len(data.documents)) if len(data.sentences) \
        else np.zeros(len(data.documents), np.int64)
    chunks_per_doc: dict[str, int] = {}
    for chunk in data.chunks:
        chunks_per_doc[chunk.doc_id] = chunks_per_doc.get(chunk.doc_id, 0) + 1
    files, digests = describe_files(folder)
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "model": {"id": model_id, "dimension": dimension},
        "chunking": settings.chunking.as_dict(),
        "embedding_input": EMBEDDING_INPUT_VERSION,
        "dense": {"type": _dense_type(len(data.chunks), settings), "metric": "inner_product",
                  "hnsw_threshold": settings.hnsw_threshold, "hnsw_m": settings.hnsw_m,
                  "hnsw_ef_search": settings.hnsw_ef_search},
        "lexical": {"library": "bm25s", "stemmer": "snowball-english", **_lexical_params()},
        "documents": [{"id": d.id, "content_hash": d.content_hash, "source_path": d.source_path,
                       "chunks": chunks_per_doc.get(d.id, 0), "sentences": int(sentences_per_doc[row])}
                      for row, d in enumerate(data.documents)],
        "counts": {"documents": len(data.documents), "chunks": len(data.chunks), "sentences": len(data.sentences)},
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 2) if started else None,
        **extra,
        "files": files,
        "sha256": digests,
    }


def _lexical_params() -> dict:
    from indexer.lexical import PARAMS

    return dict(PARAMS)


def _publish(folder: Path, out: Path) -> None:
    """Point ``out`` at ``folder`` in one atomic step (a symlink replaced with os.replace)."""
    if out.exists() and not out.is_symlink():
        if not (out / "manifest.json").exists():
            raise UsageError(f"refusing to replace {out}: it is a folder but not an index; choose another --out")
        shutil.rmtree(out)
    link = out.parent / f".{out.name}.link-{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(os.path.relpath(folder, out.parent))
    os.replace(link, out)


def _remove_old_builds(builds: Path, keep: Path) -> None:
    for entry in builds.iterdir():
        if entry != keep:
            shutil.rmtree(entry, ignore_errors=True)


@contextlib.contextmanager
def build_lock(out: Path):
    out.parent.mkdir(parents=True, exist_ok=True)
    lock_path = out.parent / f".{out.name}.lock"
    with lock_path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"another build of {out} is running; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
