"""Write one corpus document: YAML front matter in a fixed field order, then the body."""

from __future__ import annotations

from pathlib import Path

import yaml

FIELD_ORDER = ("id", "title", "publisher", "author", "url", "published", "license", "collection", "reviewed_on")


def render_document(meta: dict, body: str) -> str:
    """Front matter in ``FIELD_ORDER``, then ``subjects`` (a list of condition/treatment
    entries, written as given), then the body."""
    ordered = {key: str(meta[key]) for key in FIELD_ORDER if meta.get(key) is not None}
    front = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=10_000)
    if meta.get("subjects"):
        front += "subjects:\n" + "".join(_subject_lines(entry) for entry in meta["subjects"])
    return f"---\n{front}---\n\n{body.strip()}\n"


def _subject_lines(entry: dict) -> str:
    """One subject as block YAML with its aliases on one line: readable and diff-friendly."""
    lines: list[str] = []
    for key, value in entry.items():
        text = _flow(value)
        lines.append(f"{'- ' if not lines else '  '}{key}: {text}")
    return "\n".join(lines) + "\n"


def _flow(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip().removesuffix(
        "\n...").strip()


def write_document(meta: dict, body: str, folder: Path) -> Path:
    path = Path(folder) / f"{meta['id']}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_document(meta, body), encoding="utf-8")
    return path
