"""Results files: JSON lines (one object per frame) and CSV (one row per face).

Writers flush after every frame, so a file is complete up to the last processed
frame whatever ends the run, and they never overwrite a file unless told to.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import TextIO

from .emotions import EMOTIONS
from .errors import OutputError
from .pipeline import FrameResult

CSV_COLUMNS = (
    "source",
    "frame",
    "timestamp_ms",
    "faces",
    "id",
    "x",
    "y",
    "w",
    "h",
    "emotion",
    "confidence",
    *(f"p_{e}" for e in EMOTIONS),
    *(f"smoothed_{e}" for e in EMOTIONS),
)


class ResultWriter:
    """Base writer: ``write(result)`` per frame, ``close()`` once.

    A file is created at the first frame, so a run that processes nothing
    leaves no file behind and never truncates one.
    """

    def __init__(self, path: Path | None, force: bool = False):
        self.path = path
        self.force = force
        self.stream: TextIO | None = sys.stdout if path is None else None
        self.frames_written = 0
        if path is None:
            self._start()

    def _create(self) -> None:
        mode = "w" if self.force else "x"
        newline = "" if self.path.suffix.lower() == ".csv" else None
        try:
            self.stream = open(self.path, mode, newline=newline)  # noqa: SIM115
        except FileExistsError:
            raise OutputError(f"{self.path} exists; use --force to overwrite it")
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror}")
        self._start()

    def _start(self) -> None:
        """Write whatever comes before the first frame (a CSV header)."""

    def write(self, result: FrameResult) -> None:
        if self.stream is None:
            self._create()
        try:
            self._write(result)
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            where = self.path or "standard output"
            raise OutputError(f"cannot write results to {where}: {exc.strerror}")
        self.frames_written += 1

    def _write(self, result: FrameResult) -> None:
        raise NotImplementedError

    def close(self) -> None:
        if self.path is not None and self.stream is not None and not self.stream.closed:
            self.stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class JsonlWriter(ResultWriter):
    def _write(self, result: FrameResult) -> None:
        self.stream.write(json.dumps(result.to_dict(), separators=(",", ":")) + "\n")


class CsvWriter(ResultWriter):
    def _start(self) -> None:
        self._csv = csv.writer(self.stream)
        self._csv.writerow(CSV_COLUMNS)

    def _write(self, result: FrameResult) -> None:
        head = (
            result.source,
            result.index,
            f"{result.timestamp_ms:.1f}",
            len(result.faces),
        )
        if not result.faces:
            self._csv.writerow((*head, *[""] * (len(CSV_COLUMNS) - len(head))))
        for face in result.faces:
            self._csv.writerow(
                (
                    *head,
                    face.track_id,
                    *face.box,
                    face.emotion,
                    f"{face.confidence:.4f}",
                    *(f"{p:.4f}" for p in face.raw),
                    *(f"{p:.4f}" for p in face.smoothed),
                )
            )


def open_writer(path: str | Path | None, force: bool = False) -> ResultWriter:
    """A writer chosen by suffix (``.csv``, or ``.jsonl``/``.ndjson`` for JSON
    lines); ``None`` or ``-`` means JSON lines on stdout.

    Raises:
        OutputError: the name is unusable, or the file exists (without ``force``).
    """
    if path is None or str(path) == "-":
        return JsonlWriter(None)
    if not str(path).strip():
        raise OutputError("empty results file name")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise OutputError(f"{path}: results file must end in .csv or .jsonl")
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name")
    if (path.exists() or path.is_symlink()) and not force:
        raise OutputError(f"{path} exists; use --force to overwrite it")
    if not path.parent.is_dir():
        raise OutputError(f"cannot write {path}: folder {path.parent} does not exist")
    writer_class = CsvWriter if suffix == ".csv" else JsonlWriter
    return writer_class(path, force)
