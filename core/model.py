"""EmotionVGGNet: the small VGG-style CNN for 48x48 grayscale faces.

Importing this module imports Keras (and TensorFlow); the live pipeline does not
need it, since it runs the exported LiteRT model.
"""

from __future__ import annotations

import keras
from keras import layers

from .emotions import FACE_SIZE_PX, NUM_EMOTIONS

MODEL_NAME = "EmotionVGGNet"


def _conv_block(x, filters: int, name: str):
    for i in (1, 2):
        x = layers.Conv2D(
            filters,
            3,
            padding="same",
            kernel_initializer="he_normal",
            name=f"{name}_conv{i}",
        )(x)
        x = layers.ELU(name=f"{name}_elu{i}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{i}")(x)
    x = layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    return layers.Dropout(0.25, name=f"{name}_drop")(x)


def build_emotion_vggnet(num_classes: int = NUM_EMOTIONS) -> keras.Model:
    """Build EmotionVGGNet (about 661k parameters for 7 classes).

    Two blocks of [Conv 3x3 same, he_normal -> ELU -> BatchNorm] x 2, MaxPool 2x2,
    Dropout 0.25 (32 then 64 filters), then two times [Dense 64 -> ELU -> BatchNorm
    -> Dropout 0.5] and a softmax Dense layer.
    """
    inputs = keras.Input((FACE_SIZE_PX, FACE_SIZE_PX, 1), name="face")
    x = _conv_block(inputs, 32, "block1")
    x = _conv_block(x, 64, "block2")
    x = layers.Flatten(name="flatten")(x)
    for i in (1, 2):
        x = layers.Dense(64, kernel_initializer="he_normal", name=f"fc{i}")(x)
        x = layers.ELU(name=f"fc{i}_elu")(x)
        x = layers.BatchNormalization(name=f"fc{i}_bn")(x)
        x = layers.Dropout(0.5, name=f"fc{i}_drop")(x)
    x = layers.Dense(num_classes, kernel_initializer="he_normal", name="logits")(x)
    outputs = layers.Activation("softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=MODEL_NAME)
