"""Benchmark the headless pipeline against a naive baseline, in one run.

Every variant processes the same frames of the same clip in a fresh Python
process (so import costs and peak memory are its own), and the results are
printed as ratios against the baseline measured in this run:

* ``baseline``: full-resolution Haar (scale 1.1) and one ``model.predict`` per
  face, the way the original EmotionVGGNet tutorial runs it;
* ``default``: the shipped defaults;
* the defaults with one optimisation switched off at a time.

Usage:
    python scripts/bench.py [--video PATH] [--out bench.json] [--quick]
        [--scaling] [--soak 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VIDEO = ROOT.parent / "shared" / "data" / "media" / "WolfgangLanger_Pexels.mp4"

VARIANTS = {
    "baseline": dict(detect_width=0, full_scan_every=1, backend="predict"),
    "default": dict(),
    "no_refind": dict(full_scan_every=1),
    "no_downscale": dict(detect_width=0),
    "tf_function": dict(backend="keras"),
    "litert_1_thread": dict(threads=1),
}


# ----- one variant, in its own process ----------------------------------------
class PredictClassifier:
    """The naive path: ``model.predict`` on each face separately."""

    backend = "predict"

    def __init__(self, path: Path):
        from emotion_tui.core.classify import load_keras_model

        self.model = load_keras_model(path)

    def predict(self, batch):
        import numpy as np

        if len(batch) == 0:
            return np.zeros((0, 7), np.float32)
        return np.concatenate(
            [self.model.predict(face[np.newaxis], verbose=0) for face in batch]
        )


def frames_of(video: Path, width: int | None, tiles: int, max_frames: int | None):
    """Decode the clip once into memory, resized or tiled as asked."""
    import cv2
    import numpy as np

    capture = cv2.VideoCapture(str(video))
    frames = []
    while max_frames is None or len(frames) < max_frames:
        ok, frame = capture.read()
        if not ok:
            break
        if tiles > 1:
            cols = int(np.ceil(np.sqrt(tiles)))
            rows = int(np.ceil(tiles / cols))
            h, w = frame.shape[:2]
            grid = np.zeros((rows * h, cols * w, 3), np.uint8)
            for i in range(tiles):
                r, c = divmod(i, cols)
                grid[r * h : (r + 1) * h, c * w : (c + 1) * w] = frame
            frame = grid
        if width and frame.shape[1] != width:
            height = round(frame.shape[0] * width / frame.shape[1])
            frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
        frames.append(frame)
    capture.release()
    return frames


def run_variant(args) -> dict:
    import cv2
    import numpy as np
    from emotion_tui.core.classify import load_classifier
    from emotion_tui.core.detect import DetectorConfig, FaceDetector
    from emotion_tui.core.pipeline import Pipeline
    from emotion_tui.core.sources import Frame

    from emotion_tui.engine import models_dir
    from emotion_tui.quiet import native_stderr_to

    settings = {
        "detect_width": 320,
        "full_scan_every": 20,
        "backend": "litert",
        "threads": 2,
        **VARIANTS.get(args.variant, {}),
    }
    if args.detect_width is not None:
        settings["detect_width"] = args.detect_width
    started = time.perf_counter()
    model = models_dir() / "emotion_vggnet"
    with native_stderr_to(None):
        if settings["backend"] == "predict":
            classifier = PredictClassifier(model.with_suffix(".keras"))
        elif settings["backend"] == "keras":
            classifier = load_classifier(model.with_suffix(".keras"))
        else:
            classifier = load_classifier(
                model.with_suffix(".tflite"), settings["threads"]
            )
    load_s = time.perf_counter() - started
    detector = FaceDetector(DetectorConfig(detect_width_px=settings["detect_width"]))
    pipeline = Pipeline(
        detector, classifier, full_scan_every_n_frames=settings["full_scan_every"]
    )
    frames = frames_of(Path(args.video), args.width, args.tiles, args.max_frames)
    fps = cv2.VideoCapture(str(args.video)).get(cv2.CAP_PROP_FPS) or 30.0

    # Warm-up on a copy of the first frames, then a clean pipeline state.
    for i, image in enumerate(frames[:5]):
        pipeline.process(Frame(i, i * 1000 / fps, image))
    pipeline.reset()

    latencies, counts = [], []
    rss_samples = []
    loops = max(1, -(-args.frames_total // len(frames))) if args.frames_total else 1
    index = 0
    t0 = time.perf_counter()
    for _ in range(loops):
        for image in frames:
            if args.frames_total and index >= args.frames_total:
                break
            start = time.perf_counter()
            # Copying the decoded frame stands in for the read stage's memory work;
            # decoding itself is measured separately below.
            result = pipeline.process(Frame(index, index * 1000 / fps, image.copy()))
            latencies.append((time.perf_counter() - start) * 1e3)
            counts.append(len(result.faces))
            index += 1
            if args.frames_total and index % 1000 == 0:
                rss_samples.append((index, _rss_mb()))
    elapsed = time.perf_counter() - t0

    decode_ms = _decode_ms(Path(args.video), args.max_frames)
    lat = np.array(latencies)
    return {
        "variant": args.variant,
        "settings": settings,
        "frames": len(latencies),
        "seconds": elapsed,
        "process_fps": len(latencies) / elapsed,
        "decode_ms": decode_ms,
        "fps_with_decode": len(latencies)
        / (elapsed + decode_ms * len(latencies) / 1e3),
        "latency_ms": {
            "p50": float(np.percentile(lat, 50)),
            "p95": float(np.percentile(lat, 95)),
            "max": float(lat.max()),
        },
        "mean_stage_ms": pipeline.stats.mean_stage_ms(),
        "face_counts": counts,
        "model_load_s": load_s,
        "peak_rss_mb": _peak_rss_mb(),
        "rss_samples": rss_samples,
        "frame_shape": list(frames[0].shape[:2]),
    }


def _decode_ms(video: Path, max_frames: int | None) -> float:
    import cv2

    capture = cv2.VideoCapture(str(video))
    n, start = 0, time.perf_counter()
    while max_frames is None or n < max_frames:
        ok, _ = capture.read()
        if not ok:
            break
        n += 1
    return (time.perf_counter() - start) * 1e3 / max(1, n)


def _rss_mb() -> float:
    with open("/proc/self/statm") as stream:
        pages = int(stream.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----- the driver -------------------------------------------------------------
def reference_counts(video: Path, max_frames: int | None) -> list[int]:
    """Faces per frame by plain full-resolution Haar (scale 1.1, no weight
    filter): the reference for the agreement bound."""
    import cv2
    from emotion_tui.core.detect import DetectorConfig, FaceDetector

    detector = FaceDetector(DetectorConfig(detect_width_px=0, min_weight=float("-inf")))
    return [
        len(detector.detect(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)))
        for f in frames_of(video, None, 1, max_frames)
    ]


def spawn(variant: str, video: Path, extra: list[str]) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        variant,
        "--video",
        str(video),
        *extra,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"variant {variant} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def startup_seconds(image: Path) -> float:
    """Wall time of a whole headless command on one photo: start-up to result."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "emotion_tui.cli", "run", str(image), "--no-ui"],
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - start


TUI_PROBE = r"""
import asyncio, json, sys, time
start = float(sys.argv[1])
from emotion_tui.quiet import quiet_native_logs
quiet_native_logs()
from emotion_tui.core.detect import DetectorConfig
from emotion_tui.core.track import TrackerConfig
from emotion_tui.engine import EngineOptions, default_model_path
from emotion_tui.quiet import native_stderr_to
from emotion_tui.tui.app import MonitorApp

options = EngineOptions(default_model_path(), DetectorConfig(), TrackerConfig())
app = MonitorApp([sys.argv[2]], options, loop=True, realtime=False)
out = {}

async def main():
    with native_stderr_to(None):
        async with app.run_test(size=(100, 32)) as pilot:
            out["mounted_s"] = time.time() - start
            while app.frames_drawn == 0:
                await pilot.pause(0.01)
            out["first_frame_s"] = time.time() - start
            await pilot.pause(2.0)
            frames0, t0 = app.live.snapshot().frames, time.perf_counter()
            await pilot.pause(float(sys.argv[3]))
            frames1, t1 = app.live.snapshot().frames, time.perf_counter()
            out["pipeline_fps_in_tui"] = (frames1 - frames0) / (t1 - t0)
            out["frames_drawn"] = app.frames_drawn
            await pilot.press("q")

asyncio.run(main())
print(json.dumps(out))
"""


def tui_probe(video: Path, seconds: float = 10.0) -> dict:
    """Start-up of the monitor and the pipeline's speed while the UI refreshes."""
    done = subprocess.run(
        [sys.executable, "-c", TUI_PROBE, repr(time.time()), str(video), str(seconds)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"TUI probe failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description="emotion-tui pipeline benchmark")
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--out", type=Path, default=Path("bench.json"))
    parser.add_argument("--quick", action="store_true", help="first 120 frames only")
    parser.add_argument(
        "--scaling",
        action="store_true",
        help="also FPS at 320-1920 px and with 1, 5, 20 faces",
    )
    parser.add_argument(
        "--soak",
        type=int,
        default=0,
        help="also process this many frames of the looped clip",
    )
    parser.add_argument(
        "--tui",
        action="store_true",
        help="also start-up and pipeline speed inside the monitor",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--width", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tiles", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--max-frames", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--frames-total", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--detect-width", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    from emotion_tui.quiet import quiet_native_logs

    quiet_native_logs()
    if args.child:
        args.variant = args.child
        print(json.dumps(run_variant(args)))
        return
    if not args.video.exists():
        raise SystemExit(f"video not found: {args.video}")

    limit = ["--max-frames", "120"] if args.quick else []
    max_frames = 120 if args.quick else None
    reference = reference_counts(args.video, max_frames)
    results = {}
    for variant in VARIANTS:
        r = spawn(variant, args.video, limit)
        counts = r.pop("face_counts")
        r["agreement"] = sum(a == b for a, b in zip(counts, reference)) / len(reference)
        results[variant] = r

    report = {
        "video": str(args.video),
        "cpu_count": os.cpu_count(),
        "variants": results,
    }
    image = args.video.parent / "single_face.jpg"
    if image.exists():
        report["startup_to_first_result_s"] = min(
            startup_seconds(image) for _ in range(3)
        )
    if args.tui:
        report["tui"] = tui_probe(args.video)
        report["tui"]["retained"] = (
            report["tui"]["pipeline_fps_in_tui"] / results["default"]["fps_with_decode"]
        )
    if args.scaling:
        report["scaling"] = scaling(args.video, limit)
    if args.soak:
        r = spawn("default", args.video, ["--frames-total", str(args.soak)])
        r.pop("face_counts")
        report["soak"] = {
            k: r[k] for k in ("frames", "process_fps", "rss_samples", "latency_ms")
        }
    args.out.write_text(json.dumps(report, indent=1))
    print_report(report)
    print(f"\nwrote {args.out}")


def scaling(video: Path, limit: list[str]) -> dict:
    rows = {}
    for width in (320, 640, 1280, 1920):
        # The detector shrinks every size to 320 px; the rest of the cost grows.
        r = spawn("default", video, [*limit, "--width", str(width)])
        rows[f"width_{width}"] = {
            "fps": r["process_fps"],
            "mean_stage_ms": r["mean_stage_ms"],
        }
    for tiles in (1, 5, 20):
        # A tiled frame is wide, so detect at the tile's own scale (320 px a tile).
        cols = -(-tiles // int(tiles**0.5)) if tiles > 1 else 1
        r = spawn(
            "default",
            video,
            [
                *limit,
                "--tiles",
                str(tiles),
                "--detect-width",
                str(320 * max(1, int(cols))),
            ],
        )
        faces = sum(r["face_counts"]) / max(1, len(r["face_counts"]))
        rows[f"faces_{tiles}"] = {
            "fps": r["process_fps"],
            "mean_faces": faces,
            "mean_stage_ms": r["mean_stage_ms"],
            "frame_shape": r["frame_shape"],
        }
    return rows


def print_report(report: dict) -> None:
    variants = report["variants"]
    base = variants["baseline"]
    print(
        f"{'variant':16s} {'fps':>7s} {'x base':>7s} {'p50 ms':>7s} {'p95 ms':>7s} "
        f"{'detect':>7s} {'classif':>7s} {'peak MB':>8s} {'agree':>6s}"
    )
    for name, r in variants.items():
        stages = r["mean_stage_ms"]
        print(
            f"{name:16s} {r['process_fps']:7.1f} "
            f"{r['process_fps'] / base['process_fps']:7.2f} "
            f"{r['latency_ms']['p50']:7.2f} {r['latency_ms']['p95']:7.2f} "
            f"{stages['detect']:7.2f} {stages['classify']:7.2f} "
            f"{r['peak_rss_mb']:8.0f} {r['agreement']:6.1%}"
        )
    default = variants["default"]
    print(
        f"decode {default['decode_ms']:.2f} ms/frame; default with decode "
        f"{default['fps_with_decode']:.1f} fps"
    )
    if "startup_to_first_result_s" in report:
        print(
            f"start-up to first result (headless, one photo): "
            f"{report['startup_to_first_result_s']:.2f} s"
        )
    if "tui" in report:
        tui = report["tui"]
        print(
            f"monitor: mounted {tui['mounted_s']:.2f} s, first frame "
            f"{tui['first_frame_s']:.2f} s after start; pipeline "
            f"{tui['pipeline_fps_in_tui']:.1f} fps while the UI refreshes "
            f"({tui['retained']:.0%} of headless with decode)"
        )
    for name, row in report.get("scaling", {}).items():
        print(f"scaling {name:12s} {row['fps']:7.1f} fps")
    if "soak" in report:
        soak = report["soak"]
        samples = soak["rss_samples"]
        if len(samples) >= 2:
            first, last = samples[0][1], samples[-1][1]
            print(
                f"soak {soak['frames']} frames: {soak['process_fps']:.1f} fps, RSS "
                f"{first:.0f} MB at {samples[0][0]} -> "
                f"{last:.0f} MB at {samples[-1][0]} "
                f"({(last - first) / first:+.1%})"
            )


if __name__ == "__main__":
    main()
