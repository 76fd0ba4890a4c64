"""Every kind of input a user can throw at it: it works, or says clearly why not."""

from __future__ import annotations

import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import run_source
from emotion_tui.core.classify import load_classifier
from emotion_tui.core.errors import ModelError, SourceError
from emotion_tui.core.frames import normalize_frame
from emotion_tui.core.preprocess import crop_face, faces_to_batch
from emotion_tui.core.sources import mask_url, open_source
from hypothesis import given, settings
from hypothesis import strategies as st


def _face(media, size=None) -> np.ndarray:
    image = cv2.imread(str(media / "single_face.jpg"))
    return cv2.resize(image, size) if size else image


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emotion_tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


# ----- images -----------------------------------------------------------------
def test_single_channel_jpeg_is_read_at_full_size(pipeline, media):
    (r,) = run_source(pipeline, media / "BWPictureHuman.jpg")
    assert r.width == 2560 and r.height == 1912
    # Decoding happens when the source opens; it still counts as the read stage
    # (a 2560x1912 JPEG takes milliseconds, not microseconds).
    assert r.stage_ms["read"] > 1.0


def test_gray_png_of_a_frontal_face_finds_it(pipeline, media, tmp_path):
    path = tmp_path / "gray.png"
    cv2.imwrite(str(path), cv2.cvtColor(_face(media), cv2.COLOR_BGR2GRAY))
    (r,) = run_source(pipeline, path)
    assert len(r.faces) == 1


def test_rgba_png_with_alpha_is_composited(pipeline, media, tmp_path):
    rgba = cv2.cvtColor(_face(media), cv2.COLOR_BGR2BGRA)
    rgba[:20, :, 3] = 0  # a transparent strip turns white
    path = tmp_path / "alpha.png"
    cv2.imwrite(str(path), rgba)
    (r,) = run_source(pipeline, path)
    assert len(r.faces) == 1
    (real,) = run_source(pipeline, media / "Image_with_alpha.png")
    assert real.width == 1524


def test_16_bit_png_works_like_the_8_bit_one(pipeline, media, tmp_path):
    path = tmp_path / "deep.png"
    cv2.imwrite(str(path), _face(media).astype(np.uint16) * 257)
    (r,) = run_source(pipeline, path)
    assert len(r.faces) == 1


def test_float_tiff_is_scaled_to_8_bit(pipeline, media, tmp_path):
    path = tmp_path / "float.tiff"
    cv2.imwrite(str(path), _face(media).astype(np.float32) / 255.0)
    (r,) = run_source(pipeline, path)
    assert len(r.faces) == 1


def test_palette_png_is_read_as_colour(pipeline, media, tmp_path):
    from PIL import Image

    path = tmp_path / "palette.png"
    rgb = cv2.cvtColor(_face(media), cv2.COLOR_BGR2RGB)
    Image.fromarray(rgb).convert("P", palette=Image.ADAPTIVE).save(path)
    (r,) = run_source(pipeline, path)
    assert len(r.faces) == 1


def test_a_tiny_image_gives_no_face_and_no_error(pipeline, tmp_path):
    path = tmp_path / "tiny.png"
    cv2.imwrite(str(path), np.full((10, 12, 3), 128, np.uint8))
    (r,) = run_source(pipeline, path)
    assert r.faces == ()


def test_a_huge_image_is_handled(pipeline, media, tmp_path):
    path = tmp_path / "huge.jpg"
    cv2.imwrite(str(path), _face(media, (8000, 7860)))
    (r,) = run_source(pipeline, path)
    assert r.width == 8000 and len(r.faces) == 1


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.jpg", b"", "empty file (0 bytes)"),
        ("text.png", b"hello, not a picture", "not an image OpenCV can decode"),
    ],
)
def test_broken_image_files_give_a_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError, match=re.escape(message)):
        open_source(str(path))
    done = _cli("run", str(path), "--no-ui")
    assert done.returncode == 1 and message in done.stderr
    assert "Traceback" not in done.stderr


def test_an_image_with_a_wrong_extension_is_still_read(pipeline, media, tmp_path):
    path = tmp_path / "photo.data"
    path.write_bytes((media / "single_face.jpg").read_bytes())
    (r,) = run_source(pipeline, path)
    assert len(r.faces) == 1


def test_a_missing_path_names_it(tmp_path):
    with pytest.raises(SourceError, match="no such file or folder: .*nothing.jpg"):
        open_source(str(tmp_path / "nothing.jpg"))


def test_a_folder_mixing_images_and_other_files_skips_the_others(
    pipeline, media, tmp_path
):
    (tmp_path / "a.jpg").write_bytes((media / "single_face.jpg").read_bytes())
    (tmp_path / "b.jpg").write_bytes(b"broken")
    (tmp_path / "c.txt").write_text("notes")
    (tmp_path / "d.png").write_bytes((media / "multi_face.jpg").read_bytes())
    results = run_source(pipeline, tmp_path)
    assert [len(r.faces) >= 1 for r in results] == [True, True]


def test_a_folder_without_images_is_refused(tmp_path):
    (tmp_path / "readme.txt").write_text("no pictures here")
    with pytest.raises(SourceError, match="holds no images"):
        open_source(str(tmp_path))


# ----- faces ------------------------------------------------------------------
def test_a_face_cut_by_the_frame_edge_is_still_classified(pipeline, media, tmp_path):
    image = _face(media)
    path = tmp_path / "cut.png"
    cv2.imwrite(str(path), image[:, 230:])  # the left part of the face is gone
    (r,) = run_source(pipeline, path)
    for face in r.faces:
        x, y, w, h = face.box
        assert (
            x >= 0 and x + w <= r.width and sum(face.raw) == pytest.approx(1, abs=1e-3)
        )


@pytest.mark.parametrize(
    "box", [(0, 0, 0, 0), (10, 10, -5, 20), (-50, -50, 10, 10), (590, 580, 100, 100)]
)
def test_degenerate_boxes_give_an_empty_crop_and_a_zero_input(box):
    gray = np.zeros((562, 572), np.uint8)
    assert crop_face(gray, box).size == 0 or box[0] + box[2] > 572
    batch = faces_to_batch(gray, [box])
    assert batch.shape == (1, 48, 48, 1)


def test_thirty_faces_in_one_frame(pipeline, media, tmp_path):
    tile = _face(media, (200, 200))
    grid = np.vstack([np.hstack([tile] * 6)] * 5)
    path = tmp_path / "crowd.png"
    cv2.imwrite(str(path), grid)
    from emotion_tui.core.detect import DetectorConfig, FaceDetector

    pipeline.detector = FaceDetector(DetectorConfig(still_detect_width_px=0))
    (r,) = run_source(pipeline, path)
    assert len(r.faces) == 30
    assert len({f.track_id for f in r.faces}) == 30


def test_a_pre_cropped_48x48_face_is_classified_whole(
    engine_options, classifier, fer_folder
):
    from dataclasses import replace

    options = replace(engine_options, whole_image_face=True)
    pipeline = options.build_with(classifier)
    happy = sorted((fer_folder / "test" / "happy").glob("PrivateTest_*"))[:20]
    emotions = [run_source(pipeline, p)[0].faces[0].emotion for p in happy]
    assert emotions.count("happy") >= 12


# ----- videos and streams -----------------------------------------------------
def test_a_file_that_is_not_a_video_gives_a_clear_error(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00" * 4096)
    with pytest.raises(SourceError, match="cannot open video .*clip.mp4"):
        open_source(str(path))


def test_a_closed_loopback_port_times_out_with_a_masked_message():
    done = _cli("run", "rtsp://viewer:hunter2@127.0.0.1:9/cam", "--no-ui")
    assert done.returncode == 1
    assert "cannot open stream rtsp://viewer:***@127.0.0.1:9/cam" in done.stderr
    assert "hunter2" not in done.stdout + done.stderr


def test_a_camera_index_that_does_not_exist():
    with pytest.raises(SourceError, match="cannot open camera 42"):
        open_source("42")


def test_passwords_are_masked_in_any_url_text():
    assert mask_url("rtsp://u:p@h/x and http://a:b@c:8080/") == (
        "rtsp://u:***@h/x and http://a:***@c:8080/"
    )
    assert mask_url("rtsp://host/stream") == "rtsp://host/stream"


def test_a_source_that_stops_delivering_frames_is_reported(
    engine_options, classifier, media
):
    import threading

    from emotion_tui.core.live import LiveState, capture_loop
    from emotion_tui.core.sources import CaptureSource

    class FlakyCamera(CaptureSource):
        """A real VideoCapture on a file that 'loses the cable' after 10 frames."""

        def read(self):
            if self._next_index >= 10:
                self.end_reason = f"{self.describe()} stopped delivering frames"
                return None
            return super().read()

    live = LiveState()
    import emotion_tui.core.live as live_module

    original = live_module.make_source
    live_module.make_source = lambda spec, loop=False: FlakyCamera(
        "0", str(media / "single_face.mp4"), "camera"
    )
    try:
        state = capture_loop(
            "0",
            lambda: engine_options.build_with(classifier),
            live,
            threading.Event(),
            threading.Event(),
        )
    finally:
        live_module.make_source = original
    snap = live.snapshot()
    assert state == "failed" and snap.frames == 10
    assert "stopped delivering frames" in snap.message
    assert snap.result is not None  # the last results stay


# ----- models -----------------------------------------------------------------
def test_missing_truncated_and_foreign_model_files(tmp_path, engine_options):
    with pytest.raises(ModelError, match="model file not found"):
        load_classifier(tmp_path / "none.tflite")
    truncated = tmp_path / "cut.tflite"
    truncated.write_bytes(engine_options.model.read_bytes()[:5000])
    with pytest.raises(ModelError, match="not a valid LiteRT model"):
        load_classifier(truncated)
    foreign = tmp_path / "foreign.keras"
    foreign.write_text("{}")
    with pytest.raises(ModelError, match="not a Keras model file"):
        load_classifier(foreign)
    unknown = tmp_path / "weights.pt"
    unknown.write_bytes(b"\x80\x04")
    with pytest.raises(ModelError, match="unknown model type"):
        load_classifier(unknown)


def test_a_model_of_another_architecture_is_refused(tmp_path):
    import keras

    other = keras.Sequential(
        [keras.Input((64, 64, 3)), keras.layers.Flatten(), keras.layers.Dense(5)]
    )
    path = tmp_path / "other.keras"
    other.save(path)
    with pytest.raises(ModelError, match="expected EmotionVGGNet"):
        load_classifier(path)
    done = _cli("run", "x.jpg", "--no-ui", "--model", str(path))
    assert done.returncode != 0 and "Traceback" not in done.stderr


# ----- any frame --------------------------------------------------------------
frame_shapes = st.tuples(st.integers(1, 300), st.integers(1, 300))
dtypes = st.sampled_from(
    [np.uint8, np.uint16, np.int16, np.float32, np.float64, np.bool_]
)


@settings(max_examples=60, deadline=None)
@given(
    shape=frame_shapes,
    channels=st.sampled_from([None, 1, 3, 4]),
    dtype=dtypes,
    seed=st.integers(0, 2**16),
)
def test_any_frame_normalises_detects_and_classifies(
    shape, channels, dtype, seed, engine_options, classifier
):
    rng = np.random.default_rng(seed)
    full = shape if channels is None else (*shape, channels)
    if dtype == np.bool_:
        image = rng.random(full) > 0.5
    elif np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        image = rng.integers(info.min, info.max, full, endpoint=True).astype(dtype)
    else:
        image = (rng.random(full) * rng.choice([1.0, 255.0])).astype(dtype)
    bgr = normalize_frame(image)
    assert bgr.dtype == np.uint8 and bgr.shape == (*shape, 3)

    from emotion_tui.core.sources import Frame

    pipeline = engine_options.build_with(classifier)
    result = pipeline.process(Frame(0, 0.0, bgr), still=True)
    for face in result.faces:
        assert face.box[2] > 0 and face.box[3] > 0
        assert sum(face.raw) == pytest.approx(1.0, abs=1e-3)


# ----- found by trying to break it ---------------------------------------------
def test_a_sub_folder_named_like_an_image_is_skipped(pipeline, media, tmp_path):
    (tmp_path / "sub.jpg").mkdir()
    (tmp_path / "a.jpg").write_bytes((media / "single_face.jpg").read_bytes())
    results = run_source(pipeline, tmp_path)
    assert len(results) == 1 and len(results[0].faces) == 1


def test_looping_a_folder_keeps_going_over_the_readable_images(media, tmp_path):
    (tmp_path / "a.jpg").write_bytes((media / "single_face.jpg").read_bytes())
    (tmp_path / "b.jpg").write_text("broken")
    (tmp_path / "c.jpg").write_bytes((media / "single_face.jpg").read_bytes())
    with open_source(str(tmp_path), loop=True) as source:
        names = [source.read().name.rsplit("/", 1)[-1] for _ in range(6)]
    assert names == ["a.jpg", "c.jpg"] * 3


def test_a_folder_of_unreadable_images_fails_with_exit_1(tmp_path):
    (tmp_path / "a.jpg").write_text("broken")
    done = _cli("run", str(tmp_path), "--no-ui")
    assert done.returncode == 1 and "no readable image" in done.stderr


def test_a_password_holding_an_at_sign_or_in_the_query_is_masked():
    assert mask_url("http://alice:p@ss@127.0.0.1:8/a?password=x&token=y&n=1") == (
        "http://alice:***@127.0.0.1:8/a?password=***&token=***&n=1"
    )


def test_options_before_run_are_kept(media):
    done = _cli(
        "--model", "/nope.tflite", "run", str(media / "single_face.jpg"), "--no-ui"
    )
    assert done.returncode == 2 and "model file not found: /nope.tflite" in done.stderr


def test_closing_the_output_pipe_is_quiet(media):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emotion_tui.cli",
            "run",
            str(media / "WolfgangLanger_Pexels.mp4"),
            "--no-ui",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in stderr


def test_a_failed_run_does_not_create_or_truncate_the_results_file(tmp_path):
    out = tmp_path / "keep.jsonl"
    out.write_text("precious\n")
    done = _cli(
        "run", str(tmp_path / "none.jpg"), "--no-ui", "--out", str(out), "--force"
    )
    assert done.returncode == 1 and out.read_text() == "precious\n"
    fresh = tmp_path / "fresh.csv"
    _cli("run", str(tmp_path / "none.jpg"), "--no-ui", "--out", str(fresh))
    assert not fresh.exists()


@pytest.mark.parametrize("value", ["1.0000001", "inf", "nan", "5"])
def test_unusable_scale_factors_are_refused(value):
    done = _cli("run", "x.jpg", "--no-ui", "--scale-factor", value)
    assert done.returncode == 2 and "scale factor" in done.stderr


def test_a_non_ascii_digit_is_not_taken_for_a_camera():
    done = _cli("run", "²", "--no-ui")
    assert done.returncode == 1 and "no such file or folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_model_path_that_is_a_folder_and_a_damaged_run_config(tmp_path):
    folder = tmp_path / "dir.tflite"
    folder.mkdir()
    done = _cli("run", "x.jpg", "--no-ui", "--model", str(folder))
    assert done.returncode == 2 and "is not a file" in done.stderr
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text('{"foo": 1}')
    done = _cli("train", "--resume", str(run), "--no-ui")
    assert done.returncode == 2 and "damaged" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_stalled_stream_shows_opening_after_the_model_loads(
    engine_options, classifier
):
    """A loopback server that accepts and never answers: while the stream opens,
    the state says so (not "loading model") and the password stays hidden."""
    import socket
    import threading

    from emotion_tui.core.live import LiveState, capture_loop

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    accepted = []

    def accept_forever():
        try:
            while True:
                accepted.append(server.accept()[0])
        except OSError:
            pass  # the socket was closed at the end of the test

    threading.Thread(target=accept_forever, daemon=True).start()

    changes = []

    class RecordingLive(LiveState):
        def set_state(self, state, message=""):
            changes.append((state, message))
            super().set_state(state, message)

    live = RecordingLive()

    def factory():
        live.set_state("loading", "loading model")
        return engine_options.build_with(classifier)

    try:
        state = capture_loop(
            f"http://viewer:s3cret@127.0.0.1:{port}/live.mjpg",
            factory,
            live,
            threading.Event(),
            threading.Event(),
        )
    finally:
        server.close()
        for conn in accepted:
            conn.close()
    assert state == "failed"
    states = [s for s, _ in changes]
    assert states[-3:] == ["loading", "opening", "failed"]
    assert all("s3cret" not in message for _, message in changes)
    assert "127.0.0.1" in changes[-2][1]
