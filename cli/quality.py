"""Commands that measure and train answer quality: ``eval`` (the release gate) and ``train``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.options import INDEX_OPTION, MODEL_OPTION, RETRIEVER_OPTION, world


@click.command(name="eval")
@click.option("--split", type=click.Choice(["all", "dev", "test"]), default="all", show_default=True,
              help="Which questions: dev (tuned on), test (never tuned on) or both.")
@click.option("--set", "reference", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A file of questions to run instead of the splits (same format as evals/reference.yaml).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default="evals/runs/latest",
              show_default=True, help="Folder for results.jsonl, summary.json, report.md, report.html.")
@click.option("--compare", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="A previous run folder to compare with (per metric and per item).")
@click.option("--thresholds", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Release gates (default: evals/thresholds.toml).")
@click.option("--ablation/--no-ablation", default=False,
              help="Also run dense-only and lexical-only retrieval and add a three-way table.")
@INDEX_OPTION
@MODEL_OPTION
@RETRIEVER_OPTION
def eval_(split, reference, out, compare, thresholds, ablation, index_dir, model, retriever):
    """Answer the evaluation questions, score them, write reports, and exit 1 if a release gate is missed.

    Reports every metric per split: dev (reference.yaml and questions/realistic-dev*.yaml, the
    questions tuned and trained on) and test (questions/realistic-test.yaml, never tuned on).
    """
    from evals.run import run_eval

    assistant = world().load_assistant(index_dir, model, retriever)
    passed = run_eval(assistant, split=split, reference=reference, out=out, compare=compare, thresholds=thresholds,
                      ablation=ablation)
    if not passed:
        sys.exit(1)


@click.group()
def train():
    """Retrain a learned component of the answer library (maintainers; minutes on a laptop)."""


@train.command("facets")
@click.option("--dataset", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default="../shared/datasets/medquad-answered.tar.gz", show_default=True,
              help="The MedQuAD data set (question types label the facets).")
@INDEX_OPTION
@MODEL_OPTION
def train_facets(dataset: Path, index_dir: Path, model: str | None):
    """The question and sentence facet classifiers: writes assistant/models/facets.npz and facets.json."""
    from indexer.store import load_index
    from training.facets import train as train_facet_models

    embedder = world().load_embedder(model)
    index = load_index(index_dir, model_id=embedder.model_id, dimension=embedder.dimension)
    card = train_facet_models(embedder, index, dataset, log=click.echo)
    click.echo(f"saved {card['model_file']} ({card['model_bytes'] / 1000:.0f} KB) in {card['seconds']:.0f} s; "
               "model card: assistant/models/facets.json")


@train.command("scorer")
@INDEX_OPTION
@MODEL_OPTION
def train_scorer(index_dir: Path, model: str | None):
    """The answer-sentence scorer, on the labelled dev questions: writes assistant/models/scorer.npz and scorer.json."""
    from assistant.pipeline import Assistant
    from assistant.scorer import SentenceScorer
    from training.scorer import train as train_sentence_scorer

    embedder = world().load_embedder(model, threads=1)
    assistant = Assistant.load(index_dir, model, embedder=embedder, scorer=SentenceScorer.untrained())
    train_sentence_scorer(assistant, log=click.echo)
    click.echo("saved assistant/models/scorer.npz; model card: assistant/models/scorer.json")


COMMANDS = [eval_, train]
