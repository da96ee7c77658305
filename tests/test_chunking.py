"""Chunking properties: no text lost, offsets valid, size limits kept, sections respected."""

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.chunking import ChunkingParams, chunk_document
from tests.conftest import examples

sentence = st.builds(
    lambda words, end: " ".join(words).capitalize() + end,
    st.lists(st.sampled_from(["dystonia", "muscle", "spasm", "e.g.", "Dr.", "the", "neck", "U.S.", "2.5",
                              "botox", "(see", "below)", "twisting", "is", "a"]), min_size=1, max_size=30),
    st.sampled_from([".", "?", "!", ".)", ""]),
)
paragraph = st.lists(sentence, min_size=1, max_size=8).map(" ".join)
item = sentence.map(lambda s: f"- {s}")
heading = st.sampled_from(["# Causes", "## Treatment", "### Massage", "## What is it?"])
block = st.one_of(paragraph, paragraph, item, heading)
document = st.lists(block, min_size=1, max_size=25).map("\n\n".join)
params = st.builds(ChunkingParams, max_chars=st.integers(60, 900), overlap_chars=st.integers(0, 55))


def covered_characters(text, chunks):
    covered = [False] * len(text)
    for chunk in chunks:
        for i in range(chunk.start, chunk.end):
            covered[i] = True
    return covered


@settings(max_examples=examples(300), deadline=None)
@given(document, params)
def test_no_text_is_lost(text, p):
    _, chunks = chunk_document("doc", text, p)
    covered = covered_characters(text, chunks)
    for line_match in re.finditer(r"[^\n]+", text):
        line = line_match.group(0)
        if re.match(r"#{1,6} ", line):
            continue  # headings live in the chunks' section path
        marker = re.match(r"\s*(-|\d+[.)])\s+", line)
        for i in range(line_match.start() + (marker.end() if marker else 0), line_match.end()):
            assert covered[i] or text[i].isspace(), f"character {i} ({text[i]!r}) is in no chunk"


@settings(max_examples=examples(300), deadline=None)
@given(document, params)
def test_offsets_are_valid_and_chunks_are_exact_slices(text, p):
    sentences, chunks = chunk_document("doc", text, p)
    for chunk in chunks:
        assert 0 <= chunk.start < chunk.end <= len(text)
        body = text[chunk.start:chunk.end]
        assert body == body.strip()
        assert sentences[chunk.first_sentence].start == chunk.start
        assert sentences[chunk.last_sentence].end == chunk.end


@settings(max_examples=examples(300), deadline=None)
@given(document, params)
def test_size_limit_is_kept_unless_a_single_sentence_is_longer(text, p):
    _, chunks = chunk_document("doc", text, p)
    for chunk in chunks:
        if chunk.last_sentence > chunk.first_sentence:
            assert chunk.end - chunk.start <= p.max_chars


@settings(max_examples=examples(300), deadline=None)
@given(document, params)
def test_chunks_stay_inside_one_section_and_make_progress(text, p):
    sentences, chunks = chunk_document("doc", text, p)
    for chunk in chunks:
        assert "\n#" not in text[chunk.start:chunk.end]
        assert all(s.section == chunk.section for s in sentences[chunk.first_sentence:chunk.last_sentence + 1])
    for before, after in itertools.pairwise(chunks):
        assert after.start > before.start
        assert after.last_sentence > before.last_sentence
        if after.section == before.section and after.first_sentence <= before.last_sentence:
            overlap = sentences[before.last_sentence].end - sentences[after.first_sentence].start
            assert overlap <= p.overlap_chars


def test_overlap_repeats_whole_trailing_sentences():
    text = " ".join(f"Sentence number {i} is here." for i in range(12))
    _, chunks = chunk_document("doc", text, ChunkingParams(max_chars=120, overlap_chars=60))
    first, second = chunks[0], chunks[1]
    assert second.start < first.end  # they overlap
    assert text[second.start:first.end].endswith(".")


def test_a_sentence_longer_than_the_limit_is_kept_whole():
    long_sentence = "Dystonia " + "really " * 40 + "hurts."
    params = ChunkingParams(max_chars=80, overlap_chars=20)
    _, chunks = chunk_document("doc", f"Short one. {long_sentence} Short two.", params)
    assert any(c.end - c.start > 80 and c.first_sentence == c.last_sentence for c in chunks)


def test_parameters_are_checked():
    with pytest.raises(ValueError):
        ChunkingParams(max_chars=100, overlap_chars=100)
