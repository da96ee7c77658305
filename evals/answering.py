"""Does the answer answer? Checks of a reply the way a patient or a therapist reads it.

- **lead**: the first source sentence states one of the item's lead phrases (or key facts);
  when the library lacks the answer (``gap``), the reply says so first instead;
- **off-subject**: a sentence whose document is about another specific disorder, shown
  without a label naming it and without itself naming the subject asked or dystonia in
  general (the fault that makes a fact about one rare form read as true of all dystonia);
- **orphaned reference**: a sentence that opens with "It", "This condition", "They"... as
  the first of its citation run, where nothing before it says what it refers to.

What a document is about comes from its curated front matter (``subjects``), not from the
composer's own reasoning, so the check does not grade the composer with its own logic.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from assistant.annotations import is_anaphoric
from assistant.reply import Reply
from assistant.subjects import GENERAL, Catalogue
from evals.reference import Item
from indexer.sentences import sentence_spans
from indexer.store import Index

GAP_OPENING = re.compile(r"^The sources don't\b")
HARD_TERMS_FILE = Path(__file__).with_name("hard_terms.txt")
LABELLED = ("subtype", "broader")


def first_sentence(reply: Reply) -> str:
    """The first sentence a reader meets after any notices: a gap statement or a source sentence."""
    for segment in reply.segments:
        if segment.role == "gap":
            return segment.framing
        if segment.role == "notice" and GAP_OPENING.match(segment.framing):
            return segment.framing
        for run in segment.runs:
            spans = sentence_spans(run.text)
            return run.text[spans[0][0]:spans[0][1]] if spans else run.text
    return ""


def lead_answers(item: Item, reply: Reply) -> bool | None:
    """None when the item expects no composed answer."""
    if item.expect.kind != "answer":
        return None
    if item.expect.gap:
        return reply.kind == "no_evidence" or bool(GAP_OPENING.match(first_sentence(reply)))
    if reply.kind != "answer":
        return False
    lead = _normal(first_sentence(reply))
    return any(_normal(a) in lead for a in item.expect.lead_alternatives)


def off_subject(item: Item, reply: Reply, index: Index, catalogue: Catalogue) -> int:
    """How many answer sentences are about another disorder, unlabelled."""
    asked = asked_condition(item, catalogue)
    wrong = 0
    for segment in reply.segments:
        if segment.role in LABELLED or segment.role == "notice":
            continue
        for run in segment.runs:
            main = _main_condition(run.cited, reply, index)
            if main is None or catalogue.relation(asked, main) in ("same", "broader"):
                continue
            for a, b in sentence_spans(run.text):
                named = {m.subject for m in catalogue.find(run.text[a:b])}
                if not named & ({asked, GENERAL} | set(catalogue.lineage(asked))):
                    wrong += 1
    return wrong


def asked_condition(item: Item, catalogue: Catalogue) -> str:
    """The condition an item asks about: its labelled subject if that is a condition; for one
    labelled with a treatment, the condition the question itself names ("mum is starting botox
    round her eyes for blepharospasm": blepharospasm sentences are on the subject), else
    dystonia in general."""
    info = catalogue.subjects.get(item.subject or "")
    if info and info.kind == "condition":
        return info.name
    return catalogue.asked(item.question).condition


def orphans(reply: Reply, catalogue: Catalogue) -> int:
    """Runs that open with a word leaning on a sentence the reader was not shown."""
    count = 0
    for segment in reply.segments:
        named = {m.subject for m in catalogue.find(segment.framing)}
        for run in segment.runs:
            if is_anaphoric(run.text) and not named:
                count += 1
    return count


@cache
def hard_terms() -> tuple[str, ...]:
    lines = HARD_TERMS_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def unexplained_hard_terms(reply: Reply) -> tuple[list[str], list[str]]:
    """(hard terms the answer's source sentences use, those of them without a glossary entry)."""
    text = " ".join(run.text for segment in reply.segments for run in segment.runs).lower()
    used = [t for t in hard_terms() if re.search(rf"\b{re.escape(t)}", text)]
    explained = " ".join(e.term for e in reply.glossary)
    return used, [t for t in used if t not in explained]


def _main_condition(cited: tuple[int, ...], reply: Reply, index: Index) -> str | None:
    citations = {c.n: c for c in reply.citations}
    first = citations.get(cited[0]) if cited else None
    if first is None or first.doc_id not in index.doc_row:
        return None
    subjects = index.document(first.doc_id).subjects
    return subjects[0].name if subjects and subjects[0].kind == "condition" else None


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip().lower()
