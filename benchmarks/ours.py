"""Our system's measured steps; each runs in its own process (see ``benchmarks.child``)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks import latency, peer, quality
from benchmarks.measure import fresh, peak_rss_mb, rss_mb
from benchmarks.shared import perturbed


def build(params: dict) -> dict:
    """A from-scratch build with our API; build seconds exclude loading the model and corpus."""
    from indexer.build import build_index
    from indexer.embedding import load_embedder
    from indexer.loading import load_corpus

    out = Path(params["out"])
    embedder = load_embedder()
    corpus = load_corpus(params["corpus"])
    fresh(out)
    report = build_index(corpus, out, embedder, progress=False)
    return {"documents": report.documents, "chunks": report.chunks, "sentences": report.sentences,
            "seconds": report.seconds, "chunks_per_s": report.chunks / report.seconds,
            "bytes_on_disk": report.bytes_on_disk, "dense_type": report.dense_type, "peak_rss_mb": peak_rss_mb()}


def multiplied(index, copies: int, sigma: float, seed: int):
    """``copies`` copies of an index's data with distinct document ids (``-copyN``) and
    perturbed vectors, instead of re-embedding the same texts ten times."""
    from indexer.build import IndexData

    rng = np.random.default_rng(seed)
    n_docs, n_sentences, dim = len(index.documents), len(index.sentences), index.chunk_vectors.shape[1]
    documents, chunks, sentence_rows = [], [], []
    chunk_vectors = np.empty((copies * len(index.chunks), dim), np.float32)
    sentence_vectors = np.empty((copies * n_sentences, dim), np.float16)  # stored as float16 anyway
    alone_vectors = np.empty((copies * n_sentences, dim), np.float16)
    for n in range(copies):
        suffix, shift = f"-copy{n}", n * n_sentences
        documents += [replace(doc, id=doc.id + suffix) for doc in index.documents]
        chunks += [replace(c, doc_id=c.doc_id + suffix, first_sentence=c.first_sentence + shift,
                           last_sentence=c.last_sentence + shift) for c in index.chunks]
        sentence_rows.append(index.sentences + np.array([n * n_docs, 0, 0], dtype=np.int64))
        chunk_vectors[n * len(index.chunks):(n + 1) * len(index.chunks)] = perturbed(index.chunk_vectors, rng, sigma)
        sentence_vectors[shift:shift + n_sentences] = perturbed(index.sentence_vectors, rng, sigma)
        alone_vectors[shift:shift + n_sentences] = perturbed(index.sentence_alone_vectors, rng, sigma)
    return IndexData(documents, chunks, np.vstack(sentence_rows), chunk_vectors, sentence_vectors, alone_vectors)


def multiply(params: dict) -> dict:
    """Write the xN index with ``write_index`` (HNSW above the threshold, as the builder decides)."""
    from indexer.build import BuildSettings, write_index
    from indexer.store import load_index

    source = load_index(params["source"])
    data = multiplied(source, params["copies"], params["sigma"], params["seed"])
    settings = BuildSettings(hnsw_threshold=params.get("hnsw_threshold") or BuildSettings().hnsw_threshold)
    out = Path(params["out"])
    fresh(out)
    started = time.perf_counter()
    _, size = write_index(out, data, settings, source.manifest["model"]["id"], source.manifest["model"]["dimension"])
    manifest = json.loads((out / "manifest.json").read_text())
    return {"documents": len(data.documents), "chunks": len(data.chunks), "sentences": len(data.sentences),
            "seconds": time.perf_counter() - started, "bytes_on_disk": size, "dense_type": manifest["dense"]["type"],
            "hnsw_threshold": settings.hnsw_threshold, "peak_rss_mb": peak_rss_mb()}


def query(params: dict) -> dict:
    """In a fresh process: load our index (RSS before/after), time it alone (RSS after the
    queries), then load the peer's store and time both systems paired; optionally measure
    HNSW recall and retrieval quality."""
    from assistant import Assistant
    from indexer.embedding import load_embedder
    from indexer.store import load_index

    queries = json.loads(Path(params["queries"]).read_text())
    embedder = load_embedder()
    embedder.embed(["warm the model up"])
    before = rss_mb()
    started = time.perf_counter()
    index = load_index(params["index"])
    result = {"load_seconds": time.perf_counter() - started, "rss_before_load_mb": before,
              "rss_after_load_mb": rss_mb(),
              "documents": len(index.documents), "chunks": len(index.chunks),
              "dense_type": index.manifest["dense"]["type"], "bytes_on_disk": sum(index.manifest["files"].values())}
    assistant = Assistant.build(index, embedder)
    result["latency_alone"] = latency.ours(assistant, queries["latency"], queries["warmup"])
    result["rss_after_queries_mb"] = rss_mb()
    store, result["peer"] = peer.open_store(params["peer"])
    paired = latency.paired(assistant, store, queries["latency"], queries["warmup"])
    result["latency"], result["peer"]["latency"] = paired
    if params.get("recall"):
        result["ann"] = ann_recall(index, embedder, queries["latency"])
    if params.get("quality"):
        result["quality"] = quality.ours(index, embedder, queries["quality"])
    return result


def ann_recall(index, embedder, texts: list[str]) -> dict:
    """Recall of the index's dense search (HNSW at scale) against exact inner-product search
    over the same chunk vectors, at 10 and at the retriever's candidate depth."""
    import faiss

    vectors = embedder.embed(texts)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(np.ascontiguousarray(index.chunk_vectors, dtype=np.float32))
    out = {"queries": len(texts), "ef_search": getattr(getattr(index.dense, "hnsw", None), "efSearch", None)}
    for k in (10, 50):
        _, truth = exact.search(vectors, k)
        _, found = index.dense.search(vectors, k)
        out[f"recall@{k}"] = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(truth, found)]))
    return out
