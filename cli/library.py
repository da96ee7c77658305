"""Commands that curate the library: ``index`` (validate and build) and ``import``."""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import MODEL_OPTION, world
from common.errors import REBUILD_HINT, IndexCorrupt, IndexStale, UsageError
from indexer.store import DEFAULT_INDEX_DIR


@click.command()
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), default="corpus", show_default=True,
              help="Folder of vetted documents.")
@click.option("--out", "out", type=click.Path(path_type=Path), envvar="DYSTONIA_INDEX", default=DEFAULT_INDEX_DIR,
              show_default=True, help="Index folder to write (env DYSTONIA_INDEX).")
@click.option("--check", is_flag=True, help="Only validate the corpus; build nothing.")
@click.option("--force", is_flag=True, help="Rebuild even if the index is up to date.")
@click.option("--verify", is_flag=True, help="Only check every index file against the checksums in its manifest; "
                                             "build nothing (exit 1 if any file is damaged).")
@MODEL_OPTION
def index(corpus_dir: Path, out: Path, check: bool, force: bool, verify: bool, model: str | None):
    """Validate the corpus and build the search index (only what changed is re-embedded).

    A corpus with any problem is refused with one line per problem, and the existing
    index is left untouched. The new index replaces the old one atomically. An index with
    a missing or damaged file is rebuilt, never called up to date.
    """
    from indexer.build import build_index, rebuild_reason
    from indexer.loading import load_corpus

    if verify:
        if check or force:
            raise UsageError("--verify only reads the index; run it without --check or --force")
        verify_index(out)
        return
    corpus = load_corpus(corpus_dir)
    for warning in corpus.warnings:
        click.echo(warning, err=True)
    if check:
        click.echo(f"corpus OK: {len(corpus.documents)} documents in {corpus_dir}")
        return
    reason = "--force" if force else rebuild_reason(corpus, out, world().model_id(model))
    if reason is None:
        click.echo(f"index at {out} is up to date ({len(corpus.documents)} documents)")
        return
    click.echo(f"building {out}: {reason}", err=True)
    report = build_index(corpus, out, world().load_embedder(model))
    click.echo(f"built {report.path}: {report.documents} documents, {report.chunks} chunks, "
               f"{report.sentences} sentences ({report.reused_documents} documents reused, "
               f"{report.embedded_chunks} chunks embedded) in {report.seconds:.1f} s, "
               f"{report.bytes_on_disk / 1e6:.1f} MB, {report.dense_type} dense index")


def verify_index(out: Path) -> None:
    """Hash every index file against the manifest: one line on stderr per damaged file, then
    a one-line error (exit 1); or one line saying all is intact."""
    from indexer.store import read_manifest, verify_files

    manifest = read_manifest(out)
    if not isinstance(manifest.get("sha256"), dict):
        raise IndexStale(f"index at {out} was built by older code (its manifest has no checksums to verify); "
                         f"{REBUILD_HINT}")
    damaged = verify_files(out, manifest)
    for damage in damaged:
        click.echo(str(damage), err=True)
    if damaged:
        raise IndexCorrupt(f"index at {out}: {len(damaged)} damaged file(s) listed above; {REBUILD_HINT}")
    click.echo(f"index at {out} verified: {len(manifest.get('files', {}))} files intact")


@click.group(name="import")
def import_():
    """Convert raw sources into corpus documents (maintainers)."""


@import_.command("sources")
@click.option("--sources", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default="../shared/sources", show_default=True, help="The raw source folder.")
@click.option("--dataset", type=click.Path(dir_okay=False, path_type=Path),
              default="../shared/datasets/medquad-answered.tar.gz", show_default=True,
              help="The MedQuAD data set, for selected pages not in the source folder.")
@click.option("--out", type=click.Path(path_type=Path), default="corpus", show_default=True)
def import_sources_command(sources: Path, dataset: Path, out: Path):
    """Rebuild corpus/ from the seed pages (indexer/importers/seeds.yaml) and the NIH pages
    selected in indexer/importers/medquad.yaml, byte-for-byte reproducibly."""
    from indexer.importers.sources import import_sources

    written = import_sources(sources, out, dataset)
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


COMMANDS = [index, import_]
