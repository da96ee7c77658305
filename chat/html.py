"""Replies and the source library as HTML for the web chat.

All text that comes from a user or a document is escaped here, so it is shown as text and
never runs as markup. Citation markers become <details> elements: clicking ``[1]`` opens
the cited passage (title, publisher, dates, link, and the quote highlighted in its
paragraph) in place, with no script needed.
"""

from __future__ import annotations

import re
from html import escape

from assistant.coverage import CautionEntry, SubjectCoverage
from assistant.glossary import Entry
from assistant.reply import Citation, Reply, Run, Segment
from indexer.store import Index

CONTEXT_CHARS = 350


def reply_html(reply: Reply, index: Index | None) -> str:
    """A reply as escaped HTML, built from its segments (never by parsing its text back), so
    a "[1]" that is part of a source's own text can never pose as a citation."""
    if reply.kind == "invalid":
        return f"<div class='reply reply-invalid'><p>{escape(_sentence_case(reply.error or ''))}.</p></div>"
    citations = {c.n: c for c in reply.citations}
    terms = _Terms(reply.glossary, index)
    body = "".join(_segment(segment, citations, index, terms) for segment in reply.segments)
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


def _segment(segment: Segment, citations: dict[int, Citation], index: Index | None, terms: _Terms) -> str:
    runs = [_run(run, citations, index, terms) for run in segment.runs]
    if segment.is_list:
        items = "".join(f"<li>{run}</li>" for run in runs)
        return (f"<div class='para cautions'><p class='list-title'>{escape(segment.framing)}</p>"
                f"{f'<ul>{items}</ul>' if items else ''}</div>")
    if segment.role in ("notice", "gap"):
        return f"<div class='para {segment.role}'>{escape(segment.framing)}</div>"
    framing = f"<span class='framing'>{escape(segment.framing)}</span> " if segment.framing else ""
    return f"<div class='para {segment.role}'>{framing}{' '.join(runs)}</div>"


def _run(run: Run, citations: dict[int, Citation], index: Index | None, terms: _Terms) -> str:
    markers = "".join(_marker(citations[n], index) for n in run.cited if n in citations)
    return f"{terms.explained(run.text)} {markers}"


class _Terms:
    """Wraps the first use of each glossary term in an expandable definition: a <details>
    element, so it opens with a click, Enter or Space and screen readers announce it."""

    def __init__(self, entries: tuple[Entry, ...], index: Index | None):
        self.entries = {e.term: e for e in entries}
        self.index = index
        self.pattern = re.compile(r"\b(" + "|".join(re.escape(t) for t in sorted(self.entries, key=len, reverse=True))
                                  + r")\b", re.I) if entries else None

    def explained(self, text: str) -> str:
        if self.pattern is None:
            return escape(text)
        out, last = [], 0
        for match in self.pattern.finditer(text):
            entry = self.entries.pop(match.group(1).lower(), None)
            if entry is None:
                continue
            out += [escape(text[last:match.start()]), _definition(match.group(1), entry, self._title(entry.doc_id))]
            last = match.end()
        return "".join(out) + escape(text[last:])

    def _title(self, doc_id: str) -> str:
        if self.index is not None and doc_id in self.index.doc_row:
            return self.index.document(doc_id).title
        return doc_id


def _definition(word: str, entry: Entry, source: str) -> str:
    return (f"<details class='term'><summary title='What does this mean?'>{escape(word)}</summary>"
            f"<span class='definition' role='note'>{escape(entry.term)}: {escape(entry.explanation)} "
            f"<span class='definition-source'>(in the words of {escape(source)})</span></span></details>")


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
    """The vetted library: one row per document, what it is about, and how many passages it contributes."""
    rows = []
    for row, doc in enumerate(index.documents):
        subjects = ", ".join(s.name for s in doc.subjects)
        rows.append(f"<tr><td>{escape(doc.title)}</td><td>{escape(subjects)}</td><td>{escape(doc.publisher)}</td>"
                    f"<td><a href='{escape(doc.url, quote=True)}'>original page</a></td>"
                    f"<td>{escape(doc.license)}</td><td>{escape(doc.reviewed_on)}</td>"
                    f"<td class='num'>{len(index.chunks_by_doc[row])}</td></tr>")
    return ("<table class='library'><thead><tr><th>Title</th><th>About</th><th>Publisher</th><th>Link</th>"
            f"<th>Licence</th><th>Reviewed</th><th>Passages</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def coverage_html(rows: list[SubjectCoverage], facets: tuple[str, ...], gaps: list[str]) -> str:
    """What the library covers: subjects by facets (documents answering each), and the known gaps."""
    head = "".join(f"<th>{escape(f.replace('_', ' '))}</th>" for f in facets)
    body = "".join(f"<tr><td>{escape(r.subject)}</td><td class='num'>{r.documents}</td>"
                   + "".join(f"<td class='num'>{r.facets.get(f, '') or '·'}</td>" for f in facets) + "</tr>"
                   for r in rows)
    gap_items = "".join(f"<li>{escape(g)}</li>" for g in gaps)
    gaps_part = f"<p class='gaps-title'><b>Not covered</b> (topics the library is known not to cover):</p>" \
                f"<ul class='gaps'>{gap_items}</ul>" if gaps else ""
    return (f"<table class='coverage'><thead><tr><th>Subject</th><th>Documents</th>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table><p class='note'>Each cell: documents with a sentence on that subject "
            f"answering that question (· none).</p>{gaps_part}")


def cautions_html(entries: list[CautionEntry], missing: list[str]) -> str:
    """For massage therapists: every caution for hands-on work the library holds, cited; and what it lacks."""
    items = "".join(f"<li><span class='topic'>{escape(e.topic)}</span>: “{escape(e.quote)}” — "
                    f"<a href='{escape(e.url, quote=True)}'>{escape(e.title)}</a></li>" for e in entries)
    lacking = f"<p>The library says nothing for hands-on work about: {escape(', '.join(missing))}.</p>" \
        if missing else ""
    return f"<ul class='cautions-list'>{items}</ul>{lacking}"
