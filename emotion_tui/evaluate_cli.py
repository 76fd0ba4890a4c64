"""``emotion-tui evaluate``: scores in the terminal, JSON, and the model card."""

from __future__ import annotations

import json
import os
import platform
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .core.classify import load_classifier
from .core.dataset import SPLITS, load_fer2013
from .core.emotions import EMOTIONS
from .core.errors import DataError
from .core.evaluate import Metrics, evaluate
from .quiet import native_stderr_to

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
    console = console or Console()
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
        card.write_text(render_card(report, model, run_dir, tta, init_card))
        console.print(f"wrote {card}")
    return report


def _training_section(run_dir: Path | None, init_card: Path | None) -> list[str]:
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
            + ("; their own card says how they were trained:" if init_card else ".")
        )
        if init_card:
            start.extend(_card_training_lines(init_card))
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


def _card_training_lines(card: Path) -> list[str]:
    """The training section of another model card, indented one level."""
    try:
        text = card.read_text()
    except OSError as exc:
        raise DataError(f"cannot read model card {card}: {exc.strerror}")
    section = text.partition("\n## Training\n")[2].partition("\n## ")[0]
    lines = [
        f"  {line}"
        for line in section.splitlines()
        if line.lstrip().startswith("- ") and "training_history" not in line
    ]
    if not lines:
        raise DataError(f"{card} has no training section")
    return lines


def _augmentation_text(config: dict) -> str:
    if not config["augment"]:
        return "none"
    shift_px = int(config["max_shift"] * 48)
    parts = [f"horizontal flips, shifts by whole pixels (up to {shift_px})"]
    if config["max_rotation_deg"] or config["max_zoom"]:
        parts.append(
            f"a resampling warp (rotation up to {config['max_rotation_deg']} "
            f"degrees, zoom up to {config['max_zoom']:.0%})"
        )
    return ", ".join(parts)


def render_card(
    report: dict,
    model: Path,
    run_dir: Path | None,
    tta: bool,
    init_card: Path | None = None,
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
        *_training_section(run_dir, init_card),
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
        + (" --init-card CARD" if init_card else "")
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
