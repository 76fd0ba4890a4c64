"""The trends panel: one rolling line per emotion, on a fixed 0-100% scale."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Label

from ...core.emotions import EMOTIONS

_LEVELS = " ▁▂▃▄▅▆▇█"


class ProbabilityLine(Widget):
    """Block characters whose heights show probabilities; the newest on the right.

    Unlike an auto-scaled sparkline, 0 is always empty and 1 always full, so
    rows can be compared with each other and with the numbers beside them.
    """

    DEFAULT_CSS = """
    ProbabilityLine { height: 1; width: 1fr; color: $accent; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.values: list[float] = []

    def set_values(self, values: list[float]) -> None:
        self.values = values
        self.refresh()

    def render(self) -> Text:
        width = self.size.width
        values = self.values
        if len(values) > width > 0:
            # One cell per bucket of samples, showing the bucket's peak.
            step = len(values) / width
            values = [
                max(values[int(i * step) : max(int(i * step) + 1, int((i + 1) * step))])
                for i in range(width)
            ]
        line = "".join(_LEVELS[round(min(1.0, max(0.0, v)) * 8)] for v in values)
        return Text(line.rjust(width))


class EmotionTrends(Vertical):
    """Keeps (time, probabilities) per track over a window and draws one track."""

    DEFAULT_CSS = """
    EmotionTrends { height: auto; }
    EmotionTrends > Horizontal { height: 1; }
    EmotionTrends .name { width: 9; }
    EmotionTrends .value { width: 5; text-align: right; }
    EmotionTrends #trend-title { height: 1; color: $text-muted; }
    """

    def __init__(self, window_s: float = 30.0, **kwargs):
        super().__init__(**kwargs)
        self.window_s = window_s
        self.history: dict[int, deque] = {}
        self.shown_track: int | None = None

    def compose(self) -> ComposeResult:
        yield Label("trends: no face yet", id="trend-title")
        for emotion in EMOTIONS:
            with Horizontal():
                yield Label(emotion, classes="name")
                yield ProbabilityLine(id=f"line-{emotion}")
                yield Label("  -", id=f"value-{emotion}", classes="value")

    def on_mount(self) -> None:
        # Looked up once: show() runs at every UI refresh.
        self._title = self.query_one("#trend-title", Label)
        self._rows = [
            (
                self.query_one(f"#line-{e}", ProbabilityLine),
                self.query_one(f"#value-{e}", Label),
            )
            for e in EMOTIONS
        ]

    def record(
        self, track_id: int, t_s: float, probabilities: tuple[float, ...]
    ) -> None:
        series = self.history.setdefault(track_id, deque())
        series.append((t_s, probabilities))
        while series and t_s - series[0][0] > self.window_s:
            series.popleft()

    def prune(self, now_s: float) -> None:
        """Forget tracks whose last point has left the window (bounded memory)."""
        for track_id in [
            t
            for t, s in self.history.items()
            if not s or now_s - s[-1][0] > self.window_s
        ]:
            del self.history[track_id]

    def clear_history(self) -> None:
        self.history.clear()
        self.shown_track = None

    def busiest_track(self) -> int | None:
        if not self.history:
            return None
        return max(self.history, key=lambda t: len(self.history[t]))

    def show(self, track_id: int | None) -> None:
        track_id = track_id if track_id in self.history else self.busiest_track()
        self.shown_track = track_id
        title = self._title
        if track_id is None:
            title.update("trends: no face")
            for line, value in self._rows:
                line.set_values([])
                value.update("  -")
            return
        series = self.history[track_id]
        span = series[-1][0] - series[0][0] if series else 0.0
        title.update(
            f"trends: face {track_id}, last {span:.0f} s of {self.window_s:.0f} s"
        )
        for i, (line, value) in enumerate(self._rows):
            values = [p[i] for _, p in series]
            line.set_values(values)
            value.update(f"{values[-1]:4.0%}")
