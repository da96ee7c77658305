"""The vetted document: its provenance metadata and its cleaned text.

Every quote the assistant shows is a slice of ``Document.text``, so that text is the single
reference for offsets. This module holds the record and the metadata rules; reading files
is ``loading``'s job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import asdict, dataclass

REQUIRED_FIELDS = ("id", "title", "publisher", "url", "license", "collection", "reviewed_on")
OPTIONAL_FIELDS = ("author", "published")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    publisher: str
    url: str
    license: str
    collection: str
    reviewed_on: str
    text: str
    source_path: str
    author: str | None = None
    published: str | None = None

    @property
    def content_hash(self) -> str:
        """Changes whenever the text or any metadata changes (drives incremental builds)."""
        payload = json.dumps(self.metadata(), sort_keys=True) + "\n" + self.text
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def metadata(self) -> dict:
        record = asdict(self)
        del record["text"], record["source_path"]
        return record


def metadata_problems(meta: dict) -> list[tuple[str, str]]:
    """Check front matter / sidecar fields; returns (field, message-with-fix) pairs."""
    problems = []
    for field in REQUIRED_FIELDS:
        value = meta.get(field)
        if value is None:
            problems.append((field, f"required field '{field}' is missing: add `{field}: ...`"))
        elif not str(value).strip():
            problems.append((field, f"required field '{field}' is empty: give it a value"))
    problems += _format_problems(meta)
    unknown = sorted(set(meta) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        allowed = ", ".join(REQUIRED_FIELDS + OPTIONAL_FIELDS)
        problems.append((unknown[0], f"unknown field(s) {', '.join(unknown)}: allowed are {allowed}"))
    return problems


def _format_problems(meta: dict) -> list[tuple[str, str]]:
    problems = []
    doc_id = meta.get("id")
    if doc_id and not ID_PATTERN.match(str(doc_id)):
        problems.append(("id", f"id {doc_id!r} must be lowercase letters, digits, '.', '_' or '-'"))
    url = meta.get("url")
    if url and not re.match(r"^https?://\S+$", str(url)):
        problems.append(("url", f"url {url!r} must be an http(s):// address of the original page"))
    for field in ("reviewed_on", "published"):
        value = meta.get(field)
        if value and normalize_date(value) is None:
            problems.append((field, f"{field} {value!r} is not a date: write it as YYYY-MM-DD"))
    return problems


def normalize_date(value) -> str | None:
    """YAML gives dates as ``date`` objects, sidecars may give strings; both become ISO text."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        return None


def make_document(meta: dict, text: str, source_path: str) -> Document:
    """Build a Document from metadata that already passed ``metadata_problems``."""
    optional = {f: _optional_text(meta.get(f)) for f in OPTIONAL_FIELDS}
    if optional["published"]:
        optional["published"] = normalize_date(optional["published"])
    return Document(
        id=str(meta["id"]).strip(),
        title=str(meta["title"]).strip(),
        publisher=str(meta["publisher"]).strip(),
        url=str(meta["url"]).strip(),
        license=str(meta["license"]).strip(),
        collection=str(meta["collection"]).strip(),
        reviewed_on=normalize_date(meta["reviewed_on"]) or "",
        text=text,
        source_path=source_path,
        **optional,
    )


def _optional_text(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        value = normalize_date(value) or str(value)
    return value.strip() or None
