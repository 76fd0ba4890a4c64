"""FER2013 loaders on the real folder layout and the original CSV format."""

from __future__ import annotations

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
