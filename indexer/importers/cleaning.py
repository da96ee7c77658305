"""Repairs for text scraped from web pages, one kind of damage per function.

Each function is pure (text in, text out) and safe to apply to clean text, which it leaves
alone; the importers decide which ones a source needs. Nothing here invents content: it
only removes debris or rejoins what the scraper split.
"""

from __future__ import annotations

import html
import re


def normalize_whitespace(text: str) -> str:
    """Unix newlines, no trailing spaces, at most one blank line between paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def separate_paragraphs(text: str) -> str:
    """Scrapes often put one paragraph per line; make each line its own Markdown paragraph.

    Consecutive list items stay together as one list.
    """
    lines = [line for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        previous = out[-1] if out else ""
        both_items = previous.startswith("- ") and line.startswith("- ")
        if line.strip() and previous.strip() and not both_items:
            out.append("")
        out.append(line)
    return "\n".join(out)


def drop_lines(text: str, unwanted: list[str]) -> str:
    """Remove whole lines equal to any of ``unwanted`` (repeated titles, bylines, navigation)."""
    wanted = {u.strip() for u in unwanted}
    return "\n".join(line for line in text.split("\n") if line.strip() not in wanted)


def unglue_title(text: str, title: str) -> str:
    """Remove ``title`` where the scraper glued it to the start of a paragraph."""
    return re.sub(rf"(?m)^{re.escape(title)}[ \t]+(?=\S)", "", text)


def join_split_words(text: str) -> str:
    """Rejoin a hyphenated word split across a blank line ("re-\\n\\neducate")."""
    return re.sub(r"(?<=[A-Za-z])-[ \t]*\n(?:[ \t]*\n)+[ \t]*(?=[a-z])", "-", text)


def drop_reference_numbers(text: str) -> str:
    """Remove bracketed citation numbers like [1] or [2, 3] and footnote digits after a period."""
    brackets = r"\[\d+(?:\s*[,–-]\s*\d+)*\]"
    text = re.sub(rf"[ \t]*{brackets}(?=[.,;:!?])", "", text)
    text = re.sub(rf"[ \t]*{brackets}[ \t]*", " ", text)
    text = re.sub(r"(?<=[a-z]\.)\d{1,2}(?=\s+[A-Z])", "", text)
    return "\n".join(line.strip(" \t") for line in text.split("\n"))


def drop_from(text: str, marker: str) -> str:
    """Cut a footer or legal notice: everything from the first line starting with ``marker``."""
    match = re.search(rf"(?m)^[ \t]*{re.escape(marker)}", text)
    return text[: match.start()] if match else text


def markdown_bullets(text: str) -> str:
    """Turn scraped bullet glyphs ("  • item") into Markdown list items."""
    return re.sub(r"(?m)^[ \t]*[•·▪◦][ \t]*", "- ", text)


def markdown_headings(text: str, headings: list[str]) -> str:
    """Mark the given whole lines as second-level Markdown headings."""
    wanted = {h.strip() for h in headings}
    return "\n".join(f"## {line.strip()}" if line.strip() in wanted else line for line in text.split("\n"))


def decode_entities(text: str) -> str:
    """Decode HTML/XML entities, including doubly encoded ones such as ``&amp;apos;``."""
    for _ in range(3):
        decoded = html.unescape(text)
        if decoded == text:
            return decoded
        text = decoded
    return text
