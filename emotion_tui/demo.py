"""The bundled demo clip (see scripts/make_demo_clip.py for how it is made)."""

from __future__ import annotations

from pathlib import Path

from .core.errors import SourceError


def demo_clip_path() -> Path:
    path = Path(__file__).resolve().parent / "assets" / "demo.mp4"
    if not path.exists():
        raise SourceError(f"the demo clip is missing from this install: {path}")
    return path
