"""FER2013 loaders: the folder layout and the original CSV, with a decoded cache.

Splits are named ``train`` (``Training``), ``public`` (``PublicTest``, the usual
validation set) and ``private`` (``PrivateTest``, the usual test set).
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import cv2
import numpy as np

from .emotions import CSV_TO_INDEX, EMOTIONS, FACE_SIZE_PX, NUM_EMOTIONS
from .errors import DataError

log = logging.getLogger(__name__)

SPLITS = ("train", "public", "private")
_USAGE_TO_SPLIT = {
    "training": "train",
    "publictest": "public",
    "privatetest": "private",
}
_FOLDER_TO_SPLIT = {
    "train": "train",
    "training": "train",
    "val": "public",
    "valid": "public",
    "validation": "public",
    "publictest": "public",
    "test": "private",
    "privatetest": "private",
}
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp"}
_CACHE_VERSION = 2
# A valid row (2304 pixel values of up to 3 digits) is under 10,000 characters.
_MAX_CSV_LINE_CHARS = 65_536


@dataclass(frozen=True)
class Split:
    """The images and labels of one split: uint8 (n, 48, 48) and int64 (n,)."""

    name: str
    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels, minlength=NUM_EMOTIONS)
        return {name: int(n) for name, n in zip(EMOTIONS, counts)}


def default_cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "emotion-tui"


def load_fer2013(path: str | Path, cache_dir: Path | None = None) -> dict[str, Split]:
    """Load FER2013 from a folder layout or an original-format CSV file.

    Args:
        path: a folder with ``<split>/<emotion>/<image>`` files, or ``fer2013.csv``.
        cache_dir: where decoded arrays are kept so the next load takes seconds;
            ``None`` uses the user cache folder. Pass a path that cannot be written
            to skip caching.

    Returns:
        The splits found, by name (``train``, ``public``, ``private``).

    Raises:
        DataError: the path is missing, has the wrong layout, or a record is bad.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"dataset not found: {path}")
    cache_file = _cache_file(path, cache_dir or default_cache_dir())
    if cache_file is not None and cache_file.exists():
        try:
            return _read_cache(cache_file)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring unreadable dataset cache %s: %s", cache_file, exc)

    if path.is_dir():
        splits = _load_folder(path)
    else:
        splits = _load_csv(path)
    if cache_file is not None:
        _write_cache(cache_file, splits)
    return splits


def _fingerprint(path: Path) -> str:
    """Identify what a load would read: each image's name, size and mtime.

    One ``stat`` per image (about 0.2 s for FER2013's 34,530) is far cheaper than
    reading the files, and an edit, a copy or a ``touch`` changes the size or mtime.
    """
    digest = hashlib.sha1(f"v{_CACHE_VERSION}:".encode())
    digest.update(os.fsencode(path.resolve()))
    if not path.is_dir():
        digest.update(_size_and_mtime(path))
        return digest.hexdigest()[:16]
    for split_dir in _sub_folders(path):
        for class_dir in _sub_folders(split_dir):
            digest.update(b"\0" + os.fsencode(f"{split_dir.name}/{class_dir.name}"))
            for entry in _image_entries(class_dir):
                digest.update(b"\0" + os.fsencode(entry.name) + _size_and_mtime(entry))
    return digest.hexdigest()[:16]


def _size_and_mtime(file: Path | os.DirEntry[str]) -> bytes:
    try:
        stat = file.stat()
    except OSError:
        return b":missing"
    return f":{stat.st_size}:{stat.st_mtime_ns}".encode()


def _sub_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir())


def _image_entries(class_dir: Path) -> list[os.DirEntry[str]]:
    """The entries of a class folder named like images, in name order."""
    with os.scandir(class_dir) as entries:
        images = [e for e in entries if _is_image_name(e.name)]
    return sorted(images, key=lambda e: e.name)


def _is_image_name(name: str) -> bool:
    # Path(name).suffix, without building a Path for each of 35,000 names.
    stem, _, suffix = name.rpartition(".")
    return bool(stem) and f".{suffix.lower()}" in _IMAGE_SUFFIXES


def _cache_file(path: Path, cache_dir: Path) -> Path | None:
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(cache_dir, os.W_OK):
        return None
    # One cache per dataset path: a newer fingerprint replaces the older file.
    source = hashlib.sha1(os.fsencode(path.resolve())).hexdigest()[:8]
    return cache_dir / f"fer2013-{source}-{_fingerprint(path)}.npz"


def _read_cache(cache_file: Path) -> dict[str, Split]:
    with np.load(cache_file) as data:
        names = [str(n) for n in data["splits"]]
        return {n: Split(n, data[f"{n}_images"], data[f"{n}_labels"]) for n in names}


def _write_cache(cache_file: Path, splits: dict[str, Split]) -> None:
    arrays: dict[str, np.ndarray] = {"splits": np.array(list(splits))}
    for name, split in splits.items():
        arrays[f"{name}_images"] = split.images
        arrays[f"{name}_labels"] = split.labels
    partial = cache_file.with_suffix(".partial.npz")
    try:
        np.savez(partial, **arrays)
        partial.replace(cache_file)
        source = cache_file.name.rsplit("-", 1)[0]
        for stale in cache_file.parent.glob(f"{source}-*.npz"):
            if stale != cache_file:
                stale.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not write dataset cache %s: %s", cache_file, exc)


def split_of_file(file_name: str, folder_split: str | None) -> str | None:
    """Tell a file's split from its ``Training_``-style prefix, else its folder."""
    prefix = file_name.split("_", 1)[0].lower()
    return _USAGE_TO_SPLIT.get(prefix, folder_split)


def _load_folder(root: Path) -> dict[str, Split]:
    images: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    labels: dict[str, list[int]] = {s: [] for s in SPLITS}
    split_dirs = _sub_folders(root)
    if not split_dirs:
        raise DataError(f"{root}: expected split folders such as train/ and test/")
    for split_dir in split_dirs:
        folder_split = _FOLDER_TO_SPLIT.get(split_dir.name.lower())
        class_dirs = _sub_folders(split_dir)
        if not class_dirs:
            raise DataError(
                f"{split_dir}: expected one folder per emotion ({', '.join(EMOTIONS)})"
            )
        for class_dir in class_dirs:
            name = class_dir.name.lower()
            if name not in EMOTIONS:
                raise DataError(
                    f"{class_dir}: unknown class folder {class_dir.name!r}; "
                    f"expected one of: {', '.join(EMOTIONS)}"
                )
            for entry in _image_entries(class_dir):
                file = Path(entry.path)
                split = split_of_file(file.name, folder_split)
                if split is None:
                    raise DataError(
                        f"{file}: cannot tell its split from the folder "
                        f"{split_dir.name!r} or the file name"
                    )
                images[split].append(_read_face(file))
                labels[split].append(EMOTIONS.index(name))
    return _to_splits(images, labels)


def _read_face(file: Path) -> np.ndarray:
    # A FIFO, socket or device named like an image would block the read forever.
    if not file.is_file():
        raise DataError(f"{file}: not a readable image (not a regular file)")
    # Decoded from bytes: cv2.imread crashes on a file name that is not valid UTF-8.
    try:
        image = cv2.imdecode(np.fromfile(file, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    except (OSError, cv2.error):
        image = None
    if image is None:
        raise DataError(f"{file}: not a readable image")
    if image.shape != (FACE_SIZE_PX, FACE_SIZE_PX):
        image = cv2.resize(
            image, (FACE_SIZE_PX, FACE_SIZE_PX), interpolation=cv2.INTER_AREA
        )
    return image


def iter_csv_rows(path: Path) -> Iterator[tuple[int, str, np.ndarray]]:
    """Stream ``(label index, split, 48x48 uint8 image)`` from an original CSV.

    Raises:
        DataError: with the line number of the first malformed row.
    """
    if not path.is_file():
        raise DataError(f"{path}: not a regular file")
    # utf-8-sig drops a byte-order mark before the header, as spreadsheets write one.
    with path.open(encoding="utf-8-sig", newline="") as stream:
        records = _csv_records(path, stream)
        _, header = next(records, (0, None))
        if header is None or [h.strip().lower() for h in header[:3]] != [
            "emotion",
            "pixels",
            "usage",
        ]:
            raise DataError(f"{path}: expected the header 'emotion,pixels,Usage'")
        for line, row in records:
            if not row:
                continue
            if len(row) < 3:
                raise DataError(f"{path}:{line}: expected 3 columns, found {len(row)}")
            try:
                csv_label = int(row[0])
                pixels = np.array(row[1].split(), dtype=np.int32)
            except ValueError:
                raise DataError(f"{path}:{line}: label or pixels are not integers")
            except OverflowError:
                raise DataError(f"{path}:{line}: pixel values must be 0..255")
            if not 0 <= csv_label < NUM_EMOTIONS:
                raise DataError(f"{path}:{line}: label {csv_label} is not in 0..6")
            if pixels.size != FACE_SIZE_PX * FACE_SIZE_PX:
                raise DataError(
                    f"{path}:{line}: expected 2304 pixel values, found {pixels.size}"
                )
            if pixels.min() < 0 or pixels.max() > 255:
                raise DataError(f"{path}:{line}: pixel values must be 0..255")
            split = _USAGE_TO_SPLIT.get(row[2].strip().lower())
            if split is None:
                raise DataError(f"{path}:{line}: unknown Usage {row[2]!r}")
            image = pixels.astype(np.uint8).reshape(FACE_SIZE_PX, FACE_SIZE_PX)
            yield CSV_TO_INDEX[csv_label], split, image


def _csv_records(path: Path, stream: TextIO) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number, fields)``; text that is not CSV is a DataError."""
    reader = csv.reader(_csv_lines(path, stream))
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: not a valid CSV row: {exc}")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text CSV file")


def _csv_lines(path: Path, stream: TextIO) -> Iterator[str]:
    """The stream's lines; one too long to be a row is refused before it is read."""
    line = 0
    # Room for the longest allowed line and its "\r\n"; the ending is not counted.
    while text := stream.readline(_MAX_CSV_LINE_CHARS + 3):
        line += 1
        if len(text.rstrip("\r\n")) > _MAX_CSV_LINE_CHARS:
            raise DataError(
                f"{path}:{line}: line longer than {_MAX_CSV_LINE_CHARS:,} characters; "
                "a row of 2304 pixel values is under 10,000"
            )
        yield text


def _load_csv(path: Path) -> dict[str, Split]:
    images: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    labels: dict[str, list[int]] = {s: [] for s in SPLITS}
    for label, split, image in iter_csv_rows(path):
        images[split].append(image)
        labels[split].append(label)
    return _to_splits(images, labels)


def _to_splits(
    images: dict[str, list[np.ndarray]], labels: dict[str, list[int]]
) -> dict[str, Split]:
    splits = {}
    for name in SPLITS:
        if labels[name]:
            splits[name] = Split(
                name, np.stack(images[name]), np.array(labels[name], dtype=np.int64)
            )
    if not splits:
        raise DataError("no images found")
    return splits
