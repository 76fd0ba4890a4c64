"""Evaluation metrics against numbers worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from emotion_tui.core.evaluate import score


def test_metrics_match_a_hand_computed_confusion_matrix():
    # true:      angry angry disgust happy happy happy sad
    # predicted: angry happy angry   happy happy sad   sad
    labels = np.array([0, 0, 1, 3, 3, 3, 5])
    predicted = np.array([0, 3, 0, 3, 3, 5, 5])
    m = score(labels, predicted)

    expected = np.zeros((7, 7), int)
    expected[0, 0] = expected[0, 3] = expected[1, 0] = 1
    expected[3, 3], expected[3, 5], expected[5, 5] = 2, 1, 1
    np.testing.assert_array_equal(m.confusion, expected)
    assert m.accuracy == pytest.approx(4 / 7)
    # With disgust merged into angry, the disgust->angry mistake becomes right.
    assert m.accuracy_6 == pytest.approx(5 / 7)
    assert m.precision["angry"] == pytest.approx(1 / 2)
    assert m.recall["angry"] == pytest.approx(1 / 2)
    assert m.precision["happy"] == pytest.approx(2 / 3)
    assert m.recall["happy"] == pytest.approx(2 / 3)
    assert m.precision["sad"] == pytest.approx(1 / 2)
    assert m.recall["sad"] == 1.0
    assert m.recall["disgust"] == 0.0
    # Macro-F1 over the four classes present: angry 1/2, disgust 0, happy 2/3, sad 2/3.
    assert m.macro_f1 == pytest.approx((0.5 + 0 + 2 / 3 + 2 / 3) / 4)


def test_card_of_a_run_started_from_trained_weights_tells_their_training(tmp_path):
    from emotion_tui.core.errors import DataError
    from emotion_tui.core.train import RunState, TrainConfig, save_config

    from emotion_tui.evaluate_cli import _training_section, card_training_lines

    run_dir = tmp_path / "run"
    config = TrainConfig(data="d", run_dir=str(run_dir), init_from="/x/parent.keras")
    config.extra["init_sha256"] = "ab" * 32
    save_config(config)
    state = RunState(run_dir)
    state.epochs_done, state.best_epoch, state.best_val_accuracy = 1, 1, 0.5
    state.history = [{"loss": 1.0, "accuracy": 0.5, "seconds": 60.0}]
    state.save()
    parent = tmp_path / "PARENT_CARD.md"
    parent.write_text(
        "# Model card\n\n## Training\n- Command: `emotion-tui train --epochs 40`\n"
        "- Epochs run: 40 of 40 planned.\n- Per-epoch loss: `training_history.csv`\n"
        "\n## Accuracy\n- not training\n"
    )

    lines = _training_section(run_dir, card_training_lines(parent))
    start = next(i for i, line in enumerate(lines) if "parent.keras" in line)
    assert "SHA-256 abababababab" in lines[start]
    assert lines[start + 1 : start + 3] == [
        "  - Command: `emotion-tui train --epochs 40`",
        "  - Epochs run: 40 of 40 planned.",
    ]
    assert not any("not training" in line or "  - Per-epoch" in line for line in lines)

    parent.write_text("# Model card\n\n## Accuracy\n- 60%\n")
    with pytest.raises(DataError, match="no training section"):
        card_training_lines(parent)
    with pytest.raises(DataError, match="cannot read"):
        card_training_lines(tmp_path / "missing.md")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("## Training\n- a\n  - b\n## Next\n- c\n", ["  - a", "    - b"]),
        ("# Card\n## Training \r\n* a\r\n\r\n## Accuracy\n", ["  * a"]),
        (
            "## Training\nTraining details: not recorded.\n",
            ["  - Training details: not recorded."],
        ),
    ],
)
def test_the_training_section_of_any_card_is_read(tmp_path, text, expected):
    from emotion_tui.evaluate_cli import card_training_lines

    card = tmp_path / "card.md"
    card.write_bytes(text.encode())
    assert card_training_lines(card) == expected


def test_unreadable_cards_are_one_line_errors(tmp_path):
    from emotion_tui.core.errors import DataError

    from emotion_tui.evaluate_cli import card_training_lines

    card = tmp_path / "card.md"
    card.write_bytes("## Training\n- caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        card_training_lines(card)


def test_augmentation_is_described_as_it_ran():
    from dataclasses import asdict

    from emotion_tui.core.train import TrainConfig

    from emotion_tui.evaluate_cli import _augmentation_text

    def text(**changes):
        return _augmentation_text(asdict(TrainConfig(data="", run_dir="", **changes)))

    assert text() == "horizontal flips and shifts by whole pixels (up to 4)"
    assert text(max_shift=0.0) == "horizontal flips"
    assert text(augment=False) == "none"
    # A run from before whole-pixel shifts: its config holds the warp's settings.
    assert text(max_rotation_deg=10.0, max_zoom=0.1) == (
        "horizontal flips and one resampling warp (shift up to 10%, rotation up to "
        "10.0 degrees, zoom up to 10%)"
    )


def test_evaluate_command_piped_prints_whole_lines_matching_the_engine(
    fer_csv, classifier
):
    import subprocess
    import sys
    from pathlib import Path

    from emotion_tui.core.dataset import load_fer2013
    from emotion_tui.core.evaluate import evaluate

    model = Path(__file__).parents[1] / "models" / "emotion_vggnet.tflite"
    done = subprocess.run(
        [sys.executable, "-m", "emotion_tui.cli", "evaluate", str(model)]
        + ["--data", str(fer_csv), "--split", "private"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    m = evaluate(classifier, load_fer2013(fer_csv)["private"])
    # Piped into a file or another program, rich must not wrap this line.
    expected = (
        f"accuracy {m.accuracy:.2%} (7 classes), {m.accuracy_6:.2%} (6 classes,"
        f" disgust merged into angry), macro-F1 {m.macro_f1:.3f}"
    )
    assert expected in done.stdout.splitlines()


# ----- bad input: one line, exit 2, before any work ---------------------------
MODEL = Path(__file__).parents[1] / "models" / "emotion_vggnet.tflite"


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if evaluate gets as far as loading the model."""

    def refuse(path, *args, **kwargs):
        raise AssertionError(f"loaded {path}: the bad input was found too late")

    monkeypatch.setattr("emotion_tui.evaluate_cli.load_classifier", refuse)


def _evaluate(capsys, *args: str | Path) -> tuple[int, str]:
    from emotion_tui.cli import main

    code = main(["evaluate", *(str(a) for a in args)])
    return code, capsys.readouterr().err


def _one_line_error(code: int, err: str, *names: str) -> None:
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("emotion-tui: error:"), err
    for name in names:
        assert name in err


@pytest.mark.parametrize("option", ["--json", "--card"])
@pytest.mark.parametrize(
    "target",
    ["missing/out.txt", "file.txt/out.txt", "folder", "same", "data"],
)
def test_an_output_that_cannot_be_written_stops_before_any_work(
    tmp_path, capsys, fer_csv, no_work, option, target
):
    (tmp_path / "file.txt").write_text("keep me")
    (tmp_path / "folder").mkdir()
    data = tmp_path / "data.csv"
    data.write_bytes(fer_csv.read_bytes())
    other = "--card" if option == "--json" else "--json"
    paths = {"same": tmp_path / "both.txt", "data": data}
    out = paths.get(target, tmp_path / target)
    code, err = _evaluate(
        capsys, MODEL, "--data", data, option, out, other, paths["same"]
    )
    _one_line_error(code, err, str(out))
    assert (tmp_path / "file.txt").read_text() == "keep me"
    assert data.read_bytes() == fer_csv.read_bytes()
    assert not paths["same"].exists()


def test_a_failed_write_keeps_the_other_results_and_is_one_line(
    tmp_path, capsys, fer_csv, monkeypatch
):
    import errno
    import json

    card, json_out = tmp_path / "card.md", tmp_path / "metrics.json"
    write_text = Path.write_text

    def disk_full(self, *args, **kwargs):
        if self == card:
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", disk_full)
    code, err = _evaluate(
        capsys, MODEL, "--data", fer_csv, "--card", card, "--json", json_out
    )
    _one_line_error(code, err, str(card), "No space left")
    assert json.loads(json_out.read_text())["splits"]["private"]["count"] > 0


def _run_folder(tmp_path: Path, **changes) -> Path:
    from emotion_tui.core.train import RunState, TrainConfig, save_config

    run_dir = tmp_path / "run"
    save_config(TrainConfig(data="d", run_dir=str(run_dir), **changes))
    state = RunState(run_dir)
    state.epochs_done, state.best_epoch, state.best_val_accuracy = 1, 1, 0.5
    state.history = [{"loss": 1.0, "accuracy": 0.5, "seconds": 60.0}]
    state.save()
    return run_dir


def _damage(run_dir: Path, how: str) -> None:
    import shutil

    config, state = run_dir / "config.json", run_dir / "state.json"
    if how == "truncated config":
        config.write_text(config.read_text()[:40])
    elif how == "config is a folder":
        config.unlink()
        config.mkdir()
    elif how == "config is a list":
        config.write_text("[1]")
    elif how == "state is a list":
        state.write_text("[]")
    elif how == "no state":
        state.unlink()
    elif how == "bad sitting":
        config.write_text(
            config.read_text().replace('"extra": {}', '"extra": {"sittings": [{}]}')
        )
    elif how == "missing folder":
        shutil.rmtree(run_dir)
    elif how == "plain file":
        shutil.rmtree(run_dir)
        run_dir.write_text("not a run")


DAMAGES = [
    "truncated config",
    "config is a folder",
    "config is a list",
    "state is a list",
    "no state",
    "bad sitting",
    "missing folder",
    "plain file",
]


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_run_folder_stops_before_any_work(
    tmp_path, capsys, fer_csv, no_work, how
):
    run_dir = _run_folder(tmp_path)
    _damage(run_dir, how)
    card = tmp_path / "card.md"
    code, err = _evaluate(
        capsys, MODEL, "--data", fer_csv, "--card", card, "--run-dir", run_dir
    )
    _one_line_error(code, err, str(run_dir))
    assert not card.exists()


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_run_folder_with_an_init_card_stops_before_any_work(
    tmp_path, capsys, fer_csv, no_work, how
):
    run_dir = _run_folder(tmp_path, init_from=str(tmp_path / "parent.keras"))
    _damage(run_dir, how)
    parent = tmp_path / "PARENT_CARD.md"
    parent.write_text("## Training\n- Command: `emotion-tui train`\n")
    card = tmp_path / "card.md"
    code, err = _evaluate(
        capsys,
        *(MODEL, "--data", fer_csv, "--card", card, "--run-dir", run_dir),
        *("--init-card", parent),
    )
    _one_line_error(code, err, str(run_dir))
    assert not card.exists()


def test_run_dir_without_card_is_refused(tmp_path, capsys, fer_csv, no_work):
    run_dir = _run_folder(tmp_path)
    code, err = _evaluate(capsys, MODEL, "--data", fer_csv, "--run-dir", run_dir)
    _one_line_error(code, err, "--run-dir", "--card")


def test_a_keras_model_of_another_architecture_is_refused(tmp_path, capsys, fer_csv):
    import keras
    from emotion_tui.core.classify import load_classifier
    from emotion_tui.core.errors import ModelError

    other = keras.Sequential(
        [keras.Input((48, 48, 1)), keras.layers.Flatten(), keras.layers.Dense(7)]
    )
    path = tmp_path / "other.keras"
    other.save(path)
    with pytest.raises(ModelError, match="not an EmotionVGGNet"):
        load_classifier(path)
    card = tmp_path / "card.md"
    code, err = _evaluate(capsys, path, "--data", fer_csv, "--card", card)
    _one_line_error(code, err, str(path), "EmotionVGGNet")
    assert not card.exists()


def test_the_card_names_the_data_format_it_was_evaluated_on(tmp_path, capsys, fer_csv):
    card = tmp_path / "card.md"
    code, err = _evaluate(capsys, MODEL, "--data", fer_csv, "--card", card)
    assert code == 0, err
    text = card.read_text()
    assert "folder layout" not in text
    assert f"original CSV file `{fer_csv.name}`" in text
    assert f"--data {fer_csv} " in text


def test_evaluate_refuses_an_output_hard_linked_to_its_model(fer_csv, tmp_path):
    import os
    import shutil

    from emotion_tui.core.errors import OutputError

    from emotion_tui.evaluate_cli import evaluate_command

    model = tmp_path / "m.tflite"
    shutil.copy(Path(__file__).parents[1] / "models" / "emotion_vggnet.tflite", model)
    before = model.read_bytes()
    os.link(model, tmp_path / "report.json")
    with pytest.raises(OutputError, match="would replace an input"):
        evaluate_command(
            model, fer_csv, ["private"], False, tmp_path / "report.json", None, None
        )
    assert model.read_bytes() == before


def test_a_keras_model_without_the_softmax_head_is_refused(tmp_path):
    import keras
    from emotion_tui.core.classify import load_keras_model
    from emotion_tui.core.errors import ModelError
    from emotion_tui.core.model import build_emotion_vggnet

    model = build_emotion_vggnet()
    model.get_layer("probabilities").activation = keras.activations.linear
    path = tmp_path / "linear.keras"
    model.save(path)
    rebuilt = keras.saving.load_model(path)
    assert rebuilt.get_layer("probabilities").get_config()["activation"] == "linear"
    with pytest.raises(ModelError, match="not an EmotionVGGNet"):
        load_keras_model(path)
