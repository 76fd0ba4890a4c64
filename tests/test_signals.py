"""Ctrl+C, SIGTERM and kill -9: results and checkpoints survive."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _start(args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "emotion_tui.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _wait_for_lines(path: Path, n: int, proc, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"run ended early: {proc.stderr.read()}")
        time.sleep(0.1)
    raise AssertionError("no output in time")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_leaves_a_complete_results_file(media, tmp_path, sig):
    out = tmp_path / f"run-{sig.name}.jsonl"
    proc = _start(
        [
            "run",
            str(media / "WolfgangLanger_Pexels.mp4"),
            "--loop",
            "--no-ui",
            "--out",
            str(out),
        ]
    )
    _wait_for_lines(out, 30, proc)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130
    lines = out.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every line is whole
    assert [r["frame"] for r in records] == list(range(len(records)))
    summary = json.loads(stderr.strip().splitlines()[-2])["summary"]
    assert summary["frames"] == len(records) and summary["stopped"] == "signal"


def test_a_killed_training_run_resumes_from_its_last_checkpoint(fer_folder, tmp_path):
    run_dir = tmp_path / "run"
    args = [
        "train",
        "--data",
        str(fer_folder),
        "--epochs",
        "3",
        "--limit",
        "320",
        "--batch-size",
        "32",
        "--no-ui",
        "--run-dir",
        str(run_dir),
    ]
    proc = _start(args, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    state = run_dir / "state.json"
    deadline = time.monotonic() + 240
    while not state.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no epoch finished in time"
        time.sleep(0.2)
    proc.kill()  # kill -9 at an arbitrary point after the first epoch
    proc.communicate(timeout=30)
    done = json.loads(state.read_text())["epochs_done"]
    assert done >= 1
    assert (run_dir / "last.keras").stat().st_size > 0

    resumed = subprocess.run(
        [
            sys.executable,
            "-m",
            "emotion_tui.cli",
            "train",
            "--resume",
            str(run_dir),
            "--no-ui",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr
    # Piped, each epoch's report stays on one line, and no library warning shows.
    epochs = [ln for ln in resumed.stdout.splitlines() if ln.startswith("epoch ")]
    assert epochs and all(ln.rstrip().endswith(("s", "(best)")) for ln in epochs)
    assert "Warning" not in resumed.stdout + resumed.stderr
    final = json.loads(state.read_text())
    assert final["epochs_done"] == 3 and len(final["history"]) == 3


def test_ctrl_c_during_training_keeps_finished_epochs_and_exits_130(
    fer_folder, tmp_path
):
    run_dir = tmp_path / "run"
    proc = _start(
        ["train", "--data", str(fer_folder), "--epochs", "4", "--limit", "320"]
        + ["--batch-size", "32", "--no-ui", "--run-dir", str(run_dir)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 240
    while not (run_dir / "state.json").exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no epoch finished in time"
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    done = json.loads((run_dir / "state.json").read_text())["epochs_done"]
    assert done >= 1 and f"interrupted after {done} epochs" in stdout
