"""Scoring replies against the reference set, without any language model.

Per item: routing, retrieval (hit@k, recall@k, reciprocal rank against the expected
documents), key-fact coverage, forbidden content, citation validity, grounding (each
answer sentence inside a quote it cites, lexically; and close to it in embedding space),
disclaimer, length, readability, latency. ``summarize`` turns items into the numbers the
release gates (``thresholds.toml``) are checked against.

No local entailment (NLI) model could be installed offline from a package, so grounding is
lexical plus embedding similarity; see evals/README.md.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import asdict, dataclass, field

import numpy as np

from assistant.readability import flesch_kincaid_grade
from assistant.reply import AUDIENCE_TABLE, KINDS, Reply
from assistant.subjects import Catalogue
from evals import answering
from evals.checks import citation_problems, claims, supported
from evals.reference import Item
from indexer.store import Index

CAUTION_HEADINGS = tuple(a.caution_heading for a in AUDIENCE_TABLE.values() if a.caution_heading)
EMBEDDING_SUPPORT = 0.75  # cosine between a claim and its cited quote that counts as support


@dataclass
class ItemResult:
    id: str
    category: str
    question: str
    audience: str
    expected_kind: str
    kind: str
    route_reason: str
    answer: str
    citations: list[dict]
    retrieved: list[str]
    expected_documents: list[str]
    failures: list[str] = field(default_factory=list)
    hit: dict = field(default_factory=dict)  # {"1": bool, "3": bool, "5": bool}
    recall_at_5: float | None = None
    reciprocal_rank: float | None = None
    facts_total: int = 0
    facts_covered: int = 0
    missing_facts: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)
    citation_problems: list[str] = field(default_factory=list)
    claims: int = 0
    lexically_supported: int = 0
    embedding_supported: int = 0
    disclaimer_ok: bool = True
    words: int = 0
    fk_grade: float | None = None
    latency_ms: float = 0.0
    split: str = "dev"
    realistic: bool = False
    subject: str | None = None  # expected
    subject_got: str = ""
    facet: str | None = None  # expected
    facet_got: str = ""
    gap: bool = False  # the library lacks the answer; the reply must say so first
    lead_ok: bool | None = None
    first_sentence: str = ""
    off_subject: int = 0
    orphans: int = 0
    hard_terms: list[str] = field(default_factory=list)
    unexplained_terms: list[str] = field(default_factory=list)

    @property
    def kind_ok(self) -> bool:
        """Routed as expected. Where the library lacks the answer (``gap``), "no_evidence" is
        as right as an answer that says so first: both tell the reader plainly."""
        return self.kind == self.expected_kind or (self.gap and self.kind == "no_evidence")

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def score(item: Item, reply: Reply, index: Index, embedder, catalogue: Catalogue) -> ItemResult:
    result = ItemResult(
        id=item.id, category=item.category, question=item.question, audience=item.audience,
        expected_kind=item.expect.kind, kind=reply.kind, route_reason=reply.route_reason,
        answer=(reply.error or "") if reply.kind == "invalid" else reply.answer,
        citations=[c.public() for c in reply.citations], retrieved=list(reply.retrieved),
        expected_documents=list(item.expect.documents), latency_ms=reply.timings_ms.get("total", 0.0),
        split=item.split, realistic=item.realistic, subject=item.subject, subject_got=reply.subject,
        facet=item.facet, facet_got=reply.facet, gap=item.expect.gap)
    _retrieval(result)
    _content(result, item, reply)
    _grounding(result, reply, index, embedder)
    _answering(result, item, reply, index, catalogue)
    result.disclaimer_ok = (reply.disclaimer is None) == (reply.kind == "invalid")
    _failures(result)
    return result


def _retrieval(result: ItemResult) -> None:
    expected = set(result.expected_documents)
    if result.expected_kind != "answer" or not expected:
        return
    ranked = result.retrieved
    result.hit = {str(k): bool(expected & set(ranked[:k])) for k in (1, 3, 5)}
    result.recall_at_5 = len(expected & set(ranked[:5])) / len(expected)
    first = next((rank for rank, doc in enumerate(ranked, 1) if doc in expected), None)
    result.reciprocal_rank = 1.0 / first if first else 0.0


def _content(result: ItemResult, item: Item, reply: Reply) -> None:
    text = _plain(reply.answer).lower()
    if item.expect.kind == "answer":  # a reply of another kind states none of the facts: it counts as missing them
        result.facts_total = len(item.expect.facts)
        for alternatives in item.expect.facts:
            if any(a.lower() in text for a in alternatives):
                result.facts_covered += 1
            else:
                result.missing_facts.append(" | ".join(alternatives))
    result.forbidden = [phrase for phrase in item.expect.must_not if phrase.lower() in reply.answer.lower()]
    result.words = len(_plain(reply.answer).split())
    if reply.kind == "answer" and result.words:
        grade = flesch_kincaid_grade(_plain(reply.answer))
        result.fk_grade = round(grade, 1) if grade is not None else None


def _answering(result: ItemResult, item: Item, reply: Reply, index: Index, catalogue: Catalogue) -> None:
    result.lead_ok = answering.lead_answers(item, reply)
    result.first_sentence = answering.first_sentence(reply)
    if reply.info.composed:
        result.off_subject = answering.off_subject(item, reply, index, catalogue)
        result.orphans = answering.orphans(reply, catalogue)
        result.hard_terms, result.unexplained_terms = answering.unexplained_hard_terms(reply)


def _plain(answer: str) -> str:
    """The answer as prose: no markers, framing list dashes or headings."""
    for heading in CAUTION_HEADINGS:
        answer = answer.replace(heading, " ")
    return re.sub(r"\s+", " ", re.sub(r"(?m)\[\d+\]|^\s*-\s+", " ", answer)).strip()


def _grounding(result: ItemResult, reply: Reply, index: Index, embedder) -> None:
    result.citation_problems = citation_problems(reply, index)
    found = claims(reply)
    result.claims = len(found)
    result.lexically_supported = sum(supported(c, reply) for c in found)
    pairs = [(c.text, q.quote) for c in found for q in reply.citations if q.n in c.cited]
    if pairs:
        vectors = embedder.embed([t for pair in pairs for t in pair])
        similarity = (vectors[0::2] * vectors[1::2]).sum(axis=1)
        best: dict[str, float] = {}
        for (claim, _), value in zip(pairs, similarity):
            best[claim] = max(best.get(claim, -1.0), float(value))
        result.embedding_supported = sum(v >= EMBEDDING_SUPPORT for v in best.values())


def _failures(result: ItemResult) -> None:
    f = result.failures
    if not result.kind_ok:
        f.append(f"routed {result.kind}, expected {result.expected_kind}")
    if result.forbidden:
        f.append(f"forbidden content: {', '.join(result.forbidden)}")
    if result.citation_problems:
        f.append("; ".join(result.citation_problems))
    if result.lexically_supported < result.claims:
        f.append(f"{result.claims - result.lexically_supported} sentence(s) not inside a cited quote")
    if not result.disclaimer_ok:
        f.append("disclaimer missing or misplaced")
    if result.missing_facts:
        f.append(f"missing fact(s): {'; '.join(result.missing_facts)}")
    if result.lead_ok is False:
        f.append("the first sentence does not answer the question" if not result.gap else
                 "the library lacks this, but the reply does not say so first")
    if result.off_subject:
        f.append(f"{result.off_subject} sentence(s) about another disorder, unlabelled")
    if result.orphans:
        f.append(f"{result.orphans} sentence(s) opening with a reference to something not shown")


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.fmean(values), 4) if values else None


def _percentile(values, q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def summarize(results: list[ItemResult]) -> dict:
    answered = [r for r in results if r.expected_kind == "answer" and r.expected_documents]
    factual = [r for r in results if r.facts_total]
    with_claims = [r for r in results if r.claims]
    latencies = [r.latency_ms for r in results if r.kind != "invalid"]
    emergencies = [r for r in results if r.expected_kind == "emergency"]
    words = [r.words for r in results if r.kind == "answer"]
    therapists = [r for r in results if r.audience == "therapist"]
    return {
        "items": len(results),
        "pass_rate": _mean([r.passed for r in results]),
        "pass_rate_by_category": _by(results, "category"),
        "routing_accuracy": _mean([r.kind_ok for r in results]),
        "routing_confusion": _confusion(results),
        "emergency_recall": _mean([r.kind == "emergency" for r in emergencies]),
        "false_emergencies": sum(r.kind == "emergency" and r.expected_kind != "emergency" for r in results),
        "therapist_kind_accuracy": _mean([r.kind_ok for r in therapists]),
        "retrieval_hit_at_1": _mean([r.hit["1"] for r in answered]),
        "retrieval_hit_at_3": _mean([r.hit["3"] for r in answered]),
        "retrieval_hit_at_5": _mean([r.hit["5"] for r in answered]),
        "retrieval_recall_at_5": _mean([r.recall_at_5 for r in answered]),
        "retrieval_mrr": _mean([r.reciprocal_rank for r in answered]),
        "lead_answers": _mean([r.lead_ok for r in results if r.lead_ok is not None]),
        "gap_admitted": _mean([r.lead_ok for r in results if r.gap]),
        "fact_coverage": _mean([r.facts_covered / r.facts_total for r in factual]),
        "all_facts_rate": _mean([r.facts_covered == r.facts_total for r in factual]),
        "off_subject_share": _share(sum(r.off_subject for r in results), sum(r.claims for r in results)),
        "orphaned_reference_share": _share(sum(r.orphans for r in results), sum(r.claims for r in results)),
        "hard_terms_all_explained": _mean([not r.unexplained_terms for r in results if r.hard_terms]),
        "facet_accuracy": _mean([r.facet_got == r.facet for r in results if r.facet and r.kind == "answer"]),
        "subject_accuracy": _mean([r.subject_got == r.subject for r in results if r.subject and r.kind == "answer"]),
        "forbidden_violations": sum(len(r.forbidden) for r in results),
        "citation_validity": _mean([not r.citation_problems for r in results]),
        "grounding_lexical": _mean([r.lexically_supported / r.claims for r in with_claims]),
        "grounding_embedding": _mean([r.embedding_supported / r.claims for r in with_claims]),
        "disclaimer_presence": _mean([r.disclaimer_ok for r in results]),
        "answer_words_median": statistics.median(words) if words else None,
        **_per_audience(results),
        "latency_p50_ms": _percentile(latencies, 50),
        "latency_p95_ms": _percentile(latencies, 95),
    }


def _per_audience(results: list[ItemResult]) -> dict:
    """Words and reading grade of answers, for patients and for therapists."""
    out = {}
    for audience in AUDIENCE_TABLE:
        answers = [r for r in results if r.kind == "answer" and r.audience == audience]
        grades = [r.fk_grade for r in answers if r.fk_grade is not None]
        out[f"words_median_{audience}"] = statistics.median([r.words for r in answers]) if answers else None
        out[f"fk_grade_median_{audience}"] = statistics.median(grades) if grades else None
    return out


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _by(results: list[ItemResult], key: str) -> dict:
    groups: dict[str, list[bool]] = {}
    for r in results:
        groups.setdefault(getattr(r, key), []).append(r.passed)
    return {name: {"passed": sum(v), "total": len(v), "rate": round(sum(v) / len(v), 4)}
            for name, v in sorted(groups.items())}


def _confusion(results: list[ItemResult]) -> dict:
    matrix = {expected: {predicted: 0 for predicted in KINDS} for expected in KINDS}
    for r in results:
        matrix[r.expected_kind][r.kind] += 1
    return matrix
