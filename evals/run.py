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

from common.errors import UsageError
from assistant.pipeline import Assistant
from evals.metrics import ItemResult, score, summarize
from evals.reference import Item, load_reference

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.toml")
MODES = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class Gate:
    metric: str
    value: float | None
    rule: str  # "min" or "max"
    limit: float

    @property
    def ok(self) -> bool:
        if self.value is None:
            return False
        return self.value >= self.limit if self.rule == "min" else self.value <= self.limit


def evaluate(assistant, items: list[Item], *, progress: bool = False) -> list[ItemResult]:
    iterator = items
    if progress:
        from tqdm import tqdm

        iterator = tqdm(items, desc="evaluating", unit="question")
    return [score(item, assistant.ask(item.question, history=list(item.history), audience=item.audience),
                  assistant.index, assistant.embedder) for item in iterator]


def load_gates(path: Path | None, summary: dict) -> list[Gate]:
    path = Path(path or DEFAULT_THRESHOLDS)
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"{path}: cannot read thresholds ({error})") from None
    gates = []
    for metric, rule in config.get("gates", {}).items():
        if metric not in summary or not isinstance(rule, dict) or len(rule) != 1 or next(iter(rule)) not in ("min", "max"):
            raise UsageError(f"{path}: gate {metric!r} must name a summary metric and one of min = / max =")
        kind, limit = next(iter(rule.items()))
        gates.append(Gate(metric, summary[metric], kind, float(limit)))
    return gates


def run_eval(assistant: Assistant, *, reference=None, out: Path, compare: Path | None = None,
             thresholds: Path | None = None, ablation: bool = False) -> bool:
    """Answer and score the reference set with ``assistant``; False if a gate is missed."""
    from evals.report import write_reports

    retriever = assistant.retriever.mode
    items = load_reference(reference, set(assistant.index.doc_row))
    results = evaluate(assistant, items, progress=True)
    summary = summarize(results)
    modes = {retriever: summary}
    if ablation:
        for mode in (m for m in MODES if m != retriever):
            other = Assistant(assistant.index, assistant.embedder, tuning=assistant.tuning, retriever=mode)
            modes[mode] = summarize(evaluate(other, items))
    gates = load_gates(thresholds, summary)
    previous = load_run(compare) if compare else None
    meta = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "retriever": retriever,
            "reference": str(reference or "evals/reference.yaml"), "index_built_at":
                assistant.index.manifest.get("built_at"), "model": assistant.embedder.model_id,
            "chunking": assistant.index.manifest.get("chunking"), "tuning": assistant.tuning.as_dict()}
    write_reports(Path(out), results, summary, gates, modes, previous, meta)
    _echo_summary(summary, gates, Path(out))
    return all(g.ok for g in gates)


def load_run(folder: Path) -> dict:
    """A previous run's summary and per-item results, for --compare."""
    folder = Path(folder)
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        items = [json.loads(line) for line in (folder / "results.jsonl").read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    except (OSError, ValueError) as error:
        raise UsageError(f"{folder} is not an eval run folder (needs summary.json and results.jsonl): {error}") from None
    return {"summary": summary.get("metrics", summary), "items": {i["id"]: i for i in items}, "folder": str(folder)}


def _echo_summary(summary: dict, gates: list[Gate], out: Path) -> None:
    click.echo(f"{summary['items']} questions, {summary['pass_rate']:.0%} passed every check")
    for gate in gates:
        mark = "ok  " if gate.ok else "FAIL"
        click.echo(f"  {mark} {gate.metric} = {gate.value} ({gate.rule} {gate.limit})")
    click.echo(f"reports: {out / 'report.md'} and {out / 'report.html'}")
