"""Replies and the source library as HTML for the web chat.

All text that comes from a user or a document is escaped here, so it is shown as text and
never runs as markup. Citation markers become <details> elements: clicking ``[1]`` opens
the cited passage (title, publisher, dates, link, and the quote highlighted in its
paragraph) in place, with no script needed.
"""

from __future__ import annotations

import re
from html import escape

from assistant.reply import Citation, Reply
from indexer.store import Index

CONTEXT_CHARS = 350


def reply_html(reply: Reply, index: Index | None) -> str:
    if reply.kind == "invalid":
        return f"<div class='reply reply-invalid'><p>{escape(_sentence_case(reply.error or ''))}.</p></div>"
    citations = {c.n: c for c in reply.citations}
    body = "".join(_block(block, citations, index) for block in reply.answer.split("\n\n") if block.strip())
    info = reply.info
    if info.alert == "alarm":
        body = f"<div class='emergency' role='alert'><p class='alert-title'>⚠ {escape(info.title)}</p>{body}</div>"
    elif info.alert == "notice":
        body = f"<p class='kind-title'>{escape(info.title)}</p>{body}"
    sources = _sources(reply.citations)
    return (f"<div class='reply reply-{reply.kind}'>{body}{sources}"
            f"<p class='disclaimer'>{escape(reply.disclaimer or '')}</p></div>")


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _block(block: str, citations: dict[int, Citation], index: Index | None) -> str:
    lines = block.split("\n")
    if all(line.startswith("- ") for line in lines[1:]) and len(lines) > 1:
        items = "".join(f"<li>{_inline(line[2:], citations, index)}</li>" for line in lines[1:])
        return f"<div class='para'><p class='list-title'>{_inline(lines[0], citations, index)}</p><ul>{items}</ul></div>"
    return f"<div class='para'>{_inline(' '.join(lines), citations, index)}</div>"


def _inline(text: str, citations: dict[int, Citation], index: Index | None) -> str:
    parts = re.split(r"\[(\d+)\]", text)
    out = [escape(parts[0])]
    for number, tail in zip(parts[1::2], parts[2::2]):
        citation = citations.get(int(number))
        out.append(_marker(citation, index) if citation else escape(f"[{number}]"))
        out.append(escape(tail))
    return "".join(out)


def _marker(c: Citation, index: Index | None) -> str:
    dates = " · ".join(filter(None, [f"published {c.published}" if c.published else "",
                                      f"reviewed {c.reviewed_on}" if c.reviewed_on else ""]))
    section = f"<span class='section'>Section: {escape(' › '.join(c.section))}</span>" if c.section else ""
    return (f"<details class='cite'><summary title='Show the source passage'>[{c.n}]</summary>"
            f"<div class='passage'><p class='source'><b>{escape(c.title)}</b> — {escape(c.publisher)}"
            f"{' · ' + escape(dates) if dates else ''} · <a href='{escape(c.url, quote=True)}'>original page</a></p>"
            f"{section}<p class='context'>{_highlighted(c, index)}</p></div></details>")


def _highlighted(c: Citation, index: Index | None) -> str:
    """The quote with its surrounding paragraph, the quote itself marked."""
    text = index.document(c.doc_id).text if index is not None and c.doc_id in index.doc_row else c.quote
    if text[c.start:c.end] != c.quote:
        return f"<mark>{escape(c.quote)}</mark>"
    start = max(text.rfind("\n\n", 0, c.start) + 2, c.start - CONTEXT_CHARS, 0)
    end_break = text.find("\n\n", c.end)
    end = min(len(text) if end_break < 0 else end_break, c.end + CONTEXT_CHARS)
    before = ("…" if start > 0 and text[start - 1] not in "\n" else "") + text[start:c.start]
    after = text[c.end:end] + ("…" if end < len(text) and text[end] != "\n" else "")
    return f"{escape(before)}<mark>{escape(c.quote)}</mark>{escape(after)}"


def _sources(citations) -> str:
    if not citations:
        return ""
    seen, items = set(), []
    for c in citations:
        if c.doc_id in seen:
            continue
        seen.add(c.doc_id)
        numbers = ", ".join(str(x.n) for x in citations if x.doc_id == c.doc_id)
        items.append(f"<li>[{numbers}] <a href='{escape(c.url, quote=True)}'>{escape(c.title)}</a> — "
                     f"{escape(c.publisher)}</li>")
    return f"<div class='sources'><p class='sources-title'>Sources</p><ul>{''.join(items)}</ul></div>"


def library_html(index: Index) -> str:
    """The vetted library: one row per document, with how many passages it contributes."""
    rows = []
    for row, doc in enumerate(index.documents):
        rows.append(f"<tr><td>{escape(doc.title)}</td><td>{escape(doc.publisher)}</td>"
                    f"<td><a href='{escape(doc.url, quote=True)}'>original page</a></td>"
                    f"<td>{escape(doc.license)}</td><td>{escape(doc.reviewed_on)}</td>"
                    f"<td class='num'>{len(index.chunks_by_doc[row])}</td></tr>")
    return ("<table class='library'><thead><tr><th>Title</th><th>Publisher</th><th>Link</th><th>Licence</th>"
            f"<th>Reviewed</th><th>Passages</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
