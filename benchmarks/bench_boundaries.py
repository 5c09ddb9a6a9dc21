"""Frame-accurate shot boundaries: how far off they are, and what finding the cut costs.

    python benchmarks/bench_boundaries.py                       # every case
    python benchmarks/bench_boundaries.py --case cut-matrix     # one case

Cases (each in a fresh process):

* ``cut-matrix``: generated videos (tests/synthetic.py's scenes, 160x120, x264) with hard
  cuts at known frames between the sampling instants, at 10, 25, 29.97 and 60 fps: for
  each cut that KTS finds (a change point in the cut's sampling interval), the boundary's
  error in frames (boundary - cut) at the sample (before) and after ``boundaries.py``.
* ``cost``: ``summarize VIDEO`` (analysis, summary MP4, JSON; default options) on the
  10-minute 720p video of ``bench_pipeline.py`` (x264 veryfast, up to 250 frames between
  keyframes, grain, 39 cuts), with and without the cut search (the first pass's scout and
  the refinement), in ABBA order twice in one process: the medians' difference in wall and
  CPU seconds, and the search's own CPU (the scout's in the decoding threads, the
  refinement's while it runs), with the load average beside each run.
* ``scout``: every sampling interval of the cut matrix (also in 720p with grain and
  B-frames), the 1-minute 720p video and SumMe's two, decided by the first pass
  (``cut_scout.py``) against the full search: windows decided, how many differ (none
  expected), the full search's cuts and how many of them the first pass decided.
* ``scout-cpu``: the scout's own CPU (``Watcher.see``, timed in the decoding threads) in
  the first pass alone: the 10-minute video's samples decoded as ``summarize`` does, no
  network, three times each with the lookouts (``cut_scout.Lookout``: skipped pictures
  decoded beside likely cuts), without them and without the scout, in turn: the pictures
  they add, the windows decided, and the pass's CPU with and without the search.
* ``full-search``: the change points of one run searched the old way (all of them decoded
  again): the split of that CPU on one thread (seek and decode up to each window,
  decoding the window, thumbnails, the cut test), and the two other ways to get the
  frames: the public decoding API (``open_video``, ``iter_batches`` over the intervals'
  frames: it decodes from the start of the file) and a picture signature of every frame
  kept while decoding (every picture decoded, none skipped, each scaled to a thumbnail),
  against the first pass's own decoding (pictures no sample needs skipped).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
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


def stolen() -> float:
    """Seconds the hypervisor gave this machine's CPUs to others (all CPUs; /proc/stat), 0 where unknown."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


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


class _Lookouts:
    """Within it, the first pass's lookouts (``cut_scout.Lookout``) are counted, or left out
    (``off``: the first pass skips what it skipped before them)."""

    def __init__(self, off: bool = False) -> None:
        self.off, self.made = off, []

    def __enter__(self) -> "_Lookouts":
        from summarize.cut_scout import CutScout

        self.original = CutScout.lookout

        def lookout(scout):
            if self.off:
                return None
            made = self.original(scout)
            self.made.append(made)
            return made

        CutScout.lookout = lookout
        return self

    def __exit__(self, *exc) -> None:
        from summarize.cut_scout import CutScout

        CutScout.lookout = self.original

    @property
    def pictures(self) -> int:
        """Pictures decoded for the lookouts alone (no sample shows them)."""
        return sum(made.asked for made in self.made)


class _ScoutTime:
    """Within it, ``Watcher.see`` is timed in the thread that calls it (everything the scout
    does runs inside it): ``seconds`` in all, over ``calls``."""

    def __enter__(self) -> "_ScoutTime":
        from summarize.cut_scout import Watcher

        self.seconds, self.calls, self.original, lock = 0.0, 0, Watcher.see, threading.Lock()
        see = self.original

        def timed(watcher, index, frame):
            before = time.thread_time()
            see(watcher, index, frame)
            with lock:
                self.seconds += time.thread_time() - before
                self.calls += 1

        Watcher.see = timed
        return self

    def __exit__(self, *exc) -> None:
        from summarize.cut_scout import Watcher

        Watcher.see = self.original


def _summarize(summarizer, path: Path, search: bool) -> dict:
    """``summarize VIDEO`` (analysis, the summary MP4, the JSON), with or without the cut search
    (no scout in the first pass, no refinement): wall and CPU seconds, and with the search the
    scout's CPU (in the decoding threads) and the refinement's (the process's while it runs)."""
    from summarize import Summarizer

    import summarize.pipeline as pipeline

    refine, features = pipeline.refine_boundaries, Summarizer.features
    spent = {"refinement": 0.0}

    def timed_refine(*args, **kwargs):
        before = time.process_time()
        try:
            return refine(*args, **kwargs)
        finally:
            spent["refinement"] += time.process_time() - before

    if search:
        pipeline.refine_boundaries = timed_refine
    else:
        pipeline.refine_boundaries = lambda *a, **k: refine(*a, **{**k, "search": False})
        Summarizer.features = lambda self, p, progress=None, cuts=False: features(self, p)
    started, cpu, load_before, steal = time.perf_counter(), time.process_time(), load(), stolen()
    try:
        with _Lookouts() as lookouts, _ScoutTime() as scout:
            result = summarizer.summarize(path, OUT / "outputs", overwrite=True)
    finally:
        pipeline.refine_boundaries, Summarizer.features = refine, features
    doc = result.document
    row = {"search": search, "run_s": round(time.perf_counter() - started, 2),
           "run_cpu_s": round(time.process_time() - cpu, 2),
           "cuts_found": doc["segmentation"]["boundaries"]["cut"], "load_before": load_before, "load_after": load(),
           "stolen_s": round(stolen() - steal, 2)}
    if search:
        row.update(scout_cpu_s=round(scout.seconds, 2), lookout_pictures=lookouts.pictures,
                   refinement_cpu_s=round(spent["refinement"], 2),
                   refinement_s=round(doc["run"]["timings"].get("boundaries", 0.0), 2))
    return row


def cost(rounds: int = 2) -> list[dict]:
    """``summarize VIDEO`` on the 10-minute 720p video with and without the cut search, in
    ABBA order ``rounds`` times (the machine's other work weighs on both), and what the
    search cost: the paired differences, and the scout's and the refinement's own CPU."""
    from benchmarks.bench_pipeline import make_720p_video
    from summarize import Summarizer

    path = make_720p_video()
    (OUT / "outputs").mkdir(parents=True, exist_ok=True)
    summarizer = Summarizer(cache=False, device="cpu")
    _ = summarizer.backbone
    rows = []
    for r in range(rounds):
        for search in ((True, False, False, True) if r % 2 == 0 else (False, True, True, False)):
            rows.append({"what": "summarize VIDEO", "round": r, **_summarize(summarizer, path, search)})
    on = [row for row in rows if row["search"]]
    off = [row for row in rows if not row["search"]]
    med = lambda xs: float(np.median(xs))  # noqa: E731
    # Each run against the run beside it of the other kind (A-B, B-B, B-A pairs: 1-2, 3-4 of each
    # four), so a slow stretch of the machine weighs on both runs of a pair.
    pairs = [(rows[i], rows[i + 1]) for i in range(0, len(rows), 2)]
    differences = [(a["run_s"] - b["run_s"]) * (1 if a["search"] else -1) for a, b in pairs]
    cpu_differences = [(a["run_cpu_s"] - b["run_cpu_s"]) * (1 if a["search"] else -1) for a, b in pairs]
    rows.append({"what": "the search's cost, runs side by side (with - without)",
                 "wall_s": [round(d, 2) for d in differences], "cpu_s": [round(d, 2) for d in cpu_differences],
                 "median_wall_share": round(med(differences) / med([r["run_s"] for r in on]), 4),
                 "median_cpu_share": round(med(cpu_differences) / med([r["run_cpu_s"] for r in on]), 4)})
    rows.append({"what": "the search's cost, medians over the runs",
                 "run_s_with": med([r["run_s"] for r in on]), "run_s_without": med([r["run_s"] for r in off]),
                 "wall_share": round(1 - med([r["run_s"] for r in off]) / med([r["run_s"] for r in on]), 4),
                 "run_cpu_s_with": med([r["run_cpu_s"] for r in on]),
                 "run_cpu_s_without": med([r["run_cpu_s"] for r in off]),
                 "cpu_share": round(1 - med([r["run_cpu_s"] for r in off]) / med([r["run_cpu_s"] for r in on]), 4),
                 "own_cpu_share": round(med([(r["scout_cpu_s"] + r["refinement_cpu_s"]) / r["run_cpu_s"] for r in on]), 4),
                 "refinement_wall_share": round(med([r["refinement_s"] / r["run_s"] for r in on]), 4)})
    return rows


def full_search() -> list[dict]:
    """The full search of every change point of a run (what ``refine_boundaries`` does for
    those the first pass leaves undecided), and the other ways to get the frames."""
    from benchmarks.bench_pipeline import make_720p_video
    from summarize import Summarizer
    from summarize.boundaries import _windows

    path = make_720p_video()
    analysis = Summarizer(cache=False, device="cpu").analyze(path)
    feats = analysis.features
    windows = _windows(analysis.change_points, feats.frame_indices, feats.n_frames)
    rows = [_split(path, feats, windows, analysis.change_points)]
    frames = np.unique(np.concatenate([np.arange(a, b + 1) for _, a, b in windows]))
    rows.append(_public_api(path, frames))
    rows.extend(_signatures(path, feats.frame_indices))
    return rows


def scout() -> list[dict]:
    """Every sampling interval's window, decided by the first pass (``cut_scout.py``) against
    the full search (every window decoded again): how many the first pass decided, how many of
    those differ (0 expected), and how many of the full search's cuts it decided. On the cut
    matrix (x264 ultrafast: no B-frames), the same scenes twice in 720p at 29.97 fps with grain
    and B-frames (x264 veryfast), the 1-minute 720p video (x264 veryfast: B-frames the
    first pass skips) and SumMe's two videos."""
    import os

    from benchmarks.bench_pipeline import make_720p_video
    from summarize import Summarizer
    from summarize.boundaries import CUT, _windows, refine_boundaries, window_key
    from tests.synthetic import write_video

    data = Path(os.environ.get("SUMMARIZE_DATA", ROOT.parent / "shared" / "data"))
    videos = [write_video(OUT / f"cuts_{float(fps):.2f}fps.mp4", MATRIX_SCENES, width=160, height=120, fps=fps,
                          audio=False).path for fps in MATRIX_RATES]
    # Camera-like: 720p at 29.97 with grain and B-frames, the cut matrix's scenes twice (cuts between samples).
    videos.append(write_video(OUT / "cuts_720p_29.97fps_bframes.mp4", MATRIX_SCENES * 2, width=1280, height=720,
                              fps=MATRIX_RATES[2], audio=False, preset="veryfast", grain=6.0).path)
    videos += [make_720p_video(minutes=1), *sorted((data / "summe" / "videos").glob("*.mp4"))]
    summarizer, rows = Summarizer(cache=False, device="cpu"), []
    for path in videos:
        with _Lookouts() as lookouts:
            feats = summarizer.features(path, cuts=True)
        change_points = range(1, feats.n_samples)
        full = refine_boundaries(path, feats.frame_times, feats.info.start_time, feats.info.duration,
                                 feats.frame_indices, change_points)
        keys = [window_key(a, b) for _, a, b in _windows(change_points, feats.frame_indices, feats.n_frames)]
        answers = {k: (b.frame if b.kind == CUT else None) for k, b in zip(keys, full)}
        seen = feats.cuts_seen or {}
        rows.append({"video": path.name, "windows": len(answers), "decided": len(seen),
                     "differ": sum(answers[k] != v for k, v in seen.items()),
                     "cuts": sum(v is not None for v in answers.values()),
                     "cuts_decided": sum(v is not None and k in seen for k, v in answers.items()),
                     "lookout_pictures": lookouts.pictures, "load": load()})
    return rows


def scout_cpu(rounds: int = 3) -> list[dict]:
    """The scout's own CPU in the first pass alone: the 10-minute video's samples decoded as
    ``summarize`` decodes them (no network), with the watchers, ``Watcher.see`` timed per
    call in its decoding thread (everything the scout does runs inside it). Three kinds of
    run, in turn ``rounds`` times (the order rotating): with the lookouts, without them (the
    pictures they add, what the pass then decides) and without the scout (what the whole
    search adds to the pass, hidden costs included, as far as the machine's noise shows it)."""
    from benchmarks.bench_pipeline import make_720p_video
    from summarize.cut_scout import CutScout
    from summarize.decoding import open_video, plan_samples
    from summarize.decoding.pyav_backend import PyAVDecoder

    path = make_720p_video()
    decoded, given, lock = PyAVDecoder._decoded, [0], threading.Lock()

    def counted(self, *args, **kwargs):  # every picture the decoders give, watched or not
        for frame in decoded(self, *args, **kwargs):
            with lock:
                given[0] += 1
            yield frame

    def first_pass(r: int, kind: str) -> dict:
        given[0] = 0
        started, cpu, steal = time.perf_counter(), time.process_time(), stolen()
        with open_video(path, short_side=224, backend="pyav") as video, _Lookouts(kind != "lookouts") as lookouts, \
                _ScoutTime() as timed:
            plan = plan_samples(video.frame_times, video.info.duration, 2.0)
            scout = CutScout(plan.frame_indices, video.info.n_frames)
            assert kind == "no scout" or video.watch_cuts(scout)
            for _ in video.iter_batches(plan, 32):
                pass
        return {"what": "first pass decoding", "round": r, "kind": kind,
                "lookout_pictures": lookouts.pictures, "frames_seen": timed.calls, "frames_decoded": given[0],
                "scout_cpu_s": round(timed.seconds, 2), "windows_decided": len(scout.results),
                "wall_s": round(time.perf_counter() - started, 2),
                "cpu_s": round(time.process_time() - cpu, 2), "stolen_s": round(stolen() - steal, 2), "load": load()}

    kinds = ["lookouts", "no lookouts", "no scout"]
    PyAVDecoder._decoded = counted
    try:
        rows = [first_pass(r, kinds[(r + i) % 3]) for r in range(rounds) for i in range(3)]
    finally:
        PyAVDecoder._decoded = decoded
    of = lambda kind, key: float(np.median([row[key] for row in rows if row["kind"] == kind]))  # noqa: E731
    # The search's own cost in the first pass: the scout's CPU, and the pictures it has decoded
    # that the pass alone would not (the lookouts', and each range's frames past its end up to
    # the next sample, so the windows across the join are seen whole), at the pass's own CPU
    # per decoded picture (an estimate: those pictures are not timed one by one).
    extra = of("lookouts", "frames_decoded") - of("no scout", "frames_decoded")
    picture_cpu = float(np.median([row["cpu_s"] / row["frames_decoded"] for row in rows if row["kind"] == "no scout"]))
    rows.append({"what": "medians", **{f"cpu_s_{k.replace(' ', '_')}": of(k, "cpu_s") for k in kinds},
                 "search_cpu_share": round(1 - of("no scout", "cpu_s") / of("lookouts", "cpu_s"), 4),
                 "scout_cpu_s": of("lookouts", "scout_cpu_s"), "extra_pictures": int(extra),
                 "picture_cpu_ms": round(1000 * picture_cpu, 2),
                 "search_cpu_s_estimate": round(of("lookouts", "scout_cpu_s") + extra * picture_cpu, 2)})
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
    if case == "full-search":
        return full_search()
    if case == "scout":
        return scout()
    if case == "scout-cpu":
        return scout_cpu()
    raise SystemExit(f"unknown case {case}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=["cut-matrix", "scout", "scout-cpu", "cost", "full-search"], action="append")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import json

        print(json.dumps(child(args.child)))
        return
    OUT.mkdir(exist_ok=True)
    run_cases(__file__, args.case or ["cut-matrix", "scout", "scout-cpu", "cost", "full-search"],
              "bench_boundaries.json")


if __name__ == "__main__":
    main()
