"""The converter reproduces the committed corpus, and each repair does only its job."""

import filecmp

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.importers import cleaning
from indexer.importers.medquad import clean_answer, tidy_question
from tests.conftest import REPO, SOURCES, examples, need


def test_rerunning_the_converter_reproduces_the_corpus_byte_for_byte(tmp_path):
    need(SOURCES.is_dir(), f"raw sources not found at {SOURCES}")
    from indexer.importers.sources import import_sources

    import_sources(SOURCES, tmp_path)
    committed = sorted(p.relative_to(REPO / "corpus") for p in (REPO / "corpus").rglob("*")
                       if p.is_file() and p.name != "README.md")
    produced = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert produced == committed
    for relative in produced:
        assert filecmp.cmp(tmp_path / relative, REPO / "corpus" / relative, shallow=False), relative


def test_scraping_damage_is_gone_from_the_corpus(corpus):
    texts = {d.id: d.text for d in corpus.documents}
    assert "Wrist injury" not in texts["massagetoday-focal-dystonia-massage"]
    assert "re-educate" in texts["acibadem-physiotherapy-dystonia"]
    assert "Effective Physiotherapy for Dystonia Relief" not in texts["acibadem-physiotherapy-dystonia"]
    assert "[1]" not in texts["wikipedia-focal-dystonia"]
    assert "All Rights Reserved" not in texts["groundup-what-is-dystonia"]
    assert "not responsible for the consequences" not in texts["dystonia-uk-physiotherapy"]
    for doc in corpus.documents:
        assert "&apos;" not in doc.text and "&quot;" not in doc.text
        assert "Orphanet, a European rare disease database" not in doc.text  # HPO boilerplate


def test_medquad_questions_are_section_headings(corpus):
    doc = next(d for d in corpus.documents if d.id == "ninds-0000112-dystonias")
    assert "## What is Dystonias?" in doc.text and "## What are the treatments for Dystonias?" in doc.text


def test_hpo_list_is_kept_as_a_list_and_the_boilerplate_dropped():
    answer = ("What are the signs and symptoms of Dystonia 1? The Human Phenotype Ontology provides the following "
              "list of signs and symptoms for Dystonia 1. If the information is available, the table below includes "
              "how often the symptom is seen in people with this condition. You can use the MedlinePlus Medical "
              "Dictionary to look up the definitions for these medical terms. Signs and Symptoms Approximate number "
              "of patients (when available) Gait disturbance 90% Writer's cramp - The Human Phenotype Ontology (HPO) "
              "has collected information on how often a sign or symptom occurs in a condition. Sometimes.")
    assert clean_answer(answer, "Dystonia 1") == (
        "The Human Phenotype Ontology provides the following list of signs and symptoms for Dystonia 1.\n\n"
        "- Gait disturbance: 90%\n- Writer's cramp")


def test_medquad_inline_lists_become_markdown_lists():
    answer = "Doctors use it to treat       - Wrinkles    - Cervical dystonia - neck spasms     Effects last months."
    assert clean_answer(answer, "Botox") == (
        "Doctors use it to treat\n\n- Wrinkles\n- Cervical dystonia - neck spasms\n\nEffects last months.")


def test_question_tidying():
    assert tidy_question("What is (are) Dystonias ?") == "What is Dystonias?"
    assert tidy_question("what research (or clinical trials) is being done for X ?").startswith("What research")


def test_each_repair():
    assert cleaning.drop_reference_numbers("[1] During onset. Rare[2]. Also [3, 4] here.") == \
        "During onset. Rare. Also here."
    assert cleaning.drop_reference_numbers("in a 2020 case report.1 For maximum") == "in a 2020 case report. For maximum"
    assert cleaning.join_split_words("help re-\n\neducate the brain") == "help re-educate the brain"
    assert cleaning.unglue_title("Title Here Body starts.\nTitle Here", "Title Here") == "Body starts.\nTitle Here"
    assert cleaning.markdown_bullets("  • one\n  • two") == "- one\n- two"
    assert cleaning.decode_entities("writer&amp;apos;s") == "writer's"
    assert cleaning.drop_from("Body.\n\n© 2021 Someone", "©").strip() == "Body."


clean_prose = st.lists(st.sampled_from(["Dystonia causes spasms.", "Massage may help.", "It is rare, e.g. 1%.",
                                        "- A list item", "## A heading"]), max_size=12).map("\n\n".join)


@settings(max_examples=examples(200), deadline=None)
@given(clean_prose)
def test_repairs_leave_clean_text_alone(text):
    repaired = cleaning.normalize_whitespace(text)
    for repair in (cleaning.drop_reference_numbers, cleaning.join_split_words, cleaning.markdown_bullets,
                   cleaning.decode_entities, cleaning.separate_paragraphs):
        repaired = repair(repaired)
    assert cleaning.normalize_whitespace(repaired) == cleaning.normalize_whitespace(text)
