"""The speed-ups keep the results: face counts agree with plain full-resolution
Haar detection (scale 1.1, no weight filter) on at least 98% of frames, as the
benchmark also reports."""

from __future__ import annotations

import pytest
from emotion_tui.core.detect import DetectorConfig, FaceDetector
from emotion_tui.core.preprocess import to_gray
from emotion_tui.core.sources import open_source


@pytest.mark.parametrize(
    "name", ["WolfgangLanger_Pexels.mp4", "face_noface.mov", "single_face.mp4"]
)
def test_default_pipeline_agrees_with_full_resolution_detection(pipeline, media, name):
    full = FaceDetector(DetectorConfig(detect_width_px=0, min_weight=float("-inf")))
    agree = total = 0
    with open_source(str(media / name)) as source:
        for frame in source:
            result = pipeline.process(frame)
            reference = full.detect(to_gray(frame.image))
            agree += len(result.faces) == len(reference)
            total += 1
    assert agree / total >= 0.98


def test_refinding_follows_the_same_face_as_full_scans(
    engine_options, classifier, media
):
    from dataclasses import replace

    fast = engine_options.build_with(classifier)
    slow = replace(engine_options, full_scan_every_n_frames=1).build_with(classifier)
    with open_source(str(media / "single_face.mp4")) as source:
        for frame in source:
            a, b = fast.process(frame), slow.process(frame)
            assert len(a.faces) == len(b.faces)
            for fa, fb in zip(a.faces, b.faces):
                # Boxes from the two paths overlap well: same face, same place.
                from emotion_tui.core.track import iou

                assert iou(fa.box, fb.box) > 0.6
