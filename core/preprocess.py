"""Face preprocessing shared by training and inference."""

from __future__ import annotations

import cv2
import numpy as np

from .emotions import FACE_SIZE_PX

Box = tuple[int, int, int, int]


def to_gray(image: np.ndarray) -> np.ndarray:
    """Return a single-channel uint8 view of a BGR or gray uint8 image."""
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def crop_face(gray: np.ndarray, box: Box) -> np.ndarray:
    """Crop a face box from a gray frame; the part outside the frame is cut off.

    Returns an empty array when the box does not overlap the frame.
    """
    x, y, w, h = box
    height, width = gray.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + w), min(height, y + h)
    if x1 <= x0 or y1 <= y0:
        return gray[0:0, 0:0]
    return gray[y0:y1, x0:x1]


def face_to_input(face_gray: np.ndarray) -> np.ndarray:
    """Turn a gray face crop of any size into the model's 48x48 float input.

    The result has shape (48, 48, 1) and values in [0, 1].
    """
    if face_gray.shape[:2] != (FACE_SIZE_PX, FACE_SIZE_PX):
        shrinking = face_gray.shape[0] > FACE_SIZE_PX
        interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        face_gray = cv2.resize(
            face_gray, (FACE_SIZE_PX, FACE_SIZE_PX), interpolation=interpolation
        )
    return (face_gray.astype(np.float32) * (1.0 / 255.0))[..., np.newaxis]


def faces_to_batch(gray: np.ndarray, boxes: list[Box]) -> np.ndarray:
    """Preprocess every box of one frame into a batch of shape (n, 48, 48, 1)."""
    batch = np.empty((len(boxes), FACE_SIZE_PX, FACE_SIZE_PX, 1), np.float32)
    for i, box in enumerate(boxes):
        crop = crop_face(gray, box)
        if crop.size == 0:
            batch[i] = 0.0
        else:
            batch[i] = face_to_input(crop)
    return batch
