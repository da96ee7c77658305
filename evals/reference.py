"""The reference set: questions and what a good reply to each must (and must not) contain.

Loading validates every item and reports problems as one line each (``file: item id:
field: problem``), so a typo in the set fails loudly instead of scoring silently wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from assistant.reply import AUDIENCES, KINDS
from common.errors import UsageError

DEFAULT_SET = Path(__file__).with_name("reference.yaml")


@dataclass(frozen=True)
class Expectation:
    kind: str
    documents: tuple[str, ...] = ()
    facts: tuple[tuple[str, ...], ...] = ()  # each fact: acceptable alternatives
    must_not: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    id: str
    category: str
    question: str
    expect: Expectation
    audience: str = "patient"
    history: tuple[dict, ...] = field(default_factory=tuple)


def load_reference(path: str | Path | None = None, known_documents: set[str] | None = None) -> list[Item]:
    path = Path(path or DEFAULT_SET)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise UsageError(f"{path}: cannot read the reference set ({error})") from None
    if not isinstance(raw, list):
        raise UsageError(f"{path}: the reference set must be a YAML list of items")
    items, problems, seen = [], [], set()
    for number, entry in enumerate(raw, start=1):
        item, item_problems = _item(entry, number, known_documents)
        if item and item.id in seen:
            item_problems.append(f"{item.id}: duplicate id")
        problems += [f"{path}: {p}" for p in item_problems]
        if item:
            seen.add(item.id)
            items.append(item)
    if problems:
        raise UsageError("reference set has problems:\n" + "\n".join(problems))
    return items


def _item(entry, number: int, known_documents: set[str] | None) -> tuple[Item | None, list[str]]:
    if not isinstance(entry, dict):
        return None, [f"item {number}: must be a mapping"]
    name = str(entry.get("id") or f"item {number}")
    expect = entry.get("expect") or {}
    problems = []
    if not isinstance(entry.get("question"), str):
        problems.append(f"{name}: question: must be text")
    if expect.get("kind") not in KINDS:
        problems.append(f"{name}: expect.kind: must be one of {', '.join(KINDS)}")
    if entry.get("audience", "patient") not in AUDIENCES:
        problems.append(f"{name}: audience: must be one of {', '.join(AUDIENCES)}")
    documents = tuple(expect.get("documents") or ())
    unknown = [d for d in documents if known_documents is not None and d not in known_documents]
    if unknown:
        problems.append(f"{name}: expect.documents: not in the index: {', '.join(unknown)}")
    facts = expect.get("facts") or []
    if not all(isinstance(f, list) and f and all(isinstance(a, str) for a in f) for f in facts):
        problems.append(f"{name}: expect.facts: each fact must be a list of alternative phrases")
    if problems:
        return None, problems
    return Item(
        id=name, category=str(entry.get("category", "uncategorised")), question=entry["question"],
        audience=entry.get("audience", "patient"), history=tuple(entry.get("history") or ()),
        expect=Expectation(expect["kind"], documents, tuple(tuple(f) for f in facts),
                           tuple(expect.get("must_not") or ())),
    ), []
