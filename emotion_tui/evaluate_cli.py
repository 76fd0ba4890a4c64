"""``emotion-tui evaluate``: scores in the terminal, JSON, and the model card."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import sys
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .core.classify import load_classifier
from .core.dataset import SPLITS, load_fer2013
from .core.emotions import EMOTIONS
from .core.errors import DataError
from .core.evaluate import Metrics, evaluate
from .core.train import TrainConfig, shift_pixels
from .quiet import native_stderr_to

_CONFIG_FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}
SPLIT_TITLES = {"train": "Training", "public": "PublicTest", "private": "PrivateTest"}


def metrics_table(name: str, m: Metrics, tta: Metrics | None) -> Table:
    table = Table(title=f"{SPLIT_TITLES.get(name, name)}: {m.count} images")
    table.add_column("class")
    for column in ("precision", "recall", "F1", "images"):
        table.add_column(column, justify="right")
    for i, emotion in enumerate(EMOTIONS):
        table.add_row(
            emotion,
            f"{m.precision[emotion]:.3f}",
            f"{m.recall[emotion]:.3f}",
            f"{m.f1[emotion]:.3f}",
            str(int(m.confusion[i].sum())),
        )
    table.caption = (
        f"accuracy {m.accuracy:.2%} (7 classes), {m.accuracy_6:.2%} (6 classes, "
        f"disgust merged into angry), macro-F1 {m.macro_f1:.3f}"
        + (f"; with flip TTA {tta.accuracy:.2%}" if tta else "")
    )
    return table


def confusion_table(m: Metrics) -> Table:
    table = Table(title="confusion (rows: true, columns: predicted)")
    table.add_column("")
    for emotion in EMOTIONS:
        table.add_column(emotion[:5], justify="right")
    for i, emotion in enumerate(EMOTIONS):
        table.add_row(emotion, *(str(int(v)) for v in m.confusion[i]))
    return table


def evaluate_command(
    model: Path,
    data: Path,
    splits: list[str],
    tta: bool,
    json_out: Path | None,
    card: Path | None,
    run_dir: Path | None,
    console: Console | None = None,
    init_card: Path | None = None,
) -> dict:
    # Piped output keeps whole lines: rich would wrap them at 80 columns.
    console = console or Console(soft_wrap=not sys.stdout.isatty())
    init_lines = _init_training_lines(init_card, card, run_dir)
    with native_stderr_to(None):
        classifier = load_classifier(model)
    loaded = load_fer2013(data)
    wanted = [s for s in SPLITS if s in loaded] if card else splits
    report: dict = {"model": str(model), "data": str(data), "splits": {}}
    for name in wanted:
        if name not in loaded:
            raise DataError(f"{data}: no {name} split")
        m = evaluate(classifier, loaded[name])
        m_tta = (
            evaluate(classifier, loaded[name], flip_tta=True)
            if tta and name in splits
            else None
        )
        entry = m.to_dict()
        if m_tta:
            entry["flip_tta"] = m_tta.to_dict()
        report["splits"][name] = entry
        if name in splits:
            console.print(metrics_table(name, m, m_tta))
            console.print(confusion_table(m))
    if json_out:
        json_out.write_text(json.dumps(report, indent=1))
    if card:
        card.write_text(render_card(report, model, run_dir, tta, init_lines))
        console.print(f"wrote {card}")
    return report


def _init_training_lines(
    init_card: Path | None, card: Path | None, run_dir: Path | None
) -> list[str] | None:
    """Read the starting weights' card before any work, so a bad one stops early."""
    if init_card is None:
        return None
    config = run_dir / "config.json" if run_dir else None
    if card is None or config is None or not config.exists():
        raise DataError("--init-card needs --card and the --run-dir of the run")
    if not json.loads(config.read_text()).get("init_from"):
        raise DataError(
            f"--init-card: the run in {run_dir} started from random weights"
        )
    return card_training_lines(init_card)


def _training_section(
    run_dir: Path | None, init_lines: list[str] | None = None
) -> list[str]:
    if run_dir is None or not (run_dir / "state.json").exists():
        return ["Training details: not recorded with this evaluation."]
    config = json.loads((run_dir / "config.json").read_text())
    state = json.loads((run_dir / "state.json").read_text())
    history = state["history"]
    command = config.get("extra", {}).get("command") or (
        f"emotion-tui train --data {config['data']} --epochs {config['epochs']} "
        f"--batch-size {config['batch_size']} "
        f"--learning-rate {config['learning_rate']} "
        f"--patience {config['patience']} --seed {config['seed']} --no-ui"
    )
    minutes = sum(r.get("seconds", 0.0) for r in history) / 60
    sittings = config.get("extra", {}).get("sittings", [])
    if sittings:
        commands = [
            f"- Sitting from epoch {s['from_epoch'] + 1} ({s['started']}), "
            f"{s['epochs']} epochs in all: `{s['command']}`"
            for s in sittings
        ]
    else:
        commands = [f"- Command: `{command}`"]
    start = []
    if config.get("init_from"):
        digest = config.get("extra", {}).get("init_sha256", "")[:12]
        start.append(
            f"- Started from the weights of `{Path(config['init_from']).name}`"
            + (f" (SHA-256 {digest}...)" if digest else "")
            + ", not from random ones"
            + ("; their own card says how they were trained:" if init_lines else ".")
        )
        start.extend(init_lines or [])
    return [
        *commands,
        *start,
        f"- Epochs run: {state['epochs_done']} of {config['epochs']} planned"
        + (" (early stop)" if state.get("stopped_early") else "")
        + f"; shipped weights are from epoch {state['best_epoch']}, the best by "
        f"PublicTest accuracy ({state['best_val_accuracy']:.2%}).",
        f"- Optimiser: Adam, batch {config['batch_size']}, peak learning rate "
        f"{config['learning_rate']}, {config['warmup_epochs']} warm-up epoch(s), then "
        f"cosine decay to {config['min_learning_rate']}.",
        f"- Augmentation: {_augmentation_text(config)}.",
        f"- Seed: {config['seed']}. Training time: {minutes:.0f} minutes on "
        f"{platform.machine()} CPU ({os.cpu_count()} cores).",
        "- Per-epoch loss, accuracy and learning rate: `training_history.csv`; the "
        "curves: `training_history.png`.",
    ]


def card_training_lines(card: Path) -> list[str]:
    """The training section of another model card, as bullets indented one level.

    Raises:
        DataError: the card cannot be read or has no training section.
    """
    try:
        text = card.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise DataError(f"cannot read model card {card}: {reason}")
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("#"):
            inside = line.strip().lstrip("#").strip().lower() == "training"
        elif inside and line.strip() and "training_history" not in line:
            item = line.rstrip()
            if not item.lstrip().startswith(("- ", "* ")):
                item = f"- {item.strip()}"
            lines.append(f"  {item}")
    if not lines:
        raise DataError(f"{card} has no training section")
    return lines


def _augmentation_text(config: dict) -> str:
    if not config["augment"]:
        return "none"
    cfg = TrainConfig(**{k: v for k, v in config.items() if k in _CONFIG_FIELDS})
    if cfg.resamples:
        return (
            f"horizontal flips and one resampling warp (shift up to "
            f"{cfg.max_shift:.0%}, rotation up to {cfg.max_rotation_deg} degrees, "
            f"zoom up to {cfg.max_zoom:.0%})"
        )
    pixels = shift_pixels(cfg)
    if not pixels:
        return "horizontal flips"
    return f"horizontal flips and shifts by whole pixels (up to {pixels})"


def render_card(
    report: dict,
    model: Path,
    run_dir: Path | None,
    tta: bool,
    init_lines: list[str] | None = None,
) -> str:
    splits = report["splits"]
    lines = [
        "# Model card: EmotionVGGNet (emotion-tui)",
        "",
        f"Generated by `emotion-tui evaluate` on {date.today().isoformat()}.",
        "",
        "## Model",
        "- Architecture: EmotionVGGNet, 48x48x1 grayscale input, two VGG blocks "
        "(32 and 64 filters), two dense layers of 64, 7-way softmax; 660,775 "
        "parameters.",
        "- Files: `emotion_vggnet.keras` (Keras 3, weights and architecture), "
        "`emotion_vggnet.tflite` (float32 LiteRT export, used by the live monitor).",
        f"- Classes, in output order: {', '.join(EMOTIONS)}.",
        "",
        "## Data",
        "FER2013 in the folder layout: `Training_*` to train, `PublicTest_*` to choose "
        "the epoch, `PrivateTest_*` reported once.",
        "",
        "| split | images |",
        "| --- | --- |",
        *(f"| {SPLIT_TITLES[s]} | {splits[s]['count']} |" for s in splits),
        "",
        "## Training",
        *_training_section(run_dir, init_lines),
        "",
        "## Accuracy (evaluated file: `" + model.name + "`)",
        "",
        "| split | accuracy, 7 classes | accuracy, 6 classes | macro-F1 |"
        + (" flip TTA, 7 classes |" if tta else ""),
        "| --- | --- | --- | --- |" + (" --- |" if tta else ""),
    ]
    for s, m in splits.items():
        row = (
            f"| {SPLIT_TITLES[s]} | {m['accuracy']:.2%} | {m['accuracy_6class']:.2%} "
            f"| {m['macro_f1']:.3f} |"
        )
        if tta:
            flip = m.get("flip_tta")
            row += f" {flip['accuracy']:.2%} |" if flip else " - |"
        lines.append(row)
    if "private" in splits:
        m = splits["private"]
        lines += [
            "",
            "## PrivateTest per class",
            "",
            "| class | images | recall (per-class accuracy) | precision | F1 |",
            "| --- | --- | --- | --- | --- |",
        ]
        for i, e in enumerate(EMOTIONS):
            lines.append(
                f"| {e} | {sum(m['confusion'][i])} | {m['recall'][e]:.2%} "
                f"| {m['precision'][e]:.2%} | {m['f1'][e]:.3f} |"
            )
        lines += [
            "",
            "Confusion matrix (rows: true class, columns: predicted class):",
            "",
            "| | " + " | ".join(EMOTIONS) + " |",
            "| --- " * (len(EMOTIONS) + 1) + "|",
        ]
        for i, e in enumerate(EMOTIONS):
            lines.append(
                f"| {e} | " + " | ".join(str(v) for v in m["confusion"][i]) + " |"
            )
    lines += [
        "",
        "## Reproduce",
        "The shipped files come from the run's `best.keras` through "
        "`python scripts/release_model.py RUN_DIR"
        + (" --init-card CARD" if init_lines else "")
        + "`, which strips the optimiser, "
        "exports the LiteRT file and runs the evaluation below.",
        "",
        f"`emotion-tui evaluate models/{model.name} --data ../shared/data/fer2013 "
        "--card models/MODEL_CARD.md --json models/metrics.json"
        + (" --tta" if tta else "")
        + "`",
        "",
    ]
    return "\n".join(lines)
