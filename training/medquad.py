"""MedQuAD's NIH question/answer pairs as training examples for the facet classifiers.

MedQuAD labels every question with a question type ("symptoms", "exams and tests", ...);
``QTYPE_FACET`` maps each type to the facet a patient would mean by it. Types with no facet
(research, support groups, prevention) become ``other``. Answers are cleaned by the same
code that imports NIH pages into the corpus, so training text looks like library text.
"""

from __future__ import annotations

import random
import tarfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from assistant.facets import OTHER
from indexer.importers.medquad import clean_answer, tidy_question

DEFAULT_DATASET = Path("../shared/datasets/medquad-answered.tar.gz")
QTYPE_FACET = {
    "information": "definition", "symptoms": "symptoms", "treatment": "treatment", "inheritance": "inheritance",
    "frequency": "frequency", "genetic changes": "cause", "causes": "cause", "susceptibility": "cause",
    "exams and tests": "diagnosis", "outlook": "outlook", "stages": "outlook", "complications": "outlook",
    "considerations": "daily_life", "research": OTHER, "prevention": OTHER, "support groups": OTHER,
}


@dataclass(frozen=True)
class Pair:
    document: str  # MedQuAD folder/id: the unit held-out splits are made of
    focus: str
    question: str
    facet: str
    answer: str  # cleaned, Markdown paragraphs and lists


def read_pairs(dataset: Path = DEFAULT_DATASET) -> list[Pair]:
    """Every answered pair in the data set, in a stable order."""
    pairs = []
    with tarfile.open(dataset) as archive:
        members = sorted((m for m in archive.getmembers() if m.isfile() and m.name.endswith(".xml")),
                         key=lambda m: m.name)
        for member in members:
            handle = archive.extractfile(member)
            if handle is not None:
                pairs += _pairs(handle.read(), member.name.removeprefix("MedQuAD/").removesuffix(".xml"))
    return pairs


def _pairs(xml: bytes, document: str) -> list[Pair]:
    root = ET.fromstring(xml)
    focus = (root.findtext("Focus") or "").strip()
    found = []
    for qa in root.iter("QAPair"):
        question = qa.find("Question")
        qtype = question.get("qtype", "") if question is not None else ""
        answer = clean_answer(qa.findtext("Answer") or "", focus)
        if question is not None and answer and qtype in QTYPE_FACET:
            found.append(Pair(document, focus, tidy_question(question.text or ""), QTYPE_FACET[qtype], answer))
    return found


def balanced_sample(pairs: list[Pair], per_facet: int, seed: int = 13) -> list[Pair]:
    """At most ``per_facet`` pairs of each facet, chosen at random (reproducibly)."""
    rng = random.Random(seed)
    by_facet: dict[str, list[Pair]] = {}
    for pair in pairs:
        by_facet.setdefault(pair.facet, []).append(pair)
    sample = []
    for facet in sorted(by_facet):
        group = by_facet[facet]
        sample += rng.sample(group, min(per_facet, len(group)))
    return sample


def split_by_document(pairs: list[Pair], held_out: float = 0.2, seed: int = 13) -> tuple[list[Pair], list[Pair]]:
    """Train and held-out pairs, no document on both sides (a page's questions share its words)."""
    documents = sorted({p.document for p in pairs})
    random.Random(seed).shuffle(documents)
    test = set(documents[:int(len(documents) * held_out)])
    return [p for p in pairs if p.document not in test], [p for p in pairs if p.document in test]
