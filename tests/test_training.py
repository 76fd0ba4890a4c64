"""Short real training runs on a FER2013 subset: checkpoints, history, resume."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from emotion_tui.core.errors import DataError, ModelError
from emotion_tui.core.train import (
    RunState,
    TrainConfig,
    TrainingListener,
    learning_rate_at,
    load_config,
    run_training,
    save_config,
    shift_pixels,
)
from emotion_tui.core.train_progress import TrainingProgress


def _config(fer_folder, run_dir, epochs):
    return TrainConfig(
        data=str(fer_folder),
        run_dir=str(run_dir),
        epochs=epochs,
        batch_size=32,
        limit_per_split=320,
        patience=5,
    )


def test_two_epochs_write_checkpoints_history_and_plot(fer_folder, tmp_path):
    run_dir = tmp_path / "run"
    state = run_training(_config(fer_folder, run_dir, 2))
    assert state.epochs_done == 2
    for name in (
        "last.keras",
        "best.keras",
        "state.json",
        "config.json",
        "history.csv",
        "history.png",
    ):
        assert (run_dir / name).stat().st_size > 0, name
    with (run_dir / "history.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert all(0.0 <= float(r["val_accuracy"]) <= 1.0 for r in rows)
    assert not list(run_dir.glob("*.partial*"))


def test_resume_continues_from_epoch_one_with_the_same_history(fer_folder, tmp_path):
    run_dir = tmp_path / "run"
    first = run_training(_config(fer_folder, run_dir, 1))
    assert first.epochs_done == 1
    epoch_one = json.loads((run_dir / "state.json").read_text())["history"][0]

    config = load_config(run_dir)
    config.epochs = 2
    resumed = run_training(config, resume=True)
    assert resumed.epochs_done == 2
    history = json.loads((run_dir / "state.json").read_text())["history"]
    assert len(history) == 2 and history[0] == epoch_one


def test_starting_over_an_existing_run_is_refused(fer_folder, tmp_path):
    run_dir = tmp_path / "run"
    run_training(_config(fer_folder, run_dir, 1))
    with pytest.raises(DataError, match="already holds a run"):
        run_training(_config(fer_folder, run_dir, 1))


def test_stop_request_keeps_completed_epochs_and_drops_the_partial_one(
    fer_folder, tmp_path
):
    run_dir = tmp_path / "run"
    stop = threading.Event()

    class StopInSecondEpoch(TrainingListener):
        def on_batch(self, epoch, step, steps, logs):
            if epoch == 1 and step == 3:
                stop.set()

    state = run_training(_config(fer_folder, run_dir, 3), StopInSecondEpoch(), stop)
    assert state.epochs_done == 1
    saved = RunState(run_dir)
    saved.load()
    assert saved.epochs_done == 1 and len(saved.history) == 1


def test_learning_rate_warms_up_then_decays_to_the_floor():
    config = TrainConfig(
        data="",
        run_dir="",
        epochs=10,
        learning_rate=1e-3,
        min_learning_rate=1e-5,
        warmup_epochs=1,
    )
    rates = [learning_rate_at(config, e) for e in range(10)]
    assert rates[0] < rates[1] == pytest.approx(1e-3)
    assert all(a >= b for a, b in zip(rates[1:], rates[2:]))
    assert rates[-1] == pytest.approx(1e-5)


def test_a_moved_run_folder_resumes_where_it_is_now(fer_folder, tmp_path):
    original = tmp_path / "first"
    run_training(_config(fer_folder, original, 1))
    moved = tmp_path / "moved"
    original.rename(moved)

    config = load_config(moved)
    assert config.run_dir == str(moved)
    config.epochs = 2
    assert run_training(config, resume=True).epochs_done == 2
    assert not original.exists()
    assert len(json.loads((moved / "state.json").read_text())["history"]) == 2


def test_resume_options_extend_the_run_and_replace_its_patience(tmp_path):
    from emotion_tui.cli import build_parser, train_config_from_args

    run_dir = tmp_path / "run"
    save_config(TrainConfig(data="d", run_dir=str(run_dir), epochs=40, patience=12))
    parser = build_parser()

    args = parser.parse_args(["train", "--resume", str(run_dir)])
    config, resume = train_config_from_args(args, parser)
    assert resume and (config.epochs, config.patience) == (40, 12)

    args = parser.parse_args(
        ["train", "--resume", str(run_dir), "--epochs", "90", "--patience", "50"]
    )
    config, _ = train_config_from_args(args, parser)
    assert (config.epochs, config.patience) == (90, 50)

    args = parser.parse_args(["train", "--data", "d", "--run-dir", str(tmp_path / "x")])
    assert train_config_from_args(args, parser)[0].patience == 10


def test_progress_shows_the_learning_rate_of_the_epoch_in_progress():
    config = TrainConfig(data="", run_dir="", epochs=10, warmup_epochs=1)
    state = RunState(Path("unused"))
    progress = TrainingProgress()

    progress.on_start(config, state, steps=5)
    assert progress.snapshot().learning_rate == pytest.approx(
        learning_rate_at(config, 0)
    )
    progress.on_batch(0, 5, 5, {})
    assert progress.snapshot().eta_s == 0
    state.history.append({"val_accuracy": 0.5, "lr": learning_rate_at(config, 0)})
    state.epochs_done = 1
    progress.on_epoch(1, state.history[-1], state)
    snap = progress.snapshot()
    assert snap.epoch == 2 and snap.step == 0
    assert snap.eta_s is None  # not the finished epoch's 0:00
    assert snap.learning_rate == pytest.approx(learning_rate_at(config, 1))
    assert snap.learning_rate != pytest.approx(learning_rate_at(config, 0))


def test_resuming_a_finished_run_trains_nothing_and_records_no_sitting(
    fer_folder, tmp_path
):
    run_dir = tmp_path / "run"
    run_training(_config(fer_folder, run_dir, 1))
    before = (run_dir / "config.json").read_text()
    state = run_training(load_config(run_dir), resume=True)
    assert state.epochs_done == 1
    assert (run_dir / "config.json").read_text() == before


def _augmented(config: TrainConfig, images: np.ndarray) -> np.ndarray:
    import tensorflow as tf
    from emotion_tui.core.train import _augment_fn

    tf.random.set_seed(5)
    x = tf.constant(images[..., np.newaxis], tf.float32)
    out, _ = _augment_fn(config)(x, tf.zeros([len(images)]))
    return out.numpy()[..., 0]


def _matching_move(image: np.ndarray, moved: np.ndarray, max_px: int):
    """The (flip, dx, dy) that turns image into moved exactly, or None."""
    inner = slice(max_px, 48 - max_px)
    for flip in (False, True):
        source = image[:, ::-1] if flip else image
        for dy in range(-max_px, max_px + 1):
            for dx in range(-max_px, max_px + 1):
                shifted = np.roll(source, (dy, dx), axis=(0, 1))
                if np.array_equal(shifted[inner, inner], moved[inner, inner]):
                    return flip, dx, dy
    return None


def _noise_faces(n: int) -> np.ndarray:
    # Random pixels: no shift or flip but the right one can match by chance.
    return np.random.default_rng(3).random((n, 48, 48)).astype(np.float32)


def test_default_augmentation_moves_whole_pixels_and_never_blurs():
    faces = _noise_faces(24)
    config = TrainConfig(data="", run_dir="")  # the defaults: shift 0.1 = 4 px
    assert shift_pixels(config) == 4 and not config.resamples
    moved = _augmented(config, faces)

    moves = [_matching_move(a, b, 4) for a, b in zip(faces, moved)]
    assert None not in moves, "an augmented face is not a flip/shift of its source"
    assert {flip for flip, _, _ in moves} == {False, True}
    assert len({(dx, dy) for _, dx, dy in moves}) > 5
    assert max(max(abs(dx), abs(dy)) for _, dx, dy in moves) == 4


def test_rotation_resamples_the_face_and_shifts_join_the_warp():
    faces = _noise_faces(8)
    config = TrainConfig(data="", run_dir="", max_rotation_deg=15.0)
    assert config.resamples
    moved = _augmented(config, faces)
    assert sum(_matching_move(a, b, 4) is None for a, b in zip(faces, moved)) >= 6


def test_a_shift_in_pixels_from_the_command_line_is_kept_exactly():
    from emotion_tui.cli import build_parser, train_config_from_args

    parser = build_parser()
    for pixels in (0, 3, 4, 7):
        args = parser.parse_args(["train", "--data", "d", "--shift", str(pixels)])
        config, _ = train_config_from_args(args, parser)
        assert shift_pixels(config) == pixels
    args = parser.parse_args(["train", "--data", "d"])
    config, _ = train_config_from_args(args, parser)
    assert (shift_pixels(config), config.max_rotation_deg, config.max_zoom) == (4, 0, 0)


@pytest.mark.parametrize(
    "option",
    [
        ["--shift", "3"],
        ["--init-from", "m.keras"],
        ["--no-augment"],
        ["--data", "other.csv"],
        ["--run-dir", "elsewhere"],
        ["--batch-size", "8"],
        ["--learning-rate", "0.1"],
        ["--seed", "3"],
        ["--limit", "5"],
    ],
)
def test_options_of_a_new_run_are_refused_with_resume(option, tmp_path, capsys):
    from emotion_tui.cli import build_parser, train_config_from_args

    save_config(TrainConfig(data="d", run_dir=str(tmp_path)))
    parser = build_parser()
    args = parser.parse_args(["train", "--resume", str(tmp_path), *option])
    with pytest.raises(SystemExit) as stop:
        train_config_from_args(args, parser)
    assert stop.value.code == 2
    assert f"train: error: {option[0]}: only for a new run" in capsys.readouterr().err


def test_a_run_can_start_from_a_trained_models_weights(tmp_path):
    import keras
    from emotion_tui.core.model import build_emotion_vggnet
    from emotion_tui.core.train import build_compiled_model

    source = build_emotion_vggnet()
    source.save(tmp_path / "source.keras")
    config = TrainConfig(data="", run_dir="", init_from=str(tmp_path / "source.keras"))
    model = build_compiled_model(config)
    for got, want in zip(model.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(got, want)
    fresh = build_compiled_model(TrainConfig(data="", run_dir=""))
    assert not np.array_equal(fresh.get_weights()[0], source.get_weights()[0])

    other = keras.Sequential(
        [keras.Input((48, 48, 1)), keras.layers.Flatten(), keras.layers.Dense(7)]
    )
    other.save(tmp_path / "other.keras")
    for bad, message in (
        ("other.keras", "not an EmotionVGGNet"),
        ("missing.keras", "not found"),
        ("model.tflite", "needs a .keras"),
    ):
        config.init_from = str(tmp_path / bad)
        with pytest.raises(ModelError, match=message):
            build_compiled_model(config)


@pytest.mark.parametrize(
    "option",
    [
        ["--shift", "25"],
        ["--shift", "1.5"],
        ["--rotation", "-1"],
        ["--zoom", "nan"],
        ["--learning-rate", "1"],
        ["--seed", "-1"],
        ["--seed", str(2**31)],
    ],
)
def test_out_of_range_augmentation_options_are_refused(option, capsys):
    from emotion_tui.cli import build_parser

    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["train", "--data", "d", *option])
    assert stop.value.code == 2
    assert f"error: argument {option[0]}" in capsys.readouterr().err


def test_a_run_from_trained_weights_records_their_digest(fer_folder, tmp_path):
    import hashlib

    from emotion_tui.core.model import build_emotion_vggnet

    start = tmp_path / "start.keras"
    build_emotion_vggnet().save(start)
    config = _config(fer_folder, tmp_path / "run", 1)
    config.init_from = str(start)
    run_training(config)
    saved = load_config(tmp_path / "run")
    assert saved.init_from == str(start)
    assert saved.extra["init_sha256"] == hashlib.sha256(start.read_bytes()).hexdigest()


def test_a_bad_starting_model_is_one_line_and_exit_2(fer_folder, tmp_path, capsys):
    from emotion_tui.cli import main

    (tmp_path / "junk.keras").write_bytes(b"not a zip")
    code = main(
        [
            "train",
            "--data",
            str(fer_folder),
            "--init-from",
            str(tmp_path / "junk.keras"),
            "--run-dir",
            str(tmp_path / "run"),
            "--no-ui",
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "junk.keras" in err
    assert not (tmp_path / "run" / "config.json").exists()


def test_no_eta_until_the_first_batch_of_an_epoch_is_done():
    config = TrainConfig(data="", run_dir="", epochs=3)
    progress = TrainingProgress()
    progress.on_start(config, RunState(Path("unused")), steps=10)
    progress.on_batch(0, 1, 10, {})
    assert progress.snapshot().eta_s is None
    progress.on_batch(0, 2, 10, {})
    assert progress.snapshot().eta_s is not None


def _steps_in(path: Path) -> int:
    import keras

    return int(keras.saving.load_model(path).optimizer.iterations)


def _fail_on_call(number: int, original, counts=lambda *args: True):
    """Wrap ``original`` so that its ``number``-th counted call dies like a killed
    process."""
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(counts(*args))
        if sum(calls) == number and calls[-1]:
            raise SystemExit("killed")
        return original(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize("killed_in", ["state save", "move into place"])
def test_a_kill_while_an_epoch_is_saved_leaves_matching_state_and_weights(
    fer_folder, tmp_path, monkeypatch, killed_in
):
    from emotion_tui.core import train

    run_dir = tmp_path / "run"
    config = _config(fer_folder, run_dir, 3)
    if killed_in == "state save":  # epoch 2's checkpoint written, not recorded
        monkeypatch.setattr(RunState, "save", _fail_on_call(2, RunState.save))
        recorded = 1
    else:  # epoch 2 recorded, its checkpoint not yet moved into place
        monkeypatch.setattr(
            train,
            "_committed_name",
            _fail_on_call(
                2, train._committed_name, lambda p: p.name.startswith("last")
            ),
        )
        recorded = 2
    with pytest.raises(SystemExit):
        run_training(config)
    monkeypatch.undo()
    state = RunState(run_dir)
    state.load()
    assert state.epochs_done == recorded
    steps_per_epoch = state.iterations // recorded

    resumed = run_training(load_config(run_dir), resume=True)
    assert resumed.epochs_done == 3 and len(resumed.history) == 3
    # Exactly three epochs of updates: none lost, none trained twice.
    assert _steps_in(run_dir / "last.keras") == 3 * steps_per_epoch
    assert _steps_in(run_dir / "best.keras") == resumed.best_iterations
    assert not list(run_dir.glob("*.partial*"))


def test_a_run_stopped_in_its_first_epoch_resumes_from_the_start(fer_folder, tmp_path):
    run_dir = tmp_path / "run"
    stop = threading.Event()

    class StopInFirstEpoch(TrainingListener):
        def on_batch(self, epoch, step, steps, logs):
            if step == 2:
                stop.set()

    first = run_training(_config(fer_folder, run_dir, 2), StopInFirstEpoch(), stop)
    assert first.epochs_done == 0 and not (run_dir / "state.json").exists()
    resumed = run_training(load_config(run_dir), resume=True)
    assert resumed.epochs_done == 2 and len(resumed.history) == 2


def test_a_training_set_smaller_than_a_batch_is_refused_before_any_file(
    fer_folder, tmp_path
):
    config = _config(fer_folder, tmp_path / "run", 1)
    config.limit_per_split, config.batch_size = 20, 32
    with pytest.raises(DataError, match="20 training images, fewer than one batch"):
        run_training(config)
    assert not (tmp_path / "run").exists()


def test_a_run_folder_that_is_a_file_is_refused(fer_folder, tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(DataError, match="is a file, not a folder"):
        run_training(_config(fer_folder, tmp_path / "afile", 1))


def test_a_damaged_checkpoint_or_history_stops_resume_with_one_line(
    fer_folder, tmp_path
):
    run_dir = tmp_path / "run"
    run_training(_config(fer_folder, run_dir, 1))
    config = load_config(run_dir)
    config.epochs = 2
    last = run_dir / "last.keras"
    good = last.read_bytes()
    last.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match="last.keras is damaged"):
        run_training(config, resume=True)
    last.unlink()
    with pytest.raises(DataError, match="last.keras is missing"):
        run_training(config, resume=True)
    last.write_bytes(good)
    state = json.loads((run_dir / "state.json").read_text())
    (run_dir / "state.json").write_text(json.dumps({**state, "history": [1]}))
    with pytest.raises(DataError, match="not a list of epoch rows"):
        run_training(config, resume=True)


def test_resume_rewrites_history_files_a_kill_left_behind(
    fer_folder, tmp_path, monkeypatch
):
    from emotion_tui.core import train

    run_dir = tmp_path / "run"
    # Killed in the last epoch after state.json was saved, before history.csv.
    monkeypatch.setattr(
        train, "write_history_csv", _fail_on_call(2, train.write_history_csv)
    )
    with pytest.raises(SystemExit):
        run_training(_config(fer_folder, run_dir, 2))
    monkeypatch.undo()
    (run_dir / "history.partial.png").write_bytes(b"half a plot")
    with (run_dir / "history.csv").open() as stream:
        assert len(list(csv.DictReader(stream))) == 1

    finished = run_training(load_config(run_dir), resume=True)
    assert finished.epochs_done == 2
    with (run_dir / "history.csv").open() as stream:
        assert [r["epoch"] for r in csv.DictReader(stream)] == ["1", "2"]
    assert not list(run_dir.glob("*.partial*"))


@pytest.mark.parametrize(
    "change",
    [{"extra": None}, {"batch_size": 2.5}, {"limit_per_split": "abc"}, "folder"],
)
def test_a_damaged_config_stops_resume_with_one_line(tmp_path, change):
    save_config(TrainConfig(data="d", run_dir=str(tmp_path)))
    path = tmp_path / "config.json"
    if change == "folder":
        path.unlink()
        path.mkdir()
    else:
        path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    with pytest.raises(DataError, match="config.json"):
        load_config(tmp_path)
