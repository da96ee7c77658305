"""Write one corpus document: YAML front matter in a fixed field order, then the body."""

from __future__ import annotations

from pathlib import Path

import yaml

FIELD_ORDER = ("id", "title", "publisher", "author", "url", "published", "license", "collection", "reviewed_on")


def render_document(meta: dict, body: str) -> str:
    ordered = {key: str(meta[key]) for key in FIELD_ORDER if meta.get(key) is not None}
    front = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{front}---\n\n{body.strip()}\n"


def write_document(meta: dict, body: str, folder: Path) -> Path:
    path = Path(folder) / f"{meta['id']}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_document(meta, body), encoding="utf-8")
    return path
