"""Assess the evidence for a question: which retrieved sentences could answer it, and how well.

Every sentence of the retrieved passages becomes a ``Candidate`` with its features
(``assistant.scorer.FEATURES``) and the learned scorer's probability that it answers the
question. From them the assessment picks:

- the **lead**: the best sentence about the subject asked (or about no condition, such as a
  treatment page's sentence) that can open an answer on its own, if it is likely enough
  (``compose.lead_min``);
- when there is no lead, the **close** sentences: what the sources say about the broader
  condition (dystonia in general, for a question on one form), or labelled notes on
  specific forms (for a general question), which an answer may offer after saying plainly
  that the sources don't answer the question itself.

It also summarises retrieval for routing (best passage and sentence similarity) and, only
when routing asks, finds the question's words no source uses (a batch of embeddings).
The router decides the kind of reply from this; the composer writes it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from assistant.annotations import Annotations, SentenceInfo
from assistant.cautions import Caution
from assistant.conversation import QUESTION_WORDS
from assistant.query import Query
from assistant.reply import AUDIENCE_TABLE, TREATMENT_GAP_TEXTS
from assistant.retrieval import Hit
from assistant.scorer import FEATURES, SentenceScorer
from assistant.subjects import GENERAL, Catalogue
from assistant.tuning import Tuning
from assistant.vocabulary import Vocabulary
from common.text import stem, terms
from indexer.embedding import Embedder
from indexer.store import Index

GENERIC_STEMS = {stem(w) for w in QUESTION_WORDS} | {stem(w) for w in ("dystonia", "dystonias")}
CONTENT_STOPWORDS = QUESTION_WORDS | {"dystonia", "dystonias", "dystonic", "people", "person", "someone", "thing",
                                      "things", "just", "like", "want", "need", "mean", "think", "said", "says",
                                      "wants", "wanted", "needs", "means", "thinks", "thought", "know", "knows",
                                      "wonder", "wondering", "asked", "asks", "told", "tell", "tells",
                                      "really", "actually", "automatically", "soon", "normal", "usually",
                                      # how often, how much: never what a question asks about
                                      "always", "nearly", "never", "ever", "often", "sometimes", "still",
                                      "almost", "mostly", "anymore", "quite", "very", "much", "though"}
DEFINITION = re.compile(r"^([\w'’-]+\s+){1,7}?(is|are)\s+(a|an|the|one|any|movement|neurological|rare|"
                        r"characteri[sz]ed|caused)\b", re.I)
ASKS_QUANTITY = re.compile(r"\bhow (long|many|much|often|common|rare|soon|quickly|fast|old|likely)\b|"
                           r"\b(what|which) (percent\w*|proportion|age|share|dose|doses)\b|\bat what age\b|"
                           r"\b(chances?|odds|risk|percent\w*|%)\b", re.I)
QUANTITY = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|fifty|"
                      r"hundred|thousand|million|half|quarter|percent|most|majority|minority|rare|rarely|common|"
                      r"childhood|adolescence|adulthood|age|ages|years?|months?|weeks?|days?|hours?)\b", re.I)
# "what sets off the jerks?", "can stress make it worse?": asking what brings symptoms on is not
# asking what causes the disorder (a gene), and the sentences that answer it say so in few ways;
# what brings symptoms on is also a caution for hands-on work ("standing up quickly"). A sentence
# leaning on the one before ("These stressors can seriously aggravate...") names no trigger itself
ASKS_TRIGGER = re.compile(r"\btrigger(s|ed|ing)?\b(?! points?)|\bset(s|ting)? (\w+ ){0,2}off\b|"
                          r"\bbr(ing|ings|inging|ought) (\w+ ){0,2}on\b|\bflare\w*|\baggravat\w*|\bexacerbat\w*|"
                          r"\bmak(e|es|ing) (\w+ ){0,2}worse\b|\bworsen\w*", re.I)
TRIGGER = re.compile(r"\btrigger(s|ed|ing)?\b(?! points?)|\binduced by\b|\bprovoked\b|\bprecipitated\b|"
                     r"\baggravat\w*|\bexacerbat\w*|\bbrought on\b|\bset off\b|\bmake (\w+ ){0,2}worse\b|"
                     r"\bstressors\b|\bworsen(s)? (dystonia|the condition|symptoms|them)\b|\btend to worsen\b|"
                     r"\b(appear|noticeable) only (after|during)\b", re.I)
# "does cupping help...", "can cbd oil help...", "is turmeric good for...", "asked if chiropractic
# adjustments would help": the thing asked about
_THING = r"(?P<thing>[a-z][a-z-]*(?:\s+[a-z][a-z-]*)?)"
_HELPS = r"(?:help|helps|work|works|good|useful|safe|effective|cure|fix|improve|calm|ease|relieve|reduce|treat|harm)\b"
ASKED_ABOUT = (re.compile(rf"\b(?:does|do|can|could|would|will|is|are|should)\s+{_THING}\s+{_HELPS}", re.I),
               re.compile(rf"\b(?:if|whether)\s+{_THING}\s+(?:would|will|could|can|might|does|do|is|are)\s+"
                          rf"(?:be\s+)?{_HELPS}", re.I))
RELATIONS = ("same", "neutral", "broader", "narrower", "other")
LEAD_RELATIONS = ("same", "neutral", "broader")  # broader ones only when nothing on the subject fits, framed


@dataclass(eq=False)  # identity: the same sentence scored for another question is another candidate
class Candidate:
    info: SentenceInfo
    hit_rank: int
    relation: str  # of its condition to the one asked: see Catalogue.relation
    similarity: float
    features: np.ndarray
    score: float = 0.0  # the scorer's probability that it answers the question
    also: list[Candidate] = field(default_factory=list)  # the same fact in other sources

    @property
    def row(self) -> int:
        return self.info.row


@dataclass(frozen=True)
class Evidence:
    dense_top: float  # best passage cosine
    sentence_top: float  # best sentence cosine among the top passages
    candidates: tuple[Candidate, ...]  # scored, best first
    lead: Candidate | None  # None: the library does not answer what was asked about this subject
    close: tuple[Candidate, ...]  # then: what it says on the broader condition, or on specific forms
    cautions: tuple[int, ...] = ()  # for therapists: rows of the hands-on cautions relevant to the question
    subject_retrieved: bool = False  # the question names a library subject and its own pages were retrieved
    facet_covered: bool = True  # the library answers the facet asked for this subject somewhere (Assessor._covers)
    # Words that matter to the question but no source uses. A function, because finding them
    # costs a batch of embeddings, so it runs only when nothing cheaper has decided.
    unsupported_terms: Callable[[], tuple[str, ...]] = lambda: ()
    unmentioned: Callable[[], tuple[str, ...]] = lambda: ()

    @property
    def answerable(self) -> bool:
        """Something to compose: an answer, something close to offer, or cautions for a therapist."""
        return self.lead is not None or bool(self.close) or bool(self.cautions)


class Assessor:
    def __init__(self, index: Index, annotations: Annotations, catalogue: Catalogue, scorer: SentenceScorer | None,
                 embedder: Embedder, vocabulary: Vocabulary, tuning: Tuning, cautions: Sequence[Caution] = ()):
        self.index, self.annotations, self.catalogue, self.scorer = index, annotations, catalogue, scorer
        self.embedder, self.vocabulary, self.tuning = embedder, vocabulary, tuning
        self.cautions = list(cautions)
        sentence_labels = annotations.facet_labels
        self.sentence_facet_column = {label: i for i, label in enumerate(sentence_labels)}
        self._facet_fits: dict[str, np.ndarray] = {}
        self._covered: dict[tuple, bool] = {}

    def assess(self, query: Query, hits: list[Hit]) -> Evidence:
        candidates = self.candidates(query, hits)
        if self.scorer is not None and candidates:
            for candidate, p in zip(candidates, self.scorer.probabilities(np.vstack([c.features for c in candidates]))):
                candidate.score = float(p)
        candidates.sort(key=lambda c: (-c.score, c.row))
        best = hits[:self.tuning.retrieval.evidence_hits]
        unsupported = functools.cache(lambda: self._unsupported(query))
        about = set(self.catalogue.documents_about(query.subject)) if query.names_subject else set()
        lead = self._lead(query, candidates)
        return Evidence(
            dense_top=max((h.dense for h in hits), default=0.0),
            sentence_top=self.best_similarity(query.vector, best),
            candidates=tuple(candidates), lead=lead, close=self._close(query, candidates),
            cautions=self._cautions(query), subject_retrieved=any(h.chunk.doc_id in about for h in hits),
            facet_covered=lead is not None or self._covers(query),
            unsupported_terms=lambda: tuple(unsupported()),
            unmentioned=functools.cache(lambda: self._unmentioned(query, best, unsupported())))

    def candidates(self, query: Query, hits: list[Hit]) -> list[Candidate]:
        """Stand-alone sentences of the hits with their features (not yet scored)."""
        weights = self._term_weights(query.expanded)
        seen: set[int] = set()
        found = []
        for rank, hit in enumerate(hits):
            rows = [r for r in range(hit.chunk.first_sentence, hit.chunk.last_sentence + 1) if r not in seen]
            seen.update(rows)
            rows = [r for r in rows if self.annotations[r].stands_alone]
            if not rows:
                continue
            similarities = np.asarray(self.index.sentence_vectors[rows], np.float32) @ query.vector
            alone_vectors = np.asarray(self.index.sentence_alone_vectors[rows], np.float32)
            own, aspect = (alone_vectors @ query.own_vector).tolist(), (alone_vectors @ query.aspect_vector).tolist()
            for i, (row, similarity) in enumerate(zip(rows, similarities.tolist())):
                info = self.annotations[row]
                relation = self._relation(query, info)
                found.append(Candidate(info, rank, relation, similarity,
                                       self._features(query, info, rank, relation, (similarity, own[i], aspect[i]),
                                                      weights)))
        return found

    def _relation(self, query: Query, info: SentenceInfo) -> str:
        """How the sentence's condition relates to the one asked. A question about a treatment
        that names no condition ("can massage replace botox?") takes the treatment's pages
        as they are: only a condition the sentence itself names can put it off the subject."""
        asked = query.subject
        relation = self.catalogue.relation(asked.condition, info.condition)
        if relation == "neutral":
            return self._on_a_treatment_page(asked, info)
        if relation in ("narrower", "other") and asked.condition == GENERAL \
                and self._on_the_treatment(asked.treatment, info):
            return "neutral"
        return relation

    def _on_the_treatment(self, treatment: str | None, info: SentenceInfo) -> bool:
        """A sentence about the treatment asked on a page that lists it among its subjects, though
        the page is on a condition ("baclofen may also be injected ... through an implanted
        pump", on the hypertonia page): it names the treatment and no condition. Not "Most cases
        are treated with botulinum toxin" on a page that does not list it: that is about the
        page's condition."""
        listed = {s.name for s in self.index.documents[info.doc_row].subjects}
        return treatment in listed and treatment in info.named \
            and not any(self.catalogue.subjects[n].kind == "condition" for n in info.named)

    def _on_a_treatment_page(self, asked, info: SentenceInfo) -> str:
        """A sentence of a page about a treatment: about the condition asked if it names it;
        about another if it names only others ("...symptoms of Parkinson's disease"); else
        neutral, unless the page is on another treatment and the question on a specific
        condition it lists neither itself nor as one of its specific kinds (a physiotherapy page on
        focal dystonias speaks to cervical dystonia; one on dystonia in general does not speak
        to dopa-responsive dystonia)."""
        named = {n for n in info.named if self.catalogue.subjects[n].kind == "condition"}
        if asked.condition in named:
            return "same"
        relations = {self.catalogue.relation(asked.condition, n) for n in named}
        if named and relations <= {"other"}:
            return "other"
        if "narrower" in relations:
            return "narrower"
        subjects = self.index.documents[info.doc_row].subjects
        listed = {s.name for s in subjects}
        family = set(self.catalogue.lineage(asked.condition)) - {GENERAL}
        if asked.condition != GENERAL and not family & listed and asked.treatment not in listed:
            return "other"
        main = subjects[0] if subjects else None
        if asked.treatment and main and main.kind == "treatment" and main.name != asked.treatment \
                and asked.treatment not in info.named:
            return "other"  # botox's side effects are no answer about baclofen's
        return "neutral"

    def best_similarity(self, vector: np.ndarray, hits: list[Hit]) -> float:
        rows = [r for h in hits for r in range(h.chunk.first_sentence, h.chunk.last_sentence + 1)]
        return float((self.index.sentence_vectors[rows] @ vector).max()) if rows else 0.0

    def _features(self, query: Query, info: SentenceInfo, rank: int, relation: str,
                  similarities: tuple[float, float, float], weights: dict[str, float]) -> np.ndarray:
        """``similarities``: the question's to the sentence in its passage and on its own, and
        that of what the question asks beyond its subject ("...affect driving?")."""
        similarity, own, aspect = similarities
        total = sum(weights.values())
        overlap = sum(w for t, w in weights.items() if t in info.terms) / total if total else 0.0
        doc = self.index.documents[info.doc_row]
        main = doc.subjects[0].name if doc.subjects else None
        asked = query.subject
        subject_document = main is not None and (main == asked.condition or main == asked.treatment)
        names_treatment = asked.treatment is not None and asked.treatment in info.named
        heading = self.annotations.heading_vector(info.row)
        values = {
            "alone_similarity": own, "aspect_similarity": aspect,
            "similarity": similarity,
            "heading_similarity": float(heading @ query.own_vector) if heading is not None else 0.0,
            "facet_fit": self._fit(query, info), "overlap": overlap,
            **{f"{r}_subject": float(relation == r) for r in RELATIONS},
            "subject_document": float(subject_document), "names_treatment": float(names_treatment),
            "section_start": float(info.section_start), "anaphoric": float(info.anaphoric),
            "length": info.words / 40, "passage_rank": 1 / (1 + rank),
            "defines": float(query.facet == "definition" and relation in ("same", "neutral")
                             and info.condition_named and DEFINITION.match(info.shown) is not None),
            "quantity": float(ASKS_QUANTITY.search(query.search_text) is not None
                              and QUANTITY.search(info.shown) is not None),
            "triggers": float((query.facet == "cautions" or ASKS_TRIGGER.search(query.search_text) is not None)
                              and TRIGGER.search(info.shown) is not None and not info.anaphoric),
        }
        return np.array([values[name] for name in FEATURES], np.float32)

    def _term_weights(self, query: str) -> dict[str, float]:
        wanted = [t for t in dict.fromkeys(terms(query)) if t not in GENERIC_STEMS]
        return {t: self.index.lexical.idf(t) for t in wanted}

    def _lead(self, query: Query, candidates: list[Candidate]) -> Candidate | None:
        """The best sentence on the subject that answers what was asked: the first line of the
        answer. Whether it answers the facet asked is one of the scorer's features
        (``facet_fit``), not a hard gate: measured on the dev questions, gating on the facet
        classifier's reading lost more right first sentences than it saved. None when no
        sentence is likely enough: the answer then says so."""
        usable = [c for c in candidates if self.can_open(c) and c.score >= self.tuning.compose.lead_min
                  and self._names_both(query, c.info)]
        return next((c for c in usable if c.relation != "broader"), usable[0] if usable else None)

    @staticmethod
    def _names_both(query: Query, info: SentenceInfo) -> bool:
        """A caution on two treatments together ("when can I massage after botox?") must name
        both: a caution about either alone ("not if you are pregnant") does not answer it."""
        return query.together is None or set(query.together) <= info.named

    def _fit(self, query: Query, info: SentenceInfo) -> float:
        """How well the sentence answers the facet asked (see ``facet_fits``)."""
        if query.facet not in self.annotations.heading_labels:
            return 1.0
        return float(self.facet_fits(query.facet)[info.row])

    def facet_fits(self, facet: str) -> np.ndarray:
        """How well each library sentence answers ``facet``: the best of what the sentence
        models read in it and what its section heading asks — except a "What is X?" heading,
        whose section holds a bit of everything."""
        if facet in self._facet_fits:
            return self._facet_fits[facet]
        annotations = self.annotations
        column = annotations.heading_labels.index(facet)
        read = [annotations.asked_like[:, column]]
        sentence_column = self.sentence_facet_column.get(facet)
        if sentence_column is not None:
            read.append(annotations.sentence_facets[:, sentence_column])
        headed = [bool(info.section) and annotations.heading_facet(info.row) not in (None, "definition")
                  for info in annotations.rows]
        read.append(np.where(headed, annotations.heading_facets[:, column], 0.0))
        fits = np.max(np.vstack(read), axis=0) if annotations.rows else np.zeros(0, np.float32)
        return self._facet_fits.setdefault(facet, fits)

    def _covers(self, query: Query) -> bool:
        """Does the library answer what a gap statement would say it lacks (``texts.gap_text``:
        the facet for the treatment asked, or for the condition) anywhere: a stand-alone
        sentence on the condition, naming the treatment if the statement would, that fits the
        facet at least ``compose.covered_fit``? Only if not may the statement name the facet
        ("The sources don't say how X is diagnosed")."""
        facet, asked = query.facet, query.subject
        treatment = asked.treatment if facet in TREATMENT_GAP_TEXTS else None
        key = (asked.condition, treatment, facet, query.together)
        if key not in self._covered:
            self._covered[key] = facet not in self.annotations.heading_labels or any(
                self._on_subject(asked.condition, treatment, info := self.annotations[int(row)])
                and self._names_both(query, info)
                for row in np.flatnonzero(self.facet_fits(facet) >= self.tuning.compose.covered_fit))
        return self._covered[key]

    def _on_subject(self, condition: str, treatment: str | None, info: SentenceInfo) -> bool:
        if not info.stands_alone:
            return False
        relation = self.catalogue.relation(condition, info.condition)
        if treatment is None:
            return relation == "same"
        return treatment in info.named and relation in ("same", "narrower", "neutral")

    def can_open(self, candidate: Candidate) -> bool:
        """May this sentence open an answer? It is about the subject asked, about no condition,
        or about the broader condition (then framed as such); it is not the second of something
        ("Other symptoms..."); and if it leans on a sentence before it, either its section
        heading names what it refers to or the sentences it leans on can be shown first
        (``Annotations.before``)."""
        return candidate.relation in LEAD_RELATIONS and not candidate.info.second_of \
            and (self.annotations.before(candidate.row) is not None or self.annotations.referent_known(candidate.row))

    def _close(self, query: Query, candidates: list[Candidate]) -> tuple[Candidate, ...]:
        """When nothing on the subject answers what was asked: what the sources say that is
        close, each framed — on the broader condition (dystonia in general, for a question
        on one form), or, for a general question, on specific forms."""
        wanted = "narrower" if query.subject.condition == GENERAL else "broader"
        floor = self.tuning.compose.close_min
        return tuple(c for c in candidates if c.relation == wanted and c.score >= floor
                     and (self.annotations.before(c.row) == () or self.annotations.referent_known(c.row)))

    def _cautions(self, query: Query) -> tuple[int, ...]:
        """For an audience with a cautions part: the library's cautions for hands-on work about
        the subject asked (or dystonia in general), the most relevant to the question first."""
        if not AUDIENCE_TABLE[query.audience].caution_heading:
            return ()
        rows = [c.row for c in self.cautions if self.catalogue.relation(
            query.subject.condition, self.annotations[c.row].condition) in ("same", "neutral", "broader")]
        if not rows:
            return ()
        similarity = np.asarray(self.index.sentence_vectors[rows], np.float32) @ query.vector
        t = self.tuning.compose
        ranked = [row for row, s in sorted(zip(rows, similarity.tolist()), key=lambda p: -p[1])
                  if s >= t.caution_similarity]
        return tuple(ranked[:t.max_cautions])

    def _unsupported(self, query: Query) -> dict[str, np.ndarray]:
        """Words no source uses (nor a synonym, prefix or typo of one) that carry the question,
        each with the question's vector without it.

        A word carries the question if leaving it out moves the question's embedding: filler
        ("exactly", "please") barely moves it, a subject ("contagious", "magnesium") moves
        it a lot. It must also move it about as much as the question's best-known content
        word does, so an aside ("trumpet player here, what is embouchure dystonia?") does
        not hide a question the sources answer.
        """
        text, vector, t = query.search_text, query.own_vector, self.tuning.routing
        words = [w for w in dict.fromkeys(re.findall(r"[a-z]{4,}", text.lower()))
                 if w not in CONTENT_STOPWORDS and w not in STOPWORDS_EN]
        unknown = [w for w in words if not self._named(w) and not self._used_nearby(w, vector)][:t.max_probed_words]
        if not unknown:
            return {}
        # the subject's own name always moves the question most: compare with the other words
        known = [w for w in words if w not in unknown and not self.catalogue.find(w)][:t.max_probed_words]
        probes = unknown + known
        without = self.embedder.embed([re.sub(rf"\b{w}\b", " ", text, flags=re.I) for w in probes])
        shift = dict(zip(probes, (1.0 - without @ vector).tolist()))
        strongest_known = max((shift[w] for w in known), default=0.0)
        return {w: v for w, v in zip(probes, without) if w in unknown and shift[w] >= t.salient_word_shift
                and shift[w] >= t.salient_word_ratio * strongest_known}

    def _used_nearby(self, word: str, vector: np.ndarray) -> bool:
        """Does the library use the word (or a prefix or typo of it) where it could bear on the
        question? Used only in sentences far from the question ("a hard drive crash", for a
        question on driving) counts as not used."""
        term = stem(word)
        if not self.index.lexical.near(term):
            return False
        rows = self.annotations.rows_using.get(term)
        if not rows:
            return True  # a prefix or a typo of a word the sources use: trust it
        closest = float((np.asarray(self.index.sentence_alone_vectors[rows], np.float32) @ vector).max())
        return closest >= self.tuning.routing.related_use

    def _unmentioned(self, query: Query, hits: list[Hit], unsupported: dict[str, np.ndarray]) -> tuple[str, ...]:
        """What the answer must say the sources don't mention: the thing the question asks
        about, if no source names it ("does cupping help neck dystonia?", "can cbd oil help
        blepharospasm?": an answer on stretching or botox would talk past it), and the
        unsupported words the best sentence is not about (``_pulling_away``)."""
        asked = self._unknown_asked_about(query.search_text)
        return tuple(dict.fromkeys([*asked, *(w for w in self._pulling_away(query, hits, unsupported)
                                              if not any(w in phrase.split() for phrase in asked))]))

    def _unknown_asked_about(self, text: str) -> list[str]:
        """The words in the asked-about slot of "does X help...", "is X good for..." that the
        library never uses (nor a prefix, typo or synonym of them)."""
        found = []
        for match in (m for pattern in ASKED_ABOUT for m in pattern.finditer(text)):
            unknown = [w for w in match.group("thing").lower().split()
                       if w not in STOPWORDS_EN and w not in CONTENT_STOPWORDS
                       and not self._named(w) and not self.index.lexical.near(stem(w))]
            if unknown:
                found.append(" ".join(unknown))
        return found

    def _named(self, word: str) -> bool:
        """Is the word a dystonia term, a synonym of one, or a subject's name?"""
        return bool(self.vocabulary.topics(word) or self.vocabulary.sources_words(word) or self.catalogue.find(word))

    def _pulling_away(self, query: Query, hits: list[Hit], unsupported: dict[str, np.ndarray]) -> tuple[str, ...]:
        """Unsupported words the answer must name as unmentioned: without them the question
        matches its best source sentence better, so that sentence is about the rest of the
        question ("does ashwagandha calm spasms?" is answered by a sentence about spasms).
        A word that brings the question nearer ("pianists" to a sentence on piano players)
        is not named."""
        if not unsupported:
            return ()
        base = self.best_similarity(query.own_vector, hits)
        pull = self.tuning.routing.unmentioned_pull
        return tuple(w for w, without in unsupported.items() if self.best_similarity(without, hits) - base >= pull)
