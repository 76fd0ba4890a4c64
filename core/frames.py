"""Frame validation and normalisation: every image becomes BGR uint8."""

from __future__ import annotations

import numpy as np

from .errors import SourceError


def normalize_frame(image: np.ndarray, name: str = "frame") -> np.ndarray:
    """Return a contiguous BGR uint8 copy-or-view of any image OpenCV can give.

    Handles gray (2-D or one channel), BGR, BGRA (composited over white), 16-bit
    and float images. Raises ``SourceError`` for anything that is not an image.
    """
    if not isinstance(image, np.ndarray) or image.size == 0:
        raise SourceError(f"{name}: empty image")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise SourceError(f"{name}: unsupported image shape {image.shape}")

    image = _to_uint8(image, name)
    if image.ndim == 2:
        image = np.repeat(image[:, :, np.newaxis], 3, axis=2)
    elif image.shape[2] == 4:
        image = _composite_over_white(image)
    return np.ascontiguousarray(image)


def _to_uint8(image: np.ndarray, name: str) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * 255
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    if np.issubdtype(image.dtype, np.integer):
        # Wide integer types rarely use their whole range: judge by the values.
        low, high = int(image.min()), int(image.max())
        if low >= 0 and high <= 255:
            return image.astype(np.uint8)
        if low >= 0 and high <= 65535:
            return (image.astype(np.uint32) >> 8).astype(np.uint8)
        span = max(1, high - low)
        scaled = (image.astype(np.float64) - low) / span
        return (scaled * 255.0 + 0.5).astype(np.uint8)
    if np.issubdtype(image.dtype, np.floating):
        finite = np.nan_to_num(
            image.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0
        )
        # Float images are taken as 0..1 unless their values say 0..255.
        peak = float(finite.max()) if finite.size else 0.0
        scale = 1.0 if peak > 1.0 else 255.0
        return np.clip(finite * scale + 0.5, 0, 255).astype(np.uint8)
    raise SourceError(f"{name}: unsupported pixel type {image.dtype}")


def _composite_over_white(bgra: np.ndarray) -> np.ndarray:
    alpha = bgra[:, :, 3:4].astype(np.float32) * (1.0 / 255.0)
    bgr = bgra[:, :, :3].astype(np.float32)
    return (bgr * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
