"""Frame sources: camera, video file, stream URL, single image, folder of images.

Each source yields ``Frame`` objects holding a BGR uint8 image and a timestamp.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .errors import SourceError
from .frames import normalize_frame

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")
MAX_SANE_FPS = 1000.0
STREAM_TIMEOUT_MS = 5000
MAX_IMAGE_SIDE_PX = 20000

# The password runs to the last "@" of the authority, so it may hold "@" itself.
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^/:@\s]*:)[^/\s]*@")
_QUERY_SECRET = re.compile(
    r"(?P<head>[?&](?:password|passwd|pwd|pass|token|secret|key|auth)=)[^&#\s]*",
    re.IGNORECASE,
)


def mask_url(text: str) -> str:
    """Mask the password of any ``scheme://user:pass@host`` in text, and secret
    query parameters (``?password=...``, ``&token=...``), as ``***``."""
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}***@", text)
    return _QUERY_SECRET.sub(lambda m: f"{m.group('head')}***", text)


@dataclass(frozen=True)
class Frame:
    """One frame: its index in the source, timestamp in ms, and BGR uint8 image.

    ``decode_ms`` is decoding time spent before ``read`` (a still image is decoded
    when its source opens, so that a bad file fails at once); it counts as reading.
    """

    index: int
    timestamp_ms: float
    image: np.ndarray
    name: str | None = None
    decode_ms: float = 0.0


class Source:
    """Base class: open, read frames until ``None``, close.

    Attributes:
        name: what the user gave, with any URL password masked.
        kind: ``camera``, ``video``, ``stream``, ``image`` or ``folder``.
        still: frames are independent pictures, not a sequence in time.
        fps: the source's own frame rate when known and sane, else ``None``.
        frame_count: number of frames when known, else ``None``.
        end_reason: after ``read`` returned ``None``: ``ended`` or a failure text.
    """

    kind = "source"
    still = False

    def __init__(self, name: str):
        self.name = mask_url(name)
        self.fps: float | None = None
        self.frame_count: int | None = None
        self.end_reason: str | None = None
        self._next_index = 0

    def open(self) -> None:
        """Open the source; raises ``SourceError`` naming it when that fails."""

    def read(self) -> Frame | None:
        raise NotImplementedError

    def close(self) -> None:
        """Release the device or file; safe to call twice."""

    def __enter__(self) -> Source:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self):
        while (frame := self.read()) is not None:
            yield frame

    def describe(self) -> str:
        return f"{self.kind} {self.name}"


def _sane_fps(value: float) -> float | None:
    if value and np.isfinite(value) and 0 < value <= MAX_SANE_FPS:
        return float(value)
    return None


class CaptureSource(Source):
    """A ``cv2.VideoCapture``: video file, camera or stream URL."""

    def __init__(self, name: str, target: str | int, kind: str, loop: bool = False):
        super().__init__(name)
        self.kind = kind
        self.target = target
        self.loop = loop and kind == "video"
        self._capture: cv2.VideoCapture | None = None
        self._opened_at = 0.0
        self._loop_offset_ms = 0.0
        self._last_ms = 0.0

    def _make_capture(self) -> cv2.VideoCapture:
        if self.kind == "stream":
            params = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                STREAM_TIMEOUT_MS,
                cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                STREAM_TIMEOUT_MS,
            ]
            return cv2.VideoCapture(self.target, cv2.CAP_FFMPEG, params)
        if self.kind == "camera":
            return cv2.VideoCapture(self.target)
        return cv2.VideoCapture(str(self.target))

    def open(self) -> None:
        capture = self._make_capture()
        if not capture.isOpened():
            capture.release()
            hint = {
                "camera": "is a camera connected at that index?",
                "stream": f"no answer within {STREAM_TIMEOUT_MS / 1000:.0f} s or not a "
                "stream OpenCV can read",
                "video": "not a video OpenCV can decode",
            }[self.kind]
            raise SourceError(f"cannot open {self.kind} {self.name}: {hint}")
        self._capture = capture
        self._opened_at = time.monotonic()
        self.fps = _sane_fps(capture.get(cv2.CAP_PROP_FPS))
        count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
        if self.kind == "video" and count and 0 < count < 1e9:
            self.frame_count = int(count)
        log.info(
            "opened %s (fps %s, frames %s)", self.describe(), self.fps, self.frame_count
        )

    def read(self) -> Frame | None:
        if self._capture is None:
            return None
        ok, image = self._capture.read()
        if not ok and self.loop and self._next_index > 0:
            self._loop_offset_ms = self._last_ms + (1000.0 / (self.fps or 30.0))
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._capture.read()
        if not ok or image is None:
            self.end_reason = self._why_no_frame()
            return None
        frame = Frame(self._next_index, self._timestamp_ms(), normalize_frame(image))
        self._last_ms = frame.timestamp_ms
        self._next_index += 1
        return frame

    def _why_no_frame(self) -> str:
        if self.kind == "video":
            return "ended"
        if self._next_index == 0:
            return f"{self.describe()} delivered no frame"
        return f"{self.describe()} stopped delivering frames"

    def _timestamp_ms(self) -> float:
        if self.kind != "video":
            return (time.monotonic() - self._opened_at) * 1000.0
        if self.fps:
            local = (self._next_index_in_pass()) * 1000.0 / self.fps
        else:
            local = max(0.0, self._capture.get(cv2.CAP_PROP_POS_MSEC))
        return self._loop_offset_ms + local

    def _next_index_in_pass(self) -> int:
        position = self._capture.get(cv2.CAP_PROP_POS_FRAMES)
        return max(0, int(position) - 1)

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


def read_image(path: Path) -> np.ndarray:
    """Read any still image file into BGR uint8, or raise ``SourceError``."""
    if not path.exists():
        raise SourceError(f"image not found: {path}")
    if path.stat().st_size == 0:
        raise SourceError(f"image {path} is an empty file (0 bytes)")
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise SourceError(f"cannot read image {path}: {exc.strerror or exc}")
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise SourceError(f"{path} is not an image OpenCV can decode")
    if max(image.shape[:2]) > MAX_IMAGE_SIDE_PX:
        raise SourceError(
            f"image {path} is too large ({image.shape[1]}x{image.shape[0]})"
        )
    return normalize_frame(image, str(path))


class ImageSource(Source):
    """A single still image: one frame."""

    kind = "image"
    still = True

    def __init__(self, path: Path):
        super().__init__(str(path))
        self.path = path
        self._image: np.ndarray | None = None
        self._decode_ms = 0.0
        self.frame_count = 1

    def open(self) -> None:
        started = time.perf_counter()
        self._image = read_image(self.path)
        self._decode_ms = (time.perf_counter() - started) * 1e3

    def read(self) -> Frame | None:
        if self._image is None:
            self.end_reason = "ended"
            return None
        frame = Frame(self._next_index, 0.0, self._image, decode_ms=self._decode_ms)
        self._image = None
        self._next_index += 1
        return frame


class FolderSource(Source):
    """The images of a folder, sorted by name; other files are skipped, and so
    are images that cannot be read (each once, with a warning in the log)."""

    kind = "folder"
    still = True

    def __init__(self, path: Path, loop: bool = False):
        super().__init__(str(path))
        self.path = path
        self.loop = loop
        self.files: list[Path] = []
        self.unreadable: dict[Path, str] = {}
        self._position = 0
        self._read_in_pass = 0

    def open(self) -> None:
        try:
            entries = list(self.path.iterdir())
        except OSError as exc:
            raise SourceError(f"cannot list folder {self.path}: {exc.strerror}")
        self.files = sorted(
            (p for p in entries if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()),
            key=lambda p: p.name,
        )
        if not self.files:
            raise SourceError(
                f"folder {self.path} holds no images ({', '.join(IMAGE_SUFFIXES)})"
            )
        self.frame_count = len(self.files)

    def read(self) -> Frame | None:
        while True:
            if self._position >= len(self.files):
                if self._read_in_pass == 0:
                    self.end_reason = f"no readable image in folder {self.path}"
                    return None
                if not self.loop:
                    self.end_reason = "ended"
                    return None
                self._position, self._read_in_pass = 0, 0
            file = self.files[self._position]
            self._position += 1
            if file in self.unreadable:
                continue
            try:
                image = read_image(file)
            except SourceError as exc:
                log.warning("skipping %s", exc)
                self.unreadable[file] = str(exc)
                continue
            self._read_in_pass += 1
            index = self._next_index
            self._next_index += 1
            return Frame(index, index * 1000.0, image, str(file))


def open_source(
    spec: str | int, loop: bool = False, read_ahead: bool = False
) -> Source:
    """Make and open the source a user names: camera index, URL, file or folder.

    With ``read_ahead``, video files are decoded ahead on a thread.

    Raises:
        SourceError: naming the source and why it cannot be opened.
    """
    source = make_source(spec, loop)
    if read_ahead:
        source = with_read_ahead(source)
    source.open()
    return source


def make_source(spec: str | int, loop: bool = False) -> Source:
    """Make (without opening) the source a user names."""
    text = str(spec).strip()
    if not text:
        raise SourceError("empty source: give a camera index, file, folder or URL")
    if text.isascii() and text.isdigit():
        return CaptureSource(text, int(text), "camera")
    if "://" in text:
        return CaptureSource(text, text, "stream")
    path = Path(text).expanduser()
    if not path.exists():
        raise SourceError(f"no such file or folder: {path}")
    if path.is_dir():
        return FolderSource(path, loop)
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES or (
        suffix not in VIDEO_SUFFIXES and _looks_like_image(path)
    ):
        return ImageSource(path)
    return CaptureSource(str(path), path, "video", loop)


def _looks_like_image(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            head = stream.read(16)
    except OSError:
        return False
    signatures = (b"\x89PNG", b"\xff\xd8\xff", b"BM", b"RIFF", b"II*\x00", b"MM\x00*")
    return any(head.startswith(s) for s in signatures) and not head[8:12] == b"AVI "


class PrefetchingSource(Source):
    """Decodes the next few frames of a video file on a thread of its own.

    OpenCV releases the GIL while it decodes, so reading overlaps with the
    pipeline's work on the previous frame. Only for files: on a camera or a
    stream, queued frames would only add latency.
    """

    _END = object()

    def __init__(self, inner: Source, depth: int = 4):
        super().__init__(inner.name)
        self.inner = inner
        self.kind = inner.kind
        self.still = inner.still
        self.name = inner.name
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def open(self) -> None:
        if self._thread is not None:
            return
        self.inner.open()
        self.fps, self.frame_count = self.inner.fps, self.inner.frame_count
        self._thread = threading.Thread(
            target=self._fill, name=f"prefetch {self.name}", daemon=True
        )
        self._thread.start()

    def _fill(self) -> None:
        try:
            while not self._stop.is_set():
                frame = self.inner.read()
                item = self._END if frame is None else frame
                while not self._stop.is_set():
                    try:
                        self._queue.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if frame is None:
                    return
        except Exception as exc:  # surfaced to the reader as an end reason
            self.inner.end_reason = f"{self.describe()} failed: {exc}"
            self._queue.put(self._END)

    def read(self) -> Frame | None:
        if self._thread is None:
            return None
        item = self._queue.get()
        if item is self._END:
            self._queue.put(self._END)  # later reads see the end too
            self.end_reason = self.inner.end_reason
            return None
        return item

    def describe(self) -> str:
        return self.inner.describe()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        self.inner.close()


def with_read_ahead(source: Source) -> Source:
    """Wrap a video file (not yet opened) so its frames are decoded ahead."""
    return PrefetchingSource(source) if source.kind == "video" else source
