"""The vetted document: its provenance metadata, what it is about, and its cleaned text.

Every quote the assistant shows is a slice of ``Document.text``, so that text is the single
reference for offsets. This module holds the record and the metadata rules; reading files
is ``loading``'s job.

``subjects`` says what a document is about, first its main subject: the conditions and
treatments it covers, each with the everyday names people use for it. In front matter::

    subjects:
      - condition: cervical dystonia
        aliases: [spasmodic torticollis, wry neck]
        kind_of: focal dystonia
      - treatment: botulinum toxin
        aliases: [botox]

Answers rely on it to tell what a question is about and what each sentence is about, so a
fact about one rare form of dystonia is never passed off as true of all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import asdict, dataclass

REQUIRED_FIELDS = ("id", "title", "publisher", "url", "license", "collection", "reviewed_on", "subjects")
OPTIONAL_FIELDS = ("author", "published")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
SUBJECT_KINDS = ("condition", "treatment")
SUBJECT_NAME = re.compile(r"^[a-z0-9][a-z0-9 ',()/+-]{1,79}$")
SUBJECT_FORMAT = ("each subject is `- condition: <name>` or `- treatment: <name>`, optionally with "
                  "`aliases: [other names]` and `kind_of: <broader condition>`; names are lowercase")


@dataclass(frozen=True)
class Subject:
    """A condition or treatment a document is about, with the other names it goes by."""

    name: str
    kind: str  # "condition" | "treatment"
    aliases: tuple[str, ...] = ()
    kind_of: str | None = None  # the broader condition it is a form of ("focal dystonia"), if any

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @classmethod
    def from_record(cls, record: dict) -> Subject:
        kind = next(k for k in SUBJECT_KINDS if k in record)
        return cls(str(record[kind]).strip(), kind, tuple(str(a).strip() for a in record.get("aliases") or ()),
                   record.get("kind_of"))

    def record(self) -> dict:
        """The front-matter form (and the index's)."""
        record: dict = {self.kind: self.name}
        if self.aliases:
            record["aliases"] = list(self.aliases)
        if self.kind_of:
            record["kind_of"] = self.kind_of
        return record


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
    subjects: tuple[Subject, ...] = ()

    @property
    def content_hash(self) -> str:
        """Changes whenever the text or any metadata changes (drives incremental builds)."""
        payload = json.dumps(self.metadata(), sort_keys=True) + "\n" + self.text
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def metadata(self) -> dict:
        record = asdict(self)
        del record["text"], record["source_path"]
        record["subjects"] = [s.record() for s in self.subjects]
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
    if meta.get("subjects") is not None:
        problems += [("subjects", message) for message in subject_problems(meta["subjects"])]
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


def subject_problems(subjects) -> list[str]:
    """What is wrong with a ``subjects:`` list, each with the fix (empty if it is fine)."""
    if not isinstance(subjects, list) or not subjects:
        return [f"subjects must be a non-empty list of what the document is about: {SUBJECT_FORMAT}"]
    problems = []
    for number, entry in enumerate(subjects, start=1):
        kinds = [k for k in SUBJECT_KINDS if isinstance(entry, dict) and k in entry]
        extra = sorted(set(entry) - {*SUBJECT_KINDS, "aliases", "kind_of"}) if isinstance(entry, dict) else []
        if len(kinds) != 1 or extra:
            problems.append(f"subject {number} is not in the known format: {SUBJECT_FORMAT}")
            continue
        names = [entry[kinds[0]], *(entry.get("aliases") or [])]
        if entry.get("kind_of") is not None:
            names.append(entry["kind_of"])
        if not isinstance(entry.get("aliases", []), list):
            problems.append(f"subject {number}: aliases must be a list, e.g. `aliases: [wry neck]`")
        elif bad := [n for n in names if not isinstance(n, str) or not SUBJECT_NAME.match(n)]:
            problems.append(f"subject {number}: {bad[0]!r} is not a subject name (lowercase words, "
                            "at most 80 characters)")
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
        subjects=tuple(Subject.from_record(s) for s in meta["subjects"]),
        **optional,
    )


def _optional_text(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        value = normalize_date(value) or str(value)
    return value.strip() or None
