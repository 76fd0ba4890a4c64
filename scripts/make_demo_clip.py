"""Make the demo clip shipped for ``emotion-tui --demo``.

The face is NASA's public-domain portrait of astronaut Eileen Collins, as shipped
by scikit-image (``skimage.data.astronaut``). The camera drifts and zooms slowly
so that tracking and smoothing have something to follow.

Usage: python scripts/make_demo_clip.py [OUT.mp4]   (needs scikit-image)
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import cv2
import numpy as np

OUT = Path(__file__).resolve().parent.parent / "emotion_tui" / "assets" / "demo.mp4"
WIDTH, HEIGHT, FPS, SECONDS = 640, 360, 20, 6


def frames(portrait: np.ndarray):
    h, w = portrait.shape[:2]
    # The face sits in the upper middle of the portrait; frame it in 16:9.
    face_x = 0.45 * w
    base_w = 1.0 * w
    total = FPS * SECONDS
    for i in range(total):
        phase = 2 * math.pi * i / total
        # One smooth loop: a gentle zoom in and out with a sideways drift.
        crop_w = base_w / (1.0 + 0.15 * (1 - math.cos(phase)) / 2)
        crop_h = crop_w * HEIGHT / WIDTH
        cx = face_x + 0.06 * w * math.sin(phase)
        cy = 0.0  # keep the top of the head in view
        x0 = float(np.clip(cx - crop_w / 2, 0, w - crop_w))
        y0 = float(np.clip(cy - crop_h / 2, 0, h - crop_h))
        # Sub-pixel crop through an affine warp keeps the motion smooth.
        scale = WIDTH / crop_w
        matrix = np.float32([[scale, 0, -x0 * scale], [0, scale, -y0 * scale]])
        yield cv2.warpAffine(portrait, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_AREA)


def main() -> None:
    from skimage import data

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    portrait = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    writer = cv2.VideoWriter(
        str(out), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT)
    )
    if not writer.isOpened():
        raise SystemExit("this OpenCV build cannot write mp4v video")
    count = 0
    for frame in frames(portrait):
        writer.write(frame)
        count += 1
    writer.release()
    print(f"wrote {out}: {count} frames, {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
