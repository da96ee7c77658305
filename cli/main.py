"""The ``dystonia`` command: the top of the house. A thin layer: parse flags, call the
library (``indexer``, ``assistant``, ``chat``, ``evals``, ``training``), print.

It may import every package; nothing imports it. Each area's commands live in their own
module (``library``, ``answers``, ``serving``, ``quality``); this one assembles them and is
the one place domain errors become a line on stderr. Heavy libraries (torch, faiss,
gradio) are imported inside the commands that need them, so ``dystonia --help`` answers
instantly. Expected failures arrive as ``DystoniaError`` and are printed as one line with
exit status 1, never as a traceback.
"""

from __future__ import annotations

import click

from cli import answers, coverage, library, quality, serving
from common.errors import CorpusError, DystoniaError


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


for module in (library, coverage, answers, serving, quality):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    cli(prog_name="dystonia")


if __name__ == "__main__":
    main()
