"""Commands that answer: ``ask`` (one question, or a JSONL batch) and ``search`` (why
retrieval found what it found)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cli.options import AUDIENCE_OPTION, INDEX_OPTION, MODEL_OPTION, RETRIEVER_OPTION, world


@click.command()
@click.argument("question", required=False)
@AUDIENCE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the reply as one JSON object.")
@click.option("--batch", type=click.Path(allow_dash=True, path_type=Path),
              help="JSONL file of questions ('-' for stdin); prints one JSON reply per line, in order.")
@INDEX_OPTION
@MODEL_OPTION
@RETRIEVER_OPTION
def ask(question, audience, as_json, batch, index_dir, model, retriever):
    """Answer QUESTION from the indexed sources, with citations.

    \b
    Batch lines look like:
      {"id": "q1", "question": "...", "audience": "patient", "history": [{"role": "user", "content": "..."}]}
    A bad line yields an "invalid" reply for that line; the others still run.
    """
    if (question is None) == (batch is None):
        raise click.UsageError("give either a QUESTION or --batch FILE, not both or neither")
    assistant = world().load_assistant(index_dir, model, retriever)
    if batch:
        from cli.batch import run_batch

        run_batch(assistant, batch, sys.stdout)
        return
    reply = assistant.ask(question, audience=audience)
    if as_json:
        click.echo(json.dumps(reply.to_dict(), ensure_ascii=False))
    else:
        from cli.render import render_text

        click.echo(render_text(reply, color=sys.stdout.isatty()))
    if reply.kind == "invalid":
        sys.exit(2)


@click.command()
@click.argument("query")
@click.option("--k", type=click.IntRange(1, 100), default=10, show_default=True, help="How many chunks to show.")
@click.option("--json", "as_json", is_flag=True)
@INDEX_OPTION
@MODEL_OPTION
@RETRIEVER_OPTION
def search(query, k, as_json, index_dir, model, retriever):
    """Show the chunks retrieval finds for QUERY, with dense, lexical and fused scores and ranks."""
    from cli.search import run_search

    assistant = world().load_assistant(index_dir, model, retriever)
    run_search(assistant, query, k=k, as_json=as_json)


COMMANDS = [ask, search]
