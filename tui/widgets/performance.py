"""The performance panel: FPS and milliseconds per stage."""

from __future__ import annotations

from textual.widgets import Static

from ...core.live import LiveSnapshot
from ...core.pipeline import STAGES


class PerformancePanel(Static):
    DEFAULT_CSS = """
    PerformancePanel { height: auto; }
    """

    def show(self, snap: LiveSnapshot, render_ms: float, shown: int) -> None:
        source_fps = f"{snap.source_fps:.1f}" if snap.source_fps else "-"
        stages = "  ".join(
            f"{stage} {snap.mean_stage_ms.get(stage, 0.0):.1f}" for stage in STAGES
        )
        self.update(
            f"[b]{snap.fps:.1f}[/b] fps processing, source {source_fps} fps\n"
            f"frames {snap.frames}, drawn {shown}, "
            f"skipped {max(0, snap.frames - shown)}\n"
            f"ms: {stages}  render {render_ms:.1f}"
        )
