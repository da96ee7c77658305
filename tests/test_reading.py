"""How the assistant reads sentences and names: rules that hold whatever the model (fast)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.annotations import SECOND_OF, is_anaphoric
from assistant.subjects import Catalogue, words
from evals.metrics import ItemResult
from indexer.documents import Document, Subject


@pytest.mark.parametrize("sentence", [
    "Writer’s cramp is one good example.",
    "(This situation is known as reduced penetrance.)",
    "(For example, writer's cramp and musician's dystonia have been reported to occur in the same family.)",
])
def test_an_aside_or_example_leans_on_the_sentence_before(sentence):
    assert is_anaphoric(sentence)


@pytest.mark.parametrize("sentence", [
    "Other symptoms may include increasing difficulty in keeping the eyes open, and light sensitivity.",
    "Another form of DRD is due to a rare condition called sepiapterin reductase deficiency.",
    "For other individuals, the symptoms emerge in late adolescence or early adulthood.",
    "Musicians, too, often struggle with this dysfunction.",
])
def test_the_second_of_something_is_marked_so_it_never_opens_an_answer(sentence):
    assert SECOND_OF.match(sentence) and not is_anaphoric(sentence)  # it may follow other sentences


@pytest.mark.parametrize("text", [
    "Dystonia is a movement disorder that causes involuntary contractions of your muscles.",
    "Otherwise healthy people can develop focal dystonia.",
    "Dystonia is known to occur in people who engage in repetitive movements. Writer’s cramp is one good example.",
])
def test_a_sentence_or_run_that_says_what_it_is_about_stands_on_its_own(text):
    assert not is_anaphoric(text)


def _catalogue(*subjects: Subject) -> Catalogue:
    document = Document("doc", "Title", "Publisher", "https://example.org", "public domain", "test", "2026-01-01",
                        "Text.", "doc.md", subjects=subjects)
    return Catalogue([document])


def test_a_long_name_is_found_without_its_trailing_syndrome_and_masked_the_same_way():
    catalogue = _catalogue(
        Subject("dopamine transporter deficiency syndrome", "condition"),
        Subject("dopa-responsive dystonia", "condition", aliases=("Segawa syndrome", "DDON syndrome")))
    question = "what symptoms do babies with dopamine transporter deficiency get? and is Segawa’s inherited?"
    assert [m.subject for m in catalogue.find(question)] == ["dopamine transporter deficiency syndrome",
                                                             "dopa-responsive dystonia"]
    assert catalogue.masked(question) == "what symptoms do babies with it get? and is it inherited"
    assert catalogue.find("ddon") == []  # too short to stand for the whole name


@given(st.text(max_size=80))
def test_masking_any_text_never_fails_and_replaces_every_name_and_nothing_else(text):
    catalogue = _catalogue(Subject("dopamine transporter deficiency syndrome", "condition",
                                   aliases=("Segawa’s disease",)))
    masked = catalogue.masked(text)
    if catalogue.find(text):
        assert catalogue.find(masked) == []
    else:
        assert words(masked) == words(text)


def _result(kind: str, expected: str, gap: bool) -> ItemResult:
    return ItemResult(id="a", category="c", question="q", audience="patient", expected_kind=expected, kind=kind,
                      route_reason="", answer="", citations=[], retrieved=[], expected_documents=[], gap=gap)


def test_where_the_library_lacks_the_answer_saying_so_outright_is_routed_right():
    assert _result("no_evidence", "answer", gap=True).kind_ok
    assert not _result("no_evidence", "answer", gap=False).kind_ok
    assert not _result("personal_advice", "answer", gap=True).kind_ok
