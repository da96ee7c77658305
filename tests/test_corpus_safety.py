"""Corpus safety: a corpus folder cannot be used to read other files, cannot carry active HTML
into the library, and a PDF reader's complaints reach the curator naming the file."""

import json
import logging
import os
import pathlib
import warnings

import pytest

from common.errors import CorpusError
from indexer import extract
from indexer.loading import load_corpus
from tests.helpers import make_pdf, sidecar, write_doc

MARKER = "zq-outside-marker-7731"


def problems(folder):
    with pytest.raises(CorpusError) as caught:
        load_corpus(folder)
    return caught.value.problems


@pytest.fixture
def opened(monkeypatch):
    """The real paths of every file opened from now on (loading reads through ``Path.open``)."""
    seen = []
    real_open = pathlib.Path.open

    def spy(self, *args, **kwargs):
        seen.append(self.resolve())
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", spy)
    return seen


@pytest.fixture
def outside(tmp_path):
    """A valid document outside the corpus, with a marker that must never be read."""
    return write_doc(tmp_path / "outside", "secret", f"Private notes {MARKER}.")


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    write_doc(folder, "good", "Dystonia is a movement disorder.")
    return folder


# --- links --------------------------------------------------------------------------------

def test_a_link_to_a_file_outside_the_corpus_is_refused_and_its_target_never_read(corpus, outside, opened):
    (corpus / "leak.md").symlink_to(outside)
    assert problems(corpus) == [f"{corpus}/leak.md: is a link to a file outside {corpus}/; "
                                f"copy the document into {corpus}/ instead"]
    assert outside.resolve() not in opened


def test_a_link_to_a_folder_outside_the_corpus_is_refused_and_nothing_in_it_read(corpus, outside, opened):
    (corpus / "more").symlink_to(outside.parent, target_is_directory=True)
    assert problems(corpus) == [f"{corpus}/more: is a link to a folder outside {corpus}/; "
                                f"copy the documents into {corpus}/ instead"]
    assert outside.resolve() not in opened


def test_a_link_inside_that_leads_outside_through_another_link_is_refused(corpus, outside):
    (corpus / "hop.md").symlink_to(outside)
    (corpus / "first.md").symlink_to(corpus / "hop.md")
    found = problems(corpus)
    assert len(found) == 2 and all("outside" in p and MARKER not in p for p in found)


def test_a_sidecar_that_links_outside_is_refused_and_never_read(corpus, tmp_path, opened):
    leaflet = corpus / "leaflet.txt"
    leaflet.write_text("Stretching helps some people with dystonia.\n")
    (tmp_path / "outside").mkdir()
    metadata = sidecar(tmp_path / "outside" / "leaflet.txt", "leaflet")
    (corpus / "leaflet.txt.yml").symlink_to(metadata)
    opened.clear()  # only what loading opens counts
    found = problems(corpus)
    assert f"{corpus}/leaflet.txt.yml: is a link to a file outside {corpus}/; copy the document into {corpus}/ " \
           "instead" in found
    assert metadata.resolve() not in opened


def test_links_that_stay_inside_the_corpus_are_read_once(corpus):
    hidden = write_doc(corpus / ".drafts", "draft", f"A draft kept in a hidden folder {MARKER}.")
    (corpus / "draft.md").symlink_to(hidden)  # the hidden folder is skipped; the link is not
    (corpus / "again.md").symlink_to(corpus / "good.md")  # the same document under a second name
    (corpus / "alias").symlink_to(corpus, target_is_directory=True)  # a folder link, even a loop
    documents = load_corpus(corpus).documents
    assert sorted((d.id, os.path.basename(d.source_path)) for d in documents) == [("draft", "draft.md"),
                                                                                  ("good", "good.md")]


def test_a_broken_link_is_named(corpus):
    (corpus / "gone.md").symlink_to(corpus / "nowhere.md")
    [problem] = problems(corpus)
    assert problem.startswith(f"{corpus}/gone.md: is a link to ") and "does not exist" in problem


def test_a_link_loop_is_named(corpus):
    (corpus / "a.md").symlink_to(corpus / "b.md")
    (corpus / "b.md").symlink_to(corpus / "a.md")
    found = problems(corpus)
    assert len(found) == 2 and all("round in a circle" in p for p in found)


# --- active HTML ---------------------------------------------------------------------------

ACTIVE = [
    "<script>alert(1)</script>",
    "<iframe src=https://example.org></iframe>",
    "<object data=movie.swf></object>",
    "<embed src=movie.swf>",
    "<svg><circle r=4 /></svg>",
    "<svg onload=alert(1)>",
    "<math><mi>x</mi></math>",
    "<img src=x onerror=alert(1)>",
    '<a href="#" onclick="steal()">more</a>',
    "<div/onmouseover='steal()'>hover</div>",
    "[more](javascript:alert(1))",
    "<a href='vbscript:msgbox(1)'>more</a>",
    "data:text/html;base64,PHNjcmlwdD4=",
]
HARMLESS = [
    "Spasms are rarer when x < y.",
    "The <b>cramps</b> appear when writing & drawing.",
    "Onset <i>usually</i> comes in adulthood, onset = 40 years on average.",
    "Dose < 5 units; online=yes; see data: text tables.",
]


@pytest.mark.parametrize("markup", ACTIVE)
def test_active_html_in_the_text_is_refused_on_its_line(tmp_path, markup):
    path = write_doc(tmp_path, "page", f"Dystonia is a movement disorder.\n\nSee {markup} here.\n")
    [problem] = problems(tmp_path)
    assert problem.startswith(f"{path}:15: document text contains active HTML"), problem


@pytest.mark.parametrize("markup", ACTIVE)
def test_active_html_in_a_metadata_field_is_refused_naming_the_field(tmp_path, markup):
    path = write_doc(tmp_path, "page", "Dystonia is a movement disorder.\n")
    path.write_text(path.read_text().replace("title: A test page", f"title: {json.dumps('Guide ' + markup)}"))
    [problem] = problems(tmp_path)
    assert problem.startswith(f"{path}:3: field 'title' contains active HTML"), problem


@pytest.mark.parametrize("field", ["title", "publisher", "author", "url", "license", "collection"])
def test_every_metadata_field_is_checked(tmp_path, field):
    path = write_doc(tmp_path, "page", "Dystonia is a movement disorder.\n")
    value = json.dumps("https://example.org/<script>x()</script>")
    lines = [line for line in path.read_text().splitlines() if not line.startswith(f"{field}:")]
    lines.insert(4, f"{field}: {value}")
    path.write_text("\n".join(lines) + "\n")
    assert f"{path}:5: field '{field}' contains active HTML ('<script'); write it as plain text" in problems(tmp_path)


def test_a_sidecar_field_is_named_in_the_sidecar(tmp_path):
    leaflet = tmp_path / "leaflet.txt"
    leaflet.write_text("Stretching helps some people with dystonia.\n")
    meta = sidecar(leaflet, "leaflet", publisher=json.dumps("<img src=x onerror=alert(1)>"))
    [problem] = problems(tmp_path)
    assert problem.startswith(f"{meta}:3: field 'publisher' contains active HTML")


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_markup_and_comparisons_are_accepted(tmp_path, text):
    write_doc(tmp_path, "page", text)
    [doc] = load_corpus(tmp_path).documents
    assert doc.text == text


# --- PDF reader warnings -------------------------------------------------------------------

def pdf_with_broken_xref(lines):
    """A PDF whose startxref points a few bytes off: pypdf reads it but complains."""
    data = make_pdf(lines)
    start = data.rindex(b"startxref\n") + len(b"startxref\n")
    end = data.index(b"\n", start)
    return data[:start] + str(int(data[start:end]) + 7).encode() + data[end:]


def test_a_pdf_readers_warnings_become_corpus_warnings_naming_the_file(tmp_path, capfd, caplog):
    path = tmp_path / "leaflet.pdf"
    path.write_bytes(pdf_with_broken_xref(["Botulinum toxin relaxes overactive muscles."]))
    sidecar(path, "leaflet")
    corpus = load_corpus(tmp_path)
    assert "relaxes overactive muscles" in corpus.documents[0].text
    assert corpus.warnings and all(w.startswith(f"{path}: warning: the PDF reader reported: ")
                                   for w in corpus.warnings)
    assert any("startxref" in w for w in corpus.warnings)
    assert capfd.readouterr().err == ""
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]


def test_reader_warnings_are_caught_from_the_logger_and_the_warnings_module(monkeypatch):
    def complaining_reader(data):
        logging.getLogger("pypdf._reader").warning("object %d is odd", 7)
        warnings.warn("font widths are missing", UserWarning, stacklevel=1)  # an error under -W error, if not caught
        logging.getLogger("pypdf").warning("object 7 is odd")
        return "Text."

    monkeypatch.setattr(extract, "_pdf_text", complaining_reader)
    result = extract.read_pdf(b"%PDF")
    assert result.text == "Text."
    assert result.warnings == ["the PDF reader reported: object 7 is odd",
                               "the PDF reader reported: font widths are missing"]
    assert logging.getLogger("pypdf").propagate and not logging.getLogger("pypdf").handlers


def test_a_text_full_of_scripts_gives_a_bounded_number_of_lines(tmp_path):
    write_doc(tmp_path, "page", "Dystonia.\n" + "<script>x()</script>\n" * 500)
    found = problems(tmp_path)
    assert len(found) == 11 and "490 more pieces of active HTML" in found[-1]
