"""Index builds: incremental, atomic, and loud about unusable indexes."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from common.errors import IndexCorrupt, IndexMissing, IndexStale, UsageError
from indexer.build import BuildSettings, build_index, build_lock, is_current
from indexer.loading import load_corpus
from indexer.store import FORMAT_VERSION, load_index
from tests.conftest import REPO
from tests.helpers import FakeEmbedder, write_doc

BODY = "## Causes\n\nDystonia has many causes. Some forms are inherited.\n\n## Care\n\nPhysiotherapy helps some people."


@pytest.fixture
def small_corpus(tmp_path):
    folder = tmp_path / "corpus"
    for name in ("alpha", "beta", "gamma"):
        write_doc(folder, name, f"{BODY}\n\nThis page is {name}.", title=f"Page {name}")
    return folder


def build(folder, out, embedder=None, **kwargs):
    embedder = embedder or FakeEmbedder()
    report = build_index(load_corpus(folder), out, embedder, progress=False, **kwargs)
    return report, embedder


def test_a_build_writes_a_complete_versioned_manifest(small_corpus, tmp_path):
    out = tmp_path / "index"
    report, _ = build(small_corpus, out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "dystonia-index" and manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"] == {"id": FakeEmbedder.model_id, "dimension": 16}
    assert manifest["chunking"]["max_chars"] == 1000
    assert [d["id"] for d in manifest["documents"]] == ["alpha", "beta", "gamma"]
    assert all(len(d["content_hash"]) == 64 for d in manifest["documents"])
    assert manifest["counts"] == {"documents": 3, "chunks": report.chunks, "sentences": report.sentences}
    assert manifest["dense"]["type"] == "flat" and manifest["built_at"]
    files = sorted(str(p.relative_to(out.resolve())) for p in out.resolve().rglob("*")
                   if p.is_file() and p.name != "manifest.json")
    assert sorted(manifest["files"]) == sorted(manifest["sha256"]) == files
    assert all(manifest["files"][name] == (out.resolve() / name).stat().st_size for name in files)
    assert all(len(digest) == 64 for digest in manifest["sha256"].values())
    index = load_index(tmp_path / "index", model_id=FakeEmbedder.model_id)
    assert index.dense.ntotal == report.chunks


def test_unchanged_documents_reuse_their_vectors(small_corpus, tmp_path):
    out = tmp_path / "index"
    first, embedder = build(small_corpus, out)
    # the fake embeds each chunk, each of its sentences for the passage-pooled vectors, and
    # each sentence again on its own
    assert embedder.texts_embedded == first.chunks + 2 * first.sentences
    before = np.array(load_index(out).chunk_vectors)
    write_doc(small_corpus, "beta", f"{BODY}\n\nBeta was edited.", title="Page beta")
    second, embedder = build(small_corpus, out)
    index = load_index(out)
    beta_chunks = sum(1 for c in index.chunks if c.doc_id == "beta")
    beta_sentences = int((index.sentences[:, 0] == index.doc_row["beta"]).sum())
    assert embedder.texts_embedded == beta_chunks + 2 * beta_sentences, "only the edited document is embedded"
    assert second.reused_documents == 2 and second.embedded_chunks == beta_chunks
    after = load_index(out)
    alpha_rows = [i for i, c in enumerate(after.chunks) if c.doc_id == "alpha"]
    assert np.array_equal(np.array(after.chunk_vectors)[alpha_rows], before[alpha_rows])


def test_is_current_notices_corpus_and_model_changes(small_corpus, tmp_path):
    out = tmp_path / "index"
    build(small_corpus, out)
    assert is_current(load_corpus(small_corpus), out, FakeEmbedder.model_id)
    assert not is_current(load_corpus(small_corpus), out, "another/model")
    write_doc(small_corpus, "delta", "A new page about spasms.")
    assert not is_current(load_corpus(small_corpus), out, FakeEmbedder.model_id)


def test_a_failed_build_leaves_the_previous_index_untouched(small_corpus, tmp_path):
    out = tmp_path / "index"
    build(small_corpus, out)
    manifest = (out / "manifest.json").read_text()
    write_doc(small_corpus, "delta", "A new page about spasms. " * 80)
    with pytest.raises(RuntimeError):
        build(small_corpus, out, FakeEmbedder(fail_after=0))
    assert (out / "manifest.json").read_text() == manifest
    assert len(load_index(out).documents) == 3


def test_a_build_killed_half_way_leaves_the_previous_index_valid(small_corpus, tmp_path):
    out = tmp_path / "index"
    build(small_corpus, out)
    manifest = (out / "manifest.json").read_text()
    for i in range(40):
        write_doc(small_corpus, f"extra-{i:02d}", f"Extra page {i} about cramps. " * 60)
    script = (f"import sys; sys.path[:0] = [{str(REPO)!r}]\n"
              "from indexer.build import build_index\nfrom indexer.loading import load_corpus\n"
              "from tests.helpers import FakeEmbedder\n"
              f"build_index(load_corpus({str(small_corpus)!r}), {str(out)!r}, FakeEmbedder(delay=0.5), "
              "progress=False)\n")
    child = subprocess.Popen([sys.executable, "-c", script])
    time.sleep(3)
    assert child.poll() is None, "the build should still be embedding"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert (out / "manifest.json").read_text() == manifest
    assert len(load_index(out).documents) == 3
    report, _ = build(small_corpus, out)  # the next build cleans up and succeeds
    assert report.documents == 43
    assert len(list((tmp_path / ".index.builds").iterdir())) == 1


def test_one_build_at_a_time(tmp_path):
    with build_lock(tmp_path / "index"), pytest.raises(UsageError, match="another build"), \
            build_lock(tmp_path / "index"):
        pass


def test_refuses_to_replace_a_folder_that_is_not_an_index(small_corpus, tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    with pytest.raises(UsageError, match="not an index"):
        build(small_corpus, precious)
    assert (precious / "thesis.txt").exists()


def test_large_corpora_switch_to_an_approximate_index(small_corpus, tmp_path):
    report, _ = build(small_corpus, tmp_path / "index", settings=BuildSettings(hnsw_threshold=2))
    assert report.dense_type == "hnsw"
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["dense"]["type"] == "hnsw"
    assert load_index(tmp_path / "index").dense.ntotal == report.chunks


def rebuild_message():
    return "dystonia index"


def test_missing_index(tmp_path):
    with pytest.raises(IndexMissing, match=rebuild_message()):
        load_index(tmp_path / "nothing")


@pytest.mark.parametrize("damage", ["truncate", "garbage-manifest", "delete-file", "wrong-count"])
def test_damaged_index_gives_one_clear_error(small_corpus, tmp_path, damage):
    out = tmp_path / "index"
    build(small_corpus, out)
    folder = out.resolve()
    if damage == "truncate":
        data = (folder / "chunk_vectors.npy").read_bytes()
        (folder / "chunk_vectors.npy").write_bytes(data[: len(data) // 2])
    elif damage == "garbage-manifest":
        (folder / "manifest.json").write_text("{not json")
    elif damage == "delete-file":
        (folder / "dense.faiss").unlink()
    else:
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["counts"]["chunks"] += 1
        (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorrupt, match=rebuild_message()):
        load_index(out)


def test_index_from_another_model_or_format_is_stale(small_corpus, tmp_path):
    out = tmp_path / "index"
    build(small_corpus, out)
    with pytest.raises(IndexStale, match="built with model 'test/fake-hash-embedder'"):
        load_index(out, model_id="sentence-transformers/all-MiniLM-L6-v2")
    manifest_file = out.resolve() / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["format_version"] = 99
    manifest_file.write_text(json.dumps(manifest))
    with pytest.raises(IndexStale, match="format version 99"):
        load_index(out)
