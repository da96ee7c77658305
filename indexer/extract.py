"""Plain text out of .txt, .html and .pdf files.

Each extractor takes raw bytes and returns text, or raises ``ExtractionProblem`` whose
message says what is wrong and how to fix it. Metadata is not handled here (see
``loading``). HTML scripts, styles and comments are dropped, never kept as text.
"""

from __future__ import annotations

import html.parser
import io
import re


class ExtractionProblem(Exception):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


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
