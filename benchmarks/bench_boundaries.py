"""Frame-accurate shot boundaries: how far off they are, and what finding the cut costs.

    python benchmarks/bench_boundaries.py                       # every case
    python benchmarks/bench_boundaries.py --case cut-matrix     # one case

Cases (each in a fresh process):

* ``cut-matrix``: generated videos (tests/synthetic.py's scenes, 160x120, x264) with hard
  cuts at known frames between the sampling instants, at 10, 25, 29.97 and 60 fps: for
  each cut that KTS finds (a change point in the cut's sampling interval), the boundary's
  error in frames (boundary - cut) at the sample (before) and after ``boundaries.py``.
* ``cost``: ``summarize VIDEO`` with the default options on the 10-minute 720p video of
  ``bench_pipeline.py`` (x264 veryfast, up to 250 frames between keyframes, grain): the
  seconds the refinement took and the whole run took, in the same process, wall and CPU
  (the process's CPU while the refinement runs is the refinement's: nothing else runs
  then), with the load average beside them (the machine may be shared: on a loaded
  machine the CPU seconds compare better than the wall). For before/after, run this
  script from two checkouts, one after the other, on the same cached video. Then the
  split of the refinement's CPU on one thread (seek and decode up to each window,
  decoding the window, thumbnails, the cut test), and the two other ways to get
  the frames, timed on the same change points: the public decoding API (``open_video``,
  ``iter_batches`` over the intervals' frames: it decodes from the start of the file) and
  a picture signature of every frame kept while decoding (every picture decoded, none
  skipped, each scaled to a thumbnail), against the first pass's own decoding (pictures
  no sample needs skipped).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import OUT, run_cases  # noqa: E402

MATRIX_SCENES = [(0, 3.3), (1, 2.9), (2, 4.45), (3, 3.15), (4, 2.8), (5, 3.6), (6, 2.35), (7, 3.8)]
MATRIX_RATES = (10, 25, Fraction(30000, 1001), 60)


def load() -> float:
    return round(os.getloadavg()[0], 2)


def cut_matrix() -> list[dict]:
    from summarize import Summarizer
    from summarize.boundaries import refine_boundaries
    from summarize.segmentation import kts
    from tests.synthetic import write_video

    rows = []
    summarizer = Summarizer(cache=False, device="cpu")
    for fps in MATRIX_RATES:
        path = OUT / f"cuts_{float(fps):.2f}fps.mp4"
        video = write_video(path, MATRIX_SCENES, width=160, height=120, fps=fps, audio=False)
        feats = summarizer.features(path)
        change_points = kts(feats.features)
        refined = refine_boundaries(path, feats.frame_times, feats.info.start_time, feats.info.duration,
                                    feats.frame_indices, change_points)
        before, after = [], []
        for cut in video.cut_frames:
            k = int(np.searchsorted(feats.frame_indices, cut))  # the first sample at or after the cut
            if k in set(change_points.tolist()):
                i = change_points.tolist().index(k)
                before.append(int(feats.frame_indices[k]) - cut)
                after.append(refined[i].frame - cut)
        rows.append({"fps": round(float(fps), 3), "cuts": len(video.cut_frames), "found_by_kts": len(before),
                     "error_before": before, "error_after": after,
                     "max_abs_before": max(map(abs, before), default=0),
                     "max_abs_after": max(map(abs, after), default=0),
                     "kinds": [b.kind for b in refined]})
    return rows


def cost() -> list[dict]:
    import threading

    from benchmarks.bench_pipeline import make_720p_video
    from summarize import Summarizer
    from summarize.boundaries import _windows

    import summarize.cut_scout as cut_scout
    import summarize.pipeline as pipeline

    path = make_720p_video()
    summarizer = Summarizer(cache=False, device="cpu")
    _ = summarizer.backbone
    refine, see, cpu, scouting, lock = pipeline.refine_boundaries, cut_scout.Watcher.see, {}, [0.0], threading.Lock()

    def timed_refine(*args, **kwargs):  # the process's CPU while it runs (nothing else does)
        before = time.process_time()
        try:
            return refine(*args, **kwargs)
        finally:
            cpu["boundaries"] = time.process_time() - before

    def timed_see(self, index, frame):  # the scout's CPU, in the decoding threads
        before = time.thread_time()
        see(self, index, frame)
        with lock:
            scouting[0] += time.thread_time() - before

    def analyze(search: bool):
        started, run_cpu, load_before = time.perf_counter(), time.process_time(), load()
        features = Summarizer.features
        pipeline.refine_boundaries = timed_refine if search else (lambda *a, **k: refine(*a, **{**k, "search": False}))
        cut_scout.Watcher.see = timed_see
        if not search:  # no scout in the first pass either
            Summarizer.features = lambda self, p, progress=None, cuts=False: features(self, p)
        try:
            analysis = summarizer.analyze(path)
        finally:
            pipeline.refine_boundaries, cut_scout.Watcher.see, Summarizer.features = refine, see, features
        return analysis, time.perf_counter() - started, time.process_time() - run_cpu, load_before

    analysis, run, run_cpu, load_before = analyze(True)
    t = analysis.timings
    feats = analysis.features
    windows = _windows(analysis.change_points, feats.frame_indices, feats.n_frames)
    again = [w for w in windows if f"{w[1]}:{w[2]}" not in (feats.cuts_seen or {})]
    search_cpu = cpu["boundaries"] + scouting[0]
    rows = [{"what": "summarize VIDEO (analysis: decode, features, scoring, KTS, refinement, selection)",
             "video": path.name, "change_points": len(analysis.change_points),
             "cuts_found": sum(b.kind == "cut" for b in analysis.boundaries),
             "windows_decided_in_first_pass": len(feats.cuts_seen or {}),
             "change_points_decoded_again": len(again),
             "scout_cpu_s": round(scouting[0], 2),
             "refinement_s": round(t["boundaries"], 2), "refinement_cpu_s": round(cpu["boundaries"], 2),
             "run_s": round(run, 2), "run_cpu_s": round(run_cpu, 2),
             "search_cpu_share": round(search_cpu / run_cpu, 4),
             "load_before": load_before, "load_after": load()}]
    off, off_run, off_cpu, off_load = analyze(False)
    rows.append({"what": "the same run without the search (no scout, no refinement): the difference is its cost",
                 "run_s": round(off_run, 2), "run_cpu_s": round(off_cpu, 2),
                 "search_wall_share": round((run - off_run) / run, 4),
                 "search_cpu_share": round((run_cpu - off_cpu) / run_cpu, 4),
                 "load_before": off_load, "load_after": load()})
    rows.append(_split(path, feats, windows, analysis.change_points))
    frames = np.unique(np.concatenate([np.arange(a, b + 1) for _, a, b in windows]))
    rows.append(_public_api(path, frames))
    rows.extend(_signatures(path, feats.frame_indices))
    return rows


def _split(path: Path, feats, windows, change_points) -> dict:
    """Where the refinement's CPU goes, on one reader of one thread (no overlap to hide
    anything): seeking to the keyframe before each window and decoding the pictures others
    refer to up to it (frames counted from that keyframe), decoding the window's frames,
    scaling them to thumbnails, and the cut test."""
    import av
    from av.video.reformatter import VideoReformatter

    from summarize.boundaries import _thumbnail_size, find_cut
    from summarize.outputs.video import Cutter

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = sorted((p.pts, p.is_keyframe) for p in container.demux(stream) if p.pts is not None and p.size)
    keyframes = np.array([i for i, (_, key) in enumerate(packets) if key])
    times = feats.frame_times + feats.info.start_time
    spent = dict.fromkeys(["seek_and_decode_up_to_window", "window_frames", "thumbnails", "cut_test"], 0.0)
    reader, scaler = Cutter(path, "video", 1), VideoReformatter()
    lead_in = 0
    try:
        for c, a, b in windows:
            lead_in += a - int(keyframes[np.searchsorted(keyframes, a, side="right") - 1])
            frames = reader.frames_between(float(times[a]), float(times[b + 1]))
            thumbs = []
            clock = time.process_time()
            frame = next(frames, None)
            spent["seek_and_decode_up_to_window"] += time.process_time() - clock
            while frame is not None:
                clock = time.process_time()
                width, height = _thumbnail_size(frame.width, frame.height)
                thumbs.append(scaler.reformat(frame, width=width, height=height, format="rgb24").to_ndarray())
                spent["thumbnails"] += time.process_time() - clock
                clock = time.process_time()
                frame = next(frames, None)
                spent["window_frames"] += time.process_time() - clock
            clock = time.process_time()
            lo, hi = int(feats.frame_indices[c - 1]), int(feats.frame_indices[c])
            find_cut(np.stack(thumbs), a, range(lo + 1, hi + 1))
            spent["cut_test"] += time.process_time() - clock
    finally:
        reader.close()
    return {"what": "the refinement's CPU seconds, one reader of one thread", "windows": len(windows),
            "frames_from_keyframe_to_windows": int(lead_in), "keyframes": len(keyframes),
            **{k: round(v, 2) for k, v in spent.items()}, "load": load()}


def _public_api(path: Path, frames: np.ndarray) -> dict:
    from summarize.decoding import SamplingPlan, open_video

    started, cpu = time.perf_counter(), time.process_time()
    with open_video(path, short_side=54, backend="pyav", workers=1) as video:
        plan = SamplingPlan(fps=0.0, times=video.frame_times[frames], frame_indices=frames)
        n = sum(len(b.frames) for b in video.iter_batches(plan, 64))
    return {"what": "the same frames by the public API (open_video + iter_batches: from the file's start)",
            "frames": int(n), "wall_s": round(time.perf_counter() - started, 2),
            "cpu_s": round(time.process_time() - cpu, 2), "load": load()}


def _signatures(path: Path, sampled: np.ndarray) -> list[dict]:
    """The first pass's decoding (pictures no sample needs skipped, as the PyAV decoder does)
    against every picture decoded and turned into a 96-pixel thumbnail: the cost of keeping
    a signature of every frame while decoding."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        pts = sorted(p.pts for p in container.demux(stream) if p.pts is not None)
    needed = {pts[i] for i in sampled}
    rows = []
    for every in (False, True):
        started, cpu = time.perf_counter(), time.process_time()
        decoded = 0
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for packet in container.demux(stream):
                if not every:
                    wanted = packet.pts is None or packet.pts in needed
                    stream.codec_context.skip_frame = "DEFAULT" if wanted else "NONREF"
                for frame in packet.decode():
                    decoded += 1
                    if every:
                        frame.to_ndarray(width=96, height=54, format="rgb24")
        rows.append({"what": "every frame decoded + thumbnail" if every else "first pass's decoding (samples only)",
                     "frames_decoded": decoded, "wall_s": round(time.perf_counter() - started, 2),
                     "cpu_s": round(time.process_time() - cpu, 2), "load": load()})
    return rows


def child(case: str) -> list[dict]:
    if case == "cut-matrix":
        return cut_matrix()
    if case == "cost":
        return cost()
    raise SystemExit(f"unknown case {case}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=["cut-matrix", "cost"], action="append")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import json

        print(json.dumps(child(args.child)))
        return
    OUT.mkdir(exist_ok=True)
    run_cases(__file__, args.case or ["cut-matrix", "cost"], "bench_boundaries.json")


if __name__ == "__main__":
    main()
