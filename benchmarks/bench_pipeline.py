"""Speed and memory of ``summarize VIDEO``, stage by stage.

    python benchmarks/bench_pipeline.py                 # the default cases
    python benchmarks/bench_pipeline.py --case 720p     # one case
    python benchmarks/bench_pipeline.py --case compare --case runtimes --case triage-summe
                                                        # every figure of README "Speed"
    python benchmarks/bench_pipeline.py --case 720p --device cuda   # on a GPU

Cases (each runs in a fresh process, so its peak RSS is its own):

* ``720p``: a generated 10-minute 1280x720 30 fps H.264 video with AAC audio (made once and
  kept under ``bench-out/``, a process per core), summarized end to end with the default
  options. The scenes carry sensor-like grain so that the bitrate (and so the decoding cost)
  is that of camera footage rather than of clean synthetic graphics: 5.2 Mbit/s, below a
  phone's 720p30 recording (about 8 Mbit/s). The default decoder on a CPU is PyAV, decoding
  ahead in a thread beside the network; the network runs on ONNX Runtime when it is
  installed (``--runtime auto``).
* ``720p-torch``: the same with the network on PyTorch (``--runtime torch``, the CPU path
  before ONNX Runtime).
* ``720p-keyframes``: the same with ``--sampling keyframes`` (triage).
* ``floor``: FFmpeg decoding the 720p video alone (through PyAV, nothing scaled): non-reference
  pictures skipped (the floor of uniform sampling), and keyframes alone (that of triage).
* ``compare``: ``--rounds`` rounds of ``floor``, ``720p-torch``, ``720p`` and
  ``720p-keyframes`` in turn; each run's wall and CPU time over the floor's of its round, and
  the medians (ratios paired within a round cancel the load of other work on the machine).
* ``runtimes``: ONNX Runtime against PyTorch on the 1-minute video and SumMe's two: per-frame
  cosine similarity of the features, the network's CPU time per frame.
* ``triage-summe``: the quality ``--sampling keyframes`` costs: ``summarize eval`` rows (F1,
  Kendall's tau) and the kept-frame agreement (the mean share of SumMe's users who kept a
  frame, over the kept frames, over that of all frames) on SumMe's two videos, as they are
  (all keyframes) and re-encoded with camera-like keyframes.
* ``720p-in-turn``: the same as ``720p`` with PyAV decoding and the network taking turns (as
  before decoding ahead on a CPU), to measure what running them side by side gains.
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
  ``benchmarks/gpu_check.sh`` runs every GPU path in one call.
* ``long-scores``: contrastive scoring plus KTS on 21,600 synthetic samples (a 3-hour video
  at 2 fps) with 1280-d features, piecewise-constant shots plus noise.
* ``scores-25k``: the same at 25,000 samples, for the memory bound of the scorer.

Targets (2-core CPU, default backbone): end to end >= 12x faster than real time on the 720p
video; everything but decoding and the backbone <= 10% of the total; peak RSS <= 2 GB;
scoring + KTS on 21,600 samples <= 30 s and 2 GB. On an H100/H200: >= 100x.
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

from benchmarks.common import OUT, peak_rss_mb, run_cases, run_child  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _scene_lengths(minutes: int) -> list[int]:
    # 8 scenes of 5 to 25 seconds a block of 2 minutes, cycling through the eight
    # textures: 40 scenes, 600 s, for the 10-minute video.
    lengths = [5, 10, 15, 20, 25, 20, 15, 10] * (minutes // 2) if minutes >= 2 else [5, 10, 15, 10, 5, 15]
    assert sum(lengths) == 60 * minutes
    return lengths


def _write_part(args: tuple) -> str:
    """One run of scenes, picture only (a process of its own: see ``make_720p_video``)."""
    from tests.synthetic import write_video

    path, scenes, grain = args
    write_video(path, scenes, width=1280, height=720, fps=30, preset="veryfast", audio=False,
                **({"grain": 4.0, "crf": 18} if grain else {}))
    return str(path)


def make_720p_video(grain: bool = True, minutes: int = 10, jobs: int | None = None) -> Path:
    """The benchmark video, made once and kept under ``bench-out/``. Its scenes are encoded
    side by side (about four scenes a process, ``jobs`` processes, default one per core: 10
    minutes of 720p with grain is about 15 CPU-minutes of NumPy and x264) and joined into
    one MP4 with the sound written in one go; each part starts at a scene cut, where x264
    starts a group of pictures anyway."""
    import concurrent.futures
    import shutil

    import av

    from tests.synthetic import _flush_audio, _write_tone

    name = "ten_minutes" if minutes == 10 else f"{minutes}_minute"
    path = OUT / (f"{name}_720p30_grain.mp4" if grain else f"{name}_720p30_clean.mp4")
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    scenes = [(i % 8, float(s)) for i, s in enumerate(_scene_lengths(minutes))]
    groups = [scenes[i : i + 4] for i in range(0, len(scenes), 4)]
    parts_dir = path.with_suffix(".parts")
    parts_dir.mkdir(exist_ok=True)
    jobs = jobs or len(os.sched_getaffinity(0))
    with concurrent.futures.ProcessPoolExecutor(min(jobs, len(groups))) as pool:
        parts = list(pool.map(_write_part, [(parts_dir / f"{i:03d}.mp4", g, grain) for i, g in enumerate(groups)]))
    tmp = path.with_suffix(".partial.mp4")
    with av.open(str(tmp), "w") as out:
        video = None
        audio = out.add_stream("aac", rate=44100, layout="mono")
        start = 0.0
        for part, group in zip(parts, groups):
            with av.open(part) as src:
                stream = src.streams.video[0]
                if video is None:
                    video = out.add_stream_from_template(stream)
                shift = round(start / stream.time_base)
                for packet in src.demux(stream):
                    if packet.size == 0:
                        continue
                    packet.pts += shift
                    packet.dts += shift
                    packet.stream = video
                    out.mux(packet)
            for kind, seconds in group:  # the scene's tone, as tests/synthetic.py writes it
                _write_tone(out, audio, start, start + seconds, 220.0 * (1 + kind / 4), 44100)
                start += seconds
        _flush_audio(out, audio)
    tmp.rename(path)
    shutil.rmtree(parts_dir)
    return path


def run_video(path: Path, device: str = "cpu", decoder: str = "auto", runtime: str = "auto",
              sampling: str = "uniform") -> dict:
    from summarize import Summarizer

    out = OUT / "outputs"
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    summarizer = Summarizer(cache=False, device=device, decoder=decoder, runtime=runtime, sampling=sampling)
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
        "runtime": doc["run"]["runtime"],
        "sampling": doc["sampling"].get("mode", "uniform"),
        "load_1min": round(os.getloadavg()[0], 2),  # other work on the machine meanwhile
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


def run_floor(path: Path) -> list[dict]:
    """FFmpeg (through PyAV) decoding the video alone, nothing scaled or converted: every
    picture but those no other refers to (``skip_frame`` NONREF, the floor of uniform
    sampling, which decodes those and the sampled ones), and the keyframes alone (NONKEY,
    the floor of ``--sampling keyframes``). Wall and CPU seconds, all threads."""
    import av

    rows = []
    for skip in ("NONREF", "NONKEY"):
        started, cpu = time.perf_counter(), cpu_seconds()
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            stream.codec_context.skip_frame = skip
            frames = sum(1 for _ in container.decode(stream))
        wall = time.perf_counter() - started
        rows.append({"video": path.name, "skip_frame": skip, "frames": frames, "wall_s": round(wall, 2),
                     "cpu_s": round(cpu_seconds() - cpu, 2), "load_1min": round(os.getloadavg()[0], 2)})
    return rows


def run_runtimes() -> list[dict]:
    """The network on ONNX Runtime against PyTorch, on the 1-minute 720p video and SumMe's two:
    per-frame cosine similarity of the features (min, mean), and the CPU seconds of the
    network per frame, measured in the network's own threads (decoding excluded), the two
    runtimes in turn twice (ABAB) so that other work on the machine weighs on both."""
    import numpy as np
    import torch

    from summarize.backbones import load_backbone
    from summarize.decoding import open_video, plan_samples

    data = Path(os.environ.get("SUMMARIZE_DATA", ROOT.parent / "shared" / "data"))
    nets = {r: load_backbone(device="cpu", runtime=r) for r in ("torch", "onnxruntime")}
    videos = [make_720p_video(minutes=1), *sorted((data / "summe" / "videos").glob("*.mp4"))]
    rows = []
    for path in videos:
        with open_video(path, short_side=nets["torch"].weights_meta.resize) as video:
            plan = plan_samples(video.frame_times, video.info.duration, 2.0)
            frames = np.concatenate([b.frames for b in video.iter_batches(plan, 64)])
        features, cpu = {}, {r: 0.0 for r in nets}
        for runtime in ("torch", "onnxruntime", "torch", "onnxruntime"):
            started = time.process_time()  # every thread: the network's pool threads included
            features[runtime] = nets[runtime].encode(frames)
            cpu[runtime] += time.process_time() - started
        cos = torch.nn.functional.cosine_similarity(features["torch"], features["onnxruntime"], dim=1).numpy()
        rows.append({"video": path.name, "samples": len(frames), "cosine_min": round(float(cos.min()), 7),
                     "cosine_mean": round(float(cos.mean()), 8),
                     "torch_cpu_ms_per_frame": round(1000 * cpu["torch"] / (2 * len(frames)), 1),
                     "onnxruntime_cpu_ms_per_frame": round(1000 * cpu["onnxruntime"] / (2 * len(frames)), 1),
                     "cpu_ratio": round(cpu["onnxruntime"] / cpu["torch"], 3), "threads": torch.get_num_threads(),
                     "load_1min": round(os.getloadavg()[0], 2)})
    return rows


def _reencoded_summe(data: Path) -> Path:
    """SumMe's two videos as a phone or a camera would store them (x264 CRF 18 with its usual
    keyframe every 250 frames at most, and at scene cuts; SumMe's own files are all
    keyframes, where keyframe sampling is the same as uniform)."""
    import av

    folder = OUT / "summe_gop250"
    folder.mkdir(parents=True, exist_ok=True)
    for source in sorted((data / "summe" / "videos").glob("*.mp4")):
        target = folder / source.name
        if target.exists():
            continue
        tmp = target.with_suffix(".partial.mp4")
        with av.open(str(source)) as src, av.open(str(tmp), "w") as out:
            ins = src.streams.video[0]
            vs = out.add_stream("libx264", rate=ins.average_rate)
            vs.width, vs.height, vs.pix_fmt = ins.codec_context.width, ins.codec_context.height, "yuv420p"
            vs.options = {"preset": "veryfast", "crf": "18"}
            for frame in src.decode(ins):
                frame.pict_type = av.video.frame.PictureType.NONE
                out.mux(vs.encode(frame))
            out.mux(vs.encode(None))
        tmp.rename(target)
    return folder


def _kept_agreement(analysis, gt_scores) -> float:
    """Mean share of SumMe's users who kept a frame, over the frames kept, over that of all."""
    import numpy as np

    share = gt_scores.mean(axis=0)
    kept = np.zeros(len(share), dtype=bool)
    for a, b in analysis.frame_ranges():
        kept[a:min(b, len(share))] = True
    return float(share[kept].mean() / share.mean())


def run_triage_summe() -> list[dict]:
    """What ``--sampling keyframes`` costs in quality: ``summarize eval`` on SumMe's two videos
    (F1 and Kendall's tau, the contrastive method) and the kept-frame agreement per video,
    uniform against keyframe sampling, on SumMe's own files and re-encoded with camera-like
    keyframes (``_reencoded_summe``)."""
    from summarize import Summarizer
    from summarize.evaluation import evaluate
    from summarize.evaluation.datasets import read_summe

    data = Path(os.environ.get("SUMMARIZE_DATA", ROOT.parent / "shared" / "data"))
    gt = {v.name: v.scores for v in read_summe(data / "summe" / "GT")}
    rows = []
    for files, folder in (("original", data / "summe" / "videos"), ("x264 GOP<=250", _reencoded_summe(data))):
        for sampling in ("uniform", "keyframes"):
            started = time.perf_counter()
            result = evaluate("summe", videos=folder, annotations=data / "summe" / "GT", methods=["contrastive"],
                              references=(), device="cpu", cache=False, sampling=sampling)
            row = result.method("contrastive")
            summarizer = Summarizer(cache=False, device="cpu", sampling=sampling)
            agreement, samples = {}, {}
            for video in sorted(folder.glob("*.mp4")):
                analysis = summarizer.analyze(video)
                agreement[video.stem] = round(_kept_agreement(analysis, gt[video.stem]), 3)
                samples[video.stem] = analysis.features.n_samples
            rows.append({"files": files, "sampling": sampling, "f1": round(row.f1, 4),
                         "kendall_tau": round(row.kendall_tau, 4), "spearman_rho": round(row.spearman_rho, 4),
                         "kept_agreement": agreement, "samples": samples,
                         "wall_s": round(time.perf_counter() - started, 1)})
    return rows


def child(case: str, device: str = "cpu") -> list[dict]:
    if case == "720p":
        return [run_video(make_720p_video(), device)]
    if case == "720p-torch":  # the network on PyTorch (the CPU path before ONNX Runtime)
        return [run_video(make_720p_video(), device, runtime="torch")]
    if case == "720p-keyframes":
        return [run_video(make_720p_video(), device, sampling="keyframes")]
    if case == "720p-in-turn":
        from summarize.decoding.pyav_backend import PyAVDecoder

        PyAVDecoder.releases_gil = False  # features.py then decodes and encodes in turn
        return [run_video(make_720p_video(), device)]
    if case == "720p-decord":
        return [run_video(make_720p_video(), device, decoder="decord")]
    if case == "720p-1min":
        return [run_video(make_720p_video(minutes=1), device)]
    if case == "writing":
        return run_writing(make_720p_video())
    if case == "decode":
        return run_decode(make_720p_video())
    if case == "decode-1min":
        return run_decode(make_720p_video(minutes=1))
    if case == "floor":
        return run_floor(make_720p_video())
    if case == "720p-clean":
        return [run_video(make_720p_video(grain=False), device)]
    if case in ("summe", "summe-cuda"):
        data = Path(os.environ.get("SUMMARIZE_DATA", ROOT.parent / "shared" / "data"))
        device = "cuda" if case.endswith("cuda") else device
        return [run_video(p, device) for p in sorted((data / "summe" / "videos").glob("*.mp4"))]
    if case == "720p-cuda":
        return [run_video(make_720p_video(), "cuda")]
    if case == "triage-summe":
        return run_triage_summe()
    if case == "runtimes":
        return run_runtimes()
    if case == "long-scores":
        return [run_long_scores()]
    if case == "scores-25k":
        return [run_long_scores(25_000)]
    raise SystemExit(f"unknown case {case}")


# The interleaved comparison: in each round, every one of these in a fresh process, in turn.
COMPARED = ("floor", "720p-torch", "720p", "720p-keyframes")


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def run_compare(rounds: int, extra: list[str]) -> list[dict]:
    """``rounds`` rounds of ``COMPARED``; each run's wall and CPU seconds over those of FFmpeg
    decoding alone in the same round (``floor``: NONREF for uniform sampling, NONKEY for
    keyframes), so that load from other work on the machine cancels out of the ratios."""
    per_round = []
    for r in range(rounds):
        runs = {case: run_child(__file__, case, extra) for case in COMPARED}
        floors = {row["skip_frame"]: row for row in runs["floor"]}
        row = {"round": r + 1, "load_1min": round(os.getloadavg()[0], 2),
               "floor_nonref_wall_s": floors["NONREF"]["wall_s"], "floor_nonref_cpu_s": floors["NONREF"]["cpu_s"],
               "floor_nonkey_wall_s": floors["NONKEY"]["wall_s"], "floor_nonkey_cpu_s": floors["NONKEY"]["cpu_s"]}
        for case in COMPARED[1:]:
            run = runs[case][0]
            floor = floors["NONKEY" if run["sampling"] == "keyframes" else "NONREF"]
            row[f"{case}_total_s"] = run["total_s"]
            row[f"{case}_x_realtime"] = run["x_realtime"]
            row[f"{case}_cpu_s"] = run["cpu_s"]
            row[f"{case}_features_s"] = run["features_s"]
            row[f"{case}_wall_over_floor"] = round(run["total_s"] / floor["wall_s"], 3)
            row[f"{case}_cpu_over_floor"] = round(run["cpu_s"] / floor["cpu_s"], 3)
        row["720p_over_720p-torch_wall"] = round(row["720p_total_s"] / row["720p-torch_total_s"], 3)
        per_round.append(row)
        print("[compare] " + ", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    summary = {"round": "median"}
    for key in per_round[0]:
        if key != "round":
            summary[key] = round(_median([r[key] for r in per_round]), 3)
    summary["quietest_720p_x_realtime"] = max(r["720p_x_realtime"] for r in per_round)
    print("[compare] " + ", ".join(f"{k}={v}" for k, v in summary.items()), flush=True)
    return per_round + [summary]


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


CASES = ["720p", "720p-torch", "720p-keyframes", "720p-in-turn", "720p-decord", "720p-1min", "720p-clean",
         "decode", "decode-1min", "floor", "writing", "summe", "triage-summe", "runtimes", "long-scores",
         "scores-25k", "720p-cuda", "summe-cuda", "compare"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=CASES, action="append")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                        help="where the video cases run the network (720p-cuda and summe-cuda: always cuda)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the compare case")
    parser.add_argument("--out", help="write the results JSON here too")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.device)))
        return
    cases = args.case or ["720p", "summe", "long-scores", "scores-25k"] + (["720p-cuda", "summe-cuda"]
                                                                          if _cuda() else [])
    uses_720p = {"720p", "720p-torch", "720p-keyframes", "720p-in-turn", "720p-decord", "720p-clean", "720p-cuda",
                 "decode", "floor", "writing", "compare"}
    for case in uses_720p & set(cases):
        make_720p_video(grain=case != "720p-clean")  # generation is not part of any measurement
    if {"720p-1min", "decode-1min", "runtimes"} & set(cases):
        make_720p_video(minutes=1)
    extra = ["--device", args.device]
    results = {}
    if "compare" in cases:
        results["compare"] = run_compare(args.rounds, extra)
        cases = [c for c in cases if c != "compare"]
    if cases:
        results.update(run_cases(__file__, cases, "bench_pipeline.json", extra))
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_pipeline.json").write_text(json.dumps(results, indent=2))  # every case of this call
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
