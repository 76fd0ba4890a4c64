"""The frame preview: the frame drawn with half-block characters in true colour.

Each terminal cell shows two pixels (upper half ``▀`` in the foreground colour,
lower half in the background colour), which works over plain SSH.
"""

from __future__ import annotations

import cv2
import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from ...core.pipeline import FrameResult

BOX_BGR = (80, 220, 80)
_CACHE_LIMIT = 4096


def annotate(image: np.ndarray, result: FrameResult) -> np.ndarray:
    """A copy of the frame with each face's box and label drawn on it."""
    out = image.copy()
    thickness = max(2, image.shape[1] // 320)
    for face in result.faces:
        x, y, w, h = face.box
        cv2.rectangle(out, (x, y), (x + w, y + h), BOX_BGR, thickness)
        label = f"{face.track_id} {face.emotion} {face.confidence:.0%}"
        cv2.putText(
            out,
            label,
            (x, max(12, y - 6)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.5 * thickness / 2,
            BOX_BGR,
            thickness // 2 + 1,
            cv2.LINE_AA,
        )
    return out


class FramePreview(Widget):
    """Shows the latest frame with face boxes; labels are printed as text."""

    DEFAULT_CSS = """
    FramePreview { height: 1fr; min-height: 6; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._rows: list[Strip] = []
        self._built_for: tuple | None = None
        self._result: FrameResult | None = None
        self._styles: dict[tuple, Style] = {}

    def show_frame(self, result: FrameResult | None) -> None:
        self._result = (
            result if result is not None and result.image is not None else None
        )
        self._built_for = None
        self.refresh()

    def _ensure_built(self) -> None:
        """Build the rows for the current frame and size, once per change."""
        key = (id(self._result), self.size.width, self.size.height)
        if key == self._built_for:
            return
        self._built_for = key
        width, height = self.size.width, self.size.height
        if self._result is None or width < 2 or height < 2:
            self._rows = []
            return
        self._rows = self._build(self._result, width, height)

    def _fit(self, frame_w: int, frame_h: int, cols: int, rows: int) -> tuple[int, int]:
        # A cell is about twice as tall as wide and holds two pixels vertically.
        scale = min(cols / frame_w, (rows * 2) / frame_h)
        return max(1, int(frame_w * scale)), max(2, int(frame_h * scale) // 2 * 2)

    def _build(self, result: FrameResult, cols: int, rows: int) -> list[Strip]:
        image = result.image
        frame_h, frame_w = image.shape[:2]
        out_w, out_h = self._fit(frame_w, frame_h, cols, rows)
        small = cv2.resize(image, (out_w, out_h), interpolation=cv2.INTER_AREA)
        sx, sy = out_w / frame_w, out_h / frame_h
        for face in result.faces:
            x, y, w, h = face.box
            p0 = (int(x * sx), int(y * sy))
            p1 = (min(out_w - 1, int((x + w) * sx)), min(out_h - 1, int((y + h) * sy)))
            cv2.rectangle(small, p0, p1, BOX_BGR, 1)
        rgb = small[:, :, ::-1]
        labels = {}
        for face in result.faces:
            row = max(0, int(face.box[1] * sy) // 2 - 1)
            labels.setdefault(row, []).append(
                (int(face.box[0] * sx), f" {face.track_id} {face.emotion} ")
            )
        strips = []
        for r in range(out_h // 2):
            top, bottom = rgb[2 * r], rgb[2 * r + 1]
            segments = [
                Segment("▀", self._style(tuple(top[c]), tuple(bottom[c])))
                for c in range(out_w)
            ]
            for col, text in labels.get(r, []):
                label_style = Style(color="black", bgcolor="rgb(80,220,80)", bold=True)
                for i, ch in enumerate(text[: max(0, out_w - col)]):
                    segments[col + i] = Segment(ch, label_style)
            strips.append(Strip(segments, out_w))
        return strips

    def _style(self, top: tuple, bottom: tuple) -> Style:
        # Quantise to 4 levels less per channel to keep the style cache useful.
        key = tuple(v >> 2 for v in top) + tuple(v >> 2 for v in bottom)
        style = self._styles.get(key)
        if style is None:
            if len(self._styles) > _CACHE_LIMIT:
                self._styles.clear()
            style = Style(
                color=f"rgb({top[0]},{top[1]},{top[2]})",
                bgcolor=f"rgb({bottom[0]},{bottom[1]},{bottom[2]})",
            )
            self._styles[key] = style
        return style

    def render_line(self, y: int) -> Strip:
        self._ensure_built()
        if y < len(self._rows):
            return self._rows[y]
        return Strip.blank(self.size.width)
