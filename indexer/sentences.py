"""Split Markdown text into blocks (headings, paragraphs, list items) and sentences.

Everything is returned as character spans into the original text, never as copies, so any
sentence can be located and highlighted later. Contract (property-tested): the sentence
spans of a block are in order, do not overlap, start and end on non-space characters,
and together cover every non-space character of the block.

Abbreviations ("e.g.", "Dr.", "U.S."), initials, decimals and closing quotes/brackets do not
end a sentence; a blank line, a heading or a list item always does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ABBREVIATIONS = {
    "e.g", "i.e", "al", "dr", "mr", "mrs", "ms", "prof", "st", "vs", "approx", "fig",
    "vol", "ca", "cf", "jr", "sr", "inc", "ltd", "co", "dept", "univ", "mt", "ft", "lb",
    "oz", "min", "max", "resp", "incl", "esp", "ref", "refs", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
LIST_MARKER = re.compile(r"[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+")
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")


@dataclass(frozen=True)
class Block:
    kind: str  # "heading" | "paragraph" | "item"
    start: int
    end: int
    level: int = 0  # heading level
    title: str = ""  # heading text


def blocks(text: str) -> list[Block]:
    """Headings, paragraphs and list items of Markdown ``text``, in order."""
    result: list[Block] = []
    pending: tuple[str, int, int] | None = None  # open paragraph or item: kind, start, end
    offset = 0
    for line in text.split("\n"):
        start, end = offset, offset + len(line)
        offset = end + 1
        stripped = line.strip()
        heading = _HEADING.match(line)
        if (not stripped or heading or LIST_MARKER.match(line)) and pending:
            result.append(Block(pending[0], pending[1], pending[2]))
            pending = None
        if heading:
            result.append(Block("heading", start, end, len(heading.group(1)), heading.group(2).strip()))
        elif LIST_MARKER.match(line):
            pending = ("item", start, end)
        elif stripped:
            pending = (pending[0], pending[1], end) if pending else ("paragraph", start, end)
    if pending:
        result.append(Block(pending[0], pending[1], pending[2]))
    return [_trimmed(text, b) for b in result if text[b.start:b.end].strip()]


def _trimmed(text: str, block: Block) -> Block:
    raw = text[block.start:block.end]
    lead = len(raw) - len(raw.lstrip())
    tail = len(raw) - len(raw.rstrip())
    return Block(block.kind, block.start + lead, block.end - tail, block.level, block.title)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans within ``text[start:end]`` (one block; newlines inside are soft)."""
    end = len(text) if end is None else end
    spans, current = [], start
    for match in _BOUNDARY.finditer(text, start, end):
        cut = match.end()
        if _is_abbreviation(text, current, match.start(), match.group(0)):
            continue
        spans.append((current, cut))
        current = _skip_space(text, cut, end)
    if current < end:
        spans.append((current, end))
    return [_strip_span(text, a, b) for a, b in spans if text[a:b].strip()]


def _is_abbreviation(text: str, sentence_start: int, dot: int, mark: str) -> bool:
    if not mark.startswith(".") or len(mark.rstrip("\"'”’)]")) > 1:
        return False
    word = re.search(r"[\w.]+$", text[sentence_start:dot])
    if not word:
        return False
    token = word.group(0).lower()
    return (
        token in ABBREVIATIONS
        or token.rstrip(".") in ABBREVIATIONS
        or re.fullmatch(r"(?:[a-z]\.)+[a-z]", token) is not None  # U.S, e.g, i.e
        or (re.fullmatch(r"[a-z]", token) is not None and word.group(0).isupper())  # initials: J. Smith
    )


def _skip_space(text: str, position: int, end: int) -> int:
    while position < end and text[position].isspace():
        position += 1
    return position


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
