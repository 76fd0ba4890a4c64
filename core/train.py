"""The training recipe for EmotionVGGNet, with checkpoints that survive a kill.

A run lives in one folder::

    run_dir/
      config.json     the settings the run was started with
      last.keras      model + optimiser after the last completed epoch
      best.keras      model of the best epoch by validation accuracy
      state.json      completed epochs, history, best epoch (written last)
      history.csv     one row per epoch
      history.png     the curves (written when matplotlib is installed)

Every file is written to a temporary name and renamed, so a kill at any moment
leaves the previous epoch's checkpoint intact.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from .dataset import Split, load_fer2013
from .emotions import FACE_SIZE_PX
from .errors import DataError
from .preprocess import face_to_input

log = logging.getLogger(__name__)

HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds")


# What each annotation of TrainConfig (a string, with postponed evaluation) accepts.
_FIELD_TYPES = {
    "str": str,
    "int": int,
    "float": (int, float),
    "bool": bool,
    "dict": dict,
    "int | None": (int, type(None)),
    "str | None": (str, type(None)),
}


@dataclass
class TrainConfig:
    """Settings of one training run; saved with the run so it can be resumed."""

    data: str
    run_dir: str
    epochs: int = 40
    batch_size: int = 64
    learning_rate: float = 1e-3
    min_learning_rate: float = 1e-5
    warmup_epochs: int = 1
    patience: int = 10
    seed: int = 1234
    augment: bool = True
    # With rotation and zoom off (the default) shifts move whole pixels, so every
    # training face stays as sharp as the faces the model is tested on: fine-tuned
    # on such faces, a model trained with the warp gained two points on PublicTest.
    max_shift: float = 0.1  # of the face width
    max_rotation_deg: float = 0.0
    max_zoom: float = 0.0
    jit_compile: bool = False
    limit_per_split: int | None = None
    init_from: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def resamples(self) -> bool:
        """Whether augmentation warps (and so blurs) the faces."""
        return bool(self.max_rotation_deg or self.max_zoom)

    def validate(self) -> None:
        for f in fields(self):  # a hand-edited config.json may hold anything
            value = getattr(self, f.name)
            is_flag = isinstance(value, bool)
            if not isinstance(value, _FIELD_TYPES[f.type]) or (
                is_flag and f.type != "bool"
            ):
                raise ValueError(f"{f.name} has the wrong type: {value!r}")
        if self.epochs < 1:
            raise ValueError("epochs must be at least 1")
        if self.batch_size < 1:
            raise ValueError("batch size must be at least 1")
        if not 0 < self.learning_rate < 1:
            raise ValueError("learning rate must be between 0 and 1")
        if not 0 <= self.max_shift <= 0.5:
            raise ValueError("shift must be between 0 and 0.5 of the width")
        if not 0 <= self.max_rotation_deg <= 90:
            raise ValueError("rotation must be between 0 and 90 degrees")
        if not 0 <= self.max_zoom <= 0.5:
            raise ValueError("zoom must be between 0 and 0.5")
        if not 0 <= self.seed < 2**31:
            raise ValueError("seed must be from 0 to 2**31-1")


def learning_rate_at(config: TrainConfig, epoch: int) -> float:
    """Linear warm-up, then cosine decay to ``min_learning_rate`` at the last epoch."""
    if epoch < config.warmup_epochs:
        return config.learning_rate * (epoch + 1) / (config.warmup_epochs + 1)
    span = max(1, config.epochs - config.warmup_epochs - 1)
    progress = min(1.0, (epoch - config.warmup_epochs) / span)
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
    low, high = config.min_learning_rate, config.learning_rate
    return low + (high - low) * cosine


def to_inputs(split: Split, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Preprocess a split with the same function inference uses."""
    images, labels = split.images, split.labels
    if limit is not None:
        images, labels = _random_subset(images, labels, limit)
    x = np.stack([face_to_input(image) for image in images])
    return x, labels


def _random_subset(images, labels, limit: int):
    rng = np.random.default_rng(0)
    order = rng.permutation(len(labels))[:limit]
    return images[order], labels[order]


class RunState:
    """What a run has completed: epochs, history and best epoch."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.epochs_done = 0
        self.history: list[dict[str, float]] = []
        self.best_epoch: int | None = None
        self.best_val_accuracy = -1.0
        self.stopped_early = False
        # Optimizer steps behind last.keras and best.keras: on resume they tell
        # a checkpoint that was written but not yet moved into place (see _recover).
        self.iterations: int | None = None
        self.best_iterations: int | None = None
        self.end_reason = ""

    @property
    def state_file(self) -> Path:
        return self.run_dir / "state.json"

    def load(self) -> None:
        """Read state.json.

        Raises:
            DataError: it cannot be read, or a field is missing or of a wrong type.
        """
        try:
            self._load(json.loads(self.state_file.read_text()))
        except OSError as exc:
            reason = exc.strerror or exc
            raise DataError(f"cannot read {self.state_file}: {reason}") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = f"no {exc} entry" if isinstance(exc, KeyError) else exc
            raise DataError(f"{self.state_file} is damaged ({reason})") from None

    def _load(self, data: dict) -> None:
        self.epochs_done = int(data["epochs_done"])
        self.history = data["history"]
        if not isinstance(self.history, list) or not all(
            isinstance(row, dict)
            and all(isinstance(v, (int, float)) for v in row.values())
            for row in self.history
        ):
            raise ValueError("history is not a list of epoch rows")
        if len(self.history) != self.epochs_done:
            raise ValueError("history and epochs_done disagree")
        best = data["best_epoch"]
        self.best_epoch = None if best is None else int(best)
        self.best_val_accuracy = float(data["best_val_accuracy"])
        self.stopped_early = bool(data.get("stopped_early", False))
        self.iterations = data.get("iterations")
        self.best_iterations = data.get("best_iterations")

    def save(self) -> None:
        data = {
            "epochs_done": self.epochs_done,
            "history": self.history,
            "best_epoch": self.best_epoch,
            "best_val_accuracy": self.best_val_accuracy,
            "stopped_early": self.stopped_early,
            "iterations": self.iterations,
            "best_iterations": self.best_iterations,
        }
        atomic_write_text(self.state_file, json.dumps(data, indent=1))
        write_history_csv(self.run_dir / "history.csv", self.history)


def atomic_write_text(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    with partial.open("w") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    partial.replace(path)


def write_history_csv(path: Path, history: list[dict[str, float]]) -> None:
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(("epoch", *HISTORY_KEYS))
        for i, row in enumerate(history, start=1):
            writer.writerow(
                (i, *(f"{row.get(k, float('nan')):.6g}" for k in HISTORY_KEYS))
            )
    partial.replace(path)


def save_config(config: TrainConfig) -> None:
    run_dir = Path(config.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "config.json", json.dumps(asdict(config), indent=1))


def load_config(run_dir: str | Path) -> TrainConfig:
    path = Path(run_dir) / "config.json"
    if not path.exists():
        raise DataError(f"{run_dir}: not a training run folder (no config.json)")
    try:
        config = TrainConfig(**json.loads(path.read_text()))
        config.validate()
    except (ValueError, TypeError, AttributeError) as exc:
        raise DataError(f"{path} is damaged ({exc}); start a new run") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    # A run folder that was moved or copied resumes where it is now.
    config.run_dir = str(Path(run_dir))
    return config


def shift_pixels(config: TrainConfig) -> int:
    """The largest whole-pixel shift of the sharp augmentation."""
    return math.floor(config.max_shift * FACE_SIZE_PX + 1e-6)


def _augment_fn(config: TrainConfig):
    """Random flips and shifts, plus rotation and zoom when the config asks.

    Without rotation and zoom (the default) the shifts are whole pixels, and
    flips and whole-pixel shifts copy pixels without resampling them. Rotation
    and zoom resample the face (bilinear), which blurs a 48x48 image; shifts
    then join the same warp as fractions of the width.
    """
    import tensorflow as tf

    size = float(FACE_SIZE_PX)
    center = (size - 1.0) / 2.0
    max_px = shift_pixels(config)

    def augment(x, y):
        n = tf.shape(x)[0]
        flip = tf.where(tf.random.uniform([n]) < 0.5, -1.0, 1.0)
        angle = tf.random.uniform([n], -1.0, 1.0) * (
            config.max_rotation_deg * math.pi / 180
        )
        scale = 1.0 + tf.random.uniform([n], -config.max_zoom, config.max_zoom)
        if config.resamples:
            limit = config.max_shift
            shift = tf.random.uniform([n, 2], -limit, limit) * size
        else:
            whole = tf.random.uniform([n, 2], -max_px, max_px + 1, tf.int32)
            shift = tf.cast(whole, tf.float32)
        # One combined inverse map (output -> input pixel), so the image is
        # resampled at most once: flip, rotate and zoom about the centre, then
        # shift. Without rotation and zoom it maps pixel centres onto pixel
        # centres, and bilinear sampling copies them exactly.
        cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
        a0, a1 = cos * flip, -sin
        b0, b1 = sin * flip, cos
        a2 = center - a0 * center - a1 * center - shift[:, 0]
        b2 = center - b0 * center - b1 * center - shift[:, 1]
        zeros = tf.zeros([n])
        transforms = tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
        x = tf.raw_ops.ImageProjectiveTransformV3(
            images=x,
            transforms=transforms,
            output_shape=tf.constant([48, 48]),
            fill_value=0.0,
            interpolation="BILINEAR",
            fill_mode="REFLECT",
        )
        return x, y

    return augment


def make_datasets(config: TrainConfig, train: Split, val: Split):
    """Build the shuffled, augmented training dataset and the validation dataset."""
    import tensorflow as tf

    x_train, y_train = to_inputs(train, config.limit_per_split)
    x_val, y_val = to_inputs(val, config.limit_per_split)
    train_ds = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(len(y_train), seed=config.seed, reshuffle_each_iteration=True)
        .batch(config.batch_size, drop_remainder=True)
    )
    if config.augment:
        train_ds = train_ds.map(_augment_fn(config), num_parallel_calls=1)
    train_ds = train_ds.prefetch(2)
    val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(256)
    return train_ds, val_ds, len(y_train)


def build_compiled_model(config: TrainConfig):
    from .model import build_emotion_vggnet

    model = build_emotion_vggnet()
    if config.init_from:
        model.set_weights(_initial_weights(Path(config.init_from), model))
    compile_model(model, config)
    return model


def _initial_weights(path: Path, model) -> list:
    """The weights of a trained EmotionVGGNet file, to start a new run from."""
    from .classify import load_keras_model
    from .errors import ModelError

    if path.suffix.lower() != ".keras":
        raise ModelError(f"--init-from needs a .keras EmotionVGGNet, got {path}")
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    weights = load_keras_model(path).get_weights()
    if [w.shape for w in weights] != [w.shape for w in model.get_weights()]:
        raise ModelError(f"{path} is not an EmotionVGGNet: its layers differ")
    return weights


def compile_model(model, config: TrainConfig) -> None:
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
        jit_compile=config.jit_compile,
    )


class TrainingListener:
    """Receives progress of a run; every method is optional to override.

    Methods are called from the thread that runs the training.
    """

    def on_start(self, config: TrainConfig, state: RunState, steps: int) -> None: ...

    def on_batch(self, epoch: int, step: int, steps: int, logs: dict) -> None: ...

    def on_epoch(self, epoch: int, row: dict, state: RunState) -> None: ...

    def on_end(self, state: RunState, reason: str) -> None: ...


def _checkpoint_callback(config, state, listener, stop_event, steps):
    import keras

    run_dir = Path(config.run_dir)

    class Checkpoint(keras.callbacks.Callback):
        interrupted = False

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.monotonic()
            self.interrupted = False
            lr = learning_rate_at(config, epoch)
            self.model.optimizer.learning_rate.assign(lr)
            self.lr = lr

        def on_train_batch_end(self, batch, logs=None):
            listener.on_batch(state.epochs_done, batch + 1, steps, logs or {})
            if stop_event is not None and stop_event.is_set():
                self.interrupted = True
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            if self.interrupted:
                return  # a partial epoch is never recorded as done
            logs = dict(logs or {})
            row = {k: float(logs[k]) for k in HISTORY_KEYS[:4] if k in logs}
            row["lr"] = self.lr
            row["seconds"] = time.monotonic() - self.started
            state.history.append(row)
            state.epochs_done = epoch + 1
            # Write the checkpoints aside, record the epoch, then move them into
            # place: killed at any moment, the run keeps a state.json and
            # checkpoints of the same epoch (_recover settles a half-done move).
            state.iterations = int(self.model.optimizer.iterations)
            written = [_write_partial(self.model, run_dir / "last.keras")]
            if row.get("val_accuracy", -1.0) > state.best_val_accuracy:
                state.best_val_accuracy = row["val_accuracy"]
                state.best_epoch = epoch + 1
                state.best_iterations = state.iterations
                written.append(_write_partial(self.model, run_dir / "best.keras"))
            if state.best_epoch is not None and (
                state.epochs_done - state.best_epoch >= config.patience
            ):
                state.stopped_early = True
                self.model.stop_training = True
            state.save()
            for partial in written:
                partial.replace(_committed_name(partial))
            plot_history(state.history, run_dir / "history.png")
            listener.on_epoch(epoch + 1, row, state)

    return Checkpoint()


def _partial_name(path: Path) -> Path:
    return path.with_name(path.stem + ".partial.keras")


def _committed_name(partial: Path) -> Path:
    return partial.with_name(partial.name.replace(".partial.keras", ".keras"))


def _write_partial(model, path: Path) -> Path:
    partial = _partial_name(path)
    model.save(partial)
    return partial


def _recover(state: RunState) -> None:
    """Settle checkpoints left half-moved by a kill at the end of an epoch.

    A ``.partial.keras`` whose optimizer steps match state.json was written for
    the recorded epoch and only the move into place was missed: finish it. Any
    other partial file was cut short before the epoch was recorded: drop it.
    """
    import keras

    for name, expected in (
        ("last.keras", state.iterations),
        ("best.keras", state.best_iterations),
    ):
        partial = _partial_name(state.run_dir / name)
        if not partial.exists():
            continue
        try:
            steps = int(keras.saving.load_model(partial).optimizer.iterations)
        except Exception:  # a file cut short: Keras raises many kinds
            steps = None
        if expected is not None and steps == expected:
            partial.replace(state.run_dir / name)
        else:
            partial.unlink()


def _tidy(state: RunState) -> None:
    """Rewrite the history files from state.json and drop half-written files.

    A kill after state.json was saved but before the CSV and the plot were can
    leave them an epoch behind; they are cheap to write again.
    """
    for leftover in (
        *state.run_dir.glob("*.partial"),
        *state.run_dir.glob("*.partial.png"),
    ):
        leftover.unlink(missing_ok=True)
    write_history_csv(state.run_dir / "history.csv", state.history)
    if state.history:
        plot_history(state.history, state.run_dir / "history.png")


def _load_checkpoint(path: Path):
    import keras

    if not path.is_file():
        raise DataError(f"{path} is missing; the run cannot be resumed")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as exc:  # zip, h5 and Keras errors alike
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise DataError(
            f"{path} is damaged ({reason}); the run cannot be resumed"
        ) from None


def plot_history(history: list[dict[str, float]], path: Path) -> bool:
    """Write the loss and accuracy curves as a PNG; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    epochs = range(1, len(history) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for key, ax in (("loss", ax_loss), ("accuracy", ax_acc)):
        ax.plot(epochs, [r.get(key) for r in history], label=f"train {key}")
        ax.plot(epochs, [r.get(f"val_{key}") for r in history], label=f"val {key}")
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    partial = path.with_name(path.stem + ".partial.png")
    fig.savefig(partial, dpi=90)
    plt.close(fig)
    partial.replace(path)
    return True


def run_training(
    config: TrainConfig,
    listener: TrainingListener | None = None,
    stop_event=None,
    resume: bool = False,
) -> RunState:
    """Train (or resume) a run and return what it completed.

    Args:
        config: the run's settings; ``config.run_dir`` receives the checkpoints.
        listener: gets start, batch, epoch and end events.
        stop_event: a ``threading.Event``; setting it stops after the current
            batch, keeping every completed epoch.
        resume: continue from ``run_dir/last.keras`` and ``state.json``.
    """
    import keras

    config.validate()
    listener = listener or TrainingListener()
    run_dir = Path(config.run_dir)
    state = RunState(run_dir)
    keras.utils.set_random_seed(config.seed)

    if resume and not state.state_file.exists():
        # Stopped before its first epoch ended: nothing to keep, so start over
        # with the run's own settings.
        for leftover in run_dir.glob("*.partial*"):
            leftover.unlink()
        model = build_compiled_model(config)
    elif resume:
        state.load()
        _recover(state)
        _tidy(state)
        model = _load_checkpoint(run_dir / "last.keras")
        # Different random streams per resumed sitting, still reproducible.
        keras.utils.set_random_seed((config.seed + state.epochs_done) % 2**32)
    else:
        if state.state_file.exists():
            raise DataError(
                f"{run_dir} already holds a run; use --resume or a new folder"
            )
        model = build_compiled_model(config)
    if resume and (state.epochs_done >= config.epochs or state.stopped_early):
        # Nothing left to train: report it, and record no empty sitting.
        listener.on_end(state, "finished")
        return state
    # Each sitting of a run is kept with the command that started it.
    config.extra.setdefault("sittings", []).append(
        {
            "from_epoch": state.epochs_done,
            "epochs": config.epochs,
            "command": " ".join(["emotion-tui", *sys.argv[1:]]) if sys.argv else "",
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
    )
    if run_dir.exists() and not run_dir.is_dir():
        raise DataError(f"--run-dir {run_dir} is a file, not a folder")
    splits = load_fer2013(config.data)
    for needed in ("train", "public"):
        if needed not in splits:
            raise DataError(f"{config.data}: no {needed} split found")
    if config.init_from and not resume:
        digest = hashlib.sha256(Path(config.init_from).read_bytes()).hexdigest()
        config.extra["init_sha256"] = digest
    train_ds, val_ds, n_train = make_datasets(config, splits["train"], splits["public"])
    steps = n_train // config.batch_size
    if steps == 0:
        raise DataError(
            f"{config.data}: {n_train} training images, fewer than one batch of"
            f" {config.batch_size}; use a smaller --batch-size"
        )
    try:
        save_config(config)  # only once the data loads: a bad --data leaves nothing
    except OSError as exc:
        raise DataError(f"cannot write the run folder {run_dir}: {exc.strerror or exc}")

    reason = "finished"
    listener.on_start(config, state, steps)
    checkpoint = _checkpoint_callback(config, state, listener, stop_event, steps)
    try:
        model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=config.epochs,
            initial_epoch=state.epochs_done,
            callbacks=[checkpoint],
            shuffle=False,  # the dataset shuffles itself each epoch
            verbose=0,
        )
    except KeyboardInterrupt:
        reason = "interrupted"
    if checkpoint.interrupted:
        reason = "stopped"
    elif state.stopped_early:
        reason = "early stop"
    state.end_reason = reason
    listener.on_end(state, reason)
    return state
