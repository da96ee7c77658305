"""Options several commands share, and the one thing commands load from outside: the model.

``World`` is how tests pass a stand-in model to commands run in-process
(``CliRunner().invoke(cli, args, obj=World(embedder=...))``); in normal use it loads the
model named by ``--model`` once per command.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from assistant.reply import AUDIENCES
from indexer.store import DEFAULT_INDEX_DIR

if TYPE_CHECKING:
    from assistant.facets import FacetModels
    from assistant.pipeline import Assistant
    from assistant.scorer import SentenceScorer
    from indexer.embedding import Embedder

INDEX_OPTION = click.option("--index", "index_dir", type=click.Path(path_type=Path), envvar="DYSTONIA_INDEX",
                            default=DEFAULT_INDEX_DIR, show_default=True, help="Index folder (env DYSTONIA_INDEX).")
MODEL_OPTION = click.option("--model", envvar="DYSTONIA_MODEL", default=None,
                            help="Sentence-transformers model folder (env DYSTONIA_MODEL); "
                                 "default: the bundled all-MiniLM-L6-v2.")
RETRIEVER_OPTION = click.option("--retriever", type=click.Choice(["hybrid", "dense", "lexical"]),
                                default="hybrid", show_default=True, help="How passages are ranked.")
AUDIENCE_OPTION = click.option("--audience", type=click.Choice(AUDIENCES), default="patient", show_default=True,
                               help="Who is asking: patients get short plain answers, therapists also cautions.")


@dataclass
class World:
    """The models commands use: ``embedder`` if given (tests), else the one ``--model`` names;
    the learned facet classifiers and scorer from ``assistant/models`` unless given."""

    embedder: Embedder | None = None
    facets: FacetModels | None = None
    scorer: SentenceScorer | None = None

    def load_embedder(self, model: str | None, *, threads: int | None = None) -> Embedder:
        from indexer.embedding import load_embedder

        return self.embedder or load_embedder(model, threads=threads)

    def model_id(self, model: str | None) -> str:
        from indexer.embedding import model_id_for

        return self.embedder.model_id if self.embedder else model_id_for(model)

    def load_assistant(self, index_dir: Path, model: str | None, retriever: str = "hybrid") -> Assistant:
        from assistant.pipeline import Assistant

        return Assistant.load(index_dir, model, embedder=self.embedder, retriever=retriever, facets=self.facets,
                              scorer=self.scorer)


def world() -> World:
    """The ``World`` of the running command (a default one unless a test passed its own)."""
    context = click.get_current_context()
    if not isinstance(context.obj, World):
        context.obj = World()
    return context.obj
