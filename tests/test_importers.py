"""The converter reproduces the committed corpus, and each repair does only its job."""

import filecmp

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.importers import cleaning
from indexer.importers.medquad import clean_answer, tidy_question
from tests.conftest import REPO, SOURCES, examples, need


def test_rerunning_the_converter_reproduces_the_corpus_byte_for_byte(tmp_path):
    need(SOURCES.is_dir(), f"raw sources not found at {SOURCES}")
    from indexer.importers.sources import import_sources

    import_sources(SOURCES, tmp_path, SOURCES.parent / "datasets" / "medquad-answered.tar.gz")
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
    assert cleaning.drop_reference_numbers("in a 2020 case report.1 For maximum") == \
        "in a 2020 case report. For maximum"
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


def test_the_selection_names_the_thirteen_added_pages_and_not_meige_disease():
    from indexer.importers.selection import load_selection

    _, pages = load_selection()
    names = {p.page for p in pages}
    added = {"6_NINDS_QA/0000097", "6_NINDS_QA/0000271", "6_NINDS_QA/0000158", "6_NINDS_QA/0000264",
             "6_NINDS_QA/0000142", "4_MPlus_Health_Topics_QA/0000912", "3_GHR_QA/0000363", "3_GHR_QA/0000364",
             "3_GHR_QA/0000274", "3_GHR_QA/0000496", "3_GHR_QA/0000301", "2_GARD_QA/0003521", "2_GARD_QA/0004706"}
    assert added <= names and len(names) == 44
    assert "3_GHR_QA/0000644" not in names  # "Meige disease" is hereditary lymphoedema, not Meige syndrome
    assert all(p.why and p.subjects for p in pages)


def test_a_page_without_answers_is_refused_with_one_line_and_nothing_is_written(tmp_path):
    from common.errors import UsageError
    from indexer.importers.selection import import_selection

    need(SOURCES.is_dir(), f"raw sources not found at {SOURCES}")
    spec = tmp_path / "selection.yaml"
    spec.write_text("collection: test\nreviewed_on: 2026-11-22\npages:\n"
                    "  - page: 3_GHR_QA/0000971\n    why: good page\n    subjects: [{condition: dystonia}]\n"
                    "  - page: 10_MPlus_ADAM_QA/0000001\n    why: an encyclopedia page\n"
                    "    subjects: [{condition: torticollis}]\n")
    out = tmp_path / "out"
    with pytest.raises(UsageError) as refused:
        import_selection(SOURCES / "medquad-dystonia", SOURCES.parent / "datasets" / "medquad-answered.tar.gz",
                         out, spec)
    lines = str(refused.value).splitlines()
    assert len(lines) == 2 and lines[1].startswith("10_MPlus_ADAM_QA/0000001: not in") and "copyright" in lines[1]
    assert not out.exists()
