"""The ``dystonia`` command. A thin layer: parse flags, call the library, print.

Heavy libraries (torch, faiss, gradio) are imported inside the commands that need them,
so ``dystonia --help`` answers instantly. Expected failures arrive as ``DystoniaError``
and are printed as one line on stderr with exit status 1, never as a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from assistant.settings import DEFAULT_FEEDBACK_DB, DEFAULT_HOST, DEFAULT_PORT, Settings
from indexer.errors import CorpusError, DystoniaError
from indexer.store import DEFAULT_INDEX_DIR

INDEX_OPTION = click.option("--index", "index_dir", type=click.Path(path_type=Path), envvar="DYSTONIA_INDEX",
                            default=DEFAULT_INDEX_DIR, show_default=True, help="Index folder (env DYSTONIA_INDEX).")
MODEL_OPTION = click.option("--model", envvar="DYSTONIA_MODEL", default=None,
                            help="Sentence-transformers model folder (env DYSTONIA_MODEL); "
                                 "default: the bundled all-MiniLM-L6-v2.")
RETRIEVER_OPTION = click.option("--retriever", type=click.Choice(["hybrid", "dense", "lexical"]),
                                default="hybrid", show_default=True, help="How passages are ranked.")


class Group(click.Group):
    """Turns domain errors into ``Error: <one line>`` and exit status 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CorpusError as error:
            for line in error.problems:
                click.echo(line, err=True)
            raise click.ClickException(f"corpus refused: {len(error.problems)} problem(s) listed above; "
                                       "the existing index was not touched") from None
        except DystoniaError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dystonia-assistant", prog_name="dystonia")
def cli():
    """Answer questions about dystonia from vetted sources, with citations.

    \b
    Typical use:
      dystonia index                      build or refresh the index from corpus/
      dystonia ask "what is focal dystonia?"
      dystonia chat                       web chat on http://127.0.0.1:7860
      dystonia eval                       answer-quality report; fails on regressions
    """


@cli.command()
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), default="corpus", show_default=True,
              help="Folder of vetted documents.")
@click.option("--out", "out", type=click.Path(path_type=Path), envvar="DYSTONIA_INDEX", default=DEFAULT_INDEX_DIR,
              show_default=True, help="Index folder to write (env DYSTONIA_INDEX).")
@click.option("--check", is_flag=True, help="Only validate the corpus; build nothing.")
@click.option("--force", is_flag=True, help="Rebuild even if the index is up to date.")
@MODEL_OPTION
def index(corpus_dir: Path, out: Path, check: bool, force: bool, model: str | None):
    """Validate the corpus and build the search index (only what changed is re-embedded).

    A corpus with any problem is refused with one line per problem, and the existing
    index is left untouched. The new index replaces the old one atomically.
    """
    from indexer.build import build_index, is_current
    from indexer.embedding import load_embedder, model_id_for
    from indexer.loading import load_corpus

    corpus = load_corpus(corpus_dir)
    for warning in corpus.warnings:
        click.echo(warning, err=True)
    if check:
        click.echo(f"corpus OK: {len(corpus.documents)} documents in {corpus_dir}")
        return
    if not force and is_current(corpus, out, model_id_for(model)):
        click.echo(f"index at {out} is up to date ({len(corpus.documents)} documents)")
        return
    report = build_index(corpus, out, load_embedder(model))
    click.echo(f"built {report.path}: {report.documents} documents, {report.chunks} chunks, "
               f"{report.sentences} sentences ({report.reused_documents} documents reused, "
               f"{report.embedded_chunks} chunks embedded) in {report.seconds:.1f} s, "
               f"{report.bytes_on_disk / 1e6:.1f} MB, {report.dense_type} dense index")


@cli.group(name="import")
def import_():
    """Convert raw sources into corpus documents (maintainers)."""


@import_.command("sources")
@click.option("--sources", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default="../shared/sources", show_default=True, help="The raw source folder.")
@click.option("--out", type=click.Path(path_type=Path), default="corpus", show_default=True)
def import_sources_command(sources: Path, out: Path):
    """Rebuild corpus/ from the seed pages and MedQuAD dystonia pages (byte-for-byte reproducible)."""
    from indexer.importers.sources import import_sources

    written = import_sources(sources, out)
    click.echo(f"wrote {len(written)} documents under {out}")


@import_.command("medquad")
@click.argument("tarball", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder for the converted corpus.")
@click.option("--limit", type=int, default=None, help="Convert only the first N pages.")
def import_medquad_command(tarball: Path, out: Path, limit: int | None):
    """Convert the full MedQuAD data set (for benchmarks) into corpus documents."""
    from indexer.importers.medquad import import_tarball
    from indexer.importers.seeds import load_spec

    count = import_tarball(tarball, out, reviewed_on=str(load_spec()["reviewed_on"]), limit=limit)
    click.echo(f"wrote {count} documents under {out}")


@cli.command()
@click.argument("question", required=False)
@click.option("--audience", type=click.Choice(["patient", "therapist"]), default="patient", show_default=True)
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
    from assistant.pipeline import Assistant

    assistant = Assistant.load(index_dir, model, retriever=retriever)
    if batch:
        from assistant.batch import run_batch

        run_batch(assistant, batch, sys.stdout)
        return
    reply = assistant.ask(question, audience=audience)
    if as_json:
        click.echo(json.dumps(reply.to_dict(), ensure_ascii=False))
    else:
        from assistant.render import render_text

        click.echo(render_text(reply, color=sys.stdout.isatty()))
    if reply.kind == "invalid":
        sys.exit(2)


@cli.command()
@click.argument("query")
@click.option("--k", type=click.IntRange(1, 100), default=10, show_default=True, help="How many chunks to show.")
@click.option("--json", "as_json", is_flag=True)
@INDEX_OPTION
@MODEL_OPTION
@RETRIEVER_OPTION
def search(query, k, as_json, index_dir, model, retriever):
    """Show the chunks retrieval finds for QUERY, with dense, lexical and fused scores and ranks."""
    from assistant.playground import run_search

    run_search(query, k=k, index_dir=index_dir, model=model, mode=retriever, as_json=as_json)


@cli.command()
@click.option("--host", envvar="DYSTONIA_HOST", default=DEFAULT_HOST, show_default=True,
              help="Interface to bind; keep 127.0.0.1 unless behind a reverse proxy (see SECURITY.md).")
@click.option("--port", envvar="DYSTONIA_PORT", type=click.IntRange(1, 65535), default=DEFAULT_PORT,
              show_default=True)
@click.option("--feedback-db", envvar="DYSTONIA_FEEDBACK_DB", default=DEFAULT_FEEDBACK_DB, show_default=True,
              help="SQLite file or postgresql:// URL for feedback (env DYSTONIA_FEEDBACK_DB).")
@click.option("--auth-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              envvar="DYSTONIA_AUTH_FILE", help="Require login; users from `dystonia auth add`.")
@click.option("--rate-limit", type=click.IntRange(0), default=30, show_default=True,
              help="Questions per browser session per minute (0: no limit).")
@click.option("--concurrency", type=click.IntRange(1, 16), default=2, show_default=True,
              help="Questions answered at the same time; more wait in Gradio's queue.")
@INDEX_OPTION
@MODEL_OPTION
def chat(host, port, feedback_db, auth_file, rate_limit, concurrency, index_dir, model):
    """Serve the web chat (patients and massage therapists)."""
    from assistant.web import serve

    serve(Settings(index_dir=index_dir, model=model, feedback_db=feedback_db, host=host, port=port,
                   auth_file=auth_file, rate_limit=rate_limit, concurrency=concurrency))


@cli.command(name="eval")
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
    # The one place the assistant package reaches into evals: this command is the
    # composition root for maintainers' tooling.
    from evals.run import run_eval

    passed = run_eval(reference=reference, out=out, compare=compare, thresholds=thresholds, ablation=ablation,
                      index_dir=index_dir, model=model, retriever=retriever)
    if not passed:
        sys.exit(1)


@cli.group()
def feedback():
    """Feedback users left in the chat (maintainers)."""


@feedback.command("export")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              required=True, help="CSV file to write ('-' for stdout).")
@click.option("--db", envvar="DYSTONIA_FEEDBACK_DB", default=DEFAULT_FEEDBACK_DB, show_default=True,
              help="SQLite file or postgresql:// URL (env DYSTONIA_FEEDBACK_DB).")
def feedback_export(csv_path: Path, db: str):
    """Write every feedback row (time, rating, comment, question, answer, citations) as CSV."""
    from assistant.feedback import open_store

    with open_store(db) as store:
        count = store.export_csv(csv_path)
    click.echo(f"exported {count} feedback rows to {csv_path}", err=str(csv_path) == "-")


@cli.group()
def auth():
    """Logins for deployments that require them (see SECURITY.md)."""


@auth.command("add")
@click.argument("username")
@click.option("--auth-file", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.password_option(help="Asked for twice if not given.")
def auth_add(username: str, auth_file: Path, password: str):
    """Add USERNAME (or change its password) in an auth file; passwords are stored hashed."""
    from assistant.auth import add_user

    add_user(auth_file, username, password)
    click.echo(f"saved login for {username!r} in {auth_file}")


def main() -> None:
    cli(prog_name="dystonia")


if __name__ == "__main__":
    main()
