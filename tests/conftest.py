"""Shared fixtures: the real data in ../shared/data and a ready pipeline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from emotion_tui.quiet import quiet_native_logs

quiet_native_logs()

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("EMOTION_TUI_DATA", REPO.parent / "shared" / "data"))
MEDIA = DATA / "media"
FER = DATA / "fer2013"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not found: {path}")
    return path


@pytest.fixture(scope="session")
def media() -> Path:
    return need(MEDIA)


@pytest.fixture(scope="session")
def fer_folder() -> Path:
    return need(FER)


@pytest.fixture(scope="session")
def fer_csv() -> Path:
    return need(DATA / "fer2013_sample.csv")


@pytest.fixture(scope="session")
def engine_options():
    from emotion_tui.core.detect import DetectorConfig
    from emotion_tui.core.track import TrackerConfig

    from emotion_tui.engine import EngineOptions, default_model_path

    return EngineOptions(default_model_path(), DetectorConfig(), TrackerConfig())


@pytest.fixture(scope="session")
def classifier(engine_options):
    return engine_options.load_classifier()


@pytest.fixture
def pipeline(engine_options, classifier):
    return engine_options.build_with(classifier)


def run_source(pipeline, spec, **kwargs):
    """Run a whole source through a pipeline and return its frame results."""
    from emotion_tui.core.sources import open_source

    results = []
    with open_source(str(spec), **kwargs) as source:
        pipeline.run(source, results.append)
    return results
