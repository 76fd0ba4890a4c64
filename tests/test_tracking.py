"""Tracking by overlap and smoothing by half-life."""

from __future__ import annotations

import numpy as np
import pytest
from emotion_tui.core.track import Tracker, TrackerConfig, iou


def _probs(index: int) -> np.ndarray:
    p = np.zeros((1, 7), np.float32)
    p[0, index] = 1.0
    return p


def test_iou_of_identical_disjoint_and_half_overlapping_boxes():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)


def test_a_moving_face_keeps_its_id_and_a_new_one_gets_another():
    tracker = Tracker(TrackerConfig())
    (a,) = tracker.update([(0, 0, 50, 50)], _probs(0), 0)
    (a2,) = tracker.update([(5, 3, 50, 50)], _probs(0), 33)
    assert a2.track_id == a.track_id
    both = tracker.update(
        [(6, 3, 50, 50), (200, 0, 50, 50)], np.vstack([_probs(0)] * 2), 66
    )
    assert [t.track_id for t in both] == [a.track_id, a.track_id + 1]


def test_a_track_survives_a_few_missed_frames_then_goes():
    tracker = Tracker(TrackerConfig(max_missed_frames=2))
    (a,) = tracker.update([(0, 0, 50, 50)], _probs(0), 0)
    empty = np.zeros((0, 7), np.float32)
    tracker.update([], empty, 33)
    tracker.update([], empty, 66)
    (back,) = tracker.update([(0, 0, 50, 50)], _probs(0), 99)
    assert back.track_id == a.track_id
    for t in (132, 165, 198):
        tracker.update([], empty, t)
    (new,) = tracker.update([(0, 0, 50, 50)], _probs(0), 231)
    assert new.track_id != a.track_id


def test_smoothing_moves_halfway_in_one_half_life():
    tracker = Tracker(TrackerConfig(ema_half_life_s=0.5))
    tracker.update([(0, 0, 50, 50)], _probs(0), 0)
    (track,) = tracker.update([(0, 0, 50, 50)], _probs(3), 500)
    assert track.smoothed[0] == pytest.approx(0.5)
    assert track.smoothed[3] == pytest.approx(0.5)
    assert track.raw[3] == 1.0


def test_zero_half_life_reports_the_raw_probabilities():
    tracker = Tracker(TrackerConfig(ema_half_life_s=0.0))
    tracker.update([(0, 0, 50, 50)], _probs(0), 0)
    (track,) = tracker.update([(0, 0, 50, 50)], _probs(3), 33)
    np.testing.assert_array_equal(track.smoothed, track.raw)
