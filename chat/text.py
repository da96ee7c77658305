"""Text from browsers and API callers, made safe to show, store and encode.

JSON may carry a lone UTF-16 surrogate, which is not text: it cannot be encoded as UTF-8,
so SQLite, PostgreSQL and Gradio's own JSON encoder refuse it, and a conversation holding
one could never be sent to its browser again. PostgreSQL also refuses NUL. Everything a
user typed passes through ``safe_text`` before the chat keeps, shows, stores or logs it.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINES = re.compile(r"\r\n?")


def safe_text(value: object, limit: int | None = None) -> str:
    """``value`` as encodable text: lone surrogates become U+FFFD, control characters other
    than tab and newline become spaces, line ends become ``\\n``; at most ``limit``
    characters. Anything that is not a string is empty text."""
    if not isinstance(value, str):
        return ""
    text = _CONTROL.sub(" ", _NEWLINES.sub("\n", _SURROGATE.sub("\ufffd", value)))
    return text if limit is None else text[:limit]
