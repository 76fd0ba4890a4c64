"""Keep native libraries (OpenCV, LiteRT, TensorFlow) from writing on the terminal.

Their C/C++ logging goes straight to file descriptor 2, past Python's
``sys.stderr``; over a TUI that corrupts the screen.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path


def quiet_native_logs() -> None:
    """Lower native log levels; call before cv2 or tensorflow are imported."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")
    os.environ.setdefault("OPENCV_VIDEOIO_DEBUG", "0")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def native_stderr_to(path: str | os.PathLike | None):
    """Point file descriptor 2 at a file (or /dev/null) for the block's length."""
    target = os.fspath(path) if path is not None else os.devnull
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(target, "a") as sink:
            os.dup2(sink.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def log_file() -> Path:
    """Where logs go: ``$XDG_STATE_HOME/emotion-tui/emotion-tui.log``."""
    root = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    folder = Path(root) / "emotion-tui"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return Path(os.devnull)
    return folder / "emotion-tui.log"


@contextlib.contextmanager
def native_logs_to_file(path: Path | None = None):
    """Send file descriptor 2 (native libraries) to the log file, while Python's
    ``sys.stderr`` (our one-line messages) and ``sys.__stderr__`` (where Textual
    draws) keep writing to the terminal through a handle of their own."""
    path = path or log_file()
    sys.stderr.flush()
    terminal = os.fdopen(os.dup(2), "w", buffering=1)
    saved = sys.stderr, sys.__stderr__
    sys.stderr = sys.__stderr__ = terminal
    try:
        with native_stderr_to(path):
            yield
    finally:
        sys.stderr, sys.__stderr__ = saved
        terminal.close()
