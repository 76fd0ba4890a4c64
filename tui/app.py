"""The live monitor: faces, trends, performance and a frame preview."""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Label, Static

from ..core.errors import EmotionTuiError
from ..core.live import LiveSnapshot, LiveState, Recorder, capture_loop
from ..core.results import open_writer
from ..core.sources import mask_url
from .screens.prompts import HelpScreen, OpenPathScreen, UrlScreen
from .widgets.face_table import FaceTable
from .widgets.performance import PerformancePanel
from .widgets.preview import FramePreview, annotate
from .widgets.trends import EmotionTrends

log = logging.getLogger(__name__)

WINDOW_NAME = "emotion-tui"


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class MonitorApp(App[int]):
    """Watches one source at a time; capture and inference run in a thread worker.

    Args:
        sources: the sources given on the command line (``n``/``p`` cycle them).
        engine: builds pipelines (``EngineOptions``); ``None`` runs without capture,
            for tests that push snapshots with ``show_snapshot``.
        ui_hz: how often the screen samples the latest result.
        preview_hz: how often the frame preview is redrawn (at most ``ui_hz``).
        model_label: shown in the header (model name and test accuracy).
    """

    CSS_PATH = "app.tcss"
    TITLE = "emotion-tui"
    BINDINGS = [
        Binding("q", "quit", "quit"),
        Binding("space", "pause", "pause"),
        Binding("n", "next_source", "next"),
        Binding("p", "previous_source", "prev"),
        Binding("o", "open_path", "open"),
        Binding("u", "open_url", "url"),
        Binding("r", "record", "record"),
        Binding("f", "toggle_preview", "preview"),
        Binding("w", "toggle_window", "window"),
        Binding("t", "training", "train"),
        Binding("question_mark", "help", "help"),
        *(
            Binding(str(i), f"camera({i})", f"camera {i}", show=False)
            for i in range(10)
        ),
    ]

    def __init__(
        self,
        sources: list[str],
        engine=None,
        loop: bool = False,
        ui_hz: float = 10.0,
        preview_hz: float = 5.0,
        model_label: str = "",
        record_dir: Path | None = None,
        trends_window_s: float = 30.0,
        measure_render: bool = True,
        realtime: bool = True,
    ):
        super().__init__()
        self.source_list = list(sources)
        self.source_index = 0
        self.engine = engine
        self.loop = loop
        self.ui_hz = ui_hz
        self.preview_hz = min(preview_hz, ui_hz)
        self.model_label = model_label
        self.record_dir = record_dir or Path.cwd()
        self.trends_window_s = trends_window_s
        self.measure_render = measure_render
        self.realtime = realtime
        self.live = LiveState()
        self.recorder = Recorder()
        self.paused = threading.Event()
        self._cancel: threading.Event | None = None
        self._capture_lock = threading.Lock()
        self._classifier = None
        self._classifier_lock = threading.Lock()
        self._seen_seq = 0  # the idle state is drawn by on_mount
        self._last_state = ""
        self._last_preview = 0.0
        self._last_result_index = None
        self.frames_drawn = 0
        self.render_ms = 0.0
        self.window_on = False
        self.current_spec: str | None = None
        self.capture_threads: list[threading.Thread] = []

    # ----- layout -------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="faces-panel", classes="panel"):
            yield FaceTable(id="faces")
            yield Label("No face", id="no-face")  # under the empty table's header
        with Horizontal(id="middle"):
            with Vertical(id="left"):
                with Vertical(id="trends-panel", classes="panel"):
                    yield EmotionTrends(self.trends_window_s, id="trends")
                yield PerformancePanel(
                    "waiting for frames", id="perf-panel", classes="panel"
                )
            with Vertical(id="right", classes="panel"):
                yield FramePreview(id="preview")
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        # Keep references: while another screen is on top, queries on the app
        # look at that screen, not this one.
        self.table = self.query_one(FaceTable)
        self.trends = self.query_one(EmotionTrends)
        self.perf = self.query_one(PerformancePanel)
        self.preview = self.query_one(FramePreview)
        self.preview_panel = self.query_one("#right")
        self.no_face = self.query_one("#no-face", Label)
        self.status_bar = self.query_one("#status", Static)
        self.query_one("#faces-panel").border_title = "faces"
        self.query_one("#trends-panel").border_title = "trends"
        self.query_one("#perf-panel").border_title = "performance"
        self.query_one("#right").border_title = "frame"
        self.sub_title = self.model_label
        self.set_interval(1.0 / self.ui_hz, self.refresh_from_live)
        if self.engine is not None and self.source_list:
            self.start_source(self.source_list[0])
        else:
            self.show_status()

    # ----- capture ------------------------------------------------------------
    def _get_classifier(self):
        with self._classifier_lock:
            if self._classifier is None:
                self.live.set_state("loading", "loading model")
                self._classifier = self.engine.load_classifier()
            return self._classifier

    def _make_pipeline(self):
        return self.engine.build_with(self._get_classifier(), keep_images=True)

    def start_source(self, spec: str) -> None:
        """Stop the running capture (if any) and start one on ``spec``."""
        if self.engine is None:
            return
        self.stop_capture()
        self.current_spec = spec
        self._cancel = threading.Event()
        self.paused.clear()
        self._last_state = ""  # a new source's failure is announced again
        self._last_result_index = None
        self.table.forget_all()
        self.trends.clear_history()
        self.trends.show(None)
        self.preview.show_frame(None)
        self._capture(spec, self._cancel)

    def stop_capture(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    @work(thread=True, group="capture", exit_on_error=False)
    def _capture(self, spec: str, cancelled: threading.Event) -> str:
        self.capture_threads = [t for t in self.capture_threads if t.is_alive()]
        self.capture_threads.append(threading.current_thread())
        with self._capture_lock:  # the previous capture ends within one frame
            if cancelled.is_set():
                return "cancelled"
            return capture_loop(
                spec,
                self._make_pipeline,
                self.live,
                cancelled,
                self.paused,
                self.recorder,
                loop=self.loop,
                realtime=self.realtime,
            )

    # ----- refresh ------------------------------------------------------------
    def refresh_from_live(self) -> None:
        snap = self.live.snapshot()
        if snap.seq == self._seen_seq:
            return
        self._seen_seq = snap.seq
        self.show_snapshot(snap)

    def show_snapshot(self, snap: LiveSnapshot) -> None:
        """Draw one snapshot (the UI timer calls this; tests may too)."""
        started = time.perf_counter()
        if snap.state != self._last_state:
            self._on_state_change(snap)
        result = snap.result
        now_s = time.monotonic()
        if not self.is_running:
            return
        with self.batch_update():
            table, trends = self.table, self.trends
            if result is not None and result.index != self._last_result_index:
                self._last_result_index = result.index
                self.frames_drawn += 1
                table.show_faces(result.faces, now_s)
                for face in result.faces:
                    trends.record(
                        face.track_id, result.timestamp_ms / 1000.0, face.smoothed
                    )
                trends.prune(result.timestamp_ms / 1000.0)
                if self.window_on and result.image is not None:
                    self._show_window(result)
                self._maybe_preview(result)
            self.no_face.display = not table.row_count
            trends.show(table.selected_track_id())
            self.perf.show(snap, self.render_ms, self.frames_drawn)
            self.show_status(snap)
        if self.measure_render:
            self.render_ms = (time.perf_counter() - started) * 1e3

    def _maybe_preview(self, result) -> None:
        preview = self.preview
        if not self.preview_panel.display:
            return
        now = time.monotonic()
        if now - self._last_preview >= 1.0 / self.preview_hz:
            self._last_preview = now
            preview.show_frame(result)

    def _on_state_change(self, snap: LiveSnapshot) -> None:
        self._last_state = snap.state
        if snap.state == "failed":
            self.notify(
                snap.message, title="source failed", severity="error", timeout=8
            )
        elif snap.state == "ended":
            hint = "" if self.loop else " (results kept; --loop replays)"
            self.notify(f"{snap.message}{hint}", title="source ended")

    def show_status(self, snap: LiveSnapshot | None = None) -> None:
        snap = snap or self.live.snapshot()
        parts = [f"[b]{snap.state}[/b]"]
        if snap.source_name:
            # A source that failed before it was recognised has no kind yet.
            kind = f"{snap.source_kind} " if snap.source_kind else ""
            parts.append(f"{kind}{mask_url(snap.source_name)}")
        listed = self.source_list[self.source_index] if self.source_list else None
        if len(self.source_list) > 1 and self.current_spec == listed:
            parts.append(f"source {self.source_index + 1}/{len(self.source_list)}")
        shown_above = snap.state == "opening" and snap.source_name
        if snap.message and snap.state in ("failed", "loading", "opening"):
            if not shown_above:  # "opening <source>" would repeat the source
                parts.append(mask_url(snap.message))
        parts.append(
            f"recording to {snap.recording}" if snap.recording else "not recording"
        )
        self.status_bar.update("  |  ".join(parts))

    # ----- actions ------------------------------------------------------------
    def action_pause(self) -> None:
        if self.paused.is_set():
            self.paused.clear()
            self.notify("resumed")
        else:
            self.paused.set()
            self.notify("paused")

    def _switch_to_index(self, index: int) -> None:
        if not self.source_list:
            self.notify("no sources were given on the command line", severity="warning")
            return
        self.source_index = index % len(self.source_list)
        self.start_source(self.source_list[self.source_index])

    def action_next_source(self) -> None:
        self._switch_to_index(self.source_index + 1)

    def action_previous_source(self) -> None:
        self._switch_to_index(self.source_index - 1)

    def action_camera(self, index: int) -> None:
        self.start_source(str(index))

    def action_open_path(self) -> None:
        start = (
            Path(self.current_spec).parent
            if self.current_spec and Path(self.current_spec).exists()
            else Path.cwd()
        )
        self.push_screen(OpenPathScreen(start), self._open_chosen)

    def action_open_url(self) -> None:
        self.push_screen(UrlScreen(), self._open_chosen)

    def _open_chosen(self, spec: str | None) -> None:
        if spec:
            self.start_source(spec)

    def action_record(self) -> None:
        if self.live.recording:
            path = self.live.recording
            frames = self.recorder.stop_locked()
            self.live.recording = None
            self.notify(f"saved {frames} frames to {path}", title="recording stopped")
        else:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            path = self.record_dir / f"emotion-tui-{stamp}.jsonl"
            n = 2
            while path.exists():  # never overwrite an earlier recording
                path = self.record_dir / f"emotion-tui-{stamp}-{n}.jsonl"
                n += 1
            try:
                self.recorder.start(open_writer(path))
            except EmotionTuiError as exc:
                self.notify(str(exc), severity="error")
                return
            self.live.recording = str(path)
            self.notify(f"recording to {path}", title="recording")
        self.show_status()

    def action_toggle_preview(self) -> None:
        self.preview_panel.display = not self.preview_panel.display

    def action_toggle_window(self) -> None:
        if self.window_on:
            self.window_on = False
            self._close_window()
            return
        if not has_display():
            self.notify(
                "no display here (DISPLAY and WAYLAND_DISPLAY are unset); the "
                "OpenCV window needs a desktop session",
                severity="warning",
            )
            return
        self.window_on = True

    def _show_window(self, result) -> None:
        import cv2

        try:  # HighGUI calls stay on this, the main thread
            cv2.imshow(WINDOW_NAME, annotate(result.image, result))
            cv2.waitKey(1)
        except cv2.error as exc:
            self.window_on = False
            self.notify(
                f"OpenCV cannot open a window: {str(exc).splitlines()[-1]}",
                severity="error",
            )

    def _close_window(self) -> None:
        import cv2

        try:
            cv2.destroyWindow(WINDOW_NAME)
            cv2.waitKey(1)
        except cv2.error:
            pass

    def action_training(self) -> None:
        from .screens.training import TrainingScreen

        self.push_screen(TrainingScreen())

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        self.shutdown()
        self.exit(0)

    def shutdown(self) -> None:
        """Stop capture and training, close the recording; safe to call twice."""
        self.stop_capture()
        progress = getattr(self, "training_progress", None)
        if progress is not None:  # the run stops at its next batch, epochs kept
            progress.request_stop()
        if self.live.recording:
            self.recorder.stop_locked()
            self.live.recording = None
        if self.window_on:
            self._close_window()

    def on_unmount(self) -> None:
        self.shutdown()

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        for title, help_text, action in (
            ("Next source", "switch to the next source", self.action_next_source),
            (
                "Previous source",
                "switch to the previous source",
                self.action_previous_source,
            ),
            (
                "Open file or folder",
                "pick a video, image or folder",
                self.action_open_path,
            ),
            ("Open stream URL", "type an rtsp/http URL", self.action_open_url),
            ("Pause or resume", "pause the capture", self.action_pause),
            (
                "Record results",
                "start or stop recording to JSON lines",
                self.action_record,
            ),
            (
                "Toggle frame preview",
                "show or hide the frame",
                self.action_toggle_preview,
            ),
            (
                "Toggle OpenCV window",
                "annotated frame in a desktop window",
                self.action_toggle_window,
            ),
            (
                "Training screen",
                "train EmotionVGGNet and watch it learn",
                self.action_training,
            ),
            ("Help", "list the keys", self.action_help),
        ):
            yield SystemCommand(title, help_text, action)
        for index in range(10):
            yield SystemCommand(
                f"Camera {index}",
                f"switch to camera {index}",
                lambda index=index: self.action_camera(index),
            )
