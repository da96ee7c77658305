"""Mechanical checks of a reply's grounding, shared by the test suite and ``dystonia eval``.

- every citation's quote is exactly the cited slice of its document;
- every ``[n]`` marker resolves to a citation, and every citation is used;
- every answer sentence lies inside a quote it cites (lexically, after whitespace and
  case are normalised), apart from the fixed framing texts the pipeline adds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.reply import Reply
from indexer.sentences import sentence_spans
from indexer.store import Index


@dataclass(frozen=True)
class Claim:
    """One answer sentence and the citation numbers that follow it."""

    text: str
    cited: tuple[int, ...]




def claims(reply: Reply) -> list[Claim]:
    """The answer's source sentences, each with the citation numbers of its run.

    Read from the reply's segments, not parsed back from its text: fixed texts (emergency
    guidance, refusals, framing, gap statements) are not claims about the sources."""
    if not reply.info.composed:
        return []
    return [Claim(run.text[a:b], run.cited) for segment in reply.segments for run in segment.runs
            for a, b in sentence_spans(run.text)]


def citation_problems(reply: Reply, index: Index) -> list[str]:
    """Quotes that are not verbatim, markers that resolve to nothing, citations never used."""
    problems = []
    numbers = {c.n for c in reply.citations}
    for citation in reply.citations:
        if citation.doc_id not in index.doc_row:
            problems.append(f"[{citation.n}] cites unknown document {citation.doc_id}")
            continue
        text = index.document(citation.doc_id).text
        if text[citation.start:citation.end] != citation.quote or citation.quote not in text:
            problems.append(f"[{citation.n}] quote is not verbatim from {citation.doc_id}")
    used = {int(n) for n in re.findall(r"\[(\d+)\]", reply.answer)}
    problems += [f"marker [{n}] has no citation" for n in sorted(used - numbers)]
    problems += [f"citation [{n}] is never referred to" for n in sorted(numbers - used)]
    return problems


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def supported(claim: Claim, reply: Reply) -> bool:
    """The claim is inside one of the quotes it cites."""
    quotes = [_normal(c.quote) for c in reply.citations if c.n in claim.cited]
    return any(_normal(claim.text) in quote for quote in quotes)


def unsupported_claims(reply: Reply) -> list[str]:
    return [c.text for c in claims(reply) if not supported(c, reply)]
