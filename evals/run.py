"""``dystonia eval``: run the reference set, score it, gate it, and write the reports.

Writes to ``--out``: ``results.jsonl`` (one scored item per line), ``summary.json`` (the
metrics, the gates, and the ablation table), ``report.md`` and a self-contained
``report.html``. Returns False when any release gate in ``thresholds.toml`` is missed, so
the CLI exits non-zero and CI refuses the change.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

import click

from assistant.pipeline import Assistant
from common.errors import UsageError
from evals.metrics import ItemResult, score, summarize
from evals.reference import SPLITS, Item, load_reference, load_split

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.toml")
MODES = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class Gate:
    split: str  # the questions it is measured on: "all", "dev" or "test"
    metric: str
    value: float | None
    rule: str  # "min" or "max"
    limit: float

    @property
    def ok(self) -> bool:
        if self.value is None:
            return False
        return self.value >= self.limit if self.rule == "min" else self.value <= self.limit


def evaluate(assistant: Assistant, items: list[Item], *, progress: bool = False) -> list[ItemResult]:
    iterator = items
    if progress:
        from tqdm import tqdm

        iterator = tqdm(items, desc="evaluating", unit="question")
    return [score(item, assistant.ask(item.question, history=list(item.history), audience=item.audience),
                  assistant.index, assistant.embedder, assistant.catalogue) for item in iterator]


def by_split(results: list[ItemResult]) -> dict[str, dict]:
    """The summary of all questions, and of each split that has any."""
    summaries = {"all": summarize(results)}
    for split in SPLITS:
        part = [r for r in results if r.split == split]
        if part:
            summaries[split] = summarize(part)
    return summaries


def load_gates(path: Path | None, summaries: dict[str, dict]) -> list[Gate]:
    """The gates of ``thresholds.toml`` (``[gates.all]``, ``[gates.test]``...) with their values;
    a split this run did not measure is left out."""
    path = Path(path or DEFAULT_THRESHOLDS)
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"{path}: cannot read thresholds ({error})") from None
    gates = []
    for split, rules in config.get("gates", {}).items():
        if split not in ("all", *SPLITS) or not isinstance(rules, dict):
            raise UsageError(f"{path}: [gates.{split}] must be one of [gates.all], "
                             + ", ".join(f"[gates.{s}]" for s in SPLITS))
        if split not in summaries:
            continue
        for metric, rule in rules.items():
            if metric not in summaries[split] or not isinstance(rule, dict) or len(rule) != 1 \
                    or next(iter(rule)) not in ("min", "max"):
                raise UsageError(f"{path}: gate {split}.{metric} must name a summary metric and one of min = / max =")
            kind, limit = next(iter(rule.items()))
            gates.append(Gate(split, metric, summaries[split][metric], kind, float(limit)))
    return gates


def run_eval(assistant: Assistant, *, split: str = "all", reference: Path | None = None, out: Path,
             compare: Path | None = None, thresholds: Path | None = None, ablation: bool = False) -> bool:
    """Answer and score the questions of ``split`` (or of a ``reference`` file) with
    ``assistant``; False if a release gate is missed."""
    from evals.report import write_reports

    retriever = assistant.retriever.mode
    known = set(assistant.index.doc_row)
    items = load_reference(reference, known) if reference else load_split(split, known)
    results = evaluate(assistant, items, progress=True)
    summaries = by_split(results)
    modes = {retriever: summaries["all"]}
    if ablation:
        for mode in (m for m in MODES if m != retriever):
            other = Assistant.build(assistant.index, assistant.embedder, tuning=assistant.tuning, retriever=mode)
            modes[mode] = summarize(evaluate(other, items))
    gates = load_gates(thresholds, summaries)
    previous = load_run(compare) if compare else None
    meta = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "retriever": retriever,
            "questions": str(reference) if reference else f"split {split}",
            "index_built_at": assistant.index.manifest.get("built_at"), "model": assistant.embedder.model_id,
            "chunking": assistant.index.manifest.get("chunking"), "tuning": assistant.tuning.as_dict(),
            "learned": learned_models()}
    write_reports(Path(out), results, summaries, gates, modes, previous, meta)
    _echo_summary(summaries, gates, Path(out))
    return all(g.ok for g in gates)


def learned_models() -> dict:
    """The learned components' held-out scores, from their model cards, for the report."""
    from assistant import facets, scorer

    facet_card, scorer_card = facets.load_card(), scorer.load_card()
    question = facet_card.get("question", {})
    return {
        "facet_question_accuracy_medquad_held_out": question.get("held_out_medquad", {}).get("accuracy"),
        "facet_question_accuracy_realistic_test": question.get("held_out_realistic_test", {}).get("accuracy"),
        "facet_sentence_accuracy_medquad_held_out": facet_card.get("sentence", {}).get("held_out_medquad", {})
        .get("accuracy"),
        "scorer_top1_precision_dev": scorer_card.get("dev", {}).get("top1_precision"),
        "scorer_top1_precision_test": scorer_card.get("held_out_test", {}).get("top1_precision"),
        "scorer_weights": scorer_card.get("weights"),
    }


def load_run(folder: Path) -> dict:
    """A previous run's summary and per-item results, for --compare."""
    folder = Path(folder)
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        items = [json.loads(line) for line in (folder / "results.jsonl").read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    except (OSError, ValueError) as error:
        raise UsageError(f"{folder} is not an eval run folder "
                         f"(needs summary.json and results.jsonl): {error}") from None
    metrics = summary.get("splits", {}).get("all") or summary.get("metrics", summary)
    return {"summary": metrics, "splits": summary.get("splits", {"all": metrics}),
            "items": {i["id"]: i for i in items}, "folder": str(folder)}


def _echo_summary(summaries: dict[str, dict], gates: list[Gate], out: Path) -> None:
    for split, summary in summaries.items():
        click.echo(f"{split}: {summary['items']} questions, {summary['pass_rate']:.0%} passed every check")
    for gate in gates:
        mark = "ok  " if gate.ok else "FAIL"
        click.echo(f"  {mark} [{gate.split}] {gate.metric} = {gate.value} ({gate.rule} {gate.limit})")
    click.echo(f"reports: {out / 'report.md'} and {out / 'report.html'}")
