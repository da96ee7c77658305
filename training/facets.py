"""Train the facet classifiers (``assistant/facets.py``) and write their model card.

    dystonia train facets [--dataset ../shared/datasets/medquad-answered.tar.gz]

Data and splits (all reproducible from a fixed seed):
- MedQuAD pairs, at most ``QUESTIONS_PER_FACET`` / ``ANSWERS_PER_FACET`` per facet, split
  80/20 by NIH page: no page has questions on both sides;
- our labelled dev questions (``evals/reference.yaml`` and the dev files in ``evals/questions/``)
  join the question model's training data with ``OWN_WEIGHT`` each, because MedQuAD's
  questions come from a few templates and people do not write like templates;
- our realistic **test** questions are never trained on: the question model's accuracy on
  them is the number that says how it does on real phrasing;
- the sentence model also learns from library sentences our dev questions label: a sentence
  holding the answer to a dev question about side effects is a side-effects sentence. These
  are the only examples of the facets MedQuAD has no question type for (side effects,
  types, massage, cautions). The library sentences that answer test questions are labelled
  the same way, but only to measure the model.

Sentences are embedded on their own, as the index's ``sentence_alone_vectors`` are, so the
sentence model reads what a sentence itself says (not the passage around it) and sees at
answer time what it saw in training.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np

from assistant.facets import CARD_FILE, FACETS, MODEL_FILE, OTHER, FacetModels, LinearModel
from assistant.subjects import Catalogue
from evals.reference import Item, load_split
from indexer.embedding import Embedder
from indexer.sentences import sentence_spans
from indexer.store import Index
from training.medquad import DEFAULT_DATASET, Pair, balanced_sample, read_pairs, split_by_document

QUESTIONS_PER_FACET = 900
ANSWERS_PER_FACET = 350
PASSAGE_CHARS = 900  # the first passage of an answer: where it says what it is about
OWN_WEIGHT = 16.0  # chosen by 5-fold cross-validation on the dev questions (8: 0.69, 16: 0.71, 32: 0.70)
# Library sentences labelled by dev questions: 0 leaves them out. They teach the facets MedQuAD
# lacks, but they also let the dev questions' answers leak into the sentence scorer's features
# (measured: scorer top-1 precision dev 0.50 -> 0.66, test 0.28 -> 0.22), so they are off.
LIBRARY_WEIGHT = 0.0
REGULARISATION = 2.0  # sklearn's C: less than the default fit, since templates are easy to overfit


def train(embedder: Embedder, index: Index, dataset: Path = DEFAULT_DATASET, out: Path = MODEL_FILE,
          card_path: Path = CARD_FILE, log=print) -> dict:
    """Fit both models, measure them on held-out data, save weights and card; returns the card.

    ``index`` is the library's index built with the same model: its sentence vectors are
    the in-domain examples."""
    started = time.perf_counter()
    pairs = read_pairs(dataset)
    log(f"{len(pairs):,} MedQuAD pairs read")
    question_model, question_card = _question_model(embedder, pairs, Catalogue(index.documents), log)
    sentence_model, sentence_card = _sentence_model(embedder, pairs, index, log)
    FacetModels(question_model, sentence_model, embedder.model_id).save(out)
    card = {"trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "embedding_model": embedder.model_id, "facets": list(FACETS), "other": OTHER,
            "seconds": round(time.perf_counter() - started, 1), "model_file": out.name,
            "model_bytes": out.stat().st_size, "question": question_card, "sentence": sentence_card}
    card_path.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return card


def _question_model(embedder: Embedder, pairs: list[Pair], catalogue: Catalogue, log) -> tuple[LinearModel, dict]:
    """Every question twice: as written, and with what it is about replaced by "it" (MedQuAD's
    focus, or the library subjects a question of ours names), so the model learns how a facet
    is asked apart from which disease is named; at answer time ``FacetModels.asked`` reads
    both forms of the question."""
    train_pairs, test_pairs = split_by_document(balanced_sample(pairs, QUESTIONS_PER_FACET))
    own = [i for i in load_split("dev") if i.facet]
    realistic_test = [i for i in load_split("test") if i.facet]
    log(f"question model: {len(train_pairs)} MedQuAD + {len(own)} own dev questions, each also with its subject "
        f"masked; held out {len(test_pairs)} MedQuAD + {len(realistic_test)} realistic test")
    texts = [p.question for p in train_pairs] + [_masked_pair(p) for p in train_pairs] + \
        [i.question for i in own] + [catalogue.masked(i.question) for i in own]
    labels = [p.facet for p in train_pairs] * 2 + [str(i.facet) for i in own] * 2
    weights = [1.0] * (2 * len(train_pairs)) + [OWN_WEIGHT] * (2 * len(own))
    model = _fit(embedder.embed(texts, progress=True, description="embedding questions"), labels, weights)
    models = FacetModels(model, model, embedder.model_id)  # only .asked (the question model) is used here
    medquad_accuracy = _asked_accuracy(models, embedder, [p.question for p in test_pairs],
                                       [_masked_pair(p) for p in test_pairs], [p.facet for p in test_pairs])
    realistic = _asked_accuracy(models, embedder, [i.question for i in realistic_test],
                                [catalogue.masked(i.question) for i in realistic_test],
                                [str(i.facet) for i in realistic_test]) if realistic_test else {}
    log(f"question model: held-out MedQuAD accuracy {medquad_accuracy['accuracy']:.3f}, "
        f"realistic test {realistic.get('accuracy', float('nan')):.3f}")
    card = {"train": {"medquad": len(train_pairs), "own_dev": len(own), "own_weight": OWN_WEIGHT,
                      "forms": "each question as written and with its subject masked as 'it'"},
            "held_out_medquad": medquad_accuracy, "held_out_realistic_test": realistic}
    return model, card


def _masked_pair(pair: Pair) -> str:
    """A MedQuAD question with its focus (and the focus without a parenthesised abbreviation) as "it"."""
    question = pair.question
    for name in dict.fromkeys([pair.focus, re.sub(r"\s*\(.*?\)", "", pair.focus).strip()]):
        if name:
            question = re.sub(re.escape(name), "it", question, flags=re.I)
    return question


def _asked_accuracy(models: FacetModels, embedder: Embedder, questions: list[str], masked: list[str],
                    labels: list[str]) -> dict:
    full, hidden = embedder.embed(questions), embedder.embed(masked)
    predicted = [models.asked(f, h)[0] for f, h in zip(full, hidden)]
    return _scored(labels, predicted)


def _sentence_model(embedder: Embedder, pairs: list[Pair], index: Index, log) -> tuple[LinearModel, dict]:
    train_pairs, test_pairs = split_by_document(balanced_sample(pairs, ANSWERS_PER_FACET))
    train_vectors, train_labels = _sentence_data(embedder, train_pairs)
    test_vectors, test_labels = _sentence_data(embedder, test_pairs)
    own_vectors, own_labels = _library_sentences(index, load_split("dev")) if LIBRARY_WEIGHT else \
        (np.zeros((0, index.sentence_alone_vectors.shape[1]), np.float32), [])
    test_own_vectors, test_own_labels = _library_sentences(index, load_split("test"))
    log(f"sentence model: {len(train_labels)} sentences from {len(train_pairs)} answers + {len(own_labels)} library "
        f"sentences labelled by dev questions; held out {len(test_labels)} from {len(test_pairs)} answers")
    model = _fit(np.vstack([train_vectors, own_vectors]), train_labels + own_labels,
                 [1.0] * len(train_labels) + [LIBRARY_WEIGHT] * len(own_labels))
    held_out = _accuracy(model, test_vectors, test_labels)
    library = _accuracy(model, test_own_vectors, test_own_labels) if test_own_labels else {}
    log(f"sentence model: held-out MedQuAD accuracy {held_out['accuracy']:.3f}, "
        f"library sentences answering test questions {library.get('accuracy', float('nan')):.3f}")
    card = {"train": {"answers": len(train_pairs), "sentences": len(train_labels), "library_dev": len(own_labels)},
            "held_out_medquad": held_out, "held_out_library_test": library,
            "note": "each MedQuAD sentence carries the facet of the question its answer answers, so a sentence "
                    "that restates the disease's name is labelled like the rest of its answer"}
    return model, card


def _library_sentences(index: Index, items: list[Item]) -> tuple[np.ndarray, list[str]]:
    """Library sentences that contain the answer to a labelled question, with its facet."""
    vectors, labels, seen = [], [], set()
    texts = [index.sentence_text(row).lower() for row in range(len(index.sentences))]
    for item in items:
        wanted = [a.lower() for a in item.expect.lead_alternatives]
        if not item.facet or not wanted:
            continue
        documents = {index.doc_row[d] for d in item.expect.documents if d in index.doc_row}
        for row, text in enumerate(texts):
            if int(index.sentences[row][0]) in documents and any(a in text for a in wanted) \
                    and (row, item.facet) not in seen:
                seen.add((row, item.facet))
                vectors.append(np.asarray(index.sentence_alone_vectors[row], np.float32))
                labels.append(item.facet)
    dimension = index.sentence_alone_vectors.shape[1]
    return (np.vstack(vectors) if vectors else np.zeros((0, dimension), np.float32)), labels


def _sentence_data(embedder: Embedder, pairs: list[Pair]) -> tuple[np.ndarray, list[str]]:
    """The sentences of each answer's first passage, each embedded on its own (as the index's
    ``sentence_alone_vectors``), labelled with the answer's facet."""
    texts, labels = [], []
    for pair in pairs:
        passage = _first_passage(pair.answer)
        sentences = [passage[a:b] for a, b in sentence_spans(passage) if len(passage[a:b].split()) >= 4]
        texts += sentences
        labels += [pair.facet] * len(sentences)
    return embedder.embed(texts, progress=True, description="embedding answer sentences"), labels


def _first_passage(answer: str) -> str:
    text = " ".join(line.lstrip("- ").strip() for line in answer.splitlines() if line.strip())
    if len(text) <= PASSAGE_CHARS:
        return text
    cut = text.rfind(". ", 0, PASSAGE_CHARS)
    return text[:cut + 1] if cut > 0 else text[:PASSAGE_CHARS]


def _fit(vectors: np.ndarray, labels: list[str], weights: list[float]) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    classifier = LogisticRegression(C=REGULARISATION, max_iter=3000, class_weight="balanced")
    classifier.fit(np.asarray(vectors, np.float32), labels, sample_weight=np.asarray(weights))
    return LinearModel(tuple(str(c) for c in classifier.classes_), classifier.coef_.astype(np.float32),
                       classifier.intercept_.astype(np.float32))


def _accuracy(model: LinearModel, vectors: np.ndarray, labels: list[str]) -> dict:
    return _scored(labels, [model.labels[i] for i in model.probabilities(vectors).argmax(axis=1)])


def _scored(labels: list[str], predicted: list[str]) -> dict:
    correct = Counter(label for label, guess in zip(labels, predicted) if label == guess)
    total = Counter(labels)
    return {"n": len(labels), "accuracy": round(sum(correct.values()) / max(1, len(labels)), 4),
            "per_facet": {f: {"n": total[f], "accuracy": round(correct[f] / total[f], 3)} for f in sorted(total)}}
