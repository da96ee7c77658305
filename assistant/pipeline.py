"""The answer pipeline: one question (plus the conversation so far) in, one ``Reply`` out.

validate -> resolve follow-up -> embed once -> urgent routing (emergency, personal advice)
-> retrieve -> scope routing (out of scope, no evidence, answer) -> compose.

``Assistant`` holds the loaded index, model and router; build it once per process
(``Assistant.load``) and share it: ``ask`` keeps no state between calls, so concurrent
web users can call it from several threads.
"""

from __future__ import annotations

import functools
import re
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant import reply as texts
from assistant.compose import Composer
from assistant.conversation import QUESTION_WORDS, Turn, resolve_followup
from assistant.reply import AUDIENCES, Reply
from assistant.retrieval import Retriever
from assistant.routing import Evidence, Route, Router, without_instructions
from assistant.tuning import Tuning
from assistant.vocabulary import Vocabulary, load_routing_data
from common.text import stem
from indexer.embedding import Embedder, load_embedder
from indexer.store import DEFAULT_INDEX_DIR, Index, load_index, read_manifest

MAX_QUESTION_CHARS = 2000
MAX_HISTORY_TURNS = 10
CONTENT_STOPWORDS = QUESTION_WORDS | {"dystonia", "dystonias", "dystonic", "people", "person", "someone", "thing",
                                      "things", "just", "like", "want", "need", "mean", "think", "said", "says"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class Assistant:
    def __init__(self, index: Index, embedder: Embedder, *, tuning: Tuning | None = None, retriever: str = "hybrid"):
        self.index = index
        self.embedder = embedder
        self.tuning = tuning or Tuning.load()
        routing = load_routing_data()
        self.vocabulary = Vocabulary.from_data(routing)
        self.router = Router(embedder, self.vocabulary, routing["exemplars"], self.tuning.routing)
        self.retriever = Retriever(index, self.tuning.retrieval, mode=retriever)
        self.composer = Composer(index, self.tuning.compose)
        index.lexical.prepare_near()

    @classmethod
    def load(cls, index_dir: str | Path = DEFAULT_INDEX_DIR, model: str | None = None, *,
             embedder: Embedder | None = None, **options) -> Assistant:
        """The model (unless one is given) and the index, loaded once; keep the result and share it.

        A missing index is reported before the model is loaded, so the fix is seconds away."""
        read_manifest(index_dir)
        embedder = embedder or load_embedder(model, threads=1)
        index = load_index(index_dir, model_id=embedder.model_id, dimension=embedder.dimension)
        return cls(index, embedder, **options)

    def ask(self, question, history: Sequence = (), audience: str = "patient") -> Reply:
        started = time.perf_counter()
        problem = validate(question, audience)
        if problem:
            return Reply("invalid", question if isinstance(question, str) else "", "", error=problem,
                         timings_ms=_timings(started, started, started),
                         audience=audience if audience in AUDIENCES else "patient")
        text = clean(question)
        turns = normalize_history(history)
        search_text = without_instructions(text) or text
        resolved_text, topic = resolve_followup(search_text, turns, self.vocabulary)
        query = self.vocabulary.expand(resolved_text)
        vectors = self.embedder.embed([search_text, query] if query != search_text else [search_text])
        own, resolved = vectors[0], vectors[-1]
        route = self.router.urgent(search_text, own)
        if route and route.kind == "emergency":
            now = time.perf_counter()
            return self._emergency(text, route, _timings(started, now, now), audience)
        hits = self.retriever.search(query, resolved, k=self.tuning.retrieval.depth(audience))
        best = hits[:self.tuning.retrieval.evidence_hits]
        unsupported = functools.cache(lambda: self._unsupported(search_text, own))
        evidence = Evidence(max((h.dense for h in hits), default=0.0),
                            self.composer.best_similarity(resolved, best), lambda: tuple(unsupported()))
        route = route or self.router.scope(search_text, query, resolved, evidence)
        unmentioned = self._pulling_away(own, best, unsupported()) if route.kind == "answer" else ()
        retrieved = time.perf_counter()
        return self._compose(text, route, query, resolved, hits, evidence, audience, started, retrieved, topic,
                             unmentioned)

    def _compose(self, text, route: Route, query, vector, hits, evidence: Evidence, audience,
                 started, retrieved, topic: str = "", unmentioned: tuple[str, ...] = ()) -> Reply:
        kind, body, citations = route.kind, "", ()
        if kind in ("answer", "personal_advice"):
            lead = f"{texts.PERSONAL_ADVICE_LEAD}\n\n{texts.GENERAL_INFO_LEAD}" if kind == "personal_advice" \
                else _not_mentioned(unmentioned)
            usable = evidence.dense_top >= self.tuning.routing.evidence_dense
            composition = self.composer.compose(query, vector, hits, audience=audience, lead=lead,
                                                topic=topic) if usable else None
            if composition and composition.citations:
                body, citations = composition.text, composition.citations
            elif kind == "personal_advice":
                body = texts.PERSONAL_ADVICE_LEAD
            else:
                kind = "no_evidence"
        if kind == "out_of_scope":
            body = texts.OUT_OF_SCOPE
        elif kind == "no_evidence":
            body = texts.NO_EVIDENCE
        ranked = tuple(dict.fromkeys(h.chunk.doc_id for h in hits))
        return Reply(kind, text, body, citations, timings_ms=_timings(started, retrieved, time.perf_counter()),
                     retrieved=ranked, route_reason=route.reason, audience=audience)

    def _emergency(self, text: str, route: Route, timings: dict, audience: str) -> Reply:
        parts = [texts.CRISIS_GUIDANCE, texts.EMERGENCY_GUIDANCE] if route.crisis else [texts.EMERGENCY_GUIDANCE]
        return Reply("emergency", text, "\n\n".join(parts), timings_ms=timings, crisis=route.crisis,
                     route_reason=route.reason, audience=audience)

    def _unsupported(self, text: str, vector) -> dict[str, np.ndarray]:
        """Words no source uses (nor a synonym, prefix or typo of one) that carry the question,
        each with the question's vector without it.

        A word carries the question if leaving it out moves the question's embedding: filler
        ("exactly", "please") barely moves it, a subject ("contagious", "magnesium") moves
        it a lot. It must also move it about as much as the question's best-known content
        word does, so an aside ("trumpet player here, what is embouchure dystonia?") does
        not hide a question the sources answer.
        """
        words = [w for w in dict.fromkeys(re.findall(r"[a-z]{4,}", text.lower())) if w not in CONTENT_STOPWORDS]
        unknown = [w for w in words if not self.index.lexical.near(stem(w)) and not self.vocabulary.topics(w)
                   and self.vocabulary.expand(w) == w][:self.tuning.routing.max_probed_words]
        if not unknown:
            return {}
        known = [w for w in words if w not in unknown][:self.tuning.routing.max_probed_words]
        probes = unknown + known
        without = self.embedder.embed([re.sub(rf"\b{w}\b", " ", text, flags=re.I) for w in probes])
        shift = dict(zip(probes, (1.0 - without @ vector).tolist()))
        strongest_known = max((shift[w] for w in known), default=0.0)
        t = self.tuning.routing
        return {w: v for w, v in zip(probes, without) if w in unknown and shift[w] >= t.salient_word_shift
                and shift[w] >= t.salient_word_ratio * strongest_known}

    def _pulling_away(self, vector, hits, unsupported: dict[str, np.ndarray]) -> tuple[str, ...]:
        """Unsupported words the answer must name as unmentioned: without them the question
        matches its best source sentence better, so that sentence is about the rest of the
        question ("does ashwagandha calm spasms?" is answered by a sentence about spasms).
        A word that brings the question nearer ("pianists" to a sentence on piano players,
        "trumpet" to one on embouchure dystonia) is not named.
        """
        if not unsupported:
            return ()
        base = self.composer.best_similarity(vector, hits)
        pull = self.tuning.routing.unmentioned_pull
        return tuple(w for w, without in unsupported.items()
                     if self.composer.best_similarity(without, hits) - base >= pull)


def _not_mentioned(words: tuple[str, ...]) -> str:
    return texts.NOT_MENTIONED_LEAD.format(words=" or ".join(words)) if words else ""


def validate(question, audience: str = "patient") -> str | None:
    """A message for the user if the question cannot be answered as given, else None."""
    if audience not in AUDIENCES:
        return f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}"
    if not isinstance(question, str):
        return "the question must be text"
    if len(question) > MAX_QUESTION_CHARS:
        return (f"your question is {len(question):,} characters long; please keep it under "
                f"{MAX_QUESTION_CHARS:,} characters")
    if not clean(question):
        return "please type a question"
    return None


def clean(text: str) -> str:
    """Text without control or invisible formatting characters, on one line."""
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", text))
    return re.sub(r"\s+", " ", text).strip()


def normalize_history(history: Sequence) -> list[Turn]:
    """The last turns of a conversation as ``Turn`` records; malformed entries are dropped."""
    turns = []
    for entry in list(history or [])[-MAX_HISTORY_TURNS:]:
        role, content = (entry.role, entry.content) if isinstance(entry, Turn) else \
            (entry.get("role"), entry.get("content")) if isinstance(entry, dict) else (None, None)
        if role in ("user", "assistant") and isinstance(content, str) and clean(content):
            turns.append(Turn(role, clean(content)[:MAX_QUESTION_CHARS]))
    return turns


def _timings(started: float, retrieved: float, finished: float) -> dict:
    return {"retrieve": round((retrieved - started) * 1000, 1), "compose": round((finished - retrieved) * 1000, 1),
            "total": round((finished - started) * 1000, 1)}
