"""FER2013 loaders on the real folder layout and the original CSV format."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import cv2
import numpy as np
import pytest
from emotion_tui.core.dataset import iter_csv_rows, load_fer2013, split_of_file
from emotion_tui.core.emotions import CSV_TO_INDEX, EMOTIONS
from emotion_tui.core.errors import DataError

FOLDER_COUNTS = {
    "train": dict(
        angry=3825,
        disgust=381,
        fear=3887,
        happy=7062,
        neutral=4838,
        sad=4684,
        surprise=2675,
    ),
    "public": dict(
        angry=467, disgust=56, fear=496, happy=895, neutral=607, sad=653, surprise=415
    ),
    "private": dict(
        angry=491, disgust=55, fear=528, happy=879, neutral=626, sad=594, surprise=416
    ),
}


def test_folder_layout_gives_the_documented_counts_per_split_and_class(
    fer_folder, tmp_path
):
    splits = load_fer2013(fer_folder, cache_dir=tmp_path)
    assert {name: split.class_counts() for name, split in splits.items()} == (
        FOLDER_COUNTS
    )
    assert splits["train"].images.shape == (27352, 48, 48)
    assert splits["train"].images.dtype == np.uint8


def test_second_load_comes_from_the_cache_with_the_same_arrays(fer_folder, tmp_path):
    first = load_fer2013(fer_folder, cache_dir=tmp_path)
    assert list(tmp_path.glob("fer2013-*.npz"))
    second = load_fer2013(fer_folder, cache_dir=tmp_path)
    np.testing.assert_array_equal(first["private"].images, second["private"].images)
    np.testing.assert_array_equal(first["private"].labels, second["private"].labels)


def test_csv_labels_map_from_the_original_order():
    assert [EMOTIONS[i] for i in CSV_TO_INDEX] == [
        "angry",
        "disgust",
        "fear",
        "happy",
        "sad",
        "surprise",
        "neutral",
    ]


def test_csv_sample_loads_560_rows_in_three_splits(fer_csv, tmp_path):
    splits = load_fer2013(fer_csv, cache_dir=tmp_path)
    assert sum(len(s) for s in splits.values()) == 560
    assert set(splits) == {"train", "public", "private"}
    for split in splits.values():
        assert split.images.shape[1:] == (48, 48)


def test_csv_row_label_4_is_sad_and_6_is_neutral(tmp_path):
    pixels = " ".join(["7"] * 2304)
    path = tmp_path / "tiny.csv"
    path.write_text(
        f"emotion,pixels,Usage\n4,{pixels},Training\n6,{pixels},PrivateTest\n"
    )
    rows = list(iter_csv_rows(path))
    assert [(EMOTIONS[label], split) for label, split, _ in rows] == [
        ("sad", "train"),
        ("neutral", "private"),
    ]
    assert rows[0][2].shape == (48, 48) and rows[0][2][0, 0] == 7


@pytest.mark.parametrize(
    "row, message",
    [
        ("9,{p},Training", "label 9"),
        ("1,1 2 3,Training", "2304 pixel values"),
        ("x,{p},Training", "not integers"),
        ("1,{p},Elsewhere", "unknown Usage"),
        ("1,{p}", "3 columns"),
    ],
)
def test_malformed_csv_row_names_its_line(tmp_path, row, message):
    pixels = " ".join(["1"] * 2304)
    path = tmp_path / "bad.csv"
    good = f"0,{pixels},Training"
    path.write_text(
        "emotion,pixels,Usage\n" + good + "\n" + row.format(p=pixels) + "\n"
    )
    with pytest.raises(DataError, match=f":3: .*{message}"):
        list(iter_csv_rows(path))


def test_unknown_class_folder_is_refused(tmp_path):
    (tmp_path / "data" / "train" / "bored").mkdir(parents=True)
    with pytest.raises(DataError, match="unknown class folder 'bored'"):
        load_fer2013(tmp_path / "data", cache_dir=tmp_path / "cache")


def test_split_comes_from_the_prefix_then_the_folder():
    assert split_of_file("PublicTest_1.jpg", "private") == "public"
    assert split_of_file("PrivateTest_1.jpg", "private") == "private"
    assert split_of_file("img_1.jpg", "train") == "train"
    assert split_of_file("img_1.jpg", None) is None


def test_pixel_value_too_big_for_int32_names_its_line(tmp_path):
    pixels = " ".join(["1"] * 2304)
    huge = " ".join(["99999999999"] + ["1"] * 2303)
    path = tmp_path / "huge.csv"
    path.write_text(f"emotion,pixels,Usage\n0,{pixels},Training\n0,{huge},Training\n")
    with pytest.raises(DataError, match=":3: pixel values must be 0..255"):
        list(iter_csv_rows(path))


def test_pixels_field_over_the_csv_field_limit_names_its_line(tmp_path):
    pixels = " ".join(["1"] * 2304)
    field = " ".join(["1"] * 70_000)
    path = tmp_path / "long.csv"
    path.write_text(f"emotion,pixels,Usage\n0,{pixels},Training\n0,{field},Training\n")
    with pytest.raises(DataError, match=":3: line longer than 65,536 characters"):
        list(iter_csv_rows(path))


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_a_line_of_exactly_the_limit_is_not_called_too_long(tmp_path, ending):
    row = "0," + "1 " * 32_762 + "1,Training"  # 65,536 characters
    assert len(row) == 65_536
    path = tmp_path / "limit.csv"
    path.write_bytes(f"emotion,pixels,Usage{ending}{row}{ending}".encode())
    with pytest.raises(DataError) as error:  # too many pixels, but not too long
        list(iter_csv_rows(path))
    assert ":2:" in str(error.value) and "line longer" not in str(error.value)


def test_quoted_field_over_the_csv_field_limit_names_the_line_it_reached(tmp_path):
    pixels = " ".join(["1"] * 2304)
    field = "\n".join([" ".join(["1"] * 2000)] * 40)
    path = tmp_path / "quoted.csv"
    path.write_text(
        f'emotion,pixels,Usage\n0,{pixels},Training\n0,"{field}",Training\n'
    )
    with pytest.raises(DataError, match=":35: not a valid CSV row: field larger"):
        list(iter_csv_rows(path))


def test_csv_starting_with_a_byte_order_mark_loads(tmp_path):
    pixels = " ".join(["7"] * 2304)
    path = tmp_path / "bom.csv"
    path.write_bytes(f"\ufeffemotion,pixels,Usage\n3,{pixels},Training\n".encode())
    [(label, split, _)] = list(iter_csv_rows(path))
    assert (EMOTIONS[label], split) == ("happy", "train")


def _tiny_folder(root: Path, face_name: str = "Training_0.png") -> Path:
    """A folder layout with one 48x48 face of 9s, ``data/train/happy/<face_name>``."""
    class_dir = root / "data" / "train" / "happy"
    class_dir.mkdir(parents=True)
    cv2.imwrite(str(class_dir / face_name), np.full((48, 48), 9, np.uint8))
    return root / "data"


@contextmanager
def _ending_reads_of(fifo: Path) -> Iterator[None]:
    """Give a reader blocked on the FIFO end-of-file, so a hang fails instead."""
    done = threading.Event()

    def open_and_close_for_writing() -> None:
        while not done.wait(1.0):
            with suppress(OSError):  # ENXIO: nobody is reading, as it should be
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    writer = threading.Thread(target=open_and_close_for_writing, daemon=True)
    writer.start()
    try:
        yield
    finally:
        done.set()
        writer.join()


def test_fifo_named_like_an_image_is_refused_without_opening_it(tmp_path):
    data = _tiny_folder(tmp_path)
    fifo = data / "train" / "happy" / "Training_fifo.png"
    os.mkfifo(fifo)
    with _ending_reads_of(fifo), pytest.raises(DataError, match="not a regular file"):
        load_fer2013(data, cache_dir=tmp_path / "cache")


def test_fifo_given_as_the_csv_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "fer2013.csv"
    os.mkfifo(fifo)
    with _ending_reads_of(fifo), pytest.raises(DataError, match="not a regular file"):
        load_fer2013(fifo, cache_dir=tmp_path / "cache")


def test_image_whose_name_is_not_utf8_loads(tmp_path):
    data = _tiny_folder(tmp_path)
    class_dir = os.fsencode(data / "train" / "happy")
    os.rename(class_dir + b"/Training_0.png", class_dir + b"/Training_\xff.png")
    splits = load_fer2013(data, cache_dir=tmp_path / "cache")
    assert splits["train"].images[0, 0, 0] == 9


def test_class_folder_whose_name_is_not_utf8_is_refused(tmp_path):
    data = _tiny_folder(tmp_path)
    os.mkdir(os.fsencode(data / "train") + b"/\xff")
    with pytest.raises(DataError, match="unknown class folder"):
        load_fer2013(data, cache_dir=tmp_path / "cache")


def _rewrite_keeping_folder_mtime(file: Path, image: np.ndarray, mtime_ns: int) -> None:
    folder_stat = file.parent.stat()
    cv2.imwrite(str(file), image)
    os.utime(file, ns=(mtime_ns, mtime_ns))
    os.utime(file.parent, ns=(folder_stat.st_atime_ns, folder_stat.st_mtime_ns))


def test_cache_notices_an_image_edited_to_the_same_size(tmp_path):
    data = _tiny_folder(tmp_path, "Training_0.bmp")  # a BMP's size is its shape's
    face = data / "train" / "happy" / "Training_0.bmp"
    load_fer2013(data, cache_dir=tmp_path / "cache")
    size, mtime_ns = face.stat().st_size, face.stat().st_mtime_ns

    later_ns = mtime_ns + 1_000_000_000
    _rewrite_keeping_folder_mtime(face, np.full((48, 48), 2, np.uint8), later_ns)
    assert face.stat().st_size == size
    splits = load_fer2013(data, cache_dir=tmp_path / "cache")
    assert splits["train"].images[0, 0, 0] == 2
    # The new cache replaced the old one instead of piling up beside it.
    assert len(list((tmp_path / "cache").glob("fer2013-*.npz"))) == 1


def test_cache_notices_an_image_replaced_with_its_old_mtime(tmp_path):
    data = _tiny_folder(tmp_path)
    face = data / "train" / "happy" / "Training_0.png"
    load_fer2013(data, cache_dir=tmp_path / "cache")
    assert list((tmp_path / "cache").glob("fer2013-*.npz"))

    noise = np.random.default_rng(0).integers(0, 256, (48, 48), dtype=np.uint8)
    _rewrite_keeping_folder_mtime(face, noise, face.stat().st_mtime_ns)
    splits = load_fer2013(data, cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(splits["train"].images[0], noise)


def test_cache_notices_a_renamed_image(tmp_path):
    data = _tiny_folder(tmp_path)
    class_dir = data / "train" / "happy"
    load_fer2013(data, cache_dir=tmp_path / "cache")

    folder_stat = class_dir.stat()
    (class_dir / "Training_0.png").rename(class_dir / "PublicTest_0.png")
    os.utime(class_dir, ns=(folder_stat.st_atime_ns, folder_stat.st_mtime_ns))
    splits = load_fer2013(data, cache_dir=tmp_path / "cache")
    assert list(splits) == ["public"]
