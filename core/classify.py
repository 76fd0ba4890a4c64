"""Emotion classifiers: all faces of a frame in one batched call.

Two backends share one interface:

* ``LiteRTClassifier`` runs the exported ``.tflite`` model through LiteRT
  (``ai-edge-litert``), which imports in a fraction of a second and needs no
  TensorFlow. This is the live path.
* ``KerasClassifier`` runs a ``.keras`` checkpoint through a ``tf.function`` with
  a fixed input signature, so no retracing happens as the face count changes.
"""

from __future__ import annotations

import functools
import logging
import time
import zipfile
from pathlib import Path

import numpy as np

from .emotions import FACE_SIZE_PX, NUM_EMOTIONS
from .errors import ModelError

log = logging.getLogger(__name__)

_INPUT_SHAPE = (FACE_SIZE_PX, FACE_SIZE_PX, 1)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32)
EXPECTED_MODEL = "EmotionVGGNet (48x48x1 input, 7 softmax outputs)"


class Classifier:
    """Maps a batch (n, 48, 48, 1) float32 in [0, 1] to probabilities (n, 7)."""

    backend = "none"
    path: Path

    def predict(self, batch: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _empty(self) -> np.ndarray:
        return np.zeros((0, NUM_EMOTIONS), np.float32)


class LiteRTClassifier(Classifier):
    """Runs a ``.tflite`` EmotionVGGNet; one interpreter per batch-size bucket."""

    backend = "litert"

    def __init__(self, path: Path, num_threads: int = 2):
        from ai_edge_litert.interpreter import Interpreter

        self.path = path
        self.num_threads = num_threads
        self._model_bytes = path.read_bytes()
        self._make = Interpreter
        self._interpreters: dict[int, tuple] = {}
        try:
            self._interpreter_for(1)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(
                f"{path} is not a valid LiteRT model ({exc}); expected {EXPECTED_MODEL}"
            ) from None

    def _interpreter_for(self, bucket: int):
        if bucket in self._interpreters:
            return self._interpreters[bucket]
        interpreter = self._make(
            model_content=self._model_bytes, num_threads=self.num_threads
        )
        inputs = interpreter.get_input_details()
        outputs = interpreter.get_output_details()
        if len(inputs) != 1 or tuple(inputs[0]["shape"][1:]) != _INPUT_SHAPE:
            raise ModelError(
                f"{self.path} takes input {inputs[0]['shape'].tolist()}; "
                f"expected {EXPECTED_MODEL}"
            )
        if tuple(outputs[0]["shape"][1:]) != (NUM_EMOTIONS,):
            raise ModelError(
                f"{self.path} gives output {outputs[0]['shape'].tolist()}; "
                f"expected {EXPECTED_MODEL}"
            )
        interpreter.resize_tensor_input(inputs[0]["index"], [bucket, *_INPUT_SHAPE])
        interpreter.allocate_tensors()
        entry = (interpreter, inputs[0]["index"], outputs[0]["index"])
        self._interpreters[bucket] = entry
        return entry

    def predict(self, batch: np.ndarray) -> np.ndarray:
        n = len(batch)
        if n == 0:
            return self._empty()
        results = []
        largest = _BATCH_BUCKETS[-1]
        for start in range(0, n, largest):
            chunk = batch[start : start + largest]
            bucket = next(b for b in _BATCH_BUCKETS if b >= len(chunk))
            interpreter, input_index, output_index = self._interpreter_for(bucket)
            if len(chunk) < bucket:
                padded = np.zeros((bucket, *_INPUT_SHAPE), np.float32)
                padded[: len(chunk)] = chunk
                chunk_in = padded
            else:
                chunk_in = np.ascontiguousarray(chunk, dtype=np.float32)
            interpreter.set_tensor(input_index, chunk_in)
            interpreter.invoke()
            results.append(interpreter.get_tensor(output_index)[: len(chunk)].copy())
        return np.concatenate(results) if len(results) > 1 else results[0]


class KerasClassifier(Classifier):
    """Runs a ``.keras`` EmotionVGGNet through a fixed-signature ``tf.function``."""

    backend = "keras"

    def __init__(self, path: Path):
        self.path = path
        self.model = load_keras_model(path)
        import tensorflow as tf

        spec = tf.TensorSpec([None, *_INPUT_SHAPE], tf.float32)
        self._call = tf.function(
            lambda x: self.model(x, training=False), input_signature=[spec]
        )

    def predict(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) == 0:
            return self._empty()
        return self._call(np.asarray(batch, np.float32)).numpy()


def load_keras_model(path: Path):
    """Load a ``.keras`` file in safe mode and check it is an EmotionVGGNet."""
    if not zipfile.is_zipfile(path):
        raise ModelError(
            f"{path} is not a Keras model file (damaged or foreign); "
            f"expected {EXPECTED_MODEL}"
        )
    import keras

    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a bad file
        raise ModelError(f"cannot load {path}: {exc}".splitlines()[0]) from None
    check_model_shape(model, path)
    check_architecture(model, path)
    return model


def check_model_shape(model, path: Path) -> None:
    input_shape = tuple(model.input_shape[1:])
    output_shape = tuple(model.output_shape[1:])
    if input_shape != _INPUT_SHAPE or output_shape != (NUM_EMOTIONS,):
        raise ModelError(
            f"{path} has input {input_shape} and output {output_shape}; "
            f"expected {EXPECTED_MODEL}"
        )


def check_architecture(model, path: Path) -> None:
    """Refuse a model whose layers are not EmotionVGGNet's, even with its shapes.

    Compares the layer types, their activations (the softmax head included) and
    the shapes of all weights, which costs one build of the reference model per
    process.
    """
    if _signature(model) != _emotion_vggnet_signature():
        raise ModelError(
            f"{path} is not an EmotionVGGNet: its layers differ; "
            f"expected {EXPECTED_MODEL}"
        )


def _signature(model) -> tuple:
    layers = tuple(
        (type(layer).__name__, layer.get_config().get("activation"))
        for layer in model.layers
    )
    return layers, tuple(tuple(w.shape) for w in model.weights)


@functools.cache
def _emotion_vggnet_signature() -> tuple:
    from .model import build_emotion_vggnet

    return _signature(build_emotion_vggnet())


def load_classifier(path: str | Path, num_threads: int = 2) -> Classifier:
    """Load a classifier by file type: ``.tflite`` (LiteRT) or ``.keras``.

    Raises:
        ModelError: the file is missing, damaged, or not an EmotionVGGNet.
    """
    path = Path(path)
    if not path.exists():
        raise ModelError(f"model file not found: {path}")
    if not path.is_file():
        raise ModelError(f"model {path} is not a file; expected {EXPECTED_MODEL}")
    if path.stat().st_size == 0:
        raise ModelError(f"model file {path} is empty")
    started = time.perf_counter()
    suffix = path.suffix.lower()
    if suffix == ".tflite":
        classifier: Classifier = LiteRTClassifier(path, num_threads)
    elif suffix == ".keras":
        classifier = KerasClassifier(path)
    else:
        raise ModelError(f"{path}: unknown model type; expected .tflite or .keras")
    log.info(
        "loaded %s (%s) in %.0f ms",
        path,
        classifier.backend,
        (time.perf_counter() - started) * 1e3,
    )
    return classifier
