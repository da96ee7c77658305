"""``dystonia coverage``: what the library covers, per subject and facet; the hands-on
cautions it holds (``--cautions``); and the gaps its curators know of."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import click

from cli.options import INDEX_OPTION, MODEL_OPTION, world


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the coverage as JSON, for tools.")
@click.option("--cautions", is_flag=True, help="List every caution for hands-on work the library holds, cited.")
@INDEX_OPTION
@MODEL_OPTION
def coverage(as_json: bool, cautions: bool, index_dir: Path, model: str | None):
    """Show which facets (definition, cause, symptoms, treatment, ...) the library covers for
    each subject, with how many documents, and the topics it is known not to cover."""
    from assistant.coverage import caution_entries, known_gaps, subject_coverage, uncovered_topics
    from assistant.facets import FACETS

    assistant = world().load_assistant(index_dir, model)
    composer, annotations = assistant.composer, assistant.assessor.annotations
    if cautions:
        entries = caution_entries(assistant.index, annotations, composer.cautions)
        missing = uncovered_topics(composer.cautions)
        if as_json:
            click.echo(json.dumps({"cautions": [e.__dict__ for e in entries], "nothing_on": missing}, indent=1))
            return
        _print_cautions(entries, missing)
        return
    rows = subject_coverage(assistant.index, annotations, assistant.catalogue)
    gaps = known_gaps()
    if as_json:
        click.echo(json.dumps({"facets": list(FACETS), "subjects": [r.record() for r in rows], "known_gaps": gaps},
                              indent=1, ensure_ascii=False))
        return
    _print_table(rows, FACETS)
    if gaps:
        click.echo("\nKnown not to be covered (corpus/README.md):")
        for gap in gaps:
            click.echo(f"  - {gap}")


def _print_table(rows, facets) -> None:
    short = {f: f.replace("_", " ")[:10] for f in facets}
    click.echo(f"{'subject':40} {'docs':>4}  " + " ".join(f"{short[f]:>10}" for f in facets))
    for row in rows:
        cells = " ".join(f"{row.facets.get(f, '') or '·':>10}" for f in facets)
        click.echo(f"{row.subject[:40]:40} {row.documents:>4}  {cells}")
    click.echo("\nEach cell: documents with a sentence on that subject answering that facet (· none).")


def _print_cautions(entries, missing: list[str]) -> None:
    click.echo("Cautions for hands-on work that the library holds (verbatim, with their source):\n")
    for number, entry in enumerate(entries, start=1):
        click.echo(f"[{number}] {entry.topic}: " + textwrap.fill(f"“{entry.quote}”", 100, subsequent_indent="    "))
        click.echo(f"    — {entry.title} ({entry.url})")
    if missing:
        click.echo(f"\nThe library says nothing for hands-on work about: {', '.join(missing)}.")


COMMANDS = [coverage]
