"""Evaluation of a classifier on a FER2013 split: accuracy, F1, confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .classify import Classifier
from .dataset import Split
from .emotions import EMOTIONS, NUM_EMOTIONS
from .preprocess import face_to_input

# The book version of EmotionVGGNet merges disgust into angry (6 classes).
SIX_CLASS_MAP = np.array([0, 0, 1, 2, 3, 4, 5])


@dataclass
class Metrics:
    """Scores of predictions against labels."""

    accuracy: float
    accuracy_6: float
    macro_f1: float
    precision: dict[str, float]
    recall: dict[str, float]
    f1: dict[str, float]
    confusion: np.ndarray  # rows: true class, columns: predicted class
    count: int

    def to_dict(self) -> dict:
        return {
            "count": self.count,
            "accuracy": round(self.accuracy, 6),
            "accuracy_6class": round(self.accuracy_6, 6),
            "macro_f1": round(self.macro_f1, 6),
            "precision": {k: round(v, 6) for k, v in self.precision.items()},
            "recall": {k: round(v, 6) for k, v in self.recall.items()},
            "f1": {k: round(v, 6) for k, v in self.f1.items()},
            "confusion": self.confusion.tolist(),
            "classes": list(EMOTIONS),
        }


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, n: int) -> np.ndarray:
    matrix = np.zeros((n, n), np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def score(labels: np.ndarray, predicted: np.ndarray) -> Metrics:
    """Compute every metric from true and predicted class indices."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    matrix = confusion_matrix(labels, predicted, NUM_EMOTIONS)
    true_pos = np.diag(matrix).astype(np.float64)
    predicted_n = matrix.sum(axis=0)
    actual_n = matrix.sum(axis=1)
    precision = np.divide(
        true_pos, predicted_n, out=np.zeros(NUM_EMOTIONS), where=predicted_n > 0
    )
    recall = np.divide(
        true_pos, actual_n, out=np.zeros(NUM_EMOTIONS), where=actual_n > 0
    )
    denominator = precision + recall
    f1 = np.divide(
        2 * precision * recall,
        denominator,
        out=np.zeros(NUM_EMOTIONS),
        where=denominator > 0,
    )
    present = actual_n > 0
    count = int(len(labels))
    return Metrics(
        accuracy=float(true_pos.sum() / count) if count else 0.0,
        accuracy_6=float(np.mean(SIX_CLASS_MAP[labels] == SIX_CLASS_MAP[predicted]))
        if count
        else 0.0,
        macro_f1=float(f1[present].mean()) if present.any() else 0.0,
        precision=dict(zip(EMOTIONS, precision.tolist())),
        recall=dict(zip(EMOTIONS, recall.tolist())),
        f1=dict(zip(EMOTIONS, f1.tolist())),
        confusion=matrix,
        count=count,
    )


def predict_split(
    classifier: Classifier, split: Split, flip_tta: bool = False, batch_size: int = 32
) -> np.ndarray:
    """Probabilities for every image of a split; with ``flip_tta`` averaged with
    the mirrored image."""
    x = np.stack([face_to_input(image) for image in split.images])
    out = np.empty((len(x), NUM_EMOTIONS), np.float32)
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size]
        probs = classifier.predict(batch)
        if flip_tta:
            probs = 0.5 * (probs + classifier.predict(batch[:, :, ::-1, :].copy()))
        out[start : start + batch_size] = probs
    return out


def evaluate(classifier: Classifier, split: Split, flip_tta: bool = False) -> Metrics:
    probabilities = predict_split(classifier, split, flip_tta)
    return score(split.labels, probabilities.argmax(axis=1))
