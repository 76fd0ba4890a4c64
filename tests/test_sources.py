"""Sources on the real shared media: frames, timestamps, read-ahead, looping."""

from __future__ import annotations

import numpy as np
import pytest
from emotion_tui.core.sources import (
    CaptureSource,
    PrefetchingSource,
    make_source,
    open_source,
)


def test_video_frames_are_bgr_uint8_with_timestamps_from_the_frame_rate(media):
    with open_source(str(media / "single_face.mp4")) as source:
        frames = list(source)
    assert len(frames) == 72 and source.end_reason == "ended"
    assert source.fps == pytest.approx(30.0, abs=0.1)
    assert frames[0].image.dtype == np.uint8 and frames[0].image.shape == (360, 640, 3)
    assert [f.index for f in frames] == list(range(72))
    assert frames[30].timestamp_ms == pytest.approx(1000.0, abs=1.0)


def test_read_ahead_gives_the_same_frames_in_the_same_order(media):
    spec = str(media / "WolfgangLanger_Pexels.mp4")
    with open_source(spec) as plain, open_source(spec, read_ahead=True) as fast:
        assert isinstance(fast, PrefetchingSource)
        for a, b in zip(plain, fast, strict=True):
            assert a.index == b.index and a.timestamp_ms == b.timestamp_ms
            np.testing.assert_array_equal(a.image, b.image)
        assert fast.read() is None and fast.end_reason == "ended"


def test_loop_replays_a_video_with_rising_timestamps(media):
    with open_source(str(media / "single_face.mp4"), loop=True) as source:
        frames = [source.read() for _ in range(150)]
    assert all(f is not None for f in frames)
    stamps = [f.timestamp_ms for f in frames]
    assert all(b > a for a, b in zip(stamps, stamps[1:]))


def test_source_kinds_are_told_apart(media, tmp_path):
    assert make_source("0").kind == "camera"
    assert make_source("rtsp://127.0.0.1:9/x").kind == "stream"
    assert make_source(str(media / "multi_face.jpg")).kind == "image"
    assert make_source(str(media)).kind == "folder"
    assert isinstance(make_source(str(media / "face_noface.mov")), CaptureSource)


def test_an_absurd_frame_rate_in_the_header_is_ignored(media, tmp_path):
    import cv2

    path = tmp_path / "absurd.mp4"
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*"mp4v"), 5000.0, (640, 360)
    )
    with open_source(str(media / "single_face.mp4")) as source:
        for frame in list(source)[:10]:
            writer.write(frame.image)
    writer.release()
    with open_source(str(path)) as source:
        frames = list(source)
        assert source.fps is None
    assert len(frames) == 10
    stamps = [f.timestamp_ms for f in frames]
    assert stamps == sorted(stamps)
