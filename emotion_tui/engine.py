"""Turning command-line options into a ready pipeline (shared by CLI and TUI)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from .core.classify import Classifier, load_classifier
from .core.detect import DetectorConfig, FaceDetector
from .core.errors import ModelError
from .core.pipeline import Pipeline
from .core.track import TrackerConfig
from .quiet import native_stderr_to

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_MODEL_NAME = "emotion_vggnet.tflite"


def models_dir() -> Path:
    """The folder of shipped models (the repo's models/, or the installed copy)."""
    try:
        from . import models

        return Path(next(iter(models.__path__)))
    except (ImportError, StopIteration):
        return MODELS_DIR


def default_model_path() -> Path:
    return models_dir() / DEFAULT_MODEL_NAME


@dataclass
class EngineOptions:
    model: Path
    detector: DetectorConfig
    tracker: TrackerConfig
    threads: int = 2
    whole_image_face: bool = False
    full_scan_every_n_frames: int = 20

    def load_classifier(self) -> Classifier:
        # LiteRT announces its XNNPACK delegate on fd 2; keep it off the screen.
        with native_stderr_to(None):
            return load_classifier(self.model, self.threads)

    def build(self, keep_images: bool = False) -> Pipeline:
        classifier = self.load_classifier()
        return self.build_with(classifier, keep_images)

    def build_with(self, classifier: Classifier, keep_images: bool = False) -> Pipeline:
        return Pipeline(
            FaceDetector(self.detector),
            classifier,
            self.tracker,
            keep_images=keep_images,
            whole_image_face=self.whole_image_face,
            full_scan_every_n_frames=self.full_scan_every_n_frames,
        )


def _number(kind, check, what):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what}: not a number: {text!r}")
        if not check(value):
            raise argparse.ArgumentTypeError(f"{what}: out of range: {text}")
        return value

    return parse


_detect_width = _number(
    int, lambda v: v == 0 or v >= 64, "detect width (0 or >= 64 px)"
)


def add_engine_options(p: argparse.ArgumentParser) -> None:
    d, t = DetectorConfig(), TrackerConfig()
    g = p.add_argument_group("detection and classification")
    g.add_argument(
        "--model",
        type=Path,
        help="a .tflite or .keras EmotionVGGNet (default: the shipped model)",
    )
    g.add_argument(
        "--scale-factor",
        type=_number(
            float, lambda v: 1.01 <= v <= 4.0, "scale factor (must be 1.01..4)"
        ),
        default=d.scale_factor,
        help=f"Haar pyramid step, 1.01..4 (default {d.scale_factor})",
    )
    g.add_argument(
        "--min-neighbors",
        type=_number(int, lambda v: v >= 0, "min neighbours (must be >= 0)"),
        default=d.min_neighbors,
        help=f"Haar min neighbours (default {d.min_neighbors})",
    )
    g.add_argument(
        "--min-face",
        type=_number(int, lambda v: v >= 1, "min face (must be >= 1 px)"),
        default=d.min_face_px,
        help=f"smallest face side in frame pixels (default {d.min_face_px})",
    )
    g.add_argument(
        "--detect-width",
        type=_detect_width,
        default=d.detect_width_px,
        help="in videos, cameras and streams, detect on a copy this wide; "
        f"0 = full size (default {d.detect_width_px})",
    )
    g.add_argument(
        "--still-detect-width",
        type=_detect_width,
        default=d.still_detect_width_px,
        help="the same for images and folders of images "
        f"(default {d.still_detect_width_px})",
    )
    g.add_argument(
        "--min-weight",
        type=_number(float, lambda v: -100 < v < 100, "min weight (-100..100)"),
        default=d.min_weight,
        help=f"drop detections with a Haar weight below this (default {d.min_weight})",
    )
    g.add_argument(
        "--half-life",
        type=_number(float, lambda v: v >= 0, "half-life (must be >= 0 s)"),
        default=t.ema_half_life_s,
        help=f"smoothing half-life in seconds, 0 = off (default {t.ema_half_life_s})",
    )
    g.add_argument(
        "--threads",
        type=_number(int, lambda v: 1 <= v <= 64, "threads (1..64)"),
        default=2,
        help="classifier threads (default 2)",
    )
    g.add_argument(
        "--full-scan-every",
        type=_number(int, lambda v: v >= 1, "full scan every (must be >= 1 frame)"),
        default=20,
        help="in videos, scan the whole frame every N frames and re-find "
        "known faces near their last box in between (a frame with no known "
        "face is always scanned); 1 = always scan (default 20)",
    )
    g.add_argument(
        "--whole-image",
        action="store_true",
        help="classify each whole image as one face (pre-cropped faces)",
    )


def engine_options_from_args(args) -> EngineOptions:
    model = args.model or default_model_path()
    if not Path(model).exists():
        raise ModelError(f"model file not found: {model}")
    if not Path(model).is_file():
        raise ModelError(f"model {model} is not a file; expected an EmotionVGGNet")
    return EngineOptions(
        model=Path(model),
        detector=DetectorConfig(
            scale_factor=args.scale_factor,
            min_neighbors=args.min_neighbors,
            min_face_px=args.min_face,
            detect_width_px=args.detect_width,
            still_detect_width_px=args.still_detect_width,
            min_weight=args.min_weight,
        ),
        tracker=TrackerConfig(ema_half_life_s=args.half_life),
        threads=args.threads,
        whole_image_face=args.whole_image,
        full_scan_every_n_frames=args.full_scan_every,
    )
