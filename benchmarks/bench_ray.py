"""``summarize batch --ray``: Ray's overhead on one machine, and the driver at scale.

    python benchmarks/bench_ray.py                        # both cases
    python benchmarks/bench_ray.py --case videos          # 20 one-minute videos: --ray local vs --jobs 2
    python benchmarks/bench_ray.py --case scale           # 1,000 simulated videos, N = 1, 4, 16 workers, kills
    python benchmarks/bench_ray.py --case videos --count 2 --length 5 --case scale --videos 40 --sleep 0.05
                                                          # a quick try of both (not for figures)

``videos``: the 20 one-minute 854x480 videos of ``bench_batch.py`` (made once, kept under
``bench-out/batch-videos``; ``--count``/``--length`` make a smaller set elsewhere), each
command in its own process with ``--no-cache``: ``summarize batch DIR --jobs 2`` and
``summarize batch DIR --ray local --jobs 2`` (Ray started and stopped by the command, part
of its wall). Target: the Ray wall within 15% of the threads' wall.

``scale``: ``run_batch`` with the Ray executor whose workers do no decoding: each "video"
(an empty file) takes ``--sleep`` seconds in its worker. One local Ray instance with 16
logical CPUs (sleeping actors use no CPU, so a 2-core machine serves); for N = 1, 4, 16
workers the clock starts when every worker is up (actor start-up is a process and an
import each, not scheduling) and stops when ``run_batch`` returns with the index written.
Ideal = videos x sleep / N; target within 10%. Then the kill run: N = 16 while a thread
SIGKILLs a random worker process every ``--kill-every`` seconds and reads ``index.json``
every 0.2 s: no write may drop a row an earlier one listed, and the final index must list
every video once (none pending), the run complete.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


# -- videos: --ray local against --jobs 2 ------------------------------------------------------------

def make_short_videos(count: int, length: int) -> Path:
    """``count`` cheap ``length``-second 320x240 clips (for a quick try of the script)."""
    from tests.synthetic import write_video

    folder = OUT / f"ray-videos-{count}x{length}s"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        path = folder / f"clip{i:02d}.mp4"
        if not path.exists():
            scenes = [((i + k) % 8, length / 3) for k in range(3)]
            tmp = path.with_name(f".{path.stem}.partial.mp4")
            write_video(tmp, scenes, width=320, height=240, fps=25, seed=i)
            tmp.rename(path)
    return folder


def run_videos(count: int, length: int) -> list[dict]:
    if length == 60:
        from bench_batch import VIDEOS, make_videos

        make_videos(count)
        folder = VIDEOS
        if count < len(list(VIDEOS.glob("*.mp4"))):
            folder = OUT / f"batch-videos-first-{count}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            for video in sorted(VIDEOS.glob("*.mp4"))[:count]:
                (folder / video.name).symlink_to(video)
    else:
        folder = make_short_videos(count, length)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    rows = []
    for case, extra in (("jobs2", []), ("ray-local-jobs2", ["--ray", "local"])):
        out = OUT / f"ray-{case}"
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "summarize", "batch", str(folder), "-o", str(out), "--no-cache",
                        "--jobs", "2", "-q", *extra], check=True, env=env)
        wall = time.perf_counter() - started
        made = len(list(out.glob("*.summary.json")))
        if made != count:
            raise SystemExit(f"{case}: {made} summaries for {count} videos")
        rows.append({"case": case, "videos": count, "seconds_each": length, "wall_s": round(wall, 1),
                     "videos_per_min": round(60 * count / wall, 2)})
        print(", ".join(f"{k}={v}" for k, v in rows[-1].items()), flush=True)
    ratio = rows[1]["wall_s"] / rows[0]["wall_s"]
    print(f"--ray local / --jobs 2 wall: {ratio:.3f} (target <= 1.15)", flush=True)
    rows.append({"case": "ratio", "ray_over_threads": round(ratio, 3), "target": 1.15, "met": ratio <= 1.15})
    return rows


# -- scale: the driver with N sleeping workers ---------------------------------------------------------

GO = "go"  # the barrier file: workers sleep only once every worker is up


class SleepWorker:
    """A batch worker that only sleeps: ``sleep`` seconds per video, no decoding, no outputs."""

    sleep = 0.2
    barrier: Path | None = None

    def __init__(self, options, index_folder, threads, on_stage) -> None:
        self.index_folder = index_folder

    def __call__(self, task, report, stop):
        from summarize.batch.executor import Stop
        from summarize.batch.index import IndexEntry, now_iso

        item, note = task
        while self.barrier is not None and not self.barrier.exists():
            time.sleep(0.005)
        report("features", 0.0)
        deadline = time.perf_counter() + self.sleep
        while (left := deadline - time.perf_counter()) > 0:
            if stop.is_set():
                raise Stop
            time.sleep(min(left, 0.05))
        return IndexEntry(input=item.name, status="ok", reason=note, duration=None, kept_seconds=None,
                          summary_json=None, summary_video=None, seconds=self.sleep, finished=now_iso()), None


def _worker_class(sleep: float, barrier: Path):
    return type("SleepWorker", (SleepWorker,), {"sleep": sleep, "barrier": barrier})


def _is_ray_worker(pid: int) -> bool:
    try:
        return b"ray::" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def scale_run(folder: Path, workers: int, sleep: float, kill_every: float | None = None) -> dict:
    from summarize import Summarizer
    from summarize.batch import run_batch
    from summarize.batch.ray_executor import RayExecutor

    out = OUT / f"ray-scale-{workers}{'-kills' if kill_every else ''}"
    shutil.rmtree(out, ignore_errors=True)
    barrier = out / GO
    executor = RayExecutor("local", workers, worker=_worker_class(sleep, barrier), retries=2)
    clock: dict[str, float] = {}
    kills: list[int] = []
    seen: set[str] = set()  # rows some index write listed
    lost: list[str] = []  # rows a later index write no longer listed
    done = threading.Event()

    def starter() -> None:
        while not done.is_set():
            pool = executor.pool
            if pool is not None and pool.actors and all(pool.where):
                clock["go"] = time.perf_counter()
                barrier.touch()
                break
            time.sleep(0.01)
        if not kill_every:
            return
        rng = random.Random(0)
        next_kill = time.perf_counter() + kill_every
        while not done.wait(0.2):
            _check_index(out / "index.json", seen, lost)
            if time.perf_counter() < next_kill:
                continue
            next_kill += kill_every
            where = rng.choice(executor.pool.where)
            pid = int(where.rsplit(":", 1)[1]) if where else 0
            if pid and _is_ray_worker(pid):  # never a pid the system gave to something else since
                try:
                    os.kill(pid, signal.SIGKILL)
                    kills.append(pid)
                except ProcessLookupError:
                    pass

    thread = threading.Thread(target=starter, daemon=True)
    thread.start()
    try:
        report = run_batch(folder, out, summarizer=Summarizer(device="cpu", cache=False), executor=executor,
                           write_video=False)
    finally:
        done.set()
        thread.join()
    wall = time.perf_counter() - clock["go"]
    count = report.index.total
    document = json.loads((out / "index.json").read_text())
    names = [v["input"] for v in document["videos"]]
    ideal = count * sleep / workers
    row = {"workers": workers, "videos": count, "sleep_s": sleep, "wall_s": round(wall, 2),
           "ideal_s": round(ideal, 2), "over_ideal": round(wall / ideal - 1, 3),
           "index_rows": len(names), "unique_rows": len(set(names)), "pending": document["counts"]["pending"],
           "failed": document["counts"]["failed"], "complete": document["complete"]}
    if kill_every:
        _check_index(out / "index.json", seen, lost)
        row["kills"] = len(kills)
        row["rows_missing_at_end"] = count - len(set(names))
        row["rows_lost_while_running"] = len(lost)
    return row


def _check_index(path: Path, seen: set[str], lost: list[str]) -> None:
    """Every row an earlier index write listed is still there (the index is replaced atomically,
    so any read is a complete file)."""
    try:
        rows = {v["input"] for v in json.loads(path.read_text())["videos"]}
    except FileNotFoundError:
        return
    lost.extend(sorted(seen - rows))
    seen |= rows


def run_scale(count: int, sleep: float, workers: list[int], kill_every: float) -> list[dict]:
    import logging

    import ray

    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "benchmarks"),
                                                *filter(None, [os.environ.get("PYTHONPATH")])])
    folder = OUT / f"ray-scale-inputs-{count}"
    if not folder.is_dir() or len(list(folder.iterdir())) != count:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for i in range(count):
            (folder / f"v{i:05d}.mp4").write_bytes(b"")  # never decoded
    ray.init(num_cpus=max(16, max(workers)), include_dashboard=False, log_to_driver=False,
             logging_level=logging.ERROR)
    rows = []
    try:
        for n in workers:
            rows.append(scale_run(folder, n, sleep))
            row = rows[-1]
            row["met"] = row["over_ideal"] <= 0.10 and row["index_rows"] == count and row["complete"]
            print(", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        if kill_every:
            row = scale_run(folder, max(workers), sleep, kill_every)
            row["met"] = (row["rows_missing_at_end"] == 0 and row["rows_lost_while_running"] == 0
                          and row["pending"] == 0 and row["index_rows"] == count and row["complete"]
                          and row["kills"] > 0)
            rows.append(row)
            print("kills: " + ", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    finally:
        ray.shutdown()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=["videos", "scale"], action="append")
    parser.add_argument("--count", type=int, default=20, help="videos: how many")
    parser.add_argument("--length", type=int, default=60, help="videos: seconds each (60: bench_batch's videos)")
    parser.add_argument("--videos", type=int, default=1000, help="scale: simulated videos")
    parser.add_argument("--sleep", type=float, default=0.2, help="scale: seconds per simulated video")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16], help="scale: worker counts")
    parser.add_argument("--kill-every", type=float, default=1.0, help="scale: seconds between kills (0: no kill run)")
    args = parser.parse_args()
    results = {}
    cases = args.case or ["videos", "scale"]
    if "videos" in cases:
        results["videos"] = run_videos(args.count, args.length)
    if "scale" in cases:
        results["scale"] = run_scale(args.videos, args.sleep, args.workers, args.kill_every)
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_ray.json").write_text(json.dumps(results, indent=2))
    print(f"results written to {OUT / 'bench_ray.json'}")


if __name__ == "__main__":
    main()
