"""What the library covers: for each subject, which facets some document answers, and the
hands-on cautions it holds; plus the gaps its curators know of.

A facet counts as covered for a subject when a document that lists the subject has a
sentence about that subject (``Annotations.condition``, or any sentence of a page whose main
subject is the treatment) that the facet classifiers read as answering that facet with at
least ``MIN_CONFIDENCE``. It is a map for people deciding whether to ask, and for curators
deciding what to add: it says "some source speaks to this", not "every question on it is
answered".

The known gaps are the bullet list under "## Known gaps" in ``corpus/README.md``, kept by
hand with the corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.annotations import Annotations
from assistant.cautions import TOPICS, Caution
from assistant.facets import FACETS
from assistant.subjects import Catalogue
from indexer.store import Index

MIN_CONFIDENCE = 0.5
CORPUS_README = Path(__file__).resolve().parents[1] / "corpus" / "README.md"
GAPS_HEADING = re.compile(r"^## Known gaps", re.M)


@dataclass(frozen=True)
class SubjectCoverage:
    subject: str
    kind: str  # condition | treatment
    documents: int  # documents that list it
    facets: dict[str, int] = field(default_factory=dict)  # facet -> documents with a sentence answering it

    def record(self) -> dict:
        return {"subject": self.subject, "kind": self.kind, "documents": self.documents, "facets": self.facets}


@dataclass(frozen=True)
class CautionEntry:
    topic: str
    quote: str
    doc_id: str
    title: str
    url: str


def sentence_facets(annotations: Annotations) -> list[str | None]:
    """Per sentence row, the facet it answers (None when no facet is clear enough): the
    average of the sentence model and the question model read on the sentence."""
    labels = annotations.heading_labels
    column = {label: i for i, label in enumerate(annotations.facet_labels)}
    sentence = np.zeros_like(annotations.asked_like)
    for j, label in enumerate(labels):
        if label in column:
            sentence[:, j] = annotations.sentence_facets[:, column[label]]
        else:  # a facet the MedQuAD-trained sentence model has no class for
            sentence[:, j] = annotations.asked_like[:, j]
    combined = (sentence + annotations.asked_like) / 2
    best = combined.argmax(axis=1)
    return [labels[b] if combined[row, b] >= MIN_CONFIDENCE and labels[b] in FACETS else None
            for row, b in enumerate(best)]


def subject_coverage(index: Index, annotations: Annotations, catalogue: Catalogue) -> list[SubjectCoverage]:
    """One row per subject, the most documented first."""
    facets = sentence_facets(annotations)
    found: dict[str, dict[str, set[str]]] = {name: {} for name in catalogue.subjects}
    for info, facet in zip(annotations.rows, facets):
        if facet is None:
            continue
        doc = index.documents[info.doc_row]
        main = doc.subjects[0] if doc.subjects else None
        about = set(info.named) | ({info.condition} if info.condition else set())
        if main and main.kind == "treatment":
            about.add(main.name)
        for subject in about & {s.name for s in doc.subjects}:
            found[subject].setdefault(facet, set()).add(doc.id)
    rows = [SubjectCoverage(name, info.kind, len(set(info.listed_in)),
                            {f: len(found[name].get(f, ())) for f in FACETS if found[name].get(f)})
            for name, info in catalogue.subjects.items() if info.listed_in]
    return sorted(rows, key=lambda r: (-r.documents, r.subject))


def caution_entries(index: Index, annotations: Annotations, cautions: list[Caution]) -> list[CautionEntry]:
    entries = []
    for caution in cautions:
        info = annotations[caution.row]
        doc = index.documents[info.doc_row]
        entries.append(CautionEntry(caution.topic, info.text, doc.id, doc.title, doc.url))
    return entries


def uncovered_topics(cautions: list[Caution]) -> list[str]:
    """The hands-on topics on which the library holds no caution at all."""
    held = {c.topic for c in cautions}
    return [topic for topic in TOPICS if topic not in held]


def known_gaps(readme: Path = CORPUS_README) -> list[str]:
    """The curators' list of topics the library does not cover (``corpus/README.md``)."""
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError:
        return []
    match = GAPS_HEADING.search(text)
    if not match:
        return []
    section = text[match.end():].split("\n## ", 1)[0]
    return [line[2:].strip() for line in section.splitlines() if line.startswith("- ")]
