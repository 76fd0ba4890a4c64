"""The training screen: live epoch curves, epoch progress, learning rate, best epoch.

Training runs in an app-level thread worker (group ``train``), so leaving the
screen or switching the monitor's source never stops it, and it never cancels
the capture worker.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, ProgressBar, Static

from ...core.train import TrainConfig
from ...core.train_progress import ProgressSnapshot, TrainingProgress
from ..widgets.epoch_chart import EpochChart

DEFAULT_DATA = Path("../shared/data/fer2013")


def default_data() -> str:
    """The shared FER2013 folder when it is there, else nothing to pre-fill."""
    return str(DEFAULT_DATA.resolve()) if DEFAULT_DATA.exists() else ""


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def _headline(snap: ProgressSnapshot) -> str:
    """The run's state in bold, and its message unless it repeats the state."""
    if snap.message.startswith(snap.state):
        return f"[b]{snap.message}[/b]"
    return f"[b]{snap.state}[/b] {snap.message}"


class TrainingScreen(Screen):
    """Shows one training run; starts one from a small form if none is running."""

    BINDINGS = [
        Binding("s", "stop", "stop training"),
        Binding("escape", "back", "back"),
    ]
    DEFAULT_CSS = """
    TrainingScreen #form { height: auto; padding: 0 1; }
    TrainingScreen #form Input { width: 1fr; }
    TrainingScreen #form #epochs { width: 12; }
    TrainingScreen #charts { height: 1fr; }
    TrainingScreen EpochChart { border: round $primary-darken-1; width: 1fr; }
    TrainingScreen #info { height: auto; padding: 0 1; }
    TrainingScreen ProgressBar { padding: 0 1; }
    """

    def __init__(
        self,
        progress: TrainingProgress | None = None,
        config: TrainConfig | None = None,
        resume: bool = False,
    ):
        super().__init__()
        self.progress = progress
        self.config = config
        self.resume = resume
        self._seen = -1

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="form"):
            yield Input(
                default_data(),
                placeholder="FER2013 folder or fer2013.csv",
                id="data",
            )
            yield Input("40", placeholder="epochs", id="epochs", type="integer")
            yield Button("train", id="start", variant="primary")
        with Horizontal(id="charts"):
            yield EpochChart("loss", ("loss", "val_loss"), id="loss-chart")
            yield EpochChart(
                "accuracy", ("accuracy", "val_accuracy"), percent=True, id="acc-chart"
            )
        yield Label("epoch -", id="epoch-label")
        yield ProgressBar(total=100, show_eta=True, id="epoch-bar")
        yield Static("no training running", id="info")
        yield Footer()

    def on_mount(self) -> None:
        app = self.app
        if self.progress is None:
            self.progress = getattr(app, "training_progress", None)
        if self.progress is None:
            self.progress = TrainingProgress()
        app.training_progress = self.progress
        if self.config is not None:
            self.query_one("#data", Input).value = self.config.data
            self.query_one("#epochs", Input).value = str(self.config.epochs)
            self.start(self.config, self.resume)
        self._sync_form()
        self.set_interval(0.25, self.refresh_progress)
        self.refresh_progress()

    def _training_active(self) -> bool:
        return self.progress.snapshot().state in ("loading", "training", "stopping")

    def _sync_form(self) -> None:
        self.query_one("#form").display = not self._training_active()

    def start(self, config: TrainConfig, resume: bool = False) -> None:
        if self._training_active():
            self.notify("a training run is already going", severity="warning")
            return
        progress = self.progress
        self.app.run_worker(
            lambda: progress.run(config, resume),
            thread=True,
            group="train",
            exit_on_error=False,
            name="training",
        )
        self._sync_form()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "start":
            return
        data = Path(self.query_one("#data", Input).value.strip()).expanduser()
        epochs_text = self.query_one("#epochs", Input).value.strip()
        if not data.exists():
            self.notify(f"dataset not found: {data}", severity="error")
            return
        if not epochs_text.isdigit() or int(epochs_text) < 1:
            self.notify("epochs must be a positive whole number", severity="error")
            return
        run_dir = Path("runs") / datetime.now().strftime("%Y-%m-%d-%H%M%S")
        self.start(
            TrainConfig(
                data=str(data.resolve()), run_dir=str(run_dir), epochs=int(epochs_text)
            )
        )

    def refresh_progress(self) -> None:
        if self.progress.seq == self._seen:
            return
        self._seen = self.progress.seq
        self.show_progress(self.progress.snapshot())

    def show_progress(self, snap: ProgressSnapshot) -> None:
        self.query_one("#loss-chart", EpochChart).set_history(snap.history)
        self.query_one("#acc-chart", EpochChart).set_history(snap.history)
        bar = self.query_one("#epoch-bar", ProgressBar)
        if snap.state in ("finished", "stopped", "failed"):
            # Over: the bar and label tell the whole run, not an idle epoch.
            bar.update(total=max(1, snap.epochs), progress=len(snap.history))
            self.query_one("#epoch-label", Label).update(
                f"{len(snap.history)} of {snap.epochs} epochs completed"
            )
        else:
            bar.update(total=max(1, snap.steps), progress=snap.step)
            self.query_one("#epoch-label", Label).update(
                f"epoch {snap.epoch}/{snap.epochs}  step {snap.step}/{snap.steps}  "
                f"{snap.images_per_s:.0f} images/s  "
                f"epoch ETA {_duration(snap.eta_s)}"
            )
        lr = f"{snap.learning_rate:.2e}" if snap.learning_rate else "-"
        best = (
            f"epoch {snap.best_epoch} ({snap.best_val_accuracy:.2%} val acc)"
            if snap.best_epoch and snap.best_val_accuracy is not None
            else "-"
        )
        last = snap.history[-1] if snap.history else {}
        last_text = (
            f"last epoch: loss {last['loss']:.3f}, acc {last['accuracy']:.2%}, "
            f"val loss {last.get('val_loss', float('nan')):.3f}, "
            f"val acc {last.get('val_accuracy', float('nan')):.2%}"
            if last
            else "no completed epoch yet"
        )
        self.query_one("#info", Static).update(
            f"{_headline(snap)}\n"
            f"run {snap.run_dir or '-'}   learning rate {lr}   best {best}\n{last_text}"
        )
        self._sync_form()

    def action_stop(self) -> None:
        if self._training_active():
            self.progress.request_stop()
            self.notify("stopping after this batch; completed epochs are kept")
        else:
            self.notify("no training is running")

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.notify("this is the training app: q quits (training stops cleanly)")
