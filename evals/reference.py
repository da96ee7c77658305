"""The evaluation questions: what a good reply to each must (and must not) contain.

Five files, two splits:

- ``reference.yaml`` (dev): the first 140 questions, every kind of reply; routing thresholds
  were calibrated on them, so they are dev data;
- ``questions/realistic-dev.yaml``, ``-dev2.yaml`` and ``-dev3.yaml`` (dev): realistic
  questions we tune and train on;
- ``questions/realistic-test.yaml`` (test): realistic questions we never tune or train on.
  Their scores are the honest ones; the release gates on answer quality read them.

Loading validates every item and reports problems as one line each (``file: item id:
field: problem``), so a typo in the set fails loudly instead of scoring silently wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from assistant.facets import FACETS
from assistant.reply import AUDIENCES, KINDS
from common.errors import UsageError

HERE = Path(__file__).parent
DEFAULT_SET = HERE / "reference.yaml"
SPLIT_FILES = {"dev": (HERE / "reference.yaml", HERE / "questions" / "realistic-dev.yaml",
                       HERE / "questions" / "realistic-dev2.yaml", HERE / "questions" / "realistic-dev3.yaml"),
               "test": (HERE / "questions" / "realistic-test.yaml",)}
SPLITS = tuple(SPLIT_FILES)


@dataclass(frozen=True)
class Expectation:
    kind: str
    documents: tuple[str, ...] = ()
    facts: tuple[tuple[str, ...], ...] = ()  # each fact: acceptable alternatives
    must_not: tuple[str, ...] = ()
    lead: tuple[str, ...] = ()  # the first sentence should contain one of these (default: any fact)
    gap: bool = False  # the library covers the subject but not this: the reply must say so first

    @property
    def lead_alternatives(self) -> tuple[str, ...]:
        """What the first sentence may carry: the lead phrases or any key fact (the first
        sentence answers the question if it states something a good answer must state)."""
        return tuple(dict.fromkeys([*self.lead, *(a for fact in self.facts for a in fact)]))


@dataclass(frozen=True)
class Item:
    id: str
    category: str
    question: str
    expect: Expectation
    audience: str = "patient"
    history: tuple[dict, ...] = field(default_factory=tuple)
    subject: str | None = None  # what it is about (a subject name from the corpus), if labelled
    facet: str | None = None  # what it asks (one of FACETS), if labelled
    split: str = "dev"
    realistic: bool = False  # from the realistic sets (the new answer-quality metrics are reported on these)


def load_split(split: str = "all", known_documents: set[str] | None = None) -> list[Item]:
    """The questions of ``split`` ("dev", "test" or "all"), in file order."""
    if split not in (*SPLITS, "all"):
        raise UsageError(f"split must be one of {', '.join(SPLITS)} or all, not {split!r}")
    items: list[Item] = []
    for name in SPLITS if split == "all" else (split,):
        for path in SPLIT_FILES[name]:
            if path.exists() or path == DEFAULT_SET:
                items += load_reference(path, known_documents, split=name)
    _no_duplicates(items)
    return items


def load_reference(path: str | Path | None = None, known_documents: set[str] | None = None, *,
                   split: str = "dev") -> list[Item]:
    path = Path(path or DEFAULT_SET)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise UsageError(f"{path}: cannot read the reference set ({error})") from None
    if not isinstance(raw, list):
        raise UsageError(f"{path}: the reference set must be a YAML list of items")
    items, problems, seen = [], [], set()
    realistic = path.parent.name == "questions"
    for number, entry in enumerate(raw, start=1):
        item, item_problems = _item(entry, number, known_documents, split, realistic)
        if item and item.id in seen:
            item_problems.append(f"{item.id}: duplicate id")
        problems += [f"{path}: {p}" for p in item_problems]
        if item:
            seen.add(item.id)
            items.append(item)
    if problems:
        raise UsageError("reference set has problems:\n" + "\n".join(problems))
    return items


def _no_duplicates(items: list[Item]) -> None:
    ids = [i.id for i in items]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise UsageError(f"question ids used in more than one file: {', '.join(repeated)}")


def _item(entry, number: int, known_documents: set[str] | None, split: str,
          realistic: bool) -> tuple[Item | None, list[str]]:
    if not isinstance(entry, dict):
        return None, [f"item {number}: must be a mapping"]
    name = str(entry.get("id") or f"item {number}")
    expect = entry.get("expect") or {}
    problems = _problems(name, entry, expect, known_documents)
    if problems:
        return None, problems
    facts = tuple(tuple(f) for f in expect.get("facts") or ())
    return Item(
        id=name, category=str(entry.get("category", "uncategorised")), question=entry["question"],
        audience=entry.get("audience", "patient"), history=tuple(entry.get("history") or ()),
        subject=entry.get("subject"), facet=entry.get("facet"), split=split, realistic=realistic,
        expect=Expectation(expect["kind"], tuple(expect.get("documents") or ()), facts,
                           tuple(expect.get("must_not") or ()), tuple(expect.get("lead") or ()),
                           bool(expect.get("gap", False))),
    ), []


def _problems(name: str, entry: dict, expect: dict, known_documents: set[str] | None) -> list[str]:
    problems = []
    if not isinstance(entry.get("question"), str):
        problems.append(f"{name}: question: must be text")
    if expect.get("kind") not in KINDS:
        problems.append(f"{name}: expect.kind: must be one of {', '.join(KINDS)}")
    if entry.get("audience", "patient") not in AUDIENCES:
        problems.append(f"{name}: audience: must be one of {', '.join(AUDIENCES)}")
    if entry.get("facet") is not None and entry["facet"] not in FACETS:
        problems.append(f"{name}: facet: must be one of {', '.join(FACETS)}")
    documents = tuple(expect.get("documents") or ())
    unknown = [d for d in documents if known_documents is not None and d not in known_documents]
    if unknown:
        problems.append(f"{name}: expect.documents: not in the index: {', '.join(unknown)}")
    facts = expect.get("facts") or []
    if not all(isinstance(f, list) and f and all(isinstance(a, str) for a in f) for f in facts):
        problems.append(f"{name}: expect.facts: each fact must be a list of alternative phrases")
    lead = expect.get("lead") or []
    if not isinstance(lead, list) or not all(isinstance(a, str) for a in lead):
        problems.append(f"{name}: expect.lead: must be a list of alternative phrases")
    if expect.get("gap") and (facts or lead):
        problems.append(f"{name}: expect: a gap question has no lead or facts (the library lacks them)")
    return problems
