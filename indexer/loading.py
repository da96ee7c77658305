"""Read a corpus folder into validated ``Document`` records.

Markdown files carry YAML front matter; .txt, .html and .pdf files carry a sidecar
``<file>.yml`` with the same fields. Every problem found anywhere in the folder is collected
(one line each: file, line, field, and the fix) and the whole corpus is refused with
``CorpusError`` if any is an error, so a bad document can never slip into an index.
Warnings (suspicious but usable content) are returned alongside the documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from common.errors import CorpusError
from indexer import extract
from indexer.documents import Document, make_document, metadata_problems

SIDECAR_SUFFIXES = (".yml", ".yaml")
EXTRACTORS = {".txt": extract.extract_txt, ".html": extract.extract_html,
              ".htm": extract.extract_html, ".pdf": extract.extract_pdf}
SKIPPED_NAMES = {"README.md", "LICENSE", "LICENSE.txt", ".gitkeep"}
MAX_DOCUMENT_CHARS = 1_000_000
ACTIVE_MARKUP = re.compile(r"<\s*(script|iframe|object|embed)\b|\bon[a-z]+\s*=\s*[\"']|javascript:", re.I)
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
    documents = [doc for path in _document_files(root, problems) if (doc := _load_one(path, problems))]
    _check_collection(documents, problems)
    _check_subjects(documents, problems)
    if not documents and not problems.errors:
        problems.error(root, "no documents found; add .md files with front matter (see corpus/README.md)")
    if problems.errors:
        raise CorpusError(problems.errors)
    return Corpus(sorted(documents, key=lambda d: d.id), problems.warnings)


def _document_files(root: Path, problems: _Problems) -> list[Path]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and not _hidden(p, root))
    documents, sidecars = [], set()
    for path in files:
        if path.name in SKIPPED_NAMES:
            continue
        suffix = path.suffix.lower()
        if suffix in SIDECAR_SUFFIXES:
            sidecars.add(path)
        elif suffix == ".md" or suffix in EXTRACTORS:
            documents.append(path)
        else:
            problems.error(path, f"unknown file type '{suffix or path.name}': convert it to .md, .txt, "
                                 ".html or .pdf (with a .yml sidecar), or move it out of the corpus")
    for sidecar in sorted(sidecars - {_sidecar_of(d) for d in documents}):
        problems.error(sidecar, f"metadata file without its document ({sidecar.stem}); add the document or delete this file")
    return documents


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _sidecar_of(path: Path) -> Path | None:
    for suffix in SIDECAR_SUFFIXES:
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            return candidate
    return None


def _load_one(path: Path, problems: _Problems) -> Document | None:
    try:
        if path.suffix.lower() == ".md":
            meta, text, body_line = _read_markdown(path)
        else:
            meta, text, body_line = _read_with_sidecar(path)
    except extract.ExtractionProblem as problem:
        problems.error(path, str(problem), problem.line)
        return None
    return _validated(path, meta, text, body_line, problems)


def _read_markdown(path: Path) -> tuple[dict, str, int]:
    source = extract.decode_utf8(path.read_bytes())
    match = re.match(r"---[ \t]*\n(.*?\n)---[ \t]*(?:\n|$)", source, re.S)
    if not match:
        raise extract.ExtractionProblem(
            "no YAML front matter; start the file with '---', the metadata fields, then '---'", 1)
    meta = _parse_yaml(match.group(1), first_line=2)
    body_line = source.count("\n", 0, match.end()) + 1
    return meta, source[match.end():].strip(), body_line


def _read_with_sidecar(path: Path) -> tuple[dict, str, int]:
    sidecar = _sidecar_of(path)
    if sidecar is None:
        raise extract.ExtractionProblem(
            f"no metadata: create {path.name}.yml beside it with the fields listed in corpus/README.md")
    try:
        meta = _parse_yaml(extract.decode_utf8(sidecar.read_bytes()), first_line=1)
    except extract.ExtractionProblem as problem:
        raise extract.ExtractionProblem(f"in {sidecar.name}: {problem}", problem.line) from None
    text = EXTRACTORS[path.suffix.lower()](path.read_bytes())
    return meta, text.strip(), 1


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


def _validated(path: Path, meta: dict, text: str, body_line: int, problems: _Problems) -> Document | None:
    field_problems = metadata_problems(meta)
    for field_name, message in field_problems:
        problems.error(path, message, _field_line(path, field_name))
    if not text:
        problems.error(path, "document body is empty; add the document's text or remove the file", body_line)
    elif len(text) > MAX_DOCUMENT_CHARS:
        problems.error(path, f"document is too large ({len(text):,} characters, limit {MAX_DOCUMENT_CHARS:,}); "
                             "split it into several documents")
    elif markup := ACTIVE_MARKUP.search(text):
        problems.error(path, f"contains active HTML ({markup.group(0)!r}); remove scripts and event handlers",
                       body_line + text.count("\n", 0, markup.start()))
    if text and (injection := INJECTION.search(text)):
        problems.warn(path, f"text reads like an instruction to an AI ({injection.group(0)!r}); "
                            "check the document is what it claims to be",
                      body_line + text.count("\n", 0, injection.start()))
    if field_problems or not text or len(text) > MAX_DOCUMENT_CHARS:
        return None
    return make_document(meta, text, str(path))


def _field_line(path: Path, field_name: str) -> int | None:
    """Line of ``field:`` in the front matter (or sidecar) so the message points at it."""
    target = path if path.suffix.lower() == ".md" else _sidecar_of(path)
    if target is None:
        return None
    try:
        lines = target.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for number, line in enumerate(lines, start=1):
        if re.match(rf"{re.escape(field_name)}\s*:", line):
            return number
    return 1


def _check_subjects(documents: list[Document], problems: _Problems) -> None:
    """A subject means one thing across the library: the same kind, the same broader condition,
    and a broader condition that the library knows."""
    seen: dict[str, tuple[str, str | None, str]] = {}
    for doc in documents:
        for subject in doc.subjects:
            kind_of = subject.kind_of
            first = seen.setdefault(subject.name, (subject.kind, kind_of, doc.source_path))
            if first[0] != subject.kind or (kind_of and first[1] and first[1] != kind_of):
                problems.error(Path(doc.source_path), f"subject '{subject.name}' is a {subject.kind}"
                               f"{' (a kind of ' + kind_of + ')' if kind_of else ''} here but not in "
                               f"{first[2]}; make them agree", _field_line(Path(doc.source_path), "subjects"))
    conditions = {name for name, (kind, _, _) in seen.items() if kind == "condition"}
    for doc in documents:
        for subject in doc.subjects:
            if subject.kind_of and subject.kind_of not in conditions:
                problems.error(Path(doc.source_path), f"subject '{subject.name}' is a kind of '{subject.kind_of}', "
                               "which no document lists as a condition; fix the name or add that subject",
                               _field_line(Path(doc.source_path), "subjects"))


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
