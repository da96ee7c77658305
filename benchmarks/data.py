"""MedQuAD as benchmark data: a corpus made by our own importer, and the questions as queries.

A query's one relevant document is the page it came from. Its id is the one our importer
gives that page (``convert`` computes it), so the mapping cannot drift from the importer.
"""

from __future__ import annotations

import json
import random
import shutil
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

from common.errors import CorpusError
from indexer.importers.medquad import convert, import_tarball
from indexer.loading import load_corpus

TARBALL = Path("../shared/datasets/medquad-answered.tar.gz")
REVIEWED_ON = "2026-11-21"


def _pages(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """XML members in the order the importer visits them (it keeps the first of a repeated id)."""
    return sorted((m for m in archive.getmembers() if m.isfile() and m.name.endswith(".xml")),
                  key=lambda m: m.name)


def count_pages(tarball: Path) -> int:
    with tarfile.open(tarball) as archive:
        return len(_pages(archive))


def sample_tarball(source: Path, dest: Path, pages: int, seed: int) -> Path:
    """A tarball of a seeded random sample of pages: quick mode then runs the very same
    importer as the full run, on pages from every site rather than the first few."""
    with tarfile.open(source) as archive:
        members = _pages(archive)
        chosen = sorted(random.Random(seed).sample(members, min(pages, len(members))), key=lambda m: m.name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(dest, "w:gz") as out:
            for member in chosen:
                out.addfile(member, archive.extractfile(member))
    return dest


def import_corpus(tarball: Path, out_dir: Path) -> list[str]:
    """Convert with our importer, then remove the documents our loader refuses (empty title,
    bad id, text identical to another page) so the rest can be indexed. Returns the
    loader's reasons for every removed file."""
    shutil.rmtree(out_dir, ignore_errors=True)
    import_tarball(tarball, out_dir, reviewed_on=REVIEWED_ON, limit=None)
    refused: list[str] = []
    for _ in range(5):
        try:
            load_corpus(out_dir)
            return refused
        except CorpusError as error:
            for problem in error.problems:
                Path(problem.split(":", 1)[0]).unlink(missing_ok=True)
                refused.append(problem.replace(str(out_dir) + "/", ""))
    raise RuntimeError(f"the MedQuAD corpus in {out_dir} is still refused after removing {len(refused)} files")


def questions(tarball: Path, corpus_dir: Path) -> list[dict]:
    """Every question whose own page is in the corpus: {"query", "doc", "qid"}."""
    in_corpus = {p.stem for p in corpus_dir.rglob("*.md")}
    found, seen = [], set()
    with tarfile.open(tarball) as archive:
        for member in _pages(archive):
            handle = archive.extractfile(member)
            if handle is None:
                continue
            xml = handle.read()
            converted = convert(xml, collection="medquad", reviewed_on=REVIEWED_ON, headings="types")
            if not converted or converted.meta["id"] in seen:
                continue  # no answer, or the importer kept an earlier page with the same id
            doc_id = converted.meta["id"]
            seen.add(doc_id)
            if doc_id not in in_corpus:
                continue
            for question in ET.fromstring(xml).iter("Question"):
                text = " ".join((question.text or "").split())
                if text:
                    found.append({"query": text, "doc": doc_id, "qid": question.get("qid")})
    return found


def query_sets(all_queries: list[dict], quality: int, latency: int, warmup: int, seed: int) -> dict:
    """Seeded samples: quality queries (0 = all), timed latency queries, and warm-up queries."""
    rng = random.Random(seed)
    quality_set = all_queries if not quality or quality >= len(all_queries) else rng.sample(all_queries, quality)
    timed = rng.sample(all_queries, min(latency + warmup, len(all_queries)))
    return {"quality": quality_set, "latency": [q["query"] for q in timed[warmup:]],
            "warmup": [q["query"] for q in timed[:warmup]], "total_available": len(all_queries)}


def write_json(path: Path, value) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1, ensure_ascii=False), encoding="utf-8")
    return path
