"""What a question asks (its facet), and what each source sentence answers, by learned classifiers.

Why learned: a question asks "how is it inherited?" in endless wordings ("does it run in
families?", "will my kids get it?"); a list of patterns never ends. Two small multinomial
logistic regressions on the frozen sentence embeddings do the work:

- the **question** model, trained on MedQuAD's 16k NIH questions (their question types mapped
  to our facets) plus our own labelled dev questions (the only source for facets MedQuAD has
  no type for, such as side effects or massage);
- the **sentence** model, trained on the sentences of MedQuAD's answers, each labelled with
  the facet of the question it answers, so it learns what an inheritance sentence or a
  treatment sentence looks like whatever the disease.

Both are trained by ``dystonia train facets`` (``training/facets.py``), which writes the
weights and a model card with the held-out accuracy into ``assistant/models/``. At answer
time this module only multiplies a vector by a small matrix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.errors import ModelError

FACETS = ("definition", "types", "cause", "symptoms", "diagnosis", "treatment", "side_effects", "inheritance",
          "frequency", "outlook", "daily_life", "exercise_massage", "cautions")
OTHER = "other"  # research, support groups: asked about, but not a facet the coverage map tracks
MODEL_FILE = Path(__file__).with_name("models") / "facets.npz"
CARD_FILE = Path(__file__).with_name("models") / "facets.json"


@dataclass(frozen=True)
class LinearModel:
    """Multinomial logistic regression: softmax(vectors @ weights.T + bias) over ``labels``."""

    labels: tuple[str, ...]
    weights: np.ndarray  # (labels, dimension)
    bias: np.ndarray  # (labels,)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = np.atleast_2d(np.asarray(vectors, np.float32)) @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, vector: np.ndarray) -> tuple[str, dict[str, float]]:
        probs = self.probabilities(vector)[0]
        return self.labels[int(probs.argmax())], dict(zip(self.labels, probs.tolist()))


@dataclass(frozen=True)
class FacetModels:
    question: LinearModel
    sentence: LinearModel
    model_id: str  # the embedding model they were trained on; vectors from another model mean nothing to them

    @classmethod
    def load(cls, path: Path = MODEL_FILE, *, model_id: str | None = None) -> FacetModels:
        """The trained classifiers; a clear error if missing or trained for another embedding model."""
        try:
            data = np.load(path, allow_pickle=False)
            trained_on = str(data["model_id"])
            models = cls(_linear(data, "question"), _linear(data, "sentence"), trained_on)
        except (OSError, KeyError, ValueError) as error:
            raise ModelError(f"cannot read the facet classifiers {path} ({error}); retrain them with "
                             "`dystonia train facets`") from None
        if model_id and model_id != trained_on:
            raise ModelError(f"the facet classifiers were trained on {trained_on!r} vectors but {model_id!r} is "
                             "loaded; retrain them with `dystonia train facets --model ...`")
        return models

    def asked(self, question: np.ndarray, masked: np.ndarray) -> tuple[str, dict[str, float]]:
        """What a question asks: the question model on the question as typed and on it with its
        subject's names replaced by "it", averaged. Trained on both forms, the model learns the
        wording of a facet ("what causes it") apart from the diseases MedQuAD happens to name."""
        probabilities = self.question.probabilities(np.vstack([question, masked])).mean(axis=0)
        return self.question.labels[int(probabilities.argmax())], dict(zip(self.question.labels,
                                                                           probabilities.tolist()))

    def save(self, path: Path = MODEL_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {"model_id": np.array(self.model_id)}
        for name, model in (("question", self.question), ("sentence", self.sentence)):
            arrays[f"{name}_labels"] = np.array(model.labels)
            arrays[f"{name}_weights"] = model.weights.astype(np.float32)
            arrays[f"{name}_bias"] = model.bias.astype(np.float32)
        with path.open("wb") as handle:
            np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]


def _linear(data, name: str) -> LinearModel:
    return LinearModel(tuple(str(x) for x in data[f"{name}_labels"]), np.asarray(data[f"{name}_weights"], np.float32),
                       np.asarray(data[f"{name}_bias"], np.float32))


def load_card(path: Path = CARD_FILE) -> dict:
    """The model card: training data, held-out scores, when and how it was trained."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
