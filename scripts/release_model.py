"""Ship a training run's best epoch: models/emotion_vggnet.{keras,tflite} + card.

Usage: python scripts/release_model.py RUN_DIR [--data ../shared/data/fer2013]
       [--init-card CARD]   (for a run started with --init-from)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from emotion_tui.core.errors import EmotionTuiError
from emotion_tui.core.export import export_litert, strip_optimizer

from emotion_tui.evaluate_cli import card_training_lines, evaluate_command
from emotion_tui.quiet import quiet_native_logs

MODELS = Path(__file__).resolve().parent.parent / "models"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/fer2013"))
    parser.add_argument(
        "--init-card",
        type=Path,
        help="model card of the weights the run started from (train --init-from)",
    )
    args = parser.parse_args()
    quiet_native_logs()
    if not (args.run_dir / "best.keras").is_file():
        sys.exit(f"release_model: {args.run_dir} holds no best.keras")
    if args.init_card:
        try:  # check it now, before any shipped file is replaced
            card_training_lines(args.init_card)
        except EmotionTuiError as exc:
            sys.exit(f"release_model: {exc}")

    keras_file = MODELS / "emotion_vggnet.keras"
    tflite_file = MODELS / "emotion_vggnet.tflite"
    strip_optimizer(args.run_dir / "best.keras", keras_file)
    size = export_litert(keras_file, tflite_file)
    print(f"wrote {keras_file} and {tflite_file} ({size} bytes)")
    for name in ("history.csv", "history.png"):
        source = args.run_dir / name
        if source.exists():
            (MODELS / f"training_{name}").write_bytes(source.read_bytes())
    evaluate_command(
        tflite_file,
        args.data,
        ["private"],
        tta=True,
        json_out=MODELS / "metrics.json",
        card=MODELS / "MODEL_CARD.md",
        run_dir=args.run_dir,
        init_card=args.init_card,
    )


if __name__ == "__main__":
    main()
