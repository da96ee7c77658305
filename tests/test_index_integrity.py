"""Index integrity: damage to any index file is found, named, and repaired by the very command
the error message names.

The manifest records the size and SHA-256 of every file. Loading checks sizes only (it runs at
every chat start-up); `dystonia index --verify` and `dystonia index` check the hashes.
"""

import json
import random
import re

import pytest
from click.testing import CliRunner

from cli.main import cli
from cli.options import World
from common.errors import IndexCorrupt
from indexer import store
from indexer.build import build_index
from indexer.loading import load_corpus
from indexer.store import load_index
from tests.helpers import FakeEmbedder, write_doc

DATA_FILES = ["documents.jsonl", "chunks.jsonl", "sentences.npy", "chunk_vectors.npy", "sentence_vectors.npy",
              "dense.faiss", "lexical/vocab.index.json", "lexical/data.csc.index.npy"]
VECTOR_FILES = ["chunk_vectors.npy", "sentence_vectors.npy"]


def truncate(file):
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])


def scramble(file):
    """Random bytes written in place over part of the file: same size, different contents."""
    data = bytearray(file.read_bytes())
    rng = random.Random(file.name)
    start = len(data) // 2
    for offset in range(start, min(start + 32, len(data))):
        data[offset] ^= rng.randrange(1, 256)
    file.write_bytes(bytes(data))


def delete(file):
    file.unlink()


DAMAGE = {"truncate": truncate, "same-size": scramble, "delete": delete}


@pytest.fixture
def corpus_dir(tmp_path):
    folder = tmp_path / "corpus"
    write_doc(folder, "alpha", "## Causes\n\nDystonia has many causes. Some forms are inherited.", title="Alpha")
    write_doc(folder, "beta", "## Care\n\nPhysiotherapy helps some people. Botulinum toxin eases spasms.",
              title="Beta")
    write_doc(folder, "gamma", "Writer's cramp is a focal dystonia of the hand. It appears when writing.",
              title="Gamma")
    return folder


@pytest.fixture
def index_dir(corpus_dir, tmp_path):
    out = tmp_path / "index"
    build_index(load_corpus(corpus_dir), out, FakeEmbedder(), progress=False)
    return out


def damage(index_dir, name, kind):
    file = index_dir.resolve() / name
    assert file.is_file(), f"{name} is not in the index any more; update DATA_FILES"
    DAMAGE[kind](file)


def dystonia(*args):
    """The `dystonia` command in-process, with the fake model."""
    return CliRunner().invoke(cli, list(args), obj=World(embedder=FakeEmbedder()), catch_exceptions=False)


def verify(index_dir):
    return dystonia("index", "--verify", "--out", str(index_dir))


def named_command(message):
    """The command an error message tells people to run."""
    found = re.findall(r"`(dystonia [^`]*)`", message)
    assert found, f"the message names no command: {message}"
    return found[0].split()[1:]


@pytest.mark.parametrize("kind", sorted(DAMAGE))
@pytest.mark.parametrize("name", DATA_FILES)
def test_verify_names_the_damaged_file_and_fails(index_dir, name, kind):
    damage(index_dir, name, kind)
    result = verify(index_dir)
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if line.startswith("index file ")]
    assert line.endswith("run `dystonia index` to rebuild it")
    assert f"/{name} " in line


@pytest.mark.parametrize("kind", ["truncate", "delete"])
@pytest.mark.parametrize("name", DATA_FILES)
def test_loading_reports_a_file_of_the_wrong_size_or_missing(index_dir, name, kind):
    damage(index_dir, name, kind)
    with pytest.raises(IndexCorrupt, match=re.escape(name)) as caught:
        load_index(index_dir)
    assert named_command(str(caught.value)) == ["index"]


@pytest.mark.parametrize("name", DATA_FILES)
def test_loading_a_same_size_damage_fails_cleanly_or_not_at_all(index_dir, name):
    damage(index_dir, name, "same-size")
    try:
        load_index(index_dir)
    except IndexCorrupt as error:  # the only failure allowed: one clear line naming the fix
        assert named_command(str(error)) == ["index"]


@pytest.mark.parametrize("kind", sorted(DAMAGE))
@pytest.mark.parametrize("name", DATA_FILES)
def test_the_command_the_error_names_repairs_the_index(corpus_dir, index_dir, name, kind):
    damage(index_dir, name, kind)
    try:
        load_index(index_dir)
        message = verify(index_dir).output
    except IndexCorrupt as error:
        message = str(error)
    command = named_command(message)
    result = dystonia(*command, "--corpus", str(corpus_dir), "--out", str(index_dir))
    assert result.exit_code == 0 and "built " in result.output and "up to date" not in result.output
    assert len(load_index(index_dir).documents) == 3
    assert verify(index_dir).exit_code == 0


def test_an_intact_index_verifies_and_is_up_to_date(corpus_dir, index_dir):
    result = verify(index_dir)
    assert result.exit_code == 0
    assert result.output.strip() == f"index at {index_dir} verified: {len(load_index(index_dir).manifest['files'])} " \
                                    "files intact"
    assert "is up to date" in dystonia("index", "--corpus", str(corpus_dir), "--out", str(index_dir)).output


def test_loading_checks_sizes_but_never_hashes(index_dir, monkeypatch):
    def no_hashing(file):
        raise AssertionError(f"load_index hashed {file}")

    monkeypatch.setattr(store, "file_digest", no_hashing)
    assert len(load_index(index_dir).documents) == 3


@pytest.mark.parametrize("name", VECTOR_FILES)
def test_vectors_from_a_damaged_file_are_never_reused(corpus_dir, index_dir, name):
    damage(index_dir, name, "same-size")
    embedder = FakeEmbedder()
    report = build_index(load_corpus(corpus_dir), index_dir, embedder, progress=False)
    assert report.reused_documents == 0
    assert embedder.texts_embedded == report.chunks + 2 * report.sentences  # in its passage, and alone


def test_intact_vectors_are_reused_when_another_file_is_damaged(corpus_dir, index_dir):
    damage(index_dir, "dense.faiss", "same-size")
    embedder = FakeEmbedder()
    report = build_index(load_corpus(corpus_dir), index_dir, embedder, progress=False)
    assert report.reused_documents == 3 and embedder.texts_embedded == 0


def test_verify_of_a_missing_index_names_the_command_that_builds_it(tmp_path):
    result = verify(tmp_path / "nothing")
    assert result.exit_code == 1 and "no index at" in result.output and "`dystonia index`" in result.output


def test_verify_builds_nothing_so_it_refuses_force(index_dir):
    result = dystonia("index", "--verify", "--force", "--out", str(index_dir))
    assert result.exit_code == 1 and "--verify only reads the index" in result.output


def test_an_index_without_checksums_is_rebuilt_not_trusted(corpus_dir, index_dir):
    manifest_file = index_dir.resolve() / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    del manifest["sha256"]
    manifest_file.write_text(json.dumps(manifest))
    result = verify(index_dir)
    assert result.exit_code == 1 and "has no checksums to verify); run `dystonia index`" in result.output
    assert "built " in dystonia("index", "--corpus", str(corpus_dir), "--out", str(index_dir)).output
    assert verify(index_dir).exit_code == 0
