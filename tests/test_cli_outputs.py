"""The headless command: JSON lines and CSV that hold what they claim."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from emotion_tui.core.emotions import EMOTIONS
from emotion_tui.core.results import CSV_COLUMNS


def emotion_tui(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emotion_tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


def _check_face(face: dict) -> None:
    assert set(face) == {
        "id",
        "box",
        "emotion",
        "confidence",
        "probabilities",
        "smoothed",
    }
    assert isinstance(face["id"], int) and face["id"] >= 1
    x, y, w, h = face["box"]
    assert w > 0 and h > 0 and x >= 0 and y >= 0
    for key in ("probabilities", "smoothed"):
        assert list(face[key]) == list(EMOTIONS)
        assert sum(face[key].values()) == pytest.approx(1.0, abs=0.01)
    assert face["emotion"] == max(face["smoothed"], key=face["smoothed"].get)
    assert face["confidence"] == pytest.approx(
        face["smoothed"][face["emotion"]], abs=1e-4
    )


def test_jsonl_has_a_record_for_every_frame_of_the_wolfgang_clip(media, tmp_path):
    out = tmp_path / "results.jsonl"
    done = emotion_tui(
        "run", str(media / "WolfgangLanger_Pexels.mp4"), "--no-ui", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["frame"] for r in records] == list(range(472))
    stamps = [r["timestamp_ms"] for r in records]
    assert stamps == sorted(stamps) and stamps[-1] == pytest.approx(
        471 / 23.976 * 1000, abs=50
    )
    ids = set()
    for r in records:
        for face in r["faces"]:
            _check_face(face)
            ids.add(face["id"])
    assert sum(len(r["faces"]) == 1 for r in records) >= 0.97 * 472
    summary = json.loads(done.stderr.strip().splitlines()[-2])["summary"]
    assert summary["frames"] == 472
    assert summary["frames_with_faces"] >= 460
    assert summary["fps"] > 0
    assert set(summary["mean_ms"]) == {"read", "detect", "classify", "track"}


def test_stdout_json_lines_for_the_multi_face_photo(media):
    done = emotion_tui("run", str(media / "multi_face.jpg"), "--no-ui")
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    record = json.loads(line)
    assert record["frame"] == 0 and len(record["faces"]) >= 4
    for face in record["faces"]:
        _check_face(face)


def test_csv_has_one_row_per_face_per_frame(media, tmp_path):
    out = tmp_path / "run.csv"
    done = emotion_tui(
        "run", str(media / "face_noface.mov"), "--no-ui", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    with out.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert tuple(rows[0]) == CSV_COLUMNS
    frames = sorted({int(r["frame"]) for r in rows})
    assert frames == list(range(len(frames))) and len(frames) >= 160
    for row in rows:
        if row["faces"] == "0":
            assert row["id"] == "" and row["emotion"] == ""
            continue
        probs = [float(row[f"p_{e}"]) for e in EMOTIONS]
        smoothed = {e: float(row[f"smoothed_{e}"]) for e in EMOTIONS}
        assert sum(probs) == pytest.approx(1.0, abs=0.01)
        assert row["emotion"] == max(smoothed, key=smoothed.get)
        assert int(row["w"]) > 0 and int(row["h"]) > 0
    assert rows[0]["faces"] == "1" and rows[-1]["faces"] == "0"


def test_a_folder_of_images_is_read_in_name_order_skipping_other_files(media, tmp_path):
    folder = tmp_path / "pics"
    folder.mkdir()
    for name in ("b.jpg", "a.png"):
        (folder / name).write_bytes((media / "single_face.jpg").read_bytes())
    (folder / "notes.txt").write_text("not an image")
    done = emotion_tui("run", str(folder), "--no-ui")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["source"].rsplit("/", 1)[-1] for r in records] == ["a.png", "b.jpg"]
    assert all(len(r["faces"]) == 1 for r in records)


def test_an_existing_results_file_is_not_overwritten_without_force(media, tmp_path):
    out = tmp_path / "keep.jsonl"
    out.write_text("precious\n")
    done = emotion_tui(
        "run", str(media / "single_face.jpg"), "--no-ui", "--out", str(out)
    )
    assert done.returncode == 2
    assert "exists; use --force" in done.stderr
    assert out.read_text() == "precious\n"
    forced = emotion_tui(
        "run", str(media / "single_face.jpg"), "--no-ui", "--out", str(out), "--force"
    )
    assert forced.returncode == 0 and json.loads(out.read_text())["frame"] == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "missing.mp4", "--no-ui"], "no such file or folder: missing.mp4"),
        (["run", "9", "--no-ui"], "cannot open camera 9"),
        (["run", "x.mp4", "--no-ui", "--scale-factor", "-1"], "scale factor"),
        (["run", "x.mp4", "--no-ui", "--detect-width", "0.5"], "detect width"),
        (["run", "x.mp4", "--no-ui", "--model", "nope.tflite"], "model file not found"),
    ],
)
def test_bad_input_gives_one_clear_line_and_a_non_zero_exit(args, message):
    done = emotion_tui(*args)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
