"""Evaluation metrics against numbers worked out by hand."""

from __future__ import annotations

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
