"""The answer pipeline: one question (plus the conversation so far) in, one ``Reply`` out.

    validate -> prepare the Query -> urgent routing -> retrieve -> assess evidence
             -> route -> compose

Each stage is one object with one job, passed in (``Assistant.build`` makes the defaults):
``QueryPreparer`` (cleaning, follow-ups, subject, facet, embeddings), ``Router`` (the kind of
reply, and nothing else decides it), ``Retriever`` (hybrid search), ``Assessor`` (which
sentences could answer, and how well), ``Composer`` (the structured, cited answer).

``Assistant`` holds the loaded index, model and stages; build it once per process
(``Assistant.load``) and share it: ``ask`` keeps no state between calls, so concurrent web
users can call it from several threads.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.annotations import Annotations
from assistant.cautions import find_cautions
from assistant.compose import Composer, Composition
from assistant.evidence import Assessor
from assistant.facets import FacetModels
from assistant.glossary import Glossary
from assistant.query import MAX_QUESTION_CHARS, Query, QueryPreparer, validate
from assistant.reply import AUDIENCES, Reply
from assistant.retrieval import Retriever
from assistant.routing import Route, Router
from assistant.scorer import SentenceScorer
from assistant.subjects import Catalogue
from assistant.tuning import Tuning
from assistant.vocabulary import Vocabulary, load_routing_data
from indexer.embedding import Embedder, load_embedder
from indexer.store import DEFAULT_INDEX_DIR, Index, load_index, read_manifest

__all__ = ["MAX_QUESTION_CHARS", "Assistant"]


@dataclass
class Assistant:
    index: Index
    embedder: Embedder
    tuning: Tuning
    preparer: QueryPreparer
    router: Router
    retriever: Retriever
    assessor: Assessor
    composer: Composer
    glossary: Glossary

    @classmethod
    def build(cls, index: Index, embedder: Embedder, *, tuning: Tuning | None = None, retriever: str = "hybrid",
              scorer: SentenceScorer | None = None, facets: FacetModels | None = None) -> Assistant:
        """The default stages over a loaded index and model (learned models from ``assistant/models``)."""
        tuning = tuning or Tuning.load()
        routing = load_routing_data()
        vocabulary = Vocabulary.from_data(routing)
        catalogue = Catalogue(index.documents)
        facets = facets or FacetModels.load(model_id=embedder.model_id)
        annotations = Annotations(index, catalogue, facets, embedder)
        cautions = find_cautions(annotations)
        index.lexical.prepare_near()
        return cls(index, embedder, tuning,
                   QueryPreparer(embedder, vocabulary, catalogue, facets, tuning.routing),
                   Router(embedder, vocabulary, routing["exemplars"], tuning.routing),
                   Retriever(index, tuning.retrieval, mode=retriever),
                   Assessor(index, annotations, catalogue, scorer or SentenceScorer.load(), embedder, vocabulary,
                            tuning, cautions),
                   Composer(index, annotations, catalogue, cautions, tuning.compose),
                   Glossary.mine(index.documents))

    @classmethod
    def load(cls, index_dir: str | Path = DEFAULT_INDEX_DIR, model: str | None = None, *,
             embedder: Embedder | None = None, **options) -> Assistant:
        """The model (unless one is given) and the index, loaded once; keep the result and share it.

        A missing index is reported before the model is loaded, so the fix is seconds away."""
        read_manifest(index_dir)
        embedder = embedder or load_embedder(model, threads=1)
        index = load_index(index_dir, model_id=embedder.model_id, dimension=embedder.dimension)
        return cls.build(index, embedder, **options)

    @property
    def catalogue(self) -> Catalogue:
        return self.preparer.catalogue

    def ask(self, question, history: Sequence = (), audience: str = "patient") -> Reply:
        clock = _Clock()
        problem = validate(question, audience)
        if problem:
            return Reply("invalid", question if isinstance(question, str) else "", "", error=problem,
                         timings_ms=clock.contract(), audience=audience if audience in AUDIENCES else "patient")
        query = self.preparer.prepare(question, history, audience)
        clock.stage("prepare")
        route = self.router.urgent(query)
        clock.stage("route")
        if route and route.kind == "emergency":
            return self._reply(query, route, self.composer.fixed("emergency", crisis=route.crisis), (), clock)
        hits = self.retriever.search(query.expanded, query.vector, k=self.tuning.retrieval.depth(audience),
                                     focus=self.catalogue.documents_about(query.subject))
        clock.stage("retrieve")
        evidence = self.assessor.assess(query, hits)
        clock.stage("assess")
        route = self.router.settle(route, evidence) if route else self.router.scope(query, evidence)
        clock.stage("route")
        composition = self.composer.compose(query, route.kind, evidence) if self._composed(route) else \
            self.composer.fixed(route.kind, unmentioned=route.unmentioned)
        clock.stage("compose")
        ranked = tuple(dict.fromkeys(h.chunk.doc_id for h in hits))
        return self._reply(query, route, composition, ranked, clock)

    @staticmethod
    def _composed(route: Route) -> bool:
        return route.kind in ("answer", "personal_advice")

    def _reply(self, query: Query, route: Route, composition: Composition, retrieved: tuple[str, ...],
               clock: _Clock) -> Reply:
        sources = " ".join(run.text for segment in composition.segments for run in segment.runs)
        asked = {name for name in (query.subject.condition, query.subject.treatment) if name}
        return Reply(route.kind, query.text, composition.text, composition.citations, timings_ms=clock.contract(),
                     crisis=route.crisis, retrieved=retrieved, route_reason=route.reason, audience=query.audience,
                     segments=composition.segments, stages_ms=clock.stages, subject=query.subject.label,
                     facet=query.facet, glossary=tuple(self.glossary.for_text(sources, skip=asked)))


class _Clock:
    """Stage timings: the JSON contract's retrieve/compose/total, and each stage for maintainers."""

    def __init__(self):
        self.started = self.last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def stage(self, name: str) -> None:
        now = time.perf_counter()
        self.stages[name] = round(self.stages.get(name, 0.0) + (now - self.last) * 1000, 2)
        self.last = now

    def contract(self) -> dict:
        total = round((time.perf_counter() - self.started) * 1000, 1)
        compose = round(self.stages.get("compose", 0.0), 1)
        return {"retrieve": round(total - compose, 1), "compose": compose, "total": total}
