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
from .core.errors import DataError, OutputError
from .core.evaluate import Metrics, evaluate
from .core.train import RunState, TrainConfig, load_config, shift_pixels
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
    # Everything that can be wrong with the options is found before the work.
    outputs = {"--json": json_out, "--card": card}
    run_files = [run_dir / n for n in ("config.json", "state.json")] if run_dir else []
    _check_outputs(outputs, inputs=[model, data, init_card, *run_files])
    training = _card_training(card, run_dir, init_card)
    with native_stderr_to(None):
        classifier = load_classifier(model)
    loaded = load_fer2013(data)
    wanted = [s for s in SPLITS if s in loaded] if card else splits
    report: dict = {
        "model": str(model),
        "data": str(data),
        "data_format": "folder" if data.is_dir() else "csv",
        "splits": {},
    }
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
    texts = {"--json": lambda: json.dumps(report, indent=1)}
    if training is not None:
        texts["--card"] = lambda: render_card(
            report, model, tta, training, init_card is not None
        )
    written = _write_outputs(outputs, texts)
    if card in written:
        console.print(f"wrote {card}")
    return report


def _check_outputs(outputs: dict[str, Path | None], inputs: list) -> None:
    """Stop before any work when an output file could not be written.

    Args:
        outputs: the output files by option name; ``None`` for those not asked for.
        inputs: files the command reads, which an output must not replace.

    Raises:
        OutputError: naming the option, the file and what is wrong with it.
    """
    taken = {_identity(Path(p)): "an input" for p in inputs if p is not None}
    for option, path in outputs.items():
        if path is None:
            continue
        identity = _identity(path)
        folder = path.parent
        if path.is_dir():
            problem = "is a folder; give a file name"
        elif not folder.exists():
            problem = f"cannot be written: folder {folder} does not exist"
        elif not folder.is_dir():
            problem = f"cannot be written: {folder} is not a folder"
        elif not os.access(path if path.exists() else folder, os.W_OK):
            problem = "cannot be written: permission denied"
        elif identity in taken:
            problem = f"would replace {taken[identity]}"
        else:
            taken[identity] = f"the output of {option}"
            continue
        raise OutputError(f"{option} {path} {problem}")


def _identity(path: Path):
    """The file a path names: its device and inode when it exists (so hard and
    symbolic links to one file match), else its resolved path."""
    try:
        stat = path.stat()
    except OSError:
        return path.resolve()
    return (stat.st_dev, stat.st_ino)


def _write_outputs(outputs: dict[str, Path | None], texts: dict) -> list[Path]:
    """Write each output file; one that fails does not cost the others.

    Raises:
        OutputError: for the first file that could not be written, once every
            other one has been.
    """
    written, failures = [], []
    for option, path in outputs.items():
        if path is None or option not in texts:
            continue
        try:
            path.write_text(texts[option](), encoding="utf-8")
        except OSError as exc:
            failures.append(f"cannot write {option} {path}: {_reason(exc)}")
        else:
            written.append(path)
    if failures:
        kept = f" ({', '.join(map(str, written))} written)" if written else ""
        raise OutputError(failures[0] + kept)
    return written


def _card_training(
    card: Path | None, run_dir: Path | None, init_card: Path | None
) -> list[str] | None:
    """The card's training section, read before any work so a bad run stops early.

    Returns:
        ``None`` when no card is asked for.

    Raises:
        DataError: the run folder or the starting weights' card is missing or
            damaged, or they are given without a card.
    """
    if init_card is not None and (card is None or run_dir is None):
        raise DataError("--init-card needs --card and the --run-dir of the run")
    if card is None:
        if run_dir is not None:
            raise DataError("--run-dir needs --card: it adds to the model card")
        return None
    if run_dir is None:
        return _training_section(None)
    config, state = _load_run(run_dir)
    init_lines = None
    if init_card is not None:
        if not config.init_from:
            raise DataError(
                f"--init-card: the run in {run_dir} started from random weights"
            )
        init_lines = card_training_lines(init_card)
    return _describe_run(run_dir, config, state, init_lines)


def _load_run(run_dir: Path) -> tuple[TrainConfig, RunState]:
    """The settings and progress of a training run folder.

    Raises:
        DataError: the folder is missing, not a run, or its files are damaged.
    """
    if not run_dir.is_dir():
        problem = "is not a folder" if run_dir.exists() else "does not exist"
        raise DataError(f"--run-dir {run_dir} {problem}")
    config = load_config(run_dir)
    state = RunState(run_dir)
    if not state.state_file.exists():
        raise DataError(f"{run_dir}: no epoch of this run has finished (no state.json)")
    state.load()
    return config, state


def _reason(exc: Exception) -> str:
    """What went wrong reading a file, in a few words."""
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    if isinstance(exc, KeyError):
        return f"no {exc} entry"
    return str(exc)


def _training_section(
    run_dir: Path | None, init_lines: list[str] | None = None
) -> list[str]:
    if run_dir is None:
        return ["Training details: not recorded with this evaluation."]
    return _describe_run(run_dir, *_load_run(run_dir), init_lines)


def _describe_run(
    run_dir: Path,
    run_config: TrainConfig,
    state: RunState,
    init_lines: list[str] | None,
) -> list[str]:
    """The training section's bullets, or a one-line error for a damaged record."""
    try:
        return _run_lines(dataclasses.asdict(run_config), state, init_lines)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(
            f"{run_dir}: the run's record is damaged ({_reason(exc)})"
        ) from None


def _run_lines(
    config: dict, state: RunState, init_lines: list[str] | None
) -> list[str]:
    history = state.history
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
        f"- Epochs run: {state.epochs_done} of {config['epochs']} planned"
        + (" (early stop)" if state.stopped_early else "")
        + f"; shipped weights are from epoch {state.best_epoch}, the best by "
        f"PublicTest accuracy ({state.best_val_accuracy:.2%}).",
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


def _data_text(report: dict) -> str:
    """Where the splits came from: the folder layout or the original CSV."""
    if report["data_format"] == "folder":
        return (
            "FER2013 in the folder layout: `Training_*` to train, `PublicTest_*` to "
            "choose the epoch, `PrivateTest_*` reported once."
        )
    return (
        f"FER2013 as the original CSV file `{Path(report['data']).name}`, split by "
        "its Usage column: `Training` to train, `PublicTest` to choose the epoch, "
        "`PrivateTest` reported once."
    )


def render_card(
    report: dict,
    model: Path,
    tta: bool,
    training: list[str],
    from_init_card: bool = False,
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
        _data_text(report),
        "",
        "| split | images |",
        "| --- | --- |",
        *(f"| {SPLIT_TITLES[s]} | {splits[s]['count']} |" for s in splits),
        "",
        "## Training",
        *training,
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
        + (" --init-card CARD" if from_init_card else "")
        + "`, which strips the optimiser, "
        "exports the LiteRT file and runs the evaluation below.",
        "",
        f"`emotion-tui evaluate models/{model.name} --data {report['data']} "
        "--card models/MODEL_CARD.md --json models/metrics.json"
        + (" --tta" if tta else "")
        + "`",
        "",
    ]
    return "\n".join(lines)
