"""Export a trained Keras EmotionVGGNet to the LiteRT (``.tflite``) format."""

from __future__ import annotations

from pathlib import Path

from .classify import load_keras_model


def export_litert(keras_path: Path, tflite_path: Path) -> int:
    """Convert a ``.keras`` model to ``.tflite`` (float32); returns the byte size."""
    import contextlib
    import io

    import tensorflow as tf

    model = load_keras_model(keras_path)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    with contextlib.redirect_stdout(io.StringIO()):  # the converter lists its graph
        data = converter.convert()
    partial = tflite_path.with_name(tflite_path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(tflite_path)
    return len(data)


def strip_optimizer(keras_path: Path, out_path: Path) -> None:
    """Save the model alone (no optimiser state), the form shipped in models/."""
    model = load_keras_model(keras_path)
    partial = out_path.with_name(out_path.stem + ".partial.keras")
    model.save(partial, include_optimizer=False)
    partial.replace(out_path)
