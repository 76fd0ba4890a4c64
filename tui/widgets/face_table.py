"""The faces panel: one row per tracked face, updated in place."""

from __future__ import annotations

from textual.widgets import DataTable

from ...core.emotions import EMOTIONS
from ...core.pipeline import FaceResult

_LEVELS = " ▁▂▃▄▅▆▇█"


def level(p: float) -> str:
    """One block character whose height shows a probability in 0..1."""
    return _LEVELS[round(max(0.0, min(1.0, p)) * 8)]


class FaceTable(DataTable):
    """Rows keyed by track id; rows of faces gone for a while are removed."""

    DEFAULT_CSS = """
    FaceTable { height: auto; max-height: 12; }
    """

    def __init__(self, keep_gone_s: float = 2.0, **kwargs):
        super().__init__(
            cursor_type="row", zebra_stripes=True, cell_padding=0, **kwargs
        )
        self.keep_gone_s = keep_gone_s
        self._last_seen: dict[str, float] = {}

    def on_mount(self) -> None:
        self.add_column(" id", key="id", width=4)
        self.add_column("box", key="box", width=16)
        self.add_column("emotion", key="emotion", width=14)
        for emotion in EMOTIONS:
            self.add_column(emotion[:5], key=emotion, width=6)

    @staticmethod
    def cells(face: FaceResult) -> dict[str, str]:
        x, y, w, h = face.box
        cells = {
            "id": f"{face.track_id:>3}",
            "box": f"{x},{y} {w}x{h}",
            "emotion": f"{face.emotion} {face.confidence:.0%}",
        }
        for emotion, p in zip(EMOTIONS, face.smoothed):
            cells[emotion] = f"{level(p)}{p * 100:3.0f}"
        return cells

    def show_faces(self, faces: tuple[FaceResult, ...], now_s: float) -> None:
        """Update rows in place: add new faces, update seen ones, drop stale ones."""
        for face in faces:
            key = str(face.track_id)
            self._last_seen[key] = now_s
            cells = self.cells(face)
            if key in self.rows:
                for column, value in cells.items():
                    if self.get_cell(key, column) != value:
                        self.update_cell(key, column, value)
            else:
                self.add_row(*cells.values(), key=key)
        for key, seen in list(self._last_seen.items()):
            if now_s - seen > self.keep_gone_s:
                del self._last_seen[key]
                if key in self.rows:
                    self.remove_row(key)

    def forget_all(self) -> None:
        self._last_seen.clear()
        self.clear()

    def selected_track_id(self) -> int | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # no row under the cursor
            return None
        return int(key.value) if key.value is not None else None
