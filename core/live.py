"""The hand-off between a capture thread and a UI that samples it.

The capture thread runs the pipeline flat out and stores only the latest result
here; the UI reads a snapshot at its own pace. Nothing is queued per frame, so a
slow UI never slows the pipeline and a slow pipeline never blocks the UI.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import EmotionTuiError
from .pipeline import FrameResult, Pipeline, RunStats
from .results import ResultWriter
from .sources import Source, make_source, mask_url, with_read_ahead

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveSnapshot:
    """What the UI needs at one refresh."""

    seq: int
    state: str  # idle, loading, opening, running, paused, ended, failed
    message: str
    source_name: str
    source_kind: str
    source_fps: float | None
    result: FrameResult | None
    fps: float
    frames: int
    mean_stage_ms: dict[str, float]
    recording: str | None


@dataclass
class LiveState:
    """Thread-safe latest-value slot shared by the capture thread and the UI."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    seq: int = 0
    state: str = "idle"
    message: str = ""
    source_name: str = ""
    source_kind: str = ""
    source_fps: float | None = None
    result: FrameResult | None = None
    stats: RunStats | None = None
    recording: str | None = None

    def set_state(self, state: str, message: str = "") -> None:
        with self._lock:
            self.state, self.message = state, message
            self.seq += 1

    def set_source(self, source: Source | None, name: str = "", kind: str = "") -> None:
        with self._lock:
            self.source_name = source.name if source else name
            self.source_kind = source.kind if source else kind
            self.source_fps = source.fps if source else None
            self.result = None
            self.stats = None
            self.seq += 1

    def publish(self, result: FrameResult, stats: RunStats) -> None:
        with self._lock:
            self.result, self.stats = result, stats
            self.seq += 1

    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            stats = self.stats
            return LiveSnapshot(
                self.seq,
                self.state,
                self.message,
                self.source_name,
                self.source_kind,
                self.source_fps,
                self.result,
                stats.recent_fps if stats else 0.0,
                stats.frames if stats else 0,
                stats.mean_stage_ms() if stats else {},
                self.recording,
            )


class Recorder:
    """Results file that the capture thread writes to while recording is on."""

    def __init__(self):
        self._lock = threading.Lock()
        self.writer: ResultWriter | None = None

    def start(self, writer: ResultWriter) -> None:
        with self._lock:
            self.stop()
            self.writer = writer

    def stop(self) -> int:
        """Close the file; returns the frames it holds."""
        writer, self.writer = self.writer, None
        if writer is None:
            return 0
        writer.close()
        return writer.frames_written

    def stop_locked(self) -> int:
        with self._lock:
            return self.stop()

    def write(self, result: FrameResult) -> None:
        with self._lock:
            if self.writer is not None:
                self.writer.write(result)


def capture_loop(
    spec: str,
    pipeline_factory: Callable[[], Pipeline],
    live: LiveState,
    cancelled: threading.Event,
    paused: threading.Event,
    recorder: Recorder | None = None,
    loop: bool = False,
    idle_wait_s: float = 0.05,
    realtime: bool = False,
) -> str:
    """Open ``spec`` and process frames until cancelled or the source ends.

    With ``realtime``, video files play at their own speed (frames wait for
    their timestamp); otherwise they are processed as fast as possible.

    Returns the final state: ``cancelled``, ``ended`` or ``failed``. Errors are
    reported through ``live``, never raised.
    """
    live.set_state("opening", f"opening {mask_url(spec)}")
    try:
        pipeline = pipeline_factory()  # may report "loading" while a model loads
        source = with_read_ahead(make_source(spec, loop=loop))
        live.set_source(None, source.name, source.kind)
        # Opening a stream can take seconds: say so, not "loading model".
        live.set_state("opening", f"opening {mask_url(spec)}")
        source.open()
    except EmotionTuiError as exc:
        if live.source_name != mask_url(spec):
            live.set_source(None, mask_url(spec))
        live.set_state("failed", str(exc))
        return "failed"
    except Exception as exc:  # a pipeline bug must not kill the UI
        log.exception("capture failed to start")
        live.set_state("failed", f"{type(exc).__name__}: {exc}")
        return "failed"

    pipeline.reset()
    live.set_source(source)
    live.set_state("running")
    pace = realtime and source.kind == "video"
    anchor: tuple[float, float] | None = None  # (wall clock s, media ms)
    try:
        while not cancelled.is_set():
            if paused.is_set():
                live.set_state("paused")
                anchor = None
                cancelled.wait(idle_wait_s)
                continue
            if live.state == "paused":
                live.set_state("running")
            started = time.perf_counter()
            frame = source.read()
            read_ms = (time.perf_counter() - started) * 1e3
            if frame is None:
                reason = source.end_reason or "ended"
                if reason == "ended":
                    live.set_state("ended", f"{source.describe()} ended")
                    return "ended"
                live.set_state("failed", reason)
                return "failed"
            if pace:
                anchor = _wait_for_frame_time(frame.timestamp_ms, anchor, cancelled)
            result = pipeline.process(frame, read_ms, source.still, source.name)
            live.publish(result, pipeline.stats)
            if recorder is not None:
                recorder.write(result)
            if source.still:
                # Show each picture of a folder for a moment, like a slide show.
                cancelled.wait(0.5)
        return "cancelled"
    except Exception as exc:
        log.exception("capture stopped by an error")
        live.set_state("failed", f"{type(exc).__name__}: {exc}")
        return "failed"
    finally:
        source.close()


def _wait_for_frame_time(
    timestamp_ms: float, anchor: tuple[float, float] | None, cancelled: threading.Event
) -> tuple[float, float]:
    """Sleep until a video frame is due; return the (possibly new) time anchor."""
    now = time.monotonic()
    if anchor is None:
        return (now, timestamp_ms)
    due = anchor[0] + (timestamp_ms - anchor[1]) / 1000.0
    delay = due - now
    if delay > 0:
        cancelled.wait(delay)
    elif delay < -1.0:  # far behind (slow machine): play on from here
        return (now, timestamp_ms)
    return anchor
