"""Starting the Textual apps with native logging kept off the screen."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ..engine import EngineOptions, default_model_path
from ..quiet import log_file, native_logs_to_file


def run_app_quietly(app) -> int:
    """Run a Textual app with fd 2 and Python logging sent to the log file."""
    path = log_file()
    handler = logging.FileHandler(path)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    previous = root.handlers[:]
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    try:
        with native_logs_to_file(path):
            code = app.run()
    finally:
        root.handlers = previous
        handler.close()
    return code or 0


def model_label(model: Path) -> str:
    """Model name and its PrivateTest accuracy when it is the shipped model."""
    label = f"EmotionVGGNet {model.name}"
    if model.resolve() == default_model_path().resolve():
        metrics = model.parent / "metrics.json"
        try:
            accuracy = json.loads(metrics.read_text())["splits"]["private"]["accuracy"]
            label += f" · PrivateTest {accuracy:.1%}"
        except (OSError, KeyError, ValueError):
            pass
    return label


def run_monitor(
    sources: list[str],
    options: EngineOptions,
    loop: bool = False,
    realtime: bool = True,
    ui_hz: float = 10.0,
    trends_window_s: float = 30.0,
    record_dir: Path | None = None,
) -> int:
    from .app import MonitorApp

    app = MonitorApp(
        sources,
        options,
        loop=loop,
        realtime=realtime,
        ui_hz=ui_hz,
        model_label=model_label(options.model),
        record_dir=record_dir,
        trends_window_s=trends_window_s,
    )
    return run_app_quietly(app)
