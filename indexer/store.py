"""The index on disk: a versioned folder of plain files, and loading it back safely.

Layout (``FORMAT_VERSION`` 2)::

    manifest.json         format, model, chunking, dense/lexical settings, documents + hashes,
                          counts, build time, and the size (``files``) and SHA-256 (``sha256``)
                          of every other file
    documents.jsonl       one document per line: metadata, subjects and cleaned text (quotes come from here)
    chunks.jsonl          one chunk per line: document, section path, offsets, sentence range
    sentences.npy         int64 (n, 3): document row, start, end
    chunk_vectors.npy     float32 (chunks, dim), L2-normalised
    sentence_vectors.npy  float16 (sentences, dim), L2-normalised: each sentence pooled inside its passage
    sentence_alone_vectors.npy  float16 (sentences, dim): each sentence embedded on its own
    dense.faiss           FAISS inner-product index over chunk vectors (flat, or HNSW when large)
    lexical/              bm25s index + vocabulary of the chunk texts

The path the user names (``var/index`` by default) is a symlink to one build folder beside
it, swapped atomically when a build succeeds, so readers never see a half-written index.
Loading verifies the manifest against the running code and model and checks that every
file is present with its recorded size; any mismatch or damage raises one clear error naming
the rebuild command. Loading never hashes (the chat loads the index at start-up); damage that
keeps a file's size is found by ``verify_files`` (``dystonia index --verify``), and
``dystonia index`` runs the same check before it calls an index up to date.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from common.errors import REBUILD_HINT, IndexCorrupt, IndexMissing, IndexStale

if TYPE_CHECKING:
    from indexer.lexical import LexicalIndex
from indexer.chunking import ALGORITHM_VERSION, Chunk
from indexer.documents import Document, Subject

FORMAT_NAME = "dystonia-index"
FORMAT_VERSION = 2
EMBEDDING_INPUT_VERSION = 1
DEFAULT_INDEX_DIR = "var/index"
DATA_FILES = ("documents.jsonl", "chunks.jsonl", "sentences.npy", "chunk_vectors.npy",
              "sentence_vectors.npy", "sentence_alone_vectors.npy", "dense.faiss")
LEXICAL_FOLDER = "lexical"


def embedding_input(doc: Document, chunk: Chunk, text: str) -> str:
    """What the model sees for a chunk: title and section give it context the text may lack."""
    heading = " > ".join(chunk.section)
    return f"{doc.title}. {heading}. {text}" if heading else f"{doc.title}. {text}"


@dataclass
class Index:
    """Everything needed to search and quote, in memory. Built by ``load_index``."""

    path: Path
    manifest: dict
    documents: list[Document]
    chunks: list[Chunk]
    sentences: np.ndarray  # (n, 3) document row, start, end
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray  # each sentence pooled in its passage's context
    sentence_alone_vectors: np.ndarray  # each sentence on its own
    dense: Any  # faiss.Index (faiss has no type hints)
    lexical: LexicalIndex

    def __post_init__(self):
        self.doc_row = {doc.id: row for row, doc in enumerate(self.documents)}
        self.chunks_by_doc: list[list[Chunk]] = [[] for _ in self.documents]
        for chunk in self.chunks:
            self.chunks_by_doc[self.doc_row[chunk.doc_id]].append(chunk)

    def document(self, doc_id: str) -> Document:
        return self.documents[self.doc_row[doc_id]]

    def chunk_text(self, chunk: Chunk) -> str:
        return self.document(chunk.doc_id).text[chunk.start:chunk.end]

    def sentence_text(self, row: int) -> str:
        doc_row, start, end = self.sentences[row]
        return self.documents[doc_row].text[start:end]


def resolve(path: str | Path) -> Path:
    return Path(path).expanduser()


def read_manifest(path: str | Path) -> dict:
    path = resolve(path)
    manifest_file = path / "manifest.json"
    if not path.exists():
        raise IndexMissing(f"no index at {path}; {REBUILD_HINT} (add --out {path} if it is not the default)")
    if not manifest_file.exists():
        raise IndexCorrupt(f"index at {path} has no manifest.json; {REBUILD_HINT}")
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IndexCorrupt(f"index manifest {manifest_file} is unreadable ({error}); {REBUILD_HINT}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise IndexCorrupt(f"{manifest_file} is not a dystonia index manifest; {REBUILD_HINT}")
    return manifest


def check_compatible(manifest: dict, path: Path, model_id: str | None = None, dimension: int | None = None) -> None:
    """Refuse an index built by other code or another model than the one running now."""
    found = manifest.get("format_version")
    if found != FORMAT_VERSION:
        raise IndexStale(f"index at {path} has format version {found}, this code reads {FORMAT_VERSION}; "
                         f"{REBUILD_HINT}")
    chunking = manifest.get("chunking", {})
    if chunking.get("version") != ALGORITHM_VERSION or manifest.get("embedding_input") != EMBEDDING_INPUT_VERSION:
        raise IndexStale(f"index at {path} was built with an older chunking method; {REBUILD_HINT}")
    model = manifest.get("model", {})
    if model_id and model.get("id") != model_id:
        raise IndexStale(f"index at {path} was built with model {model.get('id')!r} but {model_id!r} is "
                         f"loaded; {REBUILD_HINT} (or pass the same --model)")
    if dimension and model.get("dimension") != dimension:
        raise IndexStale(f"index at {path} has {model.get('dimension')}-dimensional vectors, the model makes "
                         f"{dimension}; {REBUILD_HINT}")


def load_index(path: str | Path = DEFAULT_INDEX_DIR, *, model_id: str | None = None,
               dimension: int | None = None) -> Index:
    """Load and verify an index; raises IndexMissing / IndexStale / IndexCorrupt."""
    path = resolve(path).resolve()
    manifest = read_manifest(path)
    check_compatible(manifest, path, model_id, dimension)
    _check_file_sizes(path, manifest)
    try:
        index = _read(path, manifest)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, json.JSONDecodeError) as error:
        raise IndexCorrupt(f"index at {path} is damaged ({type(error).__name__}: {error}); {REBUILD_HINT}") from None
    _check_consistent(index, path)
    return index


def file_digest(file: Path) -> str:
    """SHA-256 of a file, read in blocks so a large vector file is never held in memory."""
    with file.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def describe_files(folder: Path) -> tuple[dict[str, int], dict[str, str]]:
    """(size, SHA-256) of every file in a build folder, by path relative to it; the manifest
    records both (``files`` and ``sha256``). The manifest itself is not described."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p != folder / "manifest.json")
    names = [str(p.relative_to(folder)) for p in files]
    return ({n: p.stat().st_size for n, p in zip(names, files)},
            {n: file_digest(p) for n, p in zip(names, files)})


@dataclass(frozen=True)
class FileDamage:
    """One index file that is not what was built: ``name`` relative to the index folder."""

    folder: Path
    name: str
    problem: str  # "is missing", "has the wrong size ...", ...

    def __str__(self) -> str:
        return f"index file {self.folder / self.name} {self.problem}; {REBUILD_HINT}"


def verify_files(path: str | Path, manifest: dict | None = None,
                 names: tuple[str, ...] | None = None) -> list[FileDamage]:
    """Hash-check an index's files against its manifest: every file that is unlisted, missing,
    of the wrong size, or whose contents are not what was built; empty when all are intact.
    ``names`` limits the check to those files. Slow on a large index (it reads every byte),
    so it runs when building and on ``--verify``, never on load."""
    path = resolve(path).resolve()
    manifest = read_manifest(path) if manifest is None else manifest
    sizes, digests = _listing(manifest)
    damage = [FileDamage(path, name, "is not listed in manifest.json") for name in _unlisted(sizes, names)]
    for name in sorted(sizes if names is None else set(names) & set(sizes)):
        problem = _size_problem(path / name, sizes[name])
        if problem is None and not isinstance(digests.get(name), str):
            problem = "has no checksum in manifest.json (built by older code)"
        elif problem is None and file_digest(path / name) != digests[name]:
            problem = "is damaged: its contents are not what was built (SHA-256 differs from manifest.json)"
        if problem:
            damage.append(FileDamage(path, name, problem))
    return damage


def _listing(manifest: dict) -> tuple[dict, dict]:
    """The manifest's {file: size} and {file: SHA-256} (empty if a damaged manifest holds something else)."""
    sizes, digests = manifest.get("files"), manifest.get("sha256")
    return (sizes if isinstance(sizes, dict) else {}), (digests if isinstance(digests, dict) else {})


def _unlisted(sizes: dict, names: tuple[str, ...] | None) -> list[str]:
    """Files an index must have that its manifest does not list (a damaged manifest)."""
    wanted = DATA_FILES if names is None else names
    missing = [name for name in wanted if name not in sizes]
    if names is None and not any(name.startswith(f"{LEXICAL_FOLDER}/") for name in sizes):
        missing.append(f"{LEXICAL_FOLDER}/")
    return missing


def _size_problem(file: Path, size: int) -> str | None:
    if not file.is_file():
        return "is missing"
    if file.stat().st_size != size:
        return "has the wrong size (truncated or changed)"
    return None


def _check_file_sizes(path: Path, manifest: dict) -> None:
    """The cheap check every load makes: each file the index needs is listed, present, and
    of the size recorded when it was built."""
    sizes, _ = _listing(manifest)
    if unlisted := _unlisted(sizes, None):
        raise IndexCorrupt(str(FileDamage(path, unlisted[0], "is not listed in manifest.json")))
    for name, size in sizes.items():
        if problem := _size_problem(path / name, size):
            raise IndexCorrupt(str(FileDamage(path, name, problem)))


def _read(path: Path, manifest: dict) -> Index:
    import faiss

    from indexer.lexical import LexicalIndex

    documents = [_document(json.loads(line)) for line in _lines(path / "documents.jsonl")]
    chunks = [_chunk(json.loads(line)) for line in _lines(path / "chunks.jsonl")]
    return Index(
        path=path,
        manifest=manifest,
        documents=documents,
        chunks=chunks,
        sentences=np.load(path / "sentences.npy", allow_pickle=False),
        chunk_vectors=np.load(path / "chunk_vectors.npy", allow_pickle=False, mmap_mode="r"),
        sentence_vectors=np.load(path / "sentence_vectors.npy", allow_pickle=False, mmap_mode="r"),
        sentence_alone_vectors=np.load(path / "sentence_alone_vectors.npy", allow_pickle=False, mmap_mode="r"),
        dense=faiss.read_index(str(path / "dense.faiss")),
        lexical=LexicalIndex.load(path / "lexical"),
    )


def _lines(file: Path):
    with file.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield line


def _document(record: dict) -> Document:
    subjects = tuple(Subject.from_record(s) for s in record.get("subjects", ()))
    return Document(**{**record, "subjects": subjects})


def _chunk(record: dict) -> Chunk:
    return Chunk(record["doc_id"], record["number"], tuple(record["section"]), record["start"],
                 record["end"], record["first_sentence"], record["last_sentence"])


def _check_consistent(index: Index, path: Path) -> None:
    counts = index.manifest.get("counts", {})
    actual = {"documents": len(index.documents), "chunks": len(index.chunks), "sentences": len(index.sentences)}
    problems = [f"{k}: manifest says {counts.get(k)}, files hold {v}" for k, v in actual.items() if counts.get(k) != v]
    if index.chunk_vectors.shape[0] != len(index.chunks) or index.dense.ntotal != len(index.chunks):
        problems.append("chunk vectors do not match the chunks")
    if index.sentence_vectors.shape[0] != len(index.sentences) or \
            index.sentence_alone_vectors.shape[0] != len(index.sentences):
        problems.append("sentence vectors do not match the sentences")
    if index.lexical.size != len(index.chunks):
        problems.append("lexical index does not match the chunks")
    if problems:
        raise IndexCorrupt(f"index at {path} is inconsistent ({'; '.join(problems)}); {REBUILD_HINT}")
