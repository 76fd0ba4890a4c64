"""The one place that states the emotion classes and their order.

The order is the alphabetical order of the FER2013 folder layout. The original
``fer2013.csv`` release numbers the same classes differently; ``CSV_LABEL_ORDER``
maps its label numbers onto ours.
"""

from __future__ import annotations

EMOTIONS: tuple[str, ...] = (
    "angry",
    "disgust",
    "fear",
    "happy",
    "neutral",
    "sad",
    "surprise",
)
NUM_EMOTIONS = len(EMOTIONS)

# Label numbers of the original CSV: 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad,
# 5 surprise, 6 neutral.
CSV_LABEL_ORDER: tuple[str, ...] = (
    "angry",
    "disgust",
    "fear",
    "happy",
    "sad",
    "surprise",
    "neutral",
)
CSV_TO_INDEX: tuple[int, ...] = tuple(EMOTIONS.index(name) for name in CSV_LABEL_ORDER)

FACE_SIZE_PX = 48


def emotion_index(name: str) -> int:
    """Return the class index of an emotion name (case-insensitive).

    Raises:
        ValueError: if the name is not one of ``EMOTIONS``.
    """
    key = name.strip().lower()
    if key not in EMOTIONS:
        raise ValueError(
            f"unknown emotion {name!r}; expected one of: {', '.join(EMOTIONS)}"
        )
    return EMOTIONS.index(key)
