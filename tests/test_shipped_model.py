"""The shipped model: its accuracy on PrivateTest and its model card."""

from __future__ import annotations

import json

import numpy as np
import pytest
from emotion_tui.core.dataset import load_fer2013
from emotion_tui.core.evaluate import evaluate

from emotion_tui.engine import models_dir


@pytest.fixture(scope="module")
def private_metrics(classifier, fer_folder):
    return evaluate(classifier, load_fer2013(fer_folder)["private"])


def test_shipped_model_scores_at_least_60_percent_on_private_test(private_metrics):
    assert private_metrics.count == 3589
    assert private_metrics.accuracy >= 0.60


def test_model_card_figures_match_a_fresh_evaluation(private_metrics):
    card = json.loads((models_dir() / "metrics.json").read_text())["splits"]["private"]
    assert card["accuracy"] == pytest.approx(private_metrics.accuracy, abs=1e-6)
    np.testing.assert_array_equal(
        np.array(card["confusion"]), private_metrics.confusion
    )
    text = (models_dir() / "MODEL_CARD.md").read_text()
    assert f"| PrivateTest | {private_metrics.accuracy:.2%} |" in text


def test_keras_weights_and_litert_export_agree(fer_folder, classifier):
    from emotion_tui.core.classify import load_classifier
    from emotion_tui.core.preprocess import face_to_input

    keras_classifier = load_classifier(models_dir() / "emotion_vggnet.keras")
    images = load_fer2013(fer_folder)["private"].images[:64]
    batch = np.stack([face_to_input(i) for i in images])
    np.testing.assert_allclose(
        keras_classifier.predict(batch), classifier.predict(batch), atol=1e-4
    )
