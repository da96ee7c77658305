"""Plain text out of .txt, .html and .pdf files.

Each extractor takes raw bytes and returns text, or raises ``ExtractionProblem`` whose
message says what is wrong and how to fix it. Metadata is not handled here (see
``loading``). HTML scripts, styles and comments are dropped, never kept as text.

``read_document`` also returns what the file's reader said on the way: pypdf reports the
damage it works around (through its logger and the warnings module), and those reports
belong to the corpus warnings, naming the file, not on stderr as bare lines.
"""

from __future__ import annotations

import contextlib
import html.parser
import io
import logging
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_READER_WARNINGS = 5  # per file: a badly damaged PDF can repeat one complaint hundreds of times


class ExtractionProblem(Exception):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass
class Extracted:
    """A file's text, and the warnings its reader gave (one line each, without the file name)."""

    text: str
    warnings: list[str] = field(default_factory=list)


def read_document(data: bytes, suffix: str) -> Extracted:
    """Text of a .txt, .html/.htm or .pdf file (``suffix`` lower-case, with the dot)."""
    if suffix == ".pdf":
        return read_pdf(data)
    return Extracted(EXTRACTORS[suffix](data))


def decode_utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ExtractionProblem(
            f"not valid UTF-8 (byte {error.start}); re-save the file as UTF-8", line
        ) from None


def extract_txt(data: bytes) -> str:
    return decode_utf8(data)


def extract_html(data: bytes) -> str:
    parser = _TextParser()
    parser.feed(decode_utf8(data))
    parser.close()
    return parser.text()


def extract_pdf(data: bytes) -> str:
    """Text of a PDF (its reader's warnings are dropped; ``read_pdf`` keeps them)."""
    return read_pdf(data).text


def read_pdf(data: bytes) -> Extracted:
    """Text of a PDF and what pypdf warned about while reading it; never prints anything."""
    with _reader_reports() as reported:
        text = _pdf_text(data)
    return Extracted(text, [f"the PDF reader reported: {m}" for m in _distinct(reported, MAX_READER_WARNINGS)])


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionProblem("PDF is encrypted; save an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ExtractionProblem:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise ExtractionProblem(f"PDF cannot be read ({error}); replace it with a good copy") from None
    except Exception as error:  # pypdf raises many types for damaged files
        if "crypt" in str(error).lower():
            raise ExtractionProblem("PDF is encrypted; save an unprotected copy") from None
        raise ExtractionProblem(f"PDF cannot be read ({error}); replace it with a good copy") from None
    return "\n\n".join(_tidy_pdf_page(page) for page in pages if page.strip())


class _Collector(logging.Handler):
    def __init__(self, into: list[str]):
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.into.append(record.getMessage())
        except Exception:  # a malformed log call must not break reading the file
            self.handleError(record)


@contextlib.contextmanager
def _reader_reports() -> Iterator[list[str]]:
    """Collect pypdf's warnings instead of letting them print: its ``pypdf`` logger gets a
    handler and stops propagating, and ``warnings.warn`` calls are recorded (whatever the
    filters say, so this also holds under ``-W error``). The list is complete once the
    block has ended. Not thread-safe: logger settings and warning filters are global."""
    reported: list[str] = []
    logger = logging.getLogger("pypdf")
    handler, propagate = _Collector(reported), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield reported
        reported.extend(str(warning.message) for warning in caught)
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _distinct(messages: list[str], limit: int) -> list[str]:
    """Each message once, on one line and at most 200 characters, and at most ``limit`` of them."""
    unique = list(dict.fromkeys(" ".join(m.split())[:200] for m in messages if m.strip()))
    if len(unique) > limit:
        return [*unique[:limit], f"... and {len(unique) - limit} other warning(s)"]
    return unique


def _tidy_pdf_page(page: str) -> str:
    lines = [line.rstrip() for line in page.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_BLOCK_TAGS = {"p", "div", "section", "article", "br", "li", "ul", "ol", "table", "tr", "blockquote"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "head", "nav", "footer"}


class _TextParser(html.parser.HTMLParser):
    """Keeps visible text; headings become Markdown headings, blocks become paragraphs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n\n## ")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif re.fullmatch(r"h[1-6]", tag) or tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.skip_depth:
            self.parts.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        raw = "".join(self.parts)
        lines = [line.strip() for line in raw.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


EXTRACTORS = {".txt": extract_txt, ".html": extract_html, ".htm": extract_html, ".pdf": extract_pdf}
