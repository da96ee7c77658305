"""Train the answer-sentence scorer (``assistant/scorer.py``) on our labelled dev questions.

    dystonia train scorer

For every dev question that expects an answer, the pipeline's own stages prepare the
query, retrieve and list the candidate sentences with their features; a candidate is a
positive if it contains one of the phrases a good first sentence must contain (the item's
``lead``, else its key facts). A logistic regression over the standardised features is fit
on the dev questions only. The realistic **test** questions are scored the same way and
never trained on: top-1 precision there (is the best on-subject sentence a right one?) is
the held-out figure in the model card.

Train the facet classifiers first (``dystonia train facets``): two of the features are theirs.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.evidence import Candidate
from assistant.pipeline import Assistant
from assistant.scorer import CARD_FILE, FEATURES, MODEL_FILE, SentenceScorer
from evals.reference import Item, load_split

Collected = tuple[Item, list[Candidate]]

REGULARISATION = 0.1  # sklearn's C, on a few hundred positives among thousands of candidates
FOLDS = 5
REALISTIC_WEIGHT = 3.0  # realistic questions name the phrases a first sentence needs; the first 140 only key facts


def train(assistant: Assistant, log=print) -> dict:
    """Fit on dev, measure on test, save the scorer and its card; returns the card."""
    dev = _collect(assistant, _answerable(load_split("dev")))
    test = _collect(assistant, _answerable(load_split("test")))
    unanswerable = [x for _, candidates in _collect(assistant, _unanswerable(load_split("dev")))
                    for x in [_features(candidates)] if len(x)]
    features, labels, weights = _dataset(dev)
    total, positives = sum(len(y) for y in labels), int(sum(y.sum() for y in labels))
    log(f"scorer: {total} candidate sentences ({positives} positives) from {len(dev)} dev questions, "
        f"and the candidates of {len(unanswerable)} dev questions the library cannot answer")
    cross_validated = _cross_validated(assistant, dev, unanswerable)
    scorer = _fit(features, labels, weights, unanswerable)
    assistant.assessor.scorer = scorer
    card: dict[str, Any] = {
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "features": list(FEATURES), "weights": scorer.explained(), "bias": round(scorer.bias, 3),
        "train": {"questions": len(dev), "candidates": total, "positives": positives,
                  "objective": "pairwise (an answering sentence above a non-answering one of the same question), "
                               "then calibrated to probabilities"},
        "dev": _measure(assistant, scorer, dev), "dev_cross_validated": cross_validated,
        "held_out_test": _measure(assistant, scorer, test)}
    scorer.save(MODEL_FILE)
    CARD_FILE.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    log(f"scorer: top-1 precision dev {card['dev']['top1_precision']:.3f} (trained on), "
        f"dev {FOLDS}-fold cross-validated {cross_validated['top1_precision']:.3f}, "
        f"held-out test {card['held_out_test']['top1_precision']:.3f}")
    return card


def _cross_validated(assistant: Assistant, dev: list[Collected], unanswerable: list[np.ndarray]) -> dict:
    """Top-1 precision on each fifth of dev with a scorer fit on the other four: the figure to
    tune on, since the scorer's own training questions flatter it and test is not for tuning."""
    order = np.random.default_rng(7).permutation(len(dev))
    right, reachable = 0, 0
    for fold in range(FOLDS):
        held = {int(i) for i in order[fold::FOLDS]}
        features, labels, weights = _dataset([d for i, d in enumerate(dev) if i not in held])
        scored = _measure(assistant, _fit(features, labels, weights, unanswerable), [dev[i] for i in sorted(held)])
        right += round(scored["top1_precision"] * scored["questions"])
        reachable += round(scored["answer_retrieved"] * scored["questions"])
    n = max(1, len(dev))
    return {"questions": len(dev), "folds": FOLDS, "top1_precision": round(right / n, 4),
            "answer_retrieved": round(reachable / n, 4)}


def _answerable(items: list[Item]) -> list[Item]:
    return [i for i in items if i.expect.kind == "answer" and not i.expect.gap and i.expect.lead_alternatives]


def _unanswerable(items: list[Item]) -> list[Item]:
    """In-scope questions the library cannot answer: every sentence retrieved for them is a
    negative, which teaches the calibration that a best-ranked sentence may still not answer."""
    return [i for i in items if i.expect.gap or i.expect.kind == "no_evidence"]


def _collect(assistant: Assistant, items: list[Item]) -> list[Collected]:
    """Each question with the candidate sentences the pipeline finds for it (features, unscored)."""
    collected = []
    for item in items:
        query = assistant.preparer.prepare(item.question, list(item.history), item.audience)
        hits = assistant.retriever.search(query.expanded, query.vector,
                                          k=assistant.tuning.retrieval.depth(item.audience),
                                          focus=assistant.catalogue.documents_about(query.subject))
        collected.append((item, assistant.assessor.candidates(query, hits)))
    return collected


def _features(candidates: list[Candidate]) -> np.ndarray:
    return np.vstack([c.features for c in candidates]) if candidates else np.zeros((0, len(FEATURES)), np.float32)


def _dataset(collected: list[Collected]) -> tuple[list[np.ndarray], list[np.ndarray], list[float]]:
    """Per question: its candidates' features, which of them answer it, and its weight."""
    features, labels, weights = [], [], []
    for item, candidates in collected:
        if candidates:
            features.append(_features(candidates))
            labels.append(np.array([_answers(c, item) for c in candidates], float))
            weights.append(REALISTIC_WEIGHT if item.realistic else 1.0)
    return features, labels, weights


def _answers(candidate: Candidate, item: Item) -> bool:
    text = _normal(candidate.info.text)
    return any(_normal(a) in text for a in item.expect.lead_alternatives)


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip().lower()


def _fit(features: list[np.ndarray], labels: list[np.ndarray], weights: list[float],
         unanswerable: Sequence[np.ndarray] = ()) -> SentenceScorer:
    """Rank first: differences between an answering and a non-answering candidate of the same
    question teach what puts the right sentence on top (what every candidate of a question
    shares cancels out). Then a calibration fit turns the ranking score, with how close the
    sentence is to what the question asks beyond its subject, into a probability, which the
    composer's floors (``tuning.toml``) read; the candidates of unanswerable questions are
    its negatives too, so a question's best sentence can still come out unlikely."""
    from sklearn.linear_model import LogisticRegression

    stacked = np.vstack(features)
    mean, scale = stacked.mean(axis=0), stacked.std(axis=0)
    scale[scale == 0] = 1.0
    pairs, pair_weights = _pairs([(f - mean) / scale for f in features], labels, weights)
    ranker = LogisticRegression(C=REGULARISATION, max_iter=3000, fit_intercept=False)
    ranker.fit(np.vstack([pairs, -pairs]), np.r_[np.ones(len(pairs)), np.zeros(len(pairs))],
               sample_weight=np.r_[pair_weights, pair_weights])
    direction = ranker.coef_[0]
    everything = np.vstack([stacked, *unanswerable]) if len(unanswerable) else stacked
    standard = (everything - mean) / scale
    aspect = FEATURES.index("aspect_similarity")
    calibration = LogisticRegression(C=10.0, max_iter=1000, class_weight="balanced")
    calibration.fit(np.c_[standard @ direction, standard[:, aspect]],
                    np.r_[np.concatenate(labels), np.zeros(len(everything) - len(stacked))])
    slope, aspect_weight = (float(v) for v in calibration.coef_[0])
    weights_out = direction * slope
    weights_out[aspect] += aspect_weight
    return SentenceScorer(weights_out.astype(np.float32), float(calibration.intercept_[0]), mean.astype(np.float32),
                          scale.astype(np.float32))


def _pairs(features: list[np.ndarray], labels: list[np.ndarray], weights: list[float],
           negatives: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """(positive - negative) feature differences within each question, at most ``negatives``
    per positive (the closest-scoring are not known before training, so every n-th)."""
    rng = np.random.default_rng(13)
    diffs, pair_weights = [], []
    for x, y, weight in zip(features, labels, weights):
        positive, negative = x[y == 1], x[y == 0]
        if not len(positive) or not len(negative):
            continue
        for p in positive:
            chosen = negative[rng.permutation(len(negative))[:negatives]]
            diffs.append(p - chosen)
            pair_weights += [weight / len(positive)] * len(chosen)
    return np.vstack(diffs), np.asarray(pair_weights)


def _measure(assistant: Assistant, scorer: SentenceScorer, collected: list[Collected]) -> dict:
    """Top-1 precision: for how many questions the most likely sentence that may open an
    answer is one that answers it; and how many had any such sentence retrieved at all.
    The top-1 precision of the scorer alone; the eval measures the whole lead choice."""
    top_right, reachable = 0, 0
    for item, candidates in collected:
        scores = scorer.probabilities(_features(candidates)).tolist() if candidates else []
        eligible = sorted((pair for pair in zip(scores, candidates) if assistant.assessor.can_open(pair[1])),
                          key=lambda pair: -pair[0])
        reachable += any(_answers(c, item) for c in candidates)
        top_right += bool(eligible) and _answers(eligible[0][1], item)
    n = max(1, len(collected))
    return {"questions": len(collected), "top1_precision": round(top_right / n, 4),
            "answer_retrieved": round(reachable / n, 4)}
