"""Every GPU path in one call, with one JSON of results (run by ``benchmarks/gpu_check.sh``).

    python benchmarks/gpu_check.py --out DIR              # on a CUDA machine
    python benchmarks/gpu_check.py --out DIR --dry-run    # the same steps on the CPU, smaller

Steps, in order of importance, each in a process of its own with a time limit (a crash in
a driver or a step that overruns costs that step only), all within ``--budget`` seconds:

* ``env``: PyTorch, CUDA, the GPU, PyAV's NVDEC/NVENC codecs, cores.
* ``video``: the 10-minute 720p benchmark video, made with a process per core
  (``bench_pipeline.make_720p_video``; not a measurement). Dry run: the 1-minute one.
* ``bench``: ``bench_pipeline.py --case 720p --device cuda`` end to end, timings per stage
  (target >= 100x real time on an H100/H200). Dry run: ``720p-1min`` on the CPU.
* ``nvdec``: the samples of the first 2 minutes decoded by NVDEC (one session, then ranges:
  sessions beside CPU range decoders) against PyAV on the CPU: equal, or the largest
  difference. Without NVDEC the decoder falls back to the CPU and says why.
* ``tests``: the ``gpu``-marked tests.
* ``nvenc``: whether h264_nvenc opens; 600 frames of 720p encoded on it; the kept shots of the
  benchmark video written whole (``--cut reencode``) with NVENC, as a summary is.
* ``train-contrastive``, ``train-mae``: ``summarize train ... --device cuda`` on a generated
  feature file: steps, samples and seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STEPS = ["env", "video", "bench", "nvdec", "tests", "nvenc", "train-contrastive", "train-mae"]
# Seconds each step may take on the GPU machine (16 cores); the dry run on 2 busy cores gets 4x.
LIMITS = {"env": 60, "video": 180, "bench": 120, "nvdec": 90, "tests": 150, "nvenc": 90,
          "train-contrastive": 90, "train-mae": 90}
GPU_TESTS = ["tests/test_gpu_paths.py", "tests/test_nvenc.py", "tests/test_decode_ranges.py"]


def _video(dry: bool) -> Path:
    from benchmarks.bench_pipeline import make_720p_video

    return make_720p_video(minutes=1 if dry else 10)


def step_env(dry: bool, out: Path) -> dict:
    import av
    import torch

    cuda = torch.cuda.is_available()
    import shutil

    smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                         capture_output=True, text=True) if shutil.which("nvidia-smi") else None
    return {"python": sys.version.split()[0], "torch": torch.__version__, "cuda": cuda,
            "cuda_version": torch.version.cuda, "gpu": torch.cuda.get_device_name(0) if cuda else None,
            "nvidia_smi": smi.stdout.strip() if smi is not None else None, "av": av.__version__,
            "codecs": {name: name in av.codecs_available for name in ("h264_cuvid", "hevc_cuvid", "h264_nvenc")},
            "cores": len(os.sched_getaffinity(0))}


def step_video(dry: bool, out: Path) -> dict:
    started = time.perf_counter()
    path = _video(dry)
    return {"path": str(path), "bytes": path.stat().st_size, "seconds": round(time.perf_counter() - started, 1),
            "mbit_s": round(path.stat().st_size * 8 / 1e6 / (60 if dry else 600), 2)}


def step_bench(dry: bool, out: Path) -> dict:
    target = out / "bench_pipeline.json"
    args = ["--case", "720p-1min", "--device", "cpu"] if dry else ["--case", "720p", "--device", "cuda"]
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_pipeline.py"), *args, "--out", str(target)],
                   check=True)
    row = next(iter(json.loads(target.read_text()).values()))[0]
    return {**row, "target_x_realtime": 100, "target_met": row["x_realtime"] >= 100}


def _samples(path: Path, backend: str, workers: int | None, seconds: float):
    import numpy as np

    from summarize.decoding import open_video, plan_samples
    from summarize.decoding.base import SamplingPlan

    started = time.perf_counter()
    with open_video(path, short_side=256, backend=backend, workers=workers) as video:
        plan = plan_samples(video.frame_times, video.info.duration, 2.0)
        keep = plan.times < seconds
        plan = SamplingPlan(plan.fps, plan.times[keep], plan.frame_indices[keep])
        frames = np.concatenate([b.frames for b in video.iter_batches(plan, 32)])
        note = video.info.decoder_note
        kinds = getattr(video, "ranges_by_kind", None)
    return frames, {"backend": backend, "workers": workers, "samples": len(frames), "note": note,
                    "ranges_by_kind": kinds, "wall_s": round(time.perf_counter() - started, 2)}


def step_nvdec(dry: bool, out: Path) -> dict:
    import numpy as np

    path = _video(dry)
    seconds = 60.0 if dry else 120.0
    reference, cpu = _samples(path, "pyav", 1, seconds)
    result = {"video": path.name, "seconds": seconds, "cpu": cpu, "runs": []}
    for workers in (1, None):  # one NVDEC session; then ranges (sessions beside CPU range decoders)
        frames, info = _samples(path, "nvdec", workers, seconds)
        diff = np.abs(frames.astype(np.int16) - reference.astype(np.int16)) if frames.shape == reference.shape else None
        info.update({"same_shape": diff is not None,
                     "equal": bool(diff is not None and not diff.any()),
                     "max_abs_diff": int(diff.max()) if diff is not None else None,
                     "mean_abs_diff": round(float(diff.mean()), 4) if diff is not None else None,
                     "differing_pixel_share": round(float((diff > 0).mean()), 6) if diff is not None else None})
        result["runs"].append(info)
    return result


def step_tests(dry: bool, out: Path) -> dict:
    junit = out / "gpu_tests.xml"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider", "-m",
                           "gpu", f"--junitxml={junit}", *GPU_TESTS], capture_output=True, text=True, cwd=ROOT)
    import xml.etree.ElementTree as ET

    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite[0]
    counts = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    return {"returncode": proc.returncode, **counts, "tail": proc.stdout[-3000:]}


def step_nvenc(dry: bool, out: Path) -> dict:
    from fractions import Fraction

    import av
    import numpy as np

    from benchmarks.bench_pipeline import WRITING_SEGMENTS
    from summarize.outputs.nvenc import NVENC, nvenc_options, nvenc_problem
    from summarize.outputs.smartcut import write_cut_video

    result = {"problem": nvenc_problem(1280, 720)}
    if result["problem"] is None:
        encoder = av.CodecContext.create(NVENC, "w")
        encoder.width, encoder.height, encoder.pix_fmt = 1280, 720, "yuv420p"
        encoder.time_base = Fraction(1, 30)
        encoder.options = nvenc_options("superfast", 23)
        encoder.open()
        image = np.random.default_rng(0).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
        frames = [av.VideoFrame.from_ndarray(np.roll(image, 4 * i, axis=1), format="rgb24").reformat(
            format="yuv420p") for i in range(600)]
        started, packets = time.perf_counter(), 0
        for i, frame in enumerate(frames):
            frame.pts = i
            packets += len(encoder.encode(frame))
        packets += len(encoder.encode(None))
        result.update({"frames": 600, "packets": packets,
                       "encode_fps": round(600 / (time.perf_counter() - started), 1)})
    path = _video(dry)
    segments = [(a, b) for a, b in WRITING_SEGMENTS if b <= (60 if dry else 600)] or [(0.0, 10.0)]
    started = time.perf_counter()
    stats = write_cut_video(path, segments, out / "summary-reencode.mp4", cut="reencode", nvenc=not dry)
    result["summary"] = {"kept_s": round(stats.duration, 2), "wall_s": round(time.perf_counter() - started, 2),
                         **stats.describe()}
    (out / "summary-reencode.mp4").unlink()
    return result


def _feature_file(path: Path, videos: int, samples: int, dim: int) -> Path:
    import numpy as np

    from summarize.evaluation.datasets import FeatureVideo, write_feature_file

    rng = np.random.default_rng(0)
    items = []
    for i in range(videos):
        centres = rng.standard_normal((8, dim)).astype(np.float32)
        x = centres[np.repeat(np.arange(8), samples // 8)] + 0.5 * rng.standard_normal((samples // 8 * 8, dim),
                                                                                         dtype=np.float32)
        n = len(x)
        items.append(FeatureVideo(key=f"video_{i}", name=None, features=x, picks=np.arange(n) * 15,
                                  bounds=np.array([[0, n * 15]]), n_frames=n * 15,
                                  user_summary=np.zeros((1, n * 15), dtype=bool)))
    write_feature_file(path, items)
    return path


TRAIN_VIDEOS = {True: 32, False: 64}  # dry run: one batch a step on the CPU


def _train(dry: bool, out: Path, kind: str, args: list[str], units: int, unit: str) -> dict:
    h5 = _feature_file(out / "train.h5", TRAIN_VIDEOS[dry], 200 if dry else 400, 1280)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "summarize", "train", kind, "--features", str(h5),
                           "--device", "cpu" if dry else "cuda", "-o", str(out / f"{kind}.ckpt"), "--overwrite",
                           "-q", *args], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    from summarize.networks.checkpoint import load_checkpoint

    meta = load_checkpoint(out / f"{kind}.ckpt", kind=kind).meta  # the training loop's own account
    (out / f"{kind}.ckpt").unlink(missing_ok=True)
    h5.unlink()
    train = meta.train_seconds or seconds
    return {"args": args, "device": meta.device, "steps": meta.steps, "batch_size": meta.batch_size,
            "train_seconds": round(train, 2), "seconds_with_start": round(seconds, 2), unit: units,
            f"{unit}_per_s": round(units / train, 1), "steps_per_s": round(meta.steps / train, 2)}


def step_train_contrastive(dry: bool, out: Path) -> dict:
    epochs = 1 if dry else 40
    return _train(dry, out, "contrastive", ["--epochs", str(epochs)], TRAIN_VIDEOS[dry] * epochs, "videos")


def step_train_mae(dry: bool, out: Path) -> dict:
    steps = 3 if dry else 200
    size = "small" if dry else "base"
    return _train(dry, out, "mae", ["--steps", str(steps), "--size", size, "--backbone", "efficientnet-lite0"],
                  32 * steps, "clips")


def run_step(name: str, dry: bool, out: Path) -> dict:
    return globals()[f"step_{name.replace('-', '_')}"](dry, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="folder for gpu_check.json and the steps' files")
    parser.add_argument("--dry-run", action="store_true", help="rehearse every step on the CPU, smaller")
    parser.add_argument("--budget", type=float, default=470, help="seconds for all the steps together")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated subset, in this order")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.step:  # one step, in its own process: its result as the last line
        print(json.dumps(run_step(args.step, args.dry_run, out)))
        return
    deadline = time.monotonic() + args.budget
    report = {"dry_run": args.dry_run, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "steps": {}}
    for name in args.steps.split(","):
        left = deadline - time.monotonic()
        limit = min(LIMITS[name] * (4 if args.dry_run else 1), left)
        if limit < 5:
            report["steps"][name] = {"status": "not run (no time left)"}
            continue
        started = time.perf_counter()
        cmd = [sys.executable, __file__, "--out", str(out), "--step", name] + (["--dry-run"] if args.dry_run else [])
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, cwd=ROOT)
            if proc.returncode == 0:
                entry = {"status": "ok", **json.loads(proc.stdout.strip().splitlines()[-1])}
            else:
                entry = {"status": f"failed (exit {proc.returncode})", "stderr": proc.stderr[-3000:]}
        except subprocess.TimeoutExpired as exc:
            tail = (exc.stderr or b"")[-2000:]
            entry = {"status": f"timed out after {limit:.0f} s",
                     "stderr": tail.decode(errors="replace") if isinstance(tail, bytes) else tail}
        entry["step_s"] = round(time.perf_counter() - started, 1)
        report["steps"][name] = entry
        print(f"[gpu_check] {name}: {entry['status']} in {entry['step_s']} s", flush=True)
        (out / "gpu_check.json").write_text(json.dumps(report, indent=2))  # what is done so far survives a kill
    report["total_s"] = round(args.budget - (deadline - time.monotonic()), 1)
    (out / "gpu_check.json").write_text(json.dumps(report, indent=2))
    print(f"[gpu_check] results in {out / 'gpu_check.json'} ({report['total_s']} s)")


if __name__ == "__main__":
    main()
