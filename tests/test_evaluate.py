"""Evaluation metrics against numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from emotion_tui.core.evaluate import score


def test_metrics_match_a_hand_computed_confusion_matrix():
    # true:      angry angry disgust happy happy happy sad
    # predicted: angry happy angry   happy happy sad   sad
    labels = np.array([0, 0, 1, 3, 3, 3, 5])
    predicted = np.array([0, 3, 0, 3, 3, 5, 5])
    m = score(labels, predicted)

    expected = np.zeros((7, 7), int)
    expected[0, 0] = expected[0, 3] = expected[1, 0] = 1
    expected[3, 3], expected[3, 5], expected[5, 5] = 2, 1, 1
    np.testing.assert_array_equal(m.confusion, expected)
    assert m.accuracy == pytest.approx(4 / 7)
    # With disgust merged into angry, the disgust->angry mistake becomes right.
    assert m.accuracy_6 == pytest.approx(5 / 7)
    assert m.precision["angry"] == pytest.approx(1 / 2)
    assert m.recall["angry"] == pytest.approx(1 / 2)
    assert m.precision["happy"] == pytest.approx(2 / 3)
    assert m.recall["happy"] == pytest.approx(2 / 3)
    assert m.precision["sad"] == pytest.approx(1 / 2)
    assert m.recall["sad"] == 1.0
    assert m.recall["disgust"] == 0.0
    # Macro-F1 over the four classes present: angry 1/2, disgust 0, happy 2/3, sad 2/3.
    assert m.macro_f1 == pytest.approx((0.5 + 0 + 2 / 3 + 2 / 3) / 4)
