"""The ``emotion-tui`` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

from . import __version__

log = logging.getLogger("emotion_tui")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _learning_rate(text: str) -> float:
    value = _positive_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must be below 1, got {text}")
    return value


def _bounded(kind, low: float, high: float):
    """An argparse type for an int or float from ``low`` to ``high``."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must be between {low:g} and {high:g}, got {text}"
            )
        return value

    return parse


def add_train_parser(commands) -> None:
    p = commands.add_parser(
        "train",
        help="train EmotionVGGNet on FER2013 (live training screen or --no-ui)",
        description="Train EmotionVGGNet on FER2013 with checkpoints every epoch; "
        "--resume continues an interrupted run.",
    )
    p.add_argument("--data", help="FER2013 folder layout or original fer2013.csv")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run")
    p.add_argument(
        "--run-dir", help="folder for checkpoints (default runs/<date-time>)"
    )
    p.add_argument(
        "--epochs",
        type=_positive_int,
        help="epochs in all (default 40; with --resume: the run's own)",
    )
    # Options without a default here are None when not given, so that --resume
    # can refuse those that only a new run can take.
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        help="images per step (default 64)",
    )
    p.add_argument(
        "--learning-rate",
        type=_learning_rate,
        help="peak learning rate of the cosine schedule, below 1 (default 0.001)",
    )
    p.add_argument(
        "--patience",
        type=_positive_int,
        default=None,
        help="stop after this many epochs without a better PublicTest "
        "accuracy (default 10; with --resume: the run's own)",
    )
    p.add_argument(
        "--seed",
        type=_bounded(int, 0, 2**31 - 1),
        help="random seed, 0 to 2**31-1 (default 1234)",
    )
    p.add_argument(
        "--no-augment",
        action="store_true",
        default=None,
        help="no flips, shifts or warps",
    )
    p.add_argument(
        "--shift",
        type=_bounded(int, 0, 24),
        metavar="PIXELS",
        help="largest random shift in whole pixels (default 4)",
    )
    p.add_argument(
        "--rotation",
        type=_bounded(float, 0, 90),
        metavar="DEGREES",
        help="largest random rotation (default 0; rotation and zoom resample, "
        "and so blur, the 48x48 faces; shifts then join their warp)",
    )
    p.add_argument(
        "--zoom",
        type=_bounded(float, 0, 0.5),
        metavar="FRACTION",
        help="largest random zoom, e.g. 0.1 (default 0)",
    )
    p.add_argument(
        "--init-from",
        metavar="MODEL",
        help="start from the weights of a trained EmotionVGGNet .keras file "
        "instead of random ones",
    )
    p.add_argument(
        "--limit", type=_positive_int, help="use at most this many images per split"
    )
    p.add_argument("--no-ui", action="store_true", help="print progress, no TUI")
    p.set_defaults(command_parser=p)  # usage errors found later show train's usage


def add_monitor_options(p: argparse.ArgumentParser) -> None:
    from .engine import add_engine_options

    p.add_argument("--loop", action="store_true", help="replay videos and folders")
    p.add_argument(
        "--fast",
        action="store_true",
        help="in the monitor, process video files as fast as possible instead of "
        "at their own speed",
    )
    p.add_argument(
        "--ui-hz",
        type=_positive_float,
        default=10.0,
        help="monitor refresh rate; lower it over slow links (default 10)",
    )
    p.add_argument(
        "--trend-window",
        type=_positive_float,
        default=30.0,
        help="seconds of history in the trend sparklines (default 30)",
    )
    p.add_argument(
        "--record-dir",
        type=Path,
        help="folder for recordings made with the r key (default: here)",
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="run on the bundled demo clip (no camera needed)",
    )
    add_engine_options(p)


def add_run_parser(commands) -> None:
    p = commands.add_parser(
        "run",
        help="watch sources: camera index, video, image, folder or stream URL",
        description="Find faces and their emotions in one or more sources.",
    )
    p.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help="camera index (0), video file, image, folder or URL",
    )
    p.add_argument(
        "--no-ui",
        action="store_true",
        help="no TUI: write results (JSON lines on stdout, or --out)",
    )
    p.add_argument("--out", help="results file: .jsonl or .csv")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out")
    p.add_argument(
        "--max-frames",
        type=_positive_int,
        help="stop each source after this many frames",
    )
    add_monitor_options(p)
    # The monitor and engine options exist before "run" too. Without defaults
    # here, a value given before "run" is not reset by the sub-command.
    run_only = {"help", "no_ui", "out", "force", "max_frames"}
    for action in p._actions:
        if action.option_strings and action.dest not in run_only:
            action.default = argparse.SUPPRESS


def add_evaluate_parser(commands) -> None:
    p = commands.add_parser("evaluate", help="score a model on a FER2013 split")
    p.add_argument("model", type=Path, help="a .tflite or .keras model")
    p.add_argument("--data", required=True, help="FER2013 folder or fer2013.csv")
    p.add_argument(
        "--split",
        choices=("train", "public", "private"),
        action="append",
        help="split(s) to show (default: private)",
    )
    p.add_argument(
        "--tta", action="store_true", help="also report flip test-time augmentation"
    )
    p.add_argument("--json", type=Path, help="write all numbers to this JSON file")
    p.add_argument("--card", type=Path, help="write a model card (all splits)")
    p.add_argument(
        "--run-dir", type=Path, help="training run whose details go in the card"
    )
    p.add_argument(
        "--init-card",
        type=Path,
        help="model card of the weights the run started from (train --init-from); "
        "its training section goes in the card too",
    )


def cmd_evaluate(args, parser) -> int:
    from .evaluate_cli import evaluate_command
    from .quiet import native_logs_to_file

    with native_logs_to_file():
        evaluate_command(
            args.model,
            Path(args.data),
            args.split or ["private"],
            args.tta,
            args.json,
            args.card,
            args.run_dir,
            init_card=args.init_card,
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emotion-tui",
        description="Live facial emotion recognition in the terminal. "
        "Without a command: the live monitor on camera 0 (or --demo).",
    )
    parser.add_argument("--version", action="version", version=__version__)
    add_monitor_options(parser)
    commands = parser.add_subparsers(dest="command")
    add_run_parser(commands)
    add_train_parser(commands)
    add_evaluate_parser(commands)
    return parser


def cmd_run(args, parser) -> int:
    from .engine import engine_options_from_args

    sources = list(getattr(args, "sources", None) or [])
    if args.demo:
        from .demo import demo_clip_path

        sources.append(str(demo_clip_path()))
        args.loop = True  # the demo clip is short: keep it playing
    no_ui = getattr(args, "no_ui", False)
    force = getattr(args, "force", False)
    max_frames = getattr(args, "max_frames", None)
    if not sources:
        if no_ui:
            parser.error("run --no-ui needs at least one SOURCE (or --demo)")
        sources = ["0"]
    out = getattr(args, "out", None)
    if out and not no_ui:
        parser.error("--out is for --no-ui runs; in the monitor press r to record")
    options = engine_options_from_args(args)
    if no_ui:
        from .headless import run_headless
        from .quiet import native_logs_to_file

        with native_logs_to_file():
            return run_headless(sources, options, out, force, args.loop, max_frames)
    from .tui.launch import run_monitor

    return run_monitor(
        sources,
        options,
        loop=args.loop,
        realtime=not args.fast,
        ui_hz=args.ui_hz,
        trends_window_s=args.trend_window,
        record_dir=args.record_dir,
    )


def train_config_from_args(args, parser):
    from .core.emotions import FACE_SIZE_PX
    from .core.train import TrainConfig, load_config

    parser = getattr(args, "command_parser", parser)
    if args.resume:
        new_run_only = (
            "data",
            "run_dir",
            "batch_size",
            "learning_rate",
            "seed",
            "no_augment",
            "shift",
            "rotation",
            "zoom",
            "init_from",
            "limit",
        )
        given = [
            "--" + name.replace("_", "-")
            for name in new_run_only
            if getattr(args, name) is not None
        ]
        if given:
            parser.error(
                f"{', '.join(given)}: only for a new run; --resume keeps the run's own"
            )
        config = load_config(args.resume)
        if args.epochs is not None:
            config.epochs = args.epochs
        if args.patience is not None:
            config.patience = args.patience
        return config, True
    if not args.data:
        parser.error("train needs --data (or --resume RUN_DIR)")
    run_dir = args.run_dir or str(
        Path("runs") / datetime.now().strftime("%Y-%m-%d-%H%M%S")
    )
    # Options not given keep TrainConfig's defaults, which live there only.
    given = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "patience": args.patience,
        "seed": args.seed,
        "max_shift": None if args.shift is None else args.shift / FACE_SIZE_PX,
        "max_rotation_deg": args.rotation,
        "max_zoom": args.zoom,
        "limit_per_split": args.limit,
        "init_from": str(Path(args.init_from).resolve()) if args.init_from else None,
    }
    config = TrainConfig(
        data=str(Path(args.data).resolve()),
        run_dir=run_dir,
        augment=not args.no_augment,
        **{name: value for name, value in given.items() if value is not None},
    )
    return config, False


def cmd_train(args, parser) -> int:
    config, resume = train_config_from_args(args, parser)
    if args.no_ui:
        from .quiet import native_logs_to_file
        from .train_terminal import train_in_terminal

        with native_logs_to_file():
            return train_in_terminal(config, resume)
    from .tui.training_app import run_training_app

    return run_training_app(config, resume)


def main(argv: list[str] | None = None) -> int:
    from .quiet import quiet_native_logs

    quiet_native_logs()
    from .core.errors import EmotionTuiError

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    handlers = {
        "train": cmd_train,
        "evaluate": cmd_evaluate,
        "run": cmd_run,
        None: cmd_run,
    }
    try:
        return handlers[args.command](args, parser)
    except EmotionTuiError as exc:
        print(f"emotion-tui: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("emotion-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. "| head"): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
