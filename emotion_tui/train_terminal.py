"""Training progress printed in a plain terminal (``emotion-tui train --no-ui``)."""

from __future__ import annotations

import sys
import threading
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from .core.train import RunState, TrainConfig, TrainingListener, run_training


class RichListener(TrainingListener):
    """Shows a progress bar per epoch and one line per finished epoch."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(
            TextColumn("epoch {task.fields[epoch]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:.0f} img/s"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.task = None
        self.batch_size = 1
        self.epoch_started = time.monotonic()
        self.last_step = 0

    def on_start(self, config: TrainConfig, state: RunState, steps: int) -> None:
        self.batch_size = config.batch_size
        self.epochs = config.epochs
        self.console.print(
            f"training {config.run_dir}: "
            f"epochs {state.epochs_done + 1}..{config.epochs},"
            f" {steps} steps of {config.batch_size}"
        )
        self.progress.start()
        self.task = self.progress.add_task(
            "", total=steps, epoch=state.epochs_done + 1, rate=0.0
        )

    def on_batch(self, epoch: int, step: int, steps: int, logs: dict) -> None:
        if step == 1 or step < self.last_step:
            self.epoch_started = time.monotonic()
        self.last_step = step
        elapsed = max(1e-6, time.monotonic() - self.epoch_started)
        self.progress.update(
            self.task,
            completed=step,
            epoch=epoch + 1,
            rate=step * self.batch_size / elapsed,
        )

    def on_epoch(self, epoch: int, row: dict, state: RunState) -> None:
        best = " (best)" if state.best_epoch == epoch else ""
        self.console.print(
            f"epoch {epoch}/{self.epochs}: loss {row['loss']:.4f}"
            f" acc {row['accuracy']:.4f} val_loss {row['val_loss']:.4f}"
            f" val_acc {row['val_accuracy']:.4f} lr {row['lr']:.2e}"
            f" {row['seconds']:.0f}s{best}"
        )
        self.progress.reset(self.task, completed=0)

    def on_end(self, state: RunState, reason: str) -> None:
        self.progress.stop()
        if state.best_epoch is None:
            self.console.print(
                f"{reason} before the first epoch ended; nothing saved but the"
                f" settings (--resume {state.run_dir} starts the run over)"
            )
            return
        self.console.print(
            f"{reason} after {state.epochs_done} epochs;"
            f" best epoch {state.best_epoch} (val acc {state.best_val_accuracy:.4f})"
        )


def train_in_terminal(config: TrainConfig, resume: bool) -> int:
    # Piped output keeps whole lines: rich would wrap them at 80 columns.
    console = Console(soft_wrap=not sys.stdout.isatty())
    stop = threading.Event()
    state = run_training(config, RichListener(console), stop_event=stop, resume=resume)
    if state.end_reason == "interrupted":
        return 130  # Ctrl+C, whatever was kept: as the run command does
    return 0 if state.epochs_done else 1
