"""``emotion-tui run --no-ui``: results as JSON lines or CSV, a summary on stderr."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading

from .core.errors import EmotionTuiError, SourceError
from .core.results import open_writer
from .core.sources import open_source
from .engine import EngineOptions

log = logging.getLogger(__name__)


class _StopOnSignals:
    """SIGINT/SIGTERM ask the run to stop after the current frame."""

    def __init__(self, stop: threading.Event):
        self.stop = stop
        self.previous = {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, _frame):
        if self.stop.is_set():
            raise KeyboardInterrupt
        self.stop.set()

    def __exit__(self, *exc):
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def run_headless(
    specs: list[str],
    options: EngineOptions,
    out: str | None,
    force: bool = False,
    loop: bool = False,
    max_frames: int | None = None,
) -> int:
    """Run every source in turn; returns the exit status."""
    stop = threading.Event()
    pipeline = options.build()
    failures = 0
    with open_writer(out, force) as writer, _StopOnSignals(stop):
        for spec in specs:
            if stop.is_set():
                break
            try:
                source = open_source(spec, loop=loop, read_ahead=True)
            except SourceError as exc:
                print(f"emotion-tui: error: {exc}", file=sys.stderr)
                failures += 1
                continue
            pipeline.reset()
            try:
                with source:
                    stats = pipeline.run(source, writer.write, stop, max_frames)
            except EmotionTuiError as exc:
                print(f"emotion-tui: error: {exc}", file=sys.stderr)
                failures += 1
                continue
            summary = {"source": source.name, **stats.summary()}
            if source.end_reason not in (None, "ended"):
                summary["error"] = source.end_reason
                print(f"emotion-tui: error: {source.end_reason}", file=sys.stderr)
                failures += 1
            if stop.is_set():
                summary["stopped"] = "signal"
            print(json.dumps({"summary": summary}), file=sys.stderr)
    if out and out != "-":
        if writer.frames_written:
            print(
                f"emotion-tui: wrote {writer.frames_written} frames to {out}",
                file=sys.stderr,
            )
        else:
            print(
                f"emotion-tui: no frame processed; {out} not written", file=sys.stderr
            )
    if stop.is_set():
        return 130
    return 1 if failures else 0
