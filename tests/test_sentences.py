"""Sentence splitting: abbreviations, initials, decimals and lists do not fool it."""

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.chunking import split_sentences
from indexer.sentences import blocks, sentence_spans
from tests.conftest import examples


def sentences_of(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def test_splits_on_sentence_ends():
    assert sentences_of("Dystonia is rare. It causes spasms! Is it painful? Sometimes.") == [
        "Dystonia is rare.", "It causes spasms!", "Is it painful?", "Sometimes."]


def test_abbreviations_and_initials_do_not_end_sentences():
    text = ("Treatments, e.g. Botox, help many people. Dr. Byl and J. Farias studied retraining. "
            "Over 300,000 people in the U.S. Army and elsewhere have it, i.e. Many. It is 2.5 times more common.")
    assert sentences_of(text) == [
        "Treatments, e.g. Botox, help many people.",
        "Dr. Byl and J. Farias studied retraining.",
        "Over 300,000 people in the U.S. Army and elsewhere have it, i.e. Many.",
        "It is 2.5 times more common."]


def test_closing_brackets_and_quotes_stay_with_their_sentence():
    text = "(For example, writer's cramp runs in families.) The dystonia is \"focal.\" Then it spreads."
    assert sentences_of(text) == ["(For example, writer's cramp runs in families.)",
                                  "The dystonia is \"focal.\"", "Then it spreads."]


def test_list_items_are_separate_sentences_without_their_markers():
    text = "Treatment may include exercises to:\n\n- Regain movement.\n- Improve balance\n1. Strengthen muscles."
    sentences = split_sentences(text)
    assert [text[s.start:s.end] for s in sentences] == [
        "Treatment may include exercises to:", "Regain movement.", "Improve balance", "Strengthen muscles."]


def test_headings_become_the_section_path():
    text = "Intro.\n\n# Top\n\nA.\n\n## Sub\n\nB.\n\n# Next\n\nC."
    assert [(text[s.start:s.end], s.section) for s in split_sentences(text)] == [
        ("Intro.", ()), ("A.", ("Top",)), ("B.", ("Top", "Sub")), ("C.", ("Next",))]


def test_a_blank_line_always_ends_a_sentence():
    assert sentences_of("no full stop here")[0] == "no full stop here"
    text = "first paragraph without stop\n\nSecond one."
    assert [text[b.start:b.end] for b in blocks(text)] == ["first paragraph without stop", "Second one."]


words = st.text(alphabet="abcdefghij .,!?;:'\"()-\n", min_size=0, max_size=300)


@settings(max_examples=examples(400), deadline=None)
@given(words)
def test_sentence_spans_cover_every_character_in_order(text):
    spans = sentence_spans(text)
    position = 0
    for start, end in spans:
        assert position <= start < end <= len(text)
        assert not text[position:start].strip(), "nothing but space between sentences"
        assert text[start:end] == text[start:end].strip()
        position = end
    assert not text[position:].strip()
