"""Narrow exception classes: each says what failed and what to do about it."""

from __future__ import annotations


class EmotionTuiError(Exception):
    """Base of every error that is shown to the user as one line."""


class SourceError(EmotionTuiError):
    """A camera, file, folder or stream could not be opened or read."""


class ModelError(EmotionTuiError):
    """A model file is missing, damaged, or not an EmotionVGGNet."""


class DetectorError(EmotionTuiError):
    """The face detector could not be loaded."""


class DataError(EmotionTuiError):
    """A dataset has the wrong layout or a malformed record."""


class OutputError(EmotionTuiError):
    """A results file cannot be written."""
