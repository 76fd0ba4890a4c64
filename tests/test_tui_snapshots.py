"""Snapshots of the screens with a fixed frame and fixed numbers, and the
training screen driven by synthetic epoch events."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from emotion_tui.core.live import LiveSnapshot
from emotion_tui.core.pipeline import FaceResult, FrameResult
from emotion_tui.core.train import RunState
from emotion_tui.core.train_progress import TrainingProgress
from emotion_tui.tui.app import MonitorApp
from emotion_tui.tui.training_app import TrainingApp
from tui_helpers import run_app, wait_until

RAW = (0.02, 0.01, 0.03, 0.81, 0.08, 0.02, 0.03)
SMOOTHED = (0.03, 0.01, 0.04, 0.74, 0.12, 0.03, 0.03)


def fixed_snapshot(image: np.ndarray) -> LiveSnapshot:
    face = FaceResult(1, (157, 148, 236, 236), RAW, SMOOTHED)
    result = FrameResult(
        41,
        1366.7,
        image.shape[1],
        image.shape[0],
        (face,),
        {"read": 0.5, "detect": 7.8, "classify": 0.9, "track": 0.1},
        image,
        "photo.jpg",
    )
    return LiveSnapshot(
        seq=1,
        state="running",
        message="",
        source_name="photo.jpg",
        source_kind="image",
        source_fps=None,
        result=result,
        fps=118.0,
        frames=42,
        mean_stage_ms={"read": 0.5, "detect": 7.8, "classify": 0.9, "track": 0.1},
        recording=None,
    )


def test_main_screen_snapshot(snap_compare, media):
    image = cv2.imread(str(media / "single_face.jpg"))
    app = MonitorApp(
        [], engine=None, model_label="EmotionVGGNet test", measure_render=False
    )

    async def run_before(pilot):
        app.show_snapshot(fixed_snapshot(image))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 32), run_before=run_before)


def test_main_screen_at_80x24_keeps_every_panel(media):
    image = cv2.imread(str(media / "single_face.jpg"))
    app = MonitorApp([], engine=None, measure_render=False)

    async def body(app, pilot):
        app.show_snapshot(fixed_snapshot(image))
        await pilot.pause()
        for selector in ("#faces-panel", "#trends-panel", "#perf-panel", "#right"):
            region = app.query_one(selector).region
            assert region.width > 0 and region.height > 0, selector
            assert region.right <= 80 and region.bottom <= 24, selector
        assert app.query_one("#faces").row_count == 1
        assert "happy 74%" in str(app.query_one("#faces").get_row("1"))

    run_app(app, body, size=(80, 24))


def _epochs(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        rows.append(
            {
                "loss": 1.8 - 0.12 * i,
                "accuracy": 0.3 + 0.04 * i,
                "val_loss": 1.6 - 0.08 * i,
                "val_accuracy": 0.35 + 0.03 * i,
                "lr": 1e-3 * (0.9**i),
                "seconds": 120.0,
            }
        )
    return rows


def test_training_screen_draws_curves_as_epochs_arrive():
    progress = TrainingProgress()
    app = TrainingApp(None, progress=progress)

    async def body(app, pilot):
        await pilot.pause()
        chart = app.screen.query_one("#acc-chart")
        for i, row in enumerate(_epochs(5), start=1):
            progress.feed(row, epochs=10)
            # The screen samples the progress four times a second.
            await wait_until(pilot, lambda i=i: len(chart.history) == i, 10)
        info = str(app.screen.query_one("#info").render())
        assert "best epoch 5" in info
        assert "47.00% val acc" in info

    run_app(app, body)


def test_training_screen_snapshot(snap_compare):
    progress = TrainingProgress()
    for row in _epochs(6):
        progress.feed(row, epochs=12)
    app = TrainingApp(None, progress=progress)
    assert snap_compare(app, terminal_size=(100, 30))


def test_training_screen_tells_a_finished_run_in_whole():
    progress = TrainingProgress()
    for row in _epochs(6):
        progress.feed(row, epochs=6)
    state = RunState(Path("unused"))
    state.epochs_done = 6
    state.history = _epochs(6)
    progress.on_end(state, "finished")
    app = TrainingApp(None, progress=progress)

    async def body(app, pilot):
        await wait_until(pilot, lambda: app.screen.query("#info"), 10)
        await pilot.pause(0.5)
        label = str(app.screen.query_one("#epoch-label").render())
        info = str(app.screen.query_one("#info").render())
        assert "6 of 6 epochs completed" in label
        assert "step 0" not in label
        assert info.splitlines()[0] == "finished after 6 epochs"

    run_app(app, body)


def test_axis_labels_tell_close_values_apart():
    """A fine-tuning run moves accuracy by tenths of a point: the axis shows them."""
    progress = TrainingProgress()
    for i, (acc, val) in enumerate(
        ((0.6293, 0.6356), (0.6351, 0.6367), (0.6391, 0.6336))
    ):
        progress.feed(
            {
                "loss": 1.01 - 0.01 * i,
                "accuracy": acc,
                "val_loss": 0.97,
                "val_accuracy": val,
                "lr": 1e-4,
                "seconds": 90.0,
            },
            epochs=12,
        )
    app = TrainingApp(None, progress=progress)

    async def body(app, pilot):
        chart = app.screen.query_one("#acc-chart")
        await wait_until(pilot, lambda: len(chart.history) == 3, 10)
        drawn = str(chart.render())
        axis = [line for line in drawn.splitlines() if "┤" in line]
        labels = [line.split("┤")[0].strip() for line in axis]
        labels = [label for label in labels if label]
        assert labels[0] == "63.9%" and labels[-1] == "62.9%"
        assert len(set(labels)) == len(labels) == 3

    run_app(app, body)
