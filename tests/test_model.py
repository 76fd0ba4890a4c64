"""EmotionVGGNet's architecture and the class order."""

from __future__ import annotations

from emotion_tui.core.emotions import EMOTIONS, emotion_index


def test_class_order_is_the_folder_order():
    assert EMOTIONS == tuple(sorted(EMOTIONS))
    assert len(EMOTIONS) == 7
    assert emotion_index("Happy") == 3


def test_architecture_matches_the_design():
    from emotion_tui.core.model import build_emotion_vggnet

    model = build_emotion_vggnet()
    assert model.input_shape == (None, 48, 48, 1)
    assert model.output_shape == (None, 7)
    assert model.count_params() == 660_775
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    block = ["Conv2D", "ELU", "BatchNormalization"] * 2 + ["MaxPooling2D", "Dropout"]
    dense = ["Dense", "ELU", "BatchNormalization", "Dropout"] * 2
    assert kinds == block * 2 + ["Flatten"] + dense + ["Dense", "Activation"]
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    assert [c.filters for c in convs] == [32, 32, 64, 64]
    assert all(c.padding == "same" and c.kernel_size == (3, 3) for c in convs)
