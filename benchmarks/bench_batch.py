"""Throughput of ``summarize batch`` on a folder of short videos.

    python benchmarks/bench_batch.py                  # baseline, --jobs 1 and --jobs 2
    python benchmarks/bench_batch.py --case jobs2     # one case

The input is 20 generated one-minute 854x480 30 fps H.264 videos with AAC audio and
sensor-like grain (camera-like bitrate), made once and kept under ``bench-out/batch-videos``.
Cases, each in a fresh process tree so that its peak RSS is its own:

* ``single``: the single-video command (``python -m summarize VIDEO``) on each file in
  turn, the way a shell loop would do it (a process and a model load per video).
* ``jobs1``, ``jobs2``: ``python -m summarize batch DIR --jobs N``.

Every case runs with ``--no-cache`` into a fresh output folder. Reported: wall seconds,
videos per minute, peak RSS of the largest process (MB). Targets (2-core CPU): jobs2 >=
1.2x the throughput of jobs1; jobs1 faster than the single-video loop.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out"
VIDEOS = OUT / "batch-videos"
N_VIDEOS = 20
sys.path.insert(0, str(ROOT))


def make_videos(count: int = N_VIDEOS) -> list[Path]:
    """``count`` one-minute 480p videos of 8 to 12 scenes each (cached)."""
    import numpy as np

    from tests.synthetic import write_video

    VIDEOS.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = VIDEOS / f"clip{i:02d}.mp4"
        paths.append(path)
        if path.exists():
            continue
        rng = np.random.default_rng(i)
        lengths = []
        while sum(lengths) < 60:
            lengths.append(int(rng.integers(3, 12)))
        lengths[-1] -= sum(lengths) - 60
        lengths = [s for s in lengths if s > 0]
        scenes = [(int(k), float(s)) for k, s in zip(rng.permutation(64) % 8, lengths)]
        tmp = path.with_name(f".{path.stem}.partial.mp4")
        write_video(tmp, scenes, width=854, height=480, fps=30, preset="veryfast", audio=True, grain=4.0,
                    crf=18, seed=i)
        tmp.rename(path)
    return paths


def _peak_rss_children_mb() -> float:
    """Peak RSS of the largest waited-for descendant (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run_case(case: str, videos: list[Path]) -> dict:
    out = OUT / f"batch-{case}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    if case == "single":
        for video in videos:
            subprocess.run([sys.executable, "-m", "summarize", str(video), "-o", str(out), "--no-cache", "-q"],
                           check=True, env=env)
    else:
        folder = VIDEOS
        if len(videos) < len(list(VIDEOS.glob("*.mp4"))):  # a quick run on the first few
            folder = OUT / f"batch-videos-first-{len(videos)}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            for video in videos:
                (folder / video.name).symlink_to(video)
        jobs = case.removeprefix("jobs")
        subprocess.run([sys.executable, "-m", "summarize", "batch", str(folder), "-o", str(out), "--no-cache",
                        "--jobs", jobs, "-q"], check=True, env=env)
    wall = time.perf_counter() - started
    made = sorted(out.glob("*.summary.json"))
    if len(made) != len(videos):
        raise SystemExit(f"{case}: {len(made)} summaries for {len(videos)} videos")
    return {"case": case, "videos": len(videos), "wall_s": round(wall, 1),
            "videos_per_min": round(60 * len(videos) / wall, 2), "peak_rss_mb": round(_peak_rss_children_mb())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=["single", "jobs1", "jobs2"], action="append")
    parser.add_argument("--count", type=int, default=N_VIDEOS, help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    videos = make_videos(args.count)  # generation is not part of any measurement
    if args.child:
        print(json.dumps(run_case(args.child, videos)))
        return
    results = []
    for case in args.case or ["single", "jobs1", "jobs2"]:
        # A child per case: RUSAGE_CHILDREN then holds that case's processes only.
        proc = subprocess.run([sys.executable, __file__, "--child", case, "--count", str(args.count)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            raise SystemExit(f"case {case} failed")
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(row)
        print(", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    by_case = {r["case"]: r for r in results}
    if "jobs1" in by_case and "jobs2" in by_case:
        print(f"jobs2 / jobs1 throughput: {by_case['jobs2']['videos_per_min'] / by_case['jobs1']['videos_per_min']:.2f}x")
    if "jobs1" in by_case and "single" in by_case:
        print(f"jobs1 / single-video loop throughput: "
              f"{by_case['jobs1']['videos_per_min'] / by_case['single']['videos_per_min']:.2f}x")
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_batch.json").write_text(json.dumps(results, indent=2))
    print(f"results written to {OUT / 'bench_batch.json'}")


if __name__ == "__main__":
    main()
