"""A small line chart with axes for per-epoch curves (train and validation)."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

SERIES_STYLES = ("bold cyan", "bold magenta")
MARKS = ("●", "◆")


class EpochChart(Widget):
    """Draws up to two series against the epoch number, with y and x axes."""

    DEFAULT_CSS = """
    EpochChart { height: 1fr; min-height: 8; }
    """

    def __init__(self, title: str, keys: tuple[str, str], percent: bool = False, **kw):
        super().__init__(**kw)
        self.title = title
        self.keys = keys
        self.percent = percent
        self.history: list[dict] = []

    def set_history(self, history: list[dict]) -> None:
        self.history = history
        self.refresh()

    def _fmt(self, v: float, span: float) -> str:
        """An axis label with as many decimals as the span needs to tell them apart."""
        if self.percent:
            decimals = 0 if span >= 0.05 else 1 if span >= 0.005 else 2
            return f"{v:.{decimals}%}"
        decimals = 2 if span >= 0.05 else 3 if span >= 0.005 else 4
        return f"{v:.{decimals}f}"

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        legend = Text(f"{self.title}  ")
        for key, style, mark in zip(self.keys, SERIES_STYLES, MARKS):
            legend.append(f"{mark} {key}  ", style)
        series = [
            [row.get(k) for row in self.history if row.get(k) is not None]
            for k in self.keys
        ]
        values = [v for s in series for v in s]
        if not values:
            return legend + Text("\n(no completed epoch yet)")
        low, high = min(values), max(values)
        if high - low < 1e-9:
            low, high = low - 0.5, high + 0.5
        plot_h = max(2, height - 3)
        shown_rows = (0, plot_h // 2, plot_h - 1)
        labels = {
            r: self._fmt(high - (high - low) * r / max(1, plot_h - 1), high - low)
            for r in shown_rows
        }
        axis_w = max(7, 1 + max(len(label) for label in labels.values()))
        plot_w = max(4, width - axis_w - 1)
        n = max(len(s) for s in series)
        grid = [[(" ", "")] * plot_w for _ in range(plot_h)]

        def cell(i: int, v: float) -> tuple[int, int]:
            x = 0 if n == 1 else round(i * (plot_w - 1) / (n - 1))
            y = round((v - low) / (high - low) * (plot_h - 1))
            return x, plot_h - 1 - y

        for s, style, mark in zip(series, SERIES_STYLES, MARKS):
            previous = None
            for i, v in enumerate(s):
                x, y = cell(i, v)
                if previous is not None:  # connect to the previous point
                    px, py = previous
                    for cx in range(px + 1, x):
                        t = (cx - px) / (x - px)
                        cy = round(py + (y - py) * t)
                        if grid[cy][cx][0] == " ":
                            grid[cy][cx] = ("·", style)
                grid[y][x] = (mark, style)
                previous = (x, y)

        text = legend + Text("\n")
        for r, row in enumerate(grid):
            text.append(f"{labels.get(r, ''):>{axis_w - 1}}┤")
            for ch, style in row:
                text.append(ch, style or None)
            text.append("\n")
        text.append(" " * (axis_w - 1) + "└" + "─" * plot_w + "\n")
        last = f"epoch {n}"
        text.append(" " * axis_w + "1" + last.rjust(plot_w - 1))
        return text
