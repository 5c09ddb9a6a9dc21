"""The hour at one frame per second, end to end: issue 10's target is under 60 s on a 2-core CPU.

    PYTHONPATH=. python benchmarks/bench_hour.py                 # the hour, 3 runs (idle machine!)
    PYTHONPATH=. nice python benchmarks/bench_hour.py --minutes 5 --runs 1 --profile   # where time goes

Generates (once, under bench-out/) a video of ``--minutes`` at 1 fps, a new scene every
minute (``tests/damaged.py:one_fps_hour``, ``--size`` pixels), then times ``summarize VIDEO``
in a fresh process (model loading, decoding, features, scoring, segmentation, selection,
the summary MP4 and JSON; no feature cache) and prints the wall time of every run with the
stages' seconds from the JSON. ``--profile`` runs one more time in-process under cProfile
and prints the functions that took longest (cumulative).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import OUT  # noqa: E402
from tests import damaged  # noqa: E402

TARGET_SECONDS = 60.0  # for the hour


def source(minutes: float, size: tuple[int, int]) -> Path:
    path = OUT / f"one-fps-{minutes:g}min-{size[0]}x{size[1]}.mp4"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        partial = path.with_suffix(".partial.mp4")
        damaged.one_fps_hour(partial, seconds=int(round(minutes * 60)), width=size[0], height=size[1])
        partial.rename(path)
    return path


def timed_run(video: Path, out: Path, extra: list[str]) -> tuple[float, dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    command = [sys.executable, "-m", "summarize", str(video), "-o", str(out), "--overwrite", "--no-cache", "-q",
               *extra]
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"summarize failed (exit {proc.returncode})")
    document = json.loads((out / f"{video.stem}.summary.json").read_text())
    return wall, document


def profile(video: Path, out: Path, top: int) -> None:
    from summarize import Summarizer

    summarizer = Summarizer(cache=False)
    profiler = cProfile.Profile()
    profiler.enable()
    summarizer.summarize(video, out, overwrite=True)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--size", default="640x360", help="frame size WxH (default 640x360)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="also profile one run in-process")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("extra", nargs="*", help="more summarize options, after --")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    started = time.perf_counter()
    video = source(args.minutes, size)
    print(f"{video.name}: {video.stat().st_size / 1e6:.1f} MB (ready in {time.perf_counter() - started:.1f} s)")
    walls = []
    with tempfile.TemporaryDirectory(prefix="bench-hour-") as tmp:
        for run in range(args.runs):
            wall, document = timed_run(video, Path(tmp), args.extra)
            walls.append(wall)
            timings = ", ".join(f"{k} {v:.1f}" for k, v in document["run"]["timings"].items())
            print(f"run {run + 1}: {wall:.1f} s wall ({document['sampling']['n_samples']} samples of "
                  f"{document['input']['n_frames']} frames; {timings})", flush=True)
        if walls:
            best = min(walls)
            target = TARGET_SECONDS * args.minutes / 60.0
            print(f"best of {len(walls)}: {best:.1f} s for {args.minutes:g} min at 1 fps "
                  f"(target {target:.0f} s: {'met' if best < target else 'NOT met'}; {os.cpu_count()} CPUs)")
        if args.profile:
            profile(video, Path(tmp), args.top)


if __name__ == "__main__":
    main()
