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
    """Base writer: ``write(result)`` per frame, ``close()`` once."""

    def __init__(self, stream: TextIO, path: Path | None):
        self.stream = stream
        self.path = path
        self.frames_written = 0

    def write(self, result: FrameResult) -> None:
        self._write(result)
        self.stream.flush()
        self.frames_written += 1

    def _write(self, result: FrameResult) -> None:
        raise NotImplementedError

    def close(self) -> None:
        if self.path is not None and not self.stream.closed:
            self.stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class JsonlWriter(ResultWriter):
    def _write(self, result: FrameResult) -> None:
        self.stream.write(json.dumps(result.to_dict(), separators=(",", ":")) + "\n")


class CsvWriter(ResultWriter):
    def __init__(self, stream: TextIO, path: Path | None):
        super().__init__(stream, path)
        self._csv = csv.writer(stream)
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
    """Open a writer by suffix (``.csv`` or ``.jsonl``/``.json``); ``None`` means
    JSON lines on stdout.

    Raises:
        OutputError: the file exists (without ``force``), or cannot be created.
    """
    if path is None or str(path) == "-":
        return JsonlWriter(sys.stdout, None)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".json", ".ndjson"):
        raise OutputError(f"{path}: results file must end in .csv or .jsonl")
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name")
    mode = "w" if force else "x"
    try:
        stream = open(path, mode, newline="" if suffix == ".csv" else None)
    except FileExistsError:
        raise OutputError(f"{path} exists; use --force to overwrite it") from None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    writer_class = CsvWriter if suffix == ".csv" else JsonlWriter
    return writer_class(stream, path)
