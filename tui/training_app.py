"""``emotion-tui train`` with the live training screen as the whole app."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from ..core.train import TrainConfig
from ..core.train_progress import TrainingProgress
from .launch import run_app_quietly
from .screens.training import TrainingScreen


class TrainingApp(App[int]):
    TITLE = "emotion-tui train"
    BINDINGS = [Binding("q", "quit", "quit")]

    def __init__(
        self,
        config: TrainConfig | None,
        resume: bool = False,
        progress: TrainingProgress | None = None,
    ):
        super().__init__()
        self.config = config
        self.resume = resume
        self.training_progress = progress or TrainingProgress()

    def get_default_screen(self) -> TrainingScreen:
        return TrainingScreen(self.training_progress, self.config, self.resume)

    async def action_quit(self) -> None:
        self.training_progress.request_stop()
        self.exit(0)


def run_training_app(config: TrainConfig, resume: bool) -> int:
    app = TrainingApp(config, resume)
    code = run_app_quietly(app)
    snap = app.training_progress.snapshot()
    print(f"{snap.state}: {snap.message} (run folder {snap.run_dir})")
    return 1 if snap.state == "failed" else (code or 0)
