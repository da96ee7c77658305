"""What the library covers: `dystonia coverage`, its JSON, the therapists' cautions list and
the curators' known gaps. The table's content is checked on the real library and models; its
shape and flags on the tiny index."""

import json

from click.testing import CliRunner

from assistant.coverage import caution_entries, known_gaps, subject_coverage, uncovered_topics
from assistant.facets import FACETS
from cli.main import cli
from cli.options import World
from tests.helpers import WordHashEmbedder, stand_in_models


def run(*args):
    facets, scorer = stand_in_models()
    world = World(embedder=WordHashEmbedder(), facets=facets, scorer=scorer)
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, obj=world)


def test_the_curators_known_gaps_come_from_the_corpus_readme():
    gaps = known_gaps()
    assert len(gaps) >= 5
    assert any("massage after botulinum toxin" in gap for gap in gaps)
    assert all(gap and not gap.startswith("-") for gap in gaps)


def test_known_gaps_of_a_readme_without_the_section_are_empty(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Corpus\n\n## Policy\n\n- not a gap\n", encoding="utf-8")
    assert known_gaps(readme) == []
    assert known_gaps(tmp_path / "missing.md") == []


def test_the_table_names_every_facet_and_every_listed_subject(tiny_index_dir, tiny_index):
    result = run("coverage", "--index", str(tiny_index_dir))
    assert result.exit_code == 0
    header = result.output.splitlines()[0]
    assert all(facet.replace("_", " ")[:10] in header for facet in FACETS)
    listed = {s.name for doc in tiny_index.documents for s in doc.subjects}
    for name in listed:
        assert any(line.startswith(name[:40]) for line in result.output.splitlines())
    assert "Known not to be covered" in result.output


def test_the_json_lists_subjects_with_facet_counts_and_the_known_gaps(tiny_index_dir, tiny_index):
    data = json.loads(run("coverage", "--json", "--index", str(tiny_index_dir)).output)
    assert data["facets"] == list(FACETS)
    assert data["known_gaps"] == known_gaps()
    for row in data["subjects"]:
        assert set(row["facets"]) <= set(FACETS)
        assert all(0 < n <= row["documents"] for n in row["facets"].values())
    counts = [row["documents"] for row in data["subjects"]]
    assert counts == sorted(counts, reverse=True)


def test_cautions_as_json_are_quotes_with_their_source(tiny_index_dir):
    data = json.loads(run("coverage", "--cautions", "--json", "--index", str(tiny_index_dir)).output)
    assert set(data) == {"cautions", "nothing_on"}
    for entry in data["cautions"]:
        assert {"topic", "quote", "doc_id", "title", "url"} <= set(entry)


def test_on_the_real_library_the_main_subjects_have_definitions_and_symptoms(assistant):
    rows = {r.subject: r for r in subject_coverage(assistant.index, assistant.assessor.annotations,
                                                   assistant.catalogue)}
    for subject in ("dystonia", "blepharospasm", "dopa-responsive dystonia"):
        assert {"definition", "symptoms"} <= set(rows[subject].facets), rows[subject]
    assert "treatment" in rows["botulinum toxin"].facets
    assert rows["dystonia"].documents >= 3


def test_every_caution_on_the_real_library_is_a_verbatim_sentence_of_its_document(assistant):
    entries = caution_entries(assistant.index, assistant.assessor.annotations, assistant.composer.cautions)
    assert entries, "the physiotherapy pages hold cautions for hands-on work"
    texts = {doc.id: " ".join(doc.text.split()) for doc in assistant.index.documents}
    for entry in entries:
        assert " ".join(entry.quote.split()) in texts[entry.doc_id]
    topics = {e.topic for e in entries} | set(uncovered_topics(assistant.composer.cautions))
    assert {"stretching", "referral"} <= topics
