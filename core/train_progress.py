"""Thread-safe training progress that a UI can sample while training runs."""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field

from .train import (
    RunState,
    TrainConfig,
    TrainingListener,
    learning_rate_at,
    run_training,
)


@dataclass
class ProgressSnapshot:
    state: str = "idle"  # idle, loading, training, stopping, finished, stopped, failed
    message: str = ""
    run_dir: str = ""
    epochs: int = 0
    epoch: int = 0  # the epoch in progress, 1-based
    step: int = 0
    steps: int = 0
    images_per_s: float = 0.0
    eta_s: float | None = None
    learning_rate: float | None = None  # of the epoch in progress
    best_epoch: int | None = None
    best_val_accuracy: float | None = None
    history: list[dict] = field(default_factory=list)


class TrainingProgress(TrainingListener):
    """Collects a run's events; ``snapshot()`` gives a consistent copy."""

    def __init__(self):
        self._lock = threading.Lock()
        self._snap = ProgressSnapshot()
        self._epoch_started = time.monotonic()
        self._batch_size = 1
        self._config: TrainConfig | None = None
        self.stop_event = threading.Event()
        self.seq = 0

    def _update(self, **changes) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(self._snap, key, value)
            self.seq += 1

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            return copy.deepcopy(self._snap)

    def on_start(self, config: TrainConfig, state: RunState, steps: int) -> None:
        self._batch_size = config.batch_size
        self._config = config
        self._epoch_started = time.monotonic()
        self._update(
            learning_rate=learning_rate_at(config, state.epochs_done),
            state="training",
            message="",
            run_dir=config.run_dir,
            epochs=config.epochs,
            epoch=state.epochs_done + 1,
            step=0,
            steps=steps,
            history=list(state.history),
            best_epoch=state.best_epoch,
            best_val_accuracy=state.best_val_accuracy if state.best_epoch else None,
        )

    def on_batch(self, epoch: int, step: int, steps: int, logs: dict) -> None:
        if step <= 1:
            # The clock starts when the first batch is done (it also carries the
            # epoch's set-up); the rate shown until then is the last epoch's.
            self._epoch_started = time.monotonic()
            self._update(epoch=epoch + 1, step=step, steps=steps, eta_s=None)
            return
        elapsed = max(1e-6, time.monotonic() - self._epoch_started)
        done = step - 1
        rate = done * self._batch_size / elapsed
        eta = (steps - step) * elapsed / done
        self._update(
            epoch=epoch + 1, step=step, steps=steps, images_per_s=rate, eta_s=eta
        )

    def on_epoch(self, epoch: int, row: dict, state: RunState) -> None:
        self._update(
            history=list(state.history),
            epoch=epoch + 1,
            step=0,
            eta_s=None,  # known again after the next epoch's first batch
            learning_rate=(
                learning_rate_at(self._config, epoch)
                if self._config is not None
                else row.get("lr")
            ),
            best_epoch=state.best_epoch,
            best_val_accuracy=state.best_val_accuracy,
        )

    def on_end(self, state: RunState, reason: str) -> None:
        final = {"finished": "finished", "early stop": "finished"}.get(
            reason, "stopped"
        )
        self._update(
            state=final,
            message=f"{reason} after {state.epochs_done} epochs",
            history=list(state.history),
            epoch=state.epochs_done,
        )

    def feed(self, row: dict, epochs: int) -> None:
        """Append a finished epoch directly (for demos and tests of the screen)."""
        with self._lock:
            self._snap.history.append(row)
            self._snap.epochs = epochs
            self._snap.epoch = len(self._snap.history)
            self._snap.state = "training"
            best = max(
                range(len(self._snap.history)),
                key=lambda i: self._snap.history[i].get("val_accuracy", 0),
            )
            self._snap.best_epoch = best + 1
            self._snap.best_val_accuracy = self._snap.history[best].get("val_accuracy")
            self._snap.learning_rate = row.get("lr")
            self.seq += 1

    def run(self, config: TrainConfig, resume: bool = False) -> None:
        """Train in the calling thread; errors end up in the snapshot."""
        from .errors import EmotionTuiError

        self.stop_event.clear()
        self._update(
            state="loading",
            message="loading TensorFlow and the data",
            run_dir=config.run_dir,
            epochs=config.epochs,
        )
        try:
            run_training(config, self, self.stop_event, resume)
        except EmotionTuiError as exc:
            self._update(state="failed", message=str(exc))
        except Exception as exc:  # keep the app alive, say what broke
            self._update(state="failed", message=f"{type(exc).__name__}: {exc}")

    def request_stop(self) -> None:
        self.stop_event.set()
        with self._lock:
            if self._snap.state in ("training", "loading"):
                self._snap.state = "stopping"
                self._snap.message = (
                    "stopping after this batch; completed epochs are kept"
                )
                self.seq += 1
