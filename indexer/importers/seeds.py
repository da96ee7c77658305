"""Convert the five founding web pages (plain-text scrapes) into corpus documents.

Which repairs a page needs, and its provenance, live in ``seeds.yaml`` beside this file;
the code applies the generic repairs to every page and the listed ones to each.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from indexer.importers import cleaning
from indexer.importers.markdown import write_document

SPEC_FILE = Path(__file__).with_name("seeds.yaml")
METADATA_KEYS = ("id", "title", "publisher", "author", "url", "published", "license")


def load_spec() -> dict:
    return yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))


def clean_seed(raw: str, page: dict) -> str:
    """The cleaned Markdown body of one scraped page, following its entry in seeds.yaml."""
    title = page["title"]
    text = cleaning.normalize_whitespace(cleaning.decode_entities(raw))
    text = cleaning.unglue_title(text, title)
    text = cleaning.drop_lines(text, [title, *page.get("drop_lines", [])])
    for marker in page.get("drop_from", []):
        text = cleaning.drop_from(text, marker)
    for old, new in page.get("replace", []):
        text = text.replace(old, new)
    text = cleaning.join_split_words(text)
    text = cleaning.drop_reference_numbers(text)
    text = cleaning.markdown_bullets(text)
    text = cleaning.markdown_headings(text, page.get("headings", []))
    text = cleaning.separate_paragraphs(text)
    return cleaning.normalize_whitespace(text)


def import_seeds(seeds_dir: Path, out_dir: Path) -> list[Path]:
    spec = load_spec()
    written = []
    for page in spec["documents"]:
        raw = (Path(seeds_dir) / page["file"]).read_text(encoding="utf-8")
        meta = {key: page.get(key) for key in METADATA_KEYS}
        meta.update(collection=spec["collection"], reviewed_on=spec["reviewed_on"], subjects=page["subjects"])
        written.append(write_document(meta, clean_seed(raw, page), Path(out_dir)))
    return written
