"""The answer-sentence scorer: how likely a library sentence answers the question, learned.

A linear model over a handful of features of (question, sentence): how close they are
(the sentence embedded on its own, and in its passage; its section heading; shared rare
words), whether the sentence answers what the question asks (``facet_fit``), whether it is
about the subject asked (same, general, narrower), whether it comes from the subject's own
document, and its form (opens its section, leans on the sentence before, length; for a
"what is" question, whether it is a definition; for a "how long / how many" question,
whether it holds a number; for a "what sets it off?" question, whether it names
triggers). Each feature is one weight a maintainer can read in the model card, instead of
a hand-set constant. It is trained to rank (an answering sentence above the others of the
same question) and then calibrated, so its output is a probability the composer's floors
read.

Trained by ``dystonia train scorer`` (``training/scorer.py``) on our labelled dev questions:
a sentence that contains a phrase a good first sentence must contain is a positive. Its
held-out scores (realistic test questions) are in ``assistant/models/scorer.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.errors import ModelError

FEATURES = ("alone_similarity", "aspect_similarity", "similarity", "heading_similarity", "facet_fit", "overlap",
            "same_subject",
            "neutral_subject", "broader_subject", "narrower_subject", "subject_document", "names_treatment",
            "section_start", "anaphoric", "length", "passage_rank", "defines", "quantity",
            "triggers")
MODEL_FILE = Path(__file__).with_name("models") / "scorer.npz"
CARD_FILE = Path(__file__).with_name("models") / "scorer.json"


@dataclass(frozen=True)
class SentenceScorer:
    weights: np.ndarray  # one per FEATURES, over standardised features
    bias: float
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def untrained(cls) -> SentenceScorer:
        """Every sentence 0.5: for training, which needs the features before there is a scorer."""
        n = len(FEATURES)
        return cls(np.zeros(n, np.float32), 0.0, np.zeros(n, np.float32), np.ones(n, np.float32))

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        if not len(features):
            return np.zeros(0, np.float32)
        z = (np.asarray(features, np.float32) - self.mean) / self.scale
        return 1.0 / (1.0 + np.exp(-(z @ self.weights + self.bias)))

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> SentenceScorer:
        try:
            data = np.load(path, allow_pickle=False)
            names = tuple(str(x) for x in data["features"])
            scorer = cls(np.asarray(data["weights"], np.float32), float(data["bias"]),
                         np.asarray(data["mean"], np.float32), np.asarray(data["scale"], np.float32))
        except (OSError, KeyError, ValueError) as error:
            raise ModelError(f"cannot read the sentence scorer {path} ({error}); retrain it with "
                             "`dystonia train scorer`") from None
        if names != FEATURES:
            raise ModelError(f"the sentence scorer {path} was trained on other features; retrain it with "
                             "`dystonia train scorer`")
        return scorer

    def save(self, path: Path = MODEL_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(handle, features=np.array(FEATURES), weights=self.weights, bias=np.array(self.bias),
                                mean=self.mean, scale=self.scale)

    def explained(self) -> dict[str, float]:
        """Each feature's weight (per standard deviation), for the model card and reports."""
        return {name: round(float(w), 3) for name, w in zip(FEATURES, self.weights)}


def load_card(path: Path = CARD_FILE) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
