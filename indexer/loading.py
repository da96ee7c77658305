"""Read a corpus folder into validated ``Document`` records.

Markdown files carry YAML front matter; .txt, .html and .pdf files carry a sidecar
``<file>.yml`` with the same fields. Every problem found anywhere in the folder is collected
(one line each: file, line, field, and the fix) and the whole corpus is refused with
``CorpusError`` if any is an error, so a bad document can never slip into an index.
Warnings (suspicious but usable content, what a PDF reader complained about) are returned
alongside the documents.

Safety rules, because a corpus folder is input from people:
- A link (file or folder) that resolves outside the corpus is refused and its target is
  never opened, so a corpus cannot become a way to read other files; a link that stays
  inside is fine (each real file is read once, so it never doubles a document).
- Active HTML (scripts, embedded objects, SVG/MathML, event handlers, script URLs) is an
  error in the text and in every metadata field. Harmless markup such as ``<b>`` is kept:
  everything is rendered escaped.
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from common.errors import CorpusError
from indexer import extract
from indexer.documents import Document, make_document, metadata_problems

SIDECAR_SUFFIXES = (".yml", ".yaml")
EXTRACTORS = extract.EXTRACTORS
SKIPPED_NAMES = {"README.md", "LICENSE", "LICENSE.txt", ".gitkeep"}
MAX_DOCUMENT_CHARS = 1_000_000
ACTIVE_MARKUP = re.compile(
    r"<(?:script|iframe|object|embed|svg|math)\b"  # elements that run code or bring their own documents
    r"|\b(?:java|vb)script\s*:|\bdata\s*:\s*text/html",  # script URLs
    re.I,
)
TAG = re.compile(r"<[a-z][^>]*", re.I)  # an opening tag, up to its '>' (or the end of the text)
EVENT_HANDLER = re.compile(r"[\s/\"']on[a-z]+\s*=", re.I)  # onerror=, onload=... inside a tag
MAX_MARKUP_LINES = 10  # per document text; the rest are counted in one more line
MARKUP_FIX = "remove scripts, embedded objects, event handlers and script links (plain text and <b> are fine)"
INJECTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(previous|prior|above|all)\b.{0,20}\b(instructions|rules|prompts?)\b"
    r"|\byou are now\b|\bsystem prompt\b",
    re.I,
)


@dataclass
class Corpus:
    documents: list[Document]
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Problems:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, path: Path, message: str, line: int | None = None):
        self.errors.append(_where(path, line) + message)

    def warn(self, path: Path, message: str, line: int | None = None):
        self.warnings.append(_where(path, line) + "warning: " + message)


def _where(path: Path, line: int | None) -> str:
    return f"{path}:{line}: " if line else f"{path}: "


def load_corpus(folder: str | Path) -> Corpus:
    """All documents under ``folder``, sorted by id; raises CorpusError listing every problem."""
    root = Path(folder)
    if not root.is_dir():
        raise CorpusError([f"{root}: corpus folder not found; pass --corpus with the folder of vetted documents"])
    problems = _Problems()
    sources = _document_files(root, problems)
    documents = [doc for path, meta_file in sources.items() if (doc := _load_one(path, meta_file, problems))]
    meta_files = {str(path): meta_file for path, meta_file in sources.items()}
    _check_collection(documents, problems)
    _check_subjects(documents, problems, meta_files)
    if not documents and not problems.errors:
        problems.error(root, "no documents found; add .md files with front matter (see corpus/README.md)")
    if problems.errors:
        raise CorpusError(problems.errors)
    return Corpus(sorted(documents, key=lambda d: d.id), problems.warnings)


def _document_files(root: Path, problems: _Problems) -> dict[Path, Path | None]:
    """{document: the file holding its metadata}: the document itself for Markdown, else its
    sidecar (None when it has none). Only files the listing accepted are ever used."""
    files = _visible_files(root, problems)
    listed = set(files)
    documents: dict[Path, Path | None] = {}
    sidecars: set[Path] = set()
    claimed: set[Path | None] = set()  # a Markdown file's sidecar is ignored, as it always was
    for path in files:
        if path.name in SKIPPED_NAMES:
            continue
        suffix = path.suffix.lower()
        if suffix in SIDECAR_SUFFIXES:
            sidecars.add(path)
        elif suffix == ".md" or suffix in EXTRACTORS:
            own = next((c for c in _sidecar_names(path) if c in listed), None)
            claimed.add(own)
            documents[path] = path if suffix == ".md" else own
        else:
            problems.error(path, f"unknown file type '{suffix or path.name}': convert it to .md, .txt, "
                                 ".html or .pdf (with a .yml sidecar), or move it out of the corpus")
    for sidecar in sorted(sidecars - claimed):
        problems.error(sidecar, f"metadata file without its document ({sidecar.stem}); "
                                "add the document or delete this file")
    return documents


def _sidecar_names(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in SIDECAR_SUFFIXES]


def _visible_files(root: Path, problems: _Problems) -> list[Path]:
    """Every file under ``root`` that is not hidden (no part of its path starts with '.'),
    each real file once, sorted. Links resolving outside ``root`` are refused (see
    ``_link_is_inside``); folders are walked before links to folders, and a real path beats
    a link to the same file, so a document keeps its own name."""
    chosen: dict[Path, tuple[bool, Path]] = {}  # real file -> (reached through a link, path as listed)
    walked: set[Path] = set()
    folders: list[Path] = [root]
    linked_folders: list[Path] = []
    while folders or linked_folders:
        through_link = not folders
        folder = folders.pop() if folders else linked_folders.pop()
        if folder.resolve() in walked:
            continue  # already walked under its own name, or a link loop
        walked.add(folder.resolve())
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith(".") or (entry.is_symlink() and not _link_is_inside(entry, root, problems)):
                continue
            linked = through_link or entry.is_symlink()
            if entry.is_dir():
                (linked_folders if linked else folders).append(entry)
            elif entry.is_file():
                real = entry.resolve()
                if real not in chosen or (chosen[real][0] and not linked):
                    chosen[real] = (linked, entry)
    return sorted(path for _, path in chosen.values())


def _link_is_inside(link: Path, root: Path, problems: _Problems) -> bool:
    """True if ``link`` resolves to something that exists inside ``root``. Otherwise records
    one error naming the link and the fix. Only the link itself is examined: the target of a
    refused link is never opened."""
    try:
        target = Path(os.path.realpath(link, strict=True))
    except (OSError, RuntimeError) as error:
        if isinstance(error, RuntimeError) or error.errno == errno.ELOOP:
            problems.error(link, "is a link that leads round in a circle; delete it")
            return False
        target = Path(os.path.realpath(link))  # a link to nothing: still say where it points
    if not target.is_relative_to(root.resolve()):
        what = ("folder", "documents") if link.is_dir() else ("file", "document")
        problems.error(link, f"is a link to a {what[0]} outside {root}/; copy the {what[1]} into {root}/ instead")
        return False
    if not target.exists():
        problems.error(link, f"is a link to {target}, which does not exist; fix the link or delete it")
        return False
    return True


def _load_one(path: Path, meta_file: Path | None, problems: _Problems) -> Document | None:
    if meta_file is None:
        problems.error(path, f"no metadata: create {path.name}.yml beside it with the fields listed in "
                             "corpus/README.md")
        return None
    try:
        if path.suffix.lower() == ".md":
            meta, text, body_line = _read_markdown(path)
        else:
            meta, text, body_line, reported = _read_with_sidecar(path, meta_file)
            for warning in reported:
                problems.warn(path, warning)
    except extract.ExtractionProblem as problem:
        problems.error(path, str(problem), problem.line)
        return None
    return _validated(path, meta_file, meta, text, body_line, problems)


def _read_markdown(path: Path) -> tuple[dict, str, int]:
    source = extract.decode_utf8(path.read_bytes())
    match = re.match(r"---[ \t]*\n(.*?\n)---[ \t]*(?:\n|$)", source, re.S)
    if not match:
        raise extract.ExtractionProblem(
            "no YAML front matter; start the file with '---', the metadata fields, then '---'", 1)
    meta = _parse_yaml(match.group(1), first_line=2)
    text, body_line = _stripped(source[match.end():], source.count("\n", 0, match.end()) + 1)
    return meta, text, body_line


def _read_with_sidecar(path: Path, sidecar: Path) -> tuple[dict, str, int, list[str]]:
    """(metadata, text, first line of the text, what the file's reader warned about)."""
    try:
        meta = _parse_yaml(extract.decode_utf8(sidecar.read_bytes()), first_line=1)
    except extract.ExtractionProblem as problem:
        raise extract.ExtractionProblem(f"in {sidecar.name}: {problem}", problem.line) from None
    extracted = extract.read_document(path.read_bytes(), path.suffix.lower())
    text, body_line = _stripped(extracted.text, 1)
    return meta, text, body_line, extracted.warnings


def _stripped(body: str, first_line: int) -> tuple[str, int]:
    """The body without surrounding blank space, and the line it now starts on (so line
    numbers in messages count the blank lines that were dropped)."""
    leading = body[: len(body) - len(body.lstrip())]
    return body.strip(), first_line + leading.count("\n")


def _parse_yaml(text: str, first_line: int) -> dict:
    try:
        meta = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = first_line + mark.line if mark else first_line
        reason = getattr(error, "problem", None) or "invalid YAML"
        raise extract.ExtractionProblem(f"metadata is not valid YAML ({reason}); fix the syntax", line) from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise extract.ExtractionProblem("metadata must be 'field: value' lines", first_line)
    return {str(k): v for k, v in meta.items()}


def _validated(path: Path, meta_file: Path, meta: dict, text: str, body_line: int,
               problems: _Problems) -> Document | None:
    """The document, or None after recording every problem with its metadata and text.
    Metadata problems name ``meta_file`` (the front matter's file or the sidecar) and the
    field's line there."""
    field_problems = metadata_problems(meta) + _metadata_markup(meta)
    for field_name, message in field_problems:
        problems.error(meta_file, message, _field_line(meta_file, field_name))
    markup = _text_markup(text, body_line) if len(text) <= MAX_DOCUMENT_CHARS else []
    if not text:
        problems.error(path, "document body is empty; add the document's text or remove the file", body_line)
    elif len(text) > MAX_DOCUMENT_CHARS:
        problems.error(path, f"document is too large ({len(text):,} characters, limit {MAX_DOCUMENT_CHARS:,}); "
                             "split it into several documents")
    for line, message in markup:
        problems.error(path, message, line)
    if text and (injection := INJECTION.search(text)):
        problems.warn(path, f"text reads like an instruction to an AI ({injection.group(0)!r}); "
                            "check the document is what it claims to be",
                      body_line + text.count("\n", 0, injection.start()))
    if field_problems or markup or not text or len(text) > MAX_DOCUMENT_CHARS:
        return None
    return make_document(meta, text, str(path))


def _text_markup(text: str, body_line: int) -> list[tuple[int, str]]:
    """(line, message) for each piece of active HTML in a document's text (at most
    ``MAX_MARKUP_LINES``, then one line counting the rest)."""
    pieces = active_html(text)
    found = [(start, f"document text contains active HTML ({fragment!r}); {MARKUP_FIX}")
             for start, fragment in pieces[:MAX_MARKUP_LINES]]
    if len(pieces) > MAX_MARKUP_LINES:
        rest = len(pieces) - MAX_MARKUP_LINES
        found.append((pieces[MAX_MARKUP_LINES][0], f"document text contains {rest} more pieces of active HTML; "
                                                   f"{MARKUP_FIX}"))
    return [(body_line + text.count("\n", 0, start), message) for start, message in found]


def _metadata_markup(meta: dict) -> list[tuple[str, str]]:
    """(field, message) for each metadata field holding active HTML, at any depth."""
    found = []
    for field_name, value in meta.items():
        fragments = [fragment for text in _strings(value) for _, fragment in active_html(text)]
        if fragments:
            found.append((field_name, f"field '{field_name}' contains active HTML ({fragments[0]!r}); "
                                      "write it as plain text"))
    return found


def active_html(text: str) -> list[tuple[int, str]]:
    """(offset, fragment) of each piece of active HTML in ``text``, in order: a scripting or
    embedding element, a tag with an event handler, or a script URL. Tags are found in one
    pass (no backtracking over long texts); a tag counts once even if it breaks two rules."""
    found = {match.start(): match.group(0)[:60] for match in ACTIVE_MARKUP.finditer(text)}
    for tag in TAG.finditer(text):
        if tag.start() not in found and (handler := EVENT_HANDLER.search(tag.group(0))):
            name = tag.group(0).split(None, 1)[0].split("/", 1)[0][:30]
            found[tag.start()] = f"{name} ... {handler.group(0)[1:].strip()}"
    return sorted(found.items())


def _strings(value) -> list[str]:
    """Every string inside a metadata value (lists and mappings included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [*_strings(key), *_strings(item)]]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def _field_line(meta_file: Path | None, field_name: str) -> int | None:
    """Line of ``field:`` in the front matter (or sidecar) so the message points at it."""
    if meta_file is None:
        return None
    try:
        lines = meta_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for number, line in enumerate(lines, start=1):
        if re.match(rf"{re.escape(field_name)}\s*:", line):
            return number
    return 1


def _check_subjects(documents: list[Document], problems: _Problems, meta_files: dict[str, Path | None]) -> None:
    """A subject means one thing across the library: the same kind, the same broader condition,
    and a broader condition that the library knows."""
    seen: dict[str, tuple[str, str | None, str]] = {}
    for doc in documents:
        for subject in doc.subjects:
            kind_of = subject.kind_of
            first = seen.setdefault(subject.name, (subject.kind, kind_of, doc.source_path))
            if first[0] != subject.kind or (kind_of and first[1] and first[1] != kind_of):
                meta_file, line = _subjects_field(doc, meta_files)
                problems.error(meta_file, f"subject '{subject.name}' is a {subject.kind}"
                               f"{' (a kind of ' + kind_of + ')' if kind_of else ''} here but not in "
                               f"{first[2]}; make them agree", line)
    conditions = {name for name, (kind, _, _) in seen.items() if kind == "condition"}
    for doc in documents:
        for subject in doc.subjects:
            if subject.kind_of and subject.kind_of not in conditions:
                meta_file, line = _subjects_field(doc, meta_files)
                problems.error(meta_file, f"subject '{subject.name}' is a kind of '{subject.kind_of}', "
                               "which no document lists as a condition; fix the name or add that subject", line)


def _subjects_field(doc: Document, meta_files: dict[str, Path | None]) -> tuple[Path, int | None]:
    """Where a document's ``subjects:`` field is: its metadata file and line."""
    meta_file = meta_files.get(doc.source_path) or Path(doc.source_path)
    return meta_file, _field_line(meta_file, "subjects")


def _check_collection(documents: list[Document], problems: _Problems) -> None:
    by_id: dict[str, Document] = {}
    by_text: dict[str, Document] = {}
    for doc in documents:
        if doc.id in by_id:
            problems.error(Path(doc.source_path), f"duplicate id '{doc.id}' (also in {by_id[doc.id].source_path}); "
                                                  "give each document a unique id")
        by_id.setdefault(doc.id, doc)
        if doc.text in by_text:
            problems.error(Path(doc.source_path), f"same text as {by_text[doc.text].source_path}; "
                                                  "keep one copy and delete the other")
        by_text.setdefault(doc.text, doc)
