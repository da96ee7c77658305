"""Commands that measure answer quality: ``eval`` (the release gate)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.options import INDEX_OPTION, MODEL_OPTION, RETRIEVER_OPTION, world


@click.command(name="eval")
@click.option("--set", "reference", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Reference questions (default: evals/reference.yaml).")
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
def eval_(reference, out, compare, thresholds, ablation, index_dir, model, retriever):
    """Run the reference questions, write reports, and exit 1 if a release gate is missed."""
    from evals.run import run_eval

    assistant = world().load_assistant(index_dir, model, retriever)
    passed = run_eval(assistant, reference=reference, out=out, compare=compare, thresholds=thresholds,
                      ablation=ablation)
    if not passed:
        sys.exit(1)


COMMANDS = [eval_]
