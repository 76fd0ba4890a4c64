"""The live monitor driven by real videos from ../shared/data/media."""

from __future__ import annotations

import json
import threading

import pytest
from emotion_tui.tui.app import MonitorApp
from emotion_tui.tui.screens.prompts import HelpScreen, OpenPathScreen, UrlScreen
from tui_helpers import run_app, wait_until


def _notices(app) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.fixture
def monitor(engine_options, classifier, media, tmp_path):
    def make(*names, loop=True):
        app = MonitorApp(
            [str(media / n) for n in names],
            engine_options,
            loop=loop,
            record_dir=tmp_path,
        )
        app._classifier = classifier
        return app

    return make


def test_a_video_shows_one_face_row_with_trends_and_fps(monitor):
    async def body(app, pilot):
        await wait_until(pilot, lambda: app.query_one("#faces").row_count == 1)
        await wait_until(pilot, lambda: app.live.snapshot().frames > 10)
        assert app.live.snapshot().state == "running"
        trends = app.query_one("#trends")
        await wait_until(pilot, lambda: trends.shown_track == 1)
        perf = str(app.query_one("#perf-panel").render())
        assert "fps processing" in perf
        assert not app.query_one("#no-face").display

    run_app(monitor("single_face.mp4"), body)


def test_space_pauses_and_resumes(monitor):
    async def body(app, pilot):
        await wait_until(pilot, lambda: app.live.snapshot().state == "running")
        await pilot.press("space")
        await wait_until(pilot, lambda: app.live.snapshot().state == "paused")
        frames = app.live.snapshot().frames
        await pilot.pause(0.3)
        assert app.live.snapshot().frames == frames
        await pilot.press("space")
        await wait_until(pilot, lambda: app.live.snapshot().frames > frames)

    run_app(monitor("single_face.mp4"), body)


def test_n_and_p_cycle_through_the_given_sources(monitor):
    async def body(app, pilot):
        await wait_until(
            pilot, lambda: "single_face" in app.live.snapshot().source_name
        )
        await pilot.press("n")
        await wait_until(pilot, lambda: "Wolfgang" in app.live.snapshot().source_name)
        await pilot.press("p")
        await wait_until(
            pilot, lambda: "single_face" in app.live.snapshot().source_name
        )
        assert app.source_index == 0

    run_app(monitor("single_face.mp4", "WolfgangLanger_Pexels.mp4"), body)


def test_a_missing_camera_gives_a_notice_and_the_app_keeps_running(monitor):
    async def body(app, pilot):
        await wait_until(pilot, lambda: app.live.snapshot().state == "running")
        await pilot.press("7")
        await wait_until(pilot, lambda: app.live.snapshot().state == "failed")
        await pilot.pause(0.2)
        assert any("camera 7" in m for m in _notices(app))
        await pilot.press("n")  # still responsive: back to a working source
        await wait_until(pilot, lambda: app.live.snapshot().state == "running")

    run_app(monitor("single_face.mp4"), body)


def test_o_opens_the_path_picker_and_switches_to_the_typed_file(monitor, media):
    async def body(app, pilot):
        await wait_until(pilot, lambda: app.live.snapshot().state == "running")
        await pilot.press("o")
        assert isinstance(app.screen, OpenPathScreen)
        app.screen.query_one("#path").value = str(media / "WolfgangLanger_Pexels.mp4")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Wolfgang" in app.live.snapshot().source_name)
        await wait_until(pilot, lambda: app.live.snapshot().state == "running")

    run_app(monitor("single_face.mp4"), body)


def test_u_opens_a_url_whose_password_is_masked_when_it_fails(monitor):
    async def body(app, pilot):
        await wait_until(pilot, lambda: app.live.snapshot().state == "running")
        await pilot.press("u")
        assert isinstance(app.screen, UrlScreen)
        # Port 9 on loopback is closed: the open fails at once.
        app.screen.query_one("#url").value = "rtsp://admin:s3cret@127.0.0.1:9/live"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.live.snapshot().state == "failed", 30)
        await pilot.pause(0.3)
        shown = " ".join(_notices(app)) + str(app.query_one("#status").render())
        assert "127.0.0.1:9" in shown
        assert "s3cret" not in shown

    run_app(monitor("single_face.mp4"), body)


def test_r_records_every_processed_frame_to_a_complete_file(monitor, tmp_path):
    async def body(app, pilot):
        await wait_until(pilot, lambda: app.live.snapshot().state == "running")
        await pilot.press("r")
        path = app.live.recording
        assert path and path.startswith(str(tmp_path))
        await wait_until(pilot, lambda: app.recorder.writer.frames_written >= 20)
        await pilot.press("r")
        assert app.live.recording is None
        lines = open(path).read().splitlines()
        assert len(lines) >= 20
        records = [json.loads(line) for line in lines]
        indices = [r["frame"] for r in records]
        assert indices == sorted(indices)
        assert all(r["faces"] for r in records[:5])

    run_app(monitor("single_face.mp4"), body)


def test_w_explains_that_there_is_no_display(monitor, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)

    async def body(app, pilot):
        await pilot.press("w")
        await pilot.pause(0.1)
        assert not app.window_on
        assert any("no display" in m for m in _notices(app))

    run_app(monitor("single_face.mp4"), body)


def test_f_hides_and_shows_the_frame_preview(monitor):
    async def body(app, pilot):
        assert app.query_one("#right").display
        await pilot.press("f")
        assert not app.query_one("#right").display
        await pilot.press("f")
        assert app.query_one("#right").display

    run_app(monitor("single_face.mp4"), body)


def test_question_mark_shows_help_and_t_the_training_screen(monitor):
    from emotion_tui.tui.screens.training import TrainingScreen

    async def body(app, pilot):
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("t")
        assert isinstance(app.screen, TrainingScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, TrainingScreen)
        # Capture kept running behind the training screen.
        await wait_until(pilot, lambda: app.live.snapshot().state == "running")

    run_app(monitor("single_face.mp4"), body)


def test_q_during_capture_ends_the_app_and_its_capture_thread(monitor):
    app = monitor("WolfgangLanger_Pexels.mp4")

    async def body(app, pilot):
        await wait_until(pilot, lambda: app.live.snapshot().frames > 5)
        await pilot.press("q")

    run_app(app, body)
    assert app.return_code == 0
    for thread in app.capture_threads:
        thread.join(timeout=2.0)
        assert not thread.is_alive()
    assert not [t for t in threading.enumerate() if t in app.capture_threads]


def test_end_of_a_video_is_announced_and_results_stay(monitor):
    async def body(app, pilot):
        await wait_until(pilot, lambda: app.live.snapshot().state == "ended", 30)
        await pilot.pause(0.3)
        assert any("ended" in m for m in _notices(app))
        assert app.live.snapshot().result is not None

    run_app(monitor("single_face.mp4", loop=False), body)


def test_training_from_the_monitor_runs_beside_the_capture(
    monitor, fer_folder, tmp_path
):
    from emotion_tui.core.train import TrainConfig
    from emotion_tui.tui.screens.training import TrainingScreen

    config = TrainConfig(
        data=str(fer_folder),
        run_dir=str(tmp_path / "run"),
        epochs=1,
        batch_size=32,
        limit_per_split=256,
    )

    async def body(app, pilot):
        await wait_until(pilot, lambda: app.live.snapshot().state == "running")
        await pilot.press("t")
        screen = app.screen
        assert isinstance(screen, TrainingScreen)
        screen.start(config)
        await pilot.press("escape")  # leave the screen: training goes on
        frames = app.live.snapshot().frames
        await wait_until(
            pilot, lambda: app.training_progress.snapshot().state == "finished", 180
        )
        assert app.live.snapshot().frames > frames  # capture never stopped
        assert app.live.snapshot().state == "running"
        assert len(app.training_progress.snapshot().history) == 1

    run_app(monitor("single_face.mp4"), body)


def test_a_missing_file_fails_with_its_path_in_the_status_and_no_face_shown(monitor):
    async def body(app, pilot):
        await wait_until(pilot, lambda: app.live.snapshot().state == "failed", 30)
        await pilot.pause(0.3)
        status = str(app.query_one("#status").render())
        assert status.startswith("failed  |  /") and "no_such_clip.mp4" in status
        no_face = app.query_one("#no-face")
        assert no_face.display
        # The hint sits under the empty table's header, not above it.
        assert no_face.region.y > app.query_one("#faces").region.y

    run_app(monitor("no_such_clip.mp4"), body)
