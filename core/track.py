"""Face tracking by box overlap, and time smoothing of the probabilities."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .detect import Box


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    w = min(ax1, bx1) - max(a[0], b[0])
    h = min(ay1, by1) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


@dataclass
class Track:
    """One face followed over time."""

    track_id: int
    box: Box
    raw: np.ndarray
    smoothed: np.ndarray
    last_seen_ms: float
    missed: int = 0
    seen_now: bool = True


@dataclass(frozen=True)
class TrackerConfig:
    """Attributes:
    min_iou: overlap needed to continue a track.
    max_missed_frames: a track survives this many frames without a detection.
    ema_half_life_s: half-life of the probability smoothing; 0 disables it.
    """

    min_iou: float = 0.3
    max_missed_frames: int = 5
    ema_half_life_s: float = 0.5

    def validate(self) -> None:
        if not 0.0 <= self.min_iou <= 1.0:
            raise ValueError(f"min IoU must be in 0..1, got {self.min_iou}")
        if self.max_missed_frames < 0:
            raise ValueError("max missed frames must be >= 0")
        if self.ema_half_life_s < 0:
            raise ValueError("smoothing half-life must be >= 0 s")


@dataclass
class Tracker:
    """Matches each frame's boxes to live tracks greedily by IoU."""

    config: TrackerConfig = field(default_factory=TrackerConfig)
    tracks: list[Track] = field(default_factory=list)
    next_id: int = 1

    def reset(self) -> None:
        self.tracks.clear()

    def update(
        self, boxes: list[Box], probabilities: np.ndarray, timestamp_ms: float
    ) -> list[Track]:
        """Advance by one frame; return the tracks seen in it, in box order."""
        pairs = sorted(
            (
                (iou(track.box, box), t, b)
                for t, track in enumerate(self.tracks)
                for b, box in enumerate(boxes)
            ),
            reverse=True,
        )
        track_of_box: dict[int, Track] = {}
        used_tracks: set[int] = set()
        for overlap, t, b in pairs:
            if overlap < self.config.min_iou:
                break
            if t in used_tracks or b in track_of_box:
                continue
            used_tracks.add(t)
            track_of_box[b] = self.tracks[t]

        for track in self.tracks:
            track.seen_now = False
        seen: list[Track] = []
        for b, box in enumerate(boxes):
            track = track_of_box.get(b)
            if track is None:
                track = Track(
                    self.next_id,
                    box,
                    probabilities[b].copy(),
                    probabilities[b].copy(),
                    timestamp_ms,
                )
                self.next_id += 1
                self.tracks.append(track)
            else:
                self._continue(track, box, probabilities[b], timestamp_ms)
            track.seen_now = True
            seen.append(track)

        for track in self.tracks:
            if not track.seen_now:
                track.missed += 1
        self.tracks = [
            t for t in self.tracks if t.missed <= self.config.max_missed_frames
        ]
        return seen

    def _continue(self, track: Track, box: Box, raw: np.ndarray, now_ms: float) -> None:
        dt_s = max(0.0, (now_ms - track.last_seen_ms) / 1000.0)
        half_life = self.config.ema_half_life_s
        keep = math.pow(0.5, dt_s / half_life) if half_life > 0 else 0.0
        track.smoothed = keep * track.smoothed + (1.0 - keep) * raw
        track.raw = raw.copy()
        track.box = box
        track.last_seen_ms = now_ms
        track.missed = 0
