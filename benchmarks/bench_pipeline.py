"""Speed and memory of ``summarize VIDEO``, stage by stage.

    python benchmarks/bench_pipeline.py                 # every case
    python benchmarks/bench_pipeline.py --case 720p     # one case

Cases (each runs in a fresh process, so its peak RSS is its own):

* ``720p``: a generated 10-minute 1280x720 30 fps H.264 video with AAC audio (made once and
  kept under ``bench-out/``), summarized end to end with the default options. The scenes
  carry sensor-like grain so the bitrate (and so the decoding cost) is that of camera
  footage (about 8 Mbit/s, like a phone recording at 720p30), not that of clean synthetic
  graphics. The default decoder on a CPU is PyAV, decoding ahead in a thread beside the
  network.
* ``720p-in-turn``: the same with PyAV decoding and the network taking turns (as before
  decoding ahead on a CPU), to measure what running them side by side gains.
* ``720p-decord``: the same with ``--decoder decord`` (the CPU default before PyAV; it
  holds the GIL, so it takes turns with the network).
* ``720p-1min``: a one-minute video made the same way, to try the script quickly.
* ``writing``: the summary writer alone on the 720p video with the shots its default run
  keeps, by ``--cut`` (exact, keyframe, reencode): wall and CPU seconds, frames copied and
  encoded. (The video cases report ``writing_cpu_s`` too: the CPU seconds of the writing
  stage, all its threads.)
* ``decode`` (``decode-1min``): decoding alone, decord against PyAV with one decoder and
  PyAV with keyframe ranges decoded side by side (``summarize/decoding/ranges.py``).
* ``720p-clean``: the same scenes without grain (about 0.5 Mbit/s): what the decoder
  costs when the picture compresses well. Not run unless asked for.
* ``summe``: the two SumMe videos in ``$SUMMARIZE_DATA/summe/videos`` (320x240, no audio).
* ``720p-cuda``, ``summe-cuda``: the same on the GPU (``--device cuda``, NVDEC decoding when
  the FFmpeg build and the GPU allow it); run by default only when CUDA is present.
* ``long-scores``: contrastive scoring plus KTS on 21,600 synthetic samples (a 3-hour video
  at 2 fps) with 1280-d features, piecewise-constant shots plus noise.
* ``scores-25k``: the same at 25,000 samples, for the memory bound of the scorer.

Targets (2-core CPU, default backbone): end to end >= 8x faster than real time on the 720p
video; everything but decoding and the backbone <= 10% of the total; peak RSS <= 2 GB;
scoring + KTS on 21,600 samples <= 30 s and 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import OUT, peak_rss_mb, run_cases  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_720p_video(grain: bool = True, minutes: int = 10) -> Path:
    from tests.synthetic import write_video

    name = "ten_minutes" if minutes == 10 else f"{minutes}_minute"
    path = OUT / (f"{name}_720p30_grain.mp4" if grain else f"{name}_720p30_clean.mp4")
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    # 8 scenes of 5 to 25 seconds a block of 2 minutes, cycling through the eight
    # textures: 40 scenes, 600 s, for the 10-minute video.
    lengths = [5, 10, 15, 20, 25, 20, 15, 10] * (minutes // 2) if minutes >= 2 else [5, 10, 15, 10, 5, 15]
    scenes = [(i % 8, float(s)) for i, s in enumerate(lengths)]
    assert sum(lengths) == 60 * minutes
    tmp = path.with_suffix(".partial.mp4")
    write_video(tmp, scenes, width=1280, height=720, fps=30, preset="veryfast", audio=True,
                **({"grain": 4.0, "crf": 18} if grain else {}))
    tmp.rename(path)
    return path


def run_video(path: Path, device: str = "cpu", decoder: str = "auto") -> dict:
    from summarize import Summarizer

    out = OUT / "outputs"
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    summarizer = Summarizer(cache=False, device=device, decoder=decoder)
    _ = summarizer.backbone  # model loading is reported separately
    load = time.perf_counter() - started
    cpu = cpu_seconds()
    writing_cpu = {}
    write = summarizer.write

    def timed_write(*args, **kwargs):  # the CPU seconds of the writing stage, all its threads
        cpu = time.process_time()
        try:
            return write(*args, **kwargs)
        finally:
            writing_cpu["s"] = time.process_time() - cpu

    summarizer.write = timed_write
    result = summarizer.summarize(path, out, overwrite=True)
    cpu = cpu_seconds() - cpu
    wall = time.perf_counter() - started
    doc = result.document
    t = doc["run"]["timings"]
    rest = t["scoring"] + t["segmentation"] + t["selection"] + t["writing"]
    return {
        "video": path.name,
        "duration_s": doc["input"]["duration"],
        "resolution": f"{doc['input']['width']}x{doc['input']['height']}",
        "samples": doc["sampling"]["n_samples"],
        "shots": doc["segmentation"]["n_shots"],
        "kept_s": doc["summary"]["duration"],
        "model_load_s": round(load, 2),
        "decode_s": t["decode"],
        "features_s": t["features"],
        "decode_wait_s": t.get("decode_wait"),
        # seconds during which decoding and the network both ran (0: they took turns)
        "decode_features_overlap_s": t.get("decode_features_overlap"),
        "decoder": doc["input"]["decoder"] + (f" ({doc['input']['decoder_note']})" if "decoder_note" in doc["input"] else ""),
        "decode_and_features_wall_s": t["decode_and_features_wall"],
        "scoring_s": t["scoring"],
        "kts_s": t["segmentation"],
        "knapsack_s": t["selection"],
        "writing_s": t["writing"],
        "writing_cpu_s": round(writing_cpu["s"], 2),
        "cut": doc["outputs"]["video_encoding"]["cut"]["method"],
        "copied_frames": doc["outputs"]["video_encoding"]["cut"]["copied_frames"],
        "reencoded_frames": doc["outputs"]["video_encoding"]["cut"]["reencoded_frames"],
        "writing_share": round(t["writing"] / t["total"], 3),
        "total_s": t["total"],
        "wall_with_model_load_s": round(wall, 2),
        "x_realtime": round(doc["input"]["duration"] / t["total"], 2),
        # CPU time of the process (user + system, every thread) over the run, and its share
        # of the wall time (200% = both cores of a 2-core machine busy throughout)
        "cpu_s": round(cpu, 2),
        "cpu_percent": round(100 * cpu / t["total"]),
        "device": doc["run"]["device"],
        "non_backbone_share": round(rest / t["total"], 3),
        "peak_rss_mb": round(peak_rss_mb()),
    }


# The shots the 720p video's default run selects ([start, end) seconds; 90 s of 600).
WRITING_SEGMENTS = [(0.0, 5.0), (110.0, 125.0), (230.0, 245.0), (350.0, 365.0), (470.0, 485.0), (575.0, 600.0)]


def run_writing(path: Path) -> list[dict]:
    """The summary writer alone on the 720p video with the shots its default run keeps, by
    each ``--cut``: wall and CPU seconds (all threads), frames copied and encoded."""
    from summarize.outputs.smartcut import write_cut_video

    rows = []
    out = OUT / "outputs"
    out.mkdir(parents=True, exist_ok=True)
    for cut in ("exact", "keyframe", "reencode"):
        started, cpu = time.perf_counter(), time.process_time()
        stats = write_cut_video(path, WRITING_SEGMENTS, out / f"writing-{cut}.mp4", cut=cut)
        rows.append({"video": path.name, "cut": stats.cut, "kept_s": round(stats.duration, 3),
                     "wall_s": round(time.perf_counter() - started, 2), "cpu_s": round(time.process_time() - cpu, 2),
                     "copied_frames": stats.copied_frames, "reencoded_frames": stats.reencoded_frames,
                     "cores": len(os.sched_getaffinity(0))})
    return rows


def run_long_scores(n: int = 21_600) -> dict:
    import numpy as np

    from summarize.scoring import get_scorer
    from summarize.segmentation import kts

    rng = np.random.default_rng(0)
    dim = 1280
    lengths = []
    while sum(lengths) < n:
        lengths.append(int(rng.integers(4, 40)))
    lengths[-1] -= sum(lengths) - n
    centres = rng.standard_normal((len(lengths), dim)).astype(np.float32)
    x = np.repeat(centres, lengths, axis=0)
    x += 0.6 * rng.standard_normal(x.shape, dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    base = peak_rss_mb()
    t0 = time.perf_counter()
    scores = get_scorer("contrastive").score(x)
    t1 = time.perf_counter()
    cps = kts(x)
    t2 = time.perf_counter()
    true = np.cumsum(lengths)[:-1]
    recall = float(np.mean([np.min(np.abs(cps - c)) <= 1 for c in true]))
    return {
        "samples": n,
        "feature_dim": dim,
        "scoring_s": round(t1 - t0, 2),
        "kts_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2),
        "shots_true": len(lengths),
        "shots_found": len(cps) + 1,
        "cut_recall_within_1": round(recall, 4),
        "features_mb": round(x.nbytes / 2**20),
        "peak_rss_mb": round(peak_rss_mb()),
        "peak_rss_before_mb": round(base),
        "finite_scores": bool(np.isfinite(scores).all()),
    }


def run_decode(path: Path) -> list[dict]:
    """Decoding alone (the samples the default backbone gets: 2 per second, short side
    224): decord, PyAV one decoder with FFmpeg's frame threads, PyAV keyframe ranges side
    by side (``SUMMARIZE_DECODE_WORKERS``; automatic: half the cores, off on two)."""
    from summarize.decoding import decode_workers, open_video, plan_samples

    rows = []
    ranged = max(decode_workers(), 2)
    for backend, workers in (("decord", None), ("pyav", 1), ("pyav", ranged)):
        started = time.perf_counter()
        cpu = time.process_time()
        with open_video(path, short_side=224, backend=backend, workers=workers) as video:
            plan = plan_samples(video.frame_times, video.info.duration, 2.0)
            samples = sum(len(b.frames) for b in video.iter_batches(plan, 32))
            ranges = getattr(video, "ranges_decoded", 0)
        wall = time.perf_counter() - started
        rows.append({"video": path.name, "decoder": backend, "workers": workers or 1, "ranges": ranges,
                     "samples": samples, "wall_s": round(wall, 2), "cpu_s": round(time.process_time() - cpu, 2),
                     "x_realtime": round(video.info.duration / wall, 1), "cores": os.cpu_count()})
    return rows


def child(case: str) -> list[dict]:
    if case == "720p":
        return [run_video(make_720p_video())]
    if case == "720p-in-turn":
        from summarize.decoding.pyav_backend import PyAVDecoder

        PyAVDecoder.releases_gil = False  # features.py then decodes and encodes in turn
        return [run_video(make_720p_video())]
    if case == "720p-decord":
        return [run_video(make_720p_video(), decoder="decord")]
    if case == "720p-1min":
        return [run_video(make_720p_video(minutes=1))]
    if case == "writing":
        return run_writing(make_720p_video())
    if case == "decode":
        return run_decode(make_720p_video())
    if case == "decode-1min":
        return run_decode(make_720p_video(minutes=1))
    if case == "720p-clean":
        return [run_video(make_720p_video(grain=False))]
    if case in ("summe", "summe-cuda"):
        data = Path(os.environ.get("SUMMARIZE_DATA", ROOT.parent / "shared" / "data"))
        device = "cuda" if case.endswith("cuda") else "cpu"
        return [run_video(p, device) for p in sorted((data / "summe" / "videos").glob("*.mp4"))]
    if case == "720p-cuda":
        return [run_video(make_720p_video(), "cuda")]
    if case == "long-scores":
        return [run_long_scores()]
    if case == "scores-25k":
        return [run_long_scores(25_000)]
    raise SystemExit(f"unknown case {case}")


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=["720p", "720p-in-turn", "720p-decord", "720p-1min", "720p-clean", "decode",
                                           "decode-1min", "writing", "summe", "long-scores", "scores-25k", "720p-cuda",
                                           "summe-cuda"],
                        action="append")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    cases = args.case or ["720p", "summe", "long-scores", "scores-25k"] + (["720p-cuda", "summe-cuda"]
                                                                          if _cuda() else [])
    for case in {"720p", "720p-in-turn", "720p-decord", "720p-clean", "720p-cuda", "decode", "writing"} & set(cases):
        make_720p_video(grain=case != "720p-clean")  # generation is not part of any measurement
    if {"720p-1min", "decode-1min"} & set(cases):
        make_720p_video(minutes=1)
    run_cases(__file__, cases, "bench_pipeline.json")


if __name__ == "__main__":
    main()
