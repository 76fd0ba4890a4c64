"""The pipeline: frame -> faces -> emotions -> tracks, timed per stage."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .classify import Classifier
from .detect import Box, FaceDetector
from .emotions import EMOTIONS
from .preprocess import faces_to_batch, to_gray
from .sources import Frame, Source
from .track import Tracker, TrackerConfig, iou

STAGES = ("read", "detect", "classify", "track")


@dataclass(frozen=True)
class FaceResult:
    """One tracked face in one frame."""

    track_id: int
    box: Box
    raw: tuple[float, ...]
    smoothed: tuple[float, ...]

    @property
    def emotion(self) -> str:
        return EMOTIONS[int(np.argmax(self.smoothed))]

    @property
    def confidence(self) -> float:
        return float(max(self.smoothed))

    def to_dict(self) -> dict:
        return {
            "id": self.track_id,
            "box": list(self.box),
            "emotion": self.emotion,
            "confidence": round(self.confidence, 4),
            "probabilities": {e: round(p, 4) for e, p in zip(EMOTIONS, self.raw)},
            "smoothed": {e: round(p, 4) for e, p in zip(EMOTIONS, self.smoothed)},
        }


@dataclass(frozen=True)
class FrameResult:
    """Everything the pipeline found in one frame."""

    index: int
    timestamp_ms: float
    width: int
    height: int
    faces: tuple[FaceResult, ...]
    stage_ms: dict[str, float]
    image: np.ndarray | None = None
    source: str = ""

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "frame": self.index,
            "timestamp_ms": round(self.timestamp_ms, 1),
            "faces": [face.to_dict() for face in self.faces],
        }


@dataclass
class RunStats:
    """Counts and timings of a run; FPS is processing speed, not the source's."""

    frames: int = 0
    frames_with_faces: int = 0
    faces: int = 0
    stage_total_ms: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(STAGES, 0.0)
    )
    started: float = field(default_factory=time.perf_counter)
    recent: deque = field(default_factory=lambda: deque(maxlen=60))

    def add(self, result: FrameResult) -> None:
        self.frames += 1
        self.faces += len(result.faces)
        self.frames_with_faces += bool(result.faces)
        for stage, ms in result.stage_ms.items():
            self.stage_total_ms[stage] = self.stage_total_ms.get(stage, 0.0) + ms
        self.recent.append(time.perf_counter())

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started

    @property
    def fps(self) -> float:
        return self.frames / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def recent_fps(self) -> float:
        """Processing rate over the last few dozen frames."""
        if len(self.recent) < 2:
            return 0.0
        span = self.recent[-1] - self.recent[0]
        return (len(self.recent) - 1) / span if span > 0 else 0.0

    def mean_stage_ms(self) -> dict[str, float]:
        n = max(1, self.frames)
        return {stage: total / n for stage, total in self.stage_total_ms.items()}

    def summary(self) -> dict:
        return {
            "frames": self.frames,
            "frames_with_faces": self.frames_with_faces,
            "faces": self.faces,
            "seconds": round(self.elapsed_s, 3),
            "fps": round(self.fps, 2),
            "mean_ms": {k: round(v, 3) for k, v in self.mean_stage_ms().items()},
        }


class Pipeline:
    """Runs detection, classification and tracking on frames of one source."""

    def __init__(
        self,
        detector: FaceDetector,
        classifier: Classifier,
        tracker_config: TrackerConfig | None = None,
        keep_images: bool = False,
        whole_image_face: bool = False,
        full_scan_every_n_frames: int = 20,
    ):
        self.detector = detector
        self.classifier = classifier
        self.tracker = Tracker(tracker_config or TrackerConfig())
        self.keep_images = keep_images
        self.whole_image_face = whole_image_face
        self.full_scan_every_n_frames = full_scan_every_n_frames
        self._frames_since_scan = 0
        self.stats = RunStats()

    def reset(self) -> None:
        """Forget tracks and counters, e.g. when the source changes."""
        self.tracker.reset()
        self._frames_since_scan = 0
        self.stats = RunStats()

    def find_faces(self, gray: np.ndarray, still: bool) -> list[Box]:
        """Full scans every few frames; in between, re-find known faces nearby.

        A face that cannot be re-found, or a frame with no known face, triggers a
        full scan on the next frame, so new faces wait at most a few frames.
        """
        every = self.full_scan_every_n_frames
        known = [t.box for t in self.tracker.tracks if t.seen_now]
        if still or every <= 1 or not known or self._frames_since_scan + 1 >= every:
            self._frames_since_scan = 0
            return self.detector.detect(gray, still)
        boxes: list[Box] = []
        limit = self.detector.config.overlap_iou
        for box in known:
            found = self.detector.detect_near(gray, box)
            if found is None:
                self._frames_since_scan = every  # scan fully on the next frame
                continue
            # Two neighbours' regions can both hold the same face: keep it once.
            if all(iou(found, other) <= limit for other in boxes):
                boxes.append(found)
        self._frames_since_scan += 1
        return boxes

    def process(
        self, frame: Frame, read_ms: float = 0.0, still: bool = False, source: str = ""
    ) -> FrameResult:
        """Find, classify and track the faces of one frame."""
        stage_ms = {"read": read_ms + frame.decode_ms}
        t0 = time.perf_counter()
        gray = to_gray(frame.image)
        height, width = gray.shape[:2]
        if self.whole_image_face:
            boxes: list[Box] = [(0, 0, width, height)]
        else:
            boxes = self.find_faces(gray, still)
        t1 = time.perf_counter()
        probabilities = self.classifier.predict(faces_to_batch(gray, boxes))
        t2 = time.perf_counter()
        if still:
            self.tracker.reset()
        tracks = self.tracker.update(boxes, probabilities, frame.timestamp_ms)
        faces = tuple(
            FaceResult(
                track.track_id,
                tuple(int(v) for v in track.box),
                tuple(float(p) for p in track.raw),
                tuple(float(p) for p in track.smoothed),
            )
            for track in tracks
        )
        t3 = time.perf_counter()
        stage_ms.update(
            detect=(t1 - t0) * 1e3, classify=(t2 - t1) * 1e3, track=(t3 - t2) * 1e3
        )
        result = FrameResult(
            frame.index,
            frame.timestamp_ms,
            width,
            height,
            faces,
            stage_ms,
            frame.image if self.keep_images else None,
            frame.name or source,
        )
        self.stats.add(result)
        return result

    def run(
        self,
        source: Source,
        on_result: Callable[[FrameResult], None],
        stop_event: threading.Event | None = None,
        max_frames: int | None = None,
    ) -> RunStats:
        """Process frames until the source ends, ``stop_event`` is set, or
        ``max_frames`` frames are done."""
        while stop_event is None or not stop_event.is_set():
            if max_frames is not None and self.stats.frames >= max_frames:
                break
            t0 = time.perf_counter()
            frame = source.read()
            read_ms = (time.perf_counter() - t0) * 1e3
            if frame is None:
                break
            on_result(self.process(frame, read_ms, source.still, source.name))
        return self.stats
