"""The library's NIH pages: the MedQuAD pages named in ``medquad.yaml``, converted with
their subjects.

Why a selection list: which pages are in the library is a curation decision, recorded in
the repository with the reason for each, and the conversion reproduces the corpus byte for
byte from it. A page is read from the raw sources folder when it is there (the founding
pages), else from the full MedQuAD data set. Every page is checked before anything is
written: a page that is missing, or whose answers MedQuAD removed for copyright, is
refused with one line naming it, and nothing is written.
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from common.errors import UsageError
from indexer.documents import subject_problems
from indexer.importers.markdown import write_document
from indexer.importers.medquad import Converted, convert

SPEC_FILE = Path(__file__).with_name("medquad.yaml")
SOURCE_PREFIX = {"2_GARD_QA": "GARD", "3_GHR_QA": "GHR", "4_MPlus_Health_Topics_QA": "MPlus_Health_Topics",
                 "6_NINDS_QA": "NINDS"}
COPYRIGHT_NOTE = ("MedQuAD removed the answers of its A.D.A.M. encyclopedia, drug and herbal pages for "
                  "copyright, so those pages cannot be imported; choose another page")


@dataclass(frozen=True)
class Page:
    page: str  # "<MedQuAD folder>/<document id>", e.g. "3_GHR_QA/0000971"
    why: str
    subjects: list
    reviewed_on: str


def load_selection(path: Path = SPEC_FILE) -> tuple[str, list[Page]]:
    """The collection name and the selected pages; raises UsageError on a bad entry."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    pages, problems = [], []
    for number, entry in enumerate(spec["pages"], start=1):
        where = f"{path}: page {number} ({entry.get('page', '?')})"
        if not entry.get("page") or "/" not in str(entry["page"]) or not entry.get("why"):
            problems.append(f"{where}: needs `page: <folder>/<id>` and `why: <reason it is in the library>`")
            continue
        problems += [f"{where}: {message}" for message in subject_problems(entry.get("subjects"))]
        pages.append(Page(str(entry["page"]), str(entry["why"]), entry.get("subjects") or [],
                          str(entry.get("reviewed_on", spec["reviewed_on"]))))
    if problems:
        raise UsageError("the selection list has problems:\n" + "\n".join(problems))
    return spec["collection"], pages


def import_selection(sources_dir: Path, dataset: Path | None, out_dir: Path, spec: Path = SPEC_FILE) -> list[Path]:
    """Convert every selected page into ``out_dir``; returns the files written."""
    collection, pages = load_selection(spec)
    converted, problems = [], []
    with _Dataset(dataset) as archive:
        for page in pages:
            raw = _page_source(page.page, Path(sources_dir), archive)
            result = convert(raw, collection=collection, reviewed_on=page.reviewed_on) if raw else None
            if raw is None:
                problems.append(f"{page.page}: not in {sources_dir} nor in {dataset or 'the data set'}; "
                                f"check the folder and id (or: {COPYRIGHT_NOTE})")
            elif result is None:
                problems.append(f"{page.page}: has no answer text; {COPYRIGHT_NOTE}")
            else:
                converted.append(Converted({**result.meta, "subjects": page.subjects}, result.body))
    if problems:
        raise UsageError("import refused, nothing written:\n" + "\n".join(problems))
    written = [write_document(c.meta, c.body, out_dir) for c in converted]
    licence = Path(sources_dir) / "LICENSE.txt"
    if licence.exists():
        (out_dir / "LICENSE.txt").write_bytes(licence.read_bytes())
    return written


def _page_source(page: str, sources_dir: Path, archive: _Dataset) -> bytes | None:
    folder, number = page.split("/", 1)
    local = sources_dir / f"{SOURCE_PREFIX.get(folder, folder)}_{number}.xml"
    return local.read_bytes() if local.is_file() else archive.read(f"MedQuAD/{folder}/{number}.xml")


class _Dataset:
    """The MedQuAD tarball, opened only if given and present."""

    def __init__(self, path: Path | None):
        self.path = Path(path) if path else None
        self.archive: tarfile.TarFile | None = None

    def __enter__(self) -> _Dataset:
        if self.path and self.path.is_file():
            self.archive = tarfile.open(self.path)
        return self

    def __exit__(self, *exc) -> None:
        if self.archive:
            self.archive.close()

    def read(self, member: str) -> bytes | None:
        if self.archive is None:
            return None
        try:
            handle = self.archive.extractfile(member)
        except KeyError:
            return None
        return handle.read() if handle else None
