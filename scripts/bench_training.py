"""Training throughput: our input pipeline against a plain ``model.fit`` baseline.

Both train EmotionVGGNet on the same FER2013 training images for the same number
of steps, in this process, one after the other:

* ``plain_fit``: ``model.fit`` on NumPy arrays with Keras's RandomFlip and
  RandomTranslation layers (up to 4 pixels) in front of the model, the common
  way to write the same augmentation;
* ``ours``: the recipe's ``tf.data`` pipeline with its default augmentation
  (in-memory tensors, flips and whole-pixel shifts up to 4 pixels done by one
  batched transform, prefetch);
* ``ours_xla``: the same with XLA compilation (``jit_compile=True``).

Usage: python scripts/bench_training.py [--data ../shared/data/fer2013] [--steps 60]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def images_per_second(model, dataset, steps: int, batch: int, warmup: int = 5) -> float:
    model.fit(dataset.take(warmup), verbose=0)
    start = time.perf_counter()
    model.fit(dataset.take(steps), verbose=0)
    return steps * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/fer2013"))
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", type=Path, default=Path("bench_training.json"))
    args = parser.parse_args()

    from emotion_tui.quiet import quiet_native_logs

    quiet_native_logs()
    import keras
    import tensorflow as tf
    from emotion_tui.core.dataset import load_fer2013
    from emotion_tui.core.model import build_emotion_vggnet
    from emotion_tui.core.train import (
        TrainConfig,
        build_compiled_model,
        make_datasets,
        to_inputs,
    )

    splits = load_fer2013(args.data)
    results = {}

    # Baseline: augmentation layers inside the model, fit on arrays.
    x, y = to_inputs(splits["train"])
    shift = 4 / 48
    augment = keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal"),
            keras.layers.RandomTranslation(shift, shift),
        ]
    )
    inputs = keras.Input((48, 48, 1))
    plain = keras.Model(inputs, build_emotion_vggnet()(augment(inputs)))
    plain.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    plain_ds = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(len(y))
        .batch(args.batch_size)
    )
    results["plain_fit"] = images_per_second(
        plain, plain_ds, args.steps, args.batch_size
    )

    for name, jit in (("ours", False), ("ours_xla", True)):
        config = TrainConfig(
            data=str(args.data),
            run_dir="",
            batch_size=args.batch_size,
            max_shift=shift,
            jit_compile=jit,
        )
        train_ds, _, _ = make_datasets(config, splits["train"], splits["public"])
        model = build_compiled_model(config)
        results[name] = images_per_second(model, train_ds, args.steps, args.batch_size)

    base = results["plain_fit"]
    for name, rate in results.items():
        print(
            f"{name:10s} {rate:7.1f} images/s  {rate / base:5.2f}x  "
            f"epoch of {len(y)} images: {len(y) / rate / 60:.1f} min"
        )
    args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
