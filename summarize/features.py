"""Frame features: decode a video at a fixed sampling rate and run the backbone on it.

Frames stream from the decoder to the network in batches (a background thread decodes
the next batches while the network works on this one, on a CPU too when the decoder
releases the GIL), so memory does not grow with the length of the video. Results are
cached per (file content, backbone weights, sampling rate), so a second run with another
budget or method does not decode again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from .ahead import Ahead
from .backbones import Backbone
from .cache_dir import default_cache_dir
from .cut_scout import CutScout
from .decoding import SAMPLING_MODES, FrameBatch, SamplingPlan, VideoInfo, open_video, plan_samples
from .digest import file_digest, text_digest
from .errors import InputError, UsageError

# Bump when the way features are computed changes, so stale cache entries are not reused.
FEATURE_FORMAT = 3  # 2: PyAV scales like decord (decoding/scaler.py); 3: timelines of B-frames across seconds, edit lists, empty audio tracks

log = logging.getLogger(__name__)


@dataclass
class VideoFeatures:
    """Backbone features of the sampled frames of one video, with the timing to map back."""

    features: np.ndarray  # (T, D) float32, L2-normalised
    times: np.ndarray  # (T,) seconds from the first frame
    frame_indices: np.ndarray  # (T,) source frame shown at each sample
    frame_times: np.ndarray  # (n_frames,) start of every source frame
    info: VideoInfo
    fps: float
    backbone: str  # name of the backbone
    backbone_identity: str  # name and weights file
    timings: dict[str, float] = field(default_factory=dict)
    from_cache: bool = False
    content_digest: str | None = None  # of the file's bytes, where it was computed (the cache key's)
    span: tuple[int, int] | None = None  # [first, stop) frames sampled with --start/--end (None: all)
    # Cut frames the first pass found, "first:last" window -> frame or None (cut_scout.py); not cached.
    cuts_seen: dict[str, int | None] | None = None

    @property
    def n_samples(self) -> int:
        return len(self.times)

    @property
    def frame_span(self) -> tuple[int, int]:
        """[first, stop) of the frames summarized: all of them, or the --start/--end range's."""
        return self.span if self.span is not None else (0, self.info.n_frames)

    @property
    def n_frames(self) -> int:
        return self.info.n_frames


class FeatureCache:
    """Features on disk, one ``.npz`` per (file content, backbone weights content, fps,
    decoder choice, feature format)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory else default_cache_dir() / "features"

    def key(self, digest: str, backbone_identity: str, fps: float, decoder: str = "auto",
            span: tuple[float, float | None] | None = None) -> str:
        parts = [FEATURE_FORMAT, digest, backbone_identity, float(fps), decoder]
        if span is not None:  # only then: the keys of whole files stay as they were
            parts.append([float(span[0]), None if span[1] is None else float(span[1])])
        return text_digest(json.dumps(parts), 40)

    def load(self, key: str) -> VideoFeatures | None:
        path = self.directory / f"{key}.npz"
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                return VideoFeatures(
                    features=data["features"], times=data["times"], frame_indices=data["frame_indices"],
                    frame_times=data["frame_times"], info=VideoInfo(**meta["info"]), fps=meta["fps"],
                    backbone=meta["backbone"], backbone_identity=meta["backbone_identity"],
                    timings={}, from_cache=True, span=tuple(meta["span"]) if meta.get("span") else None,
                )
        except Exception:  # a damaged entry is recomputed, never trusted
            with contextlib.suppress(OSError):
                path.unlink()
            return None

    def save(self, key: str, feats: VideoFeatures) -> None:
        """Best effort: a cache that cannot be written never fails a run."""
        meta = {"info": asdict(feats.info), "fps": feats.fps, "backbone": feats.backbone,
                "backbone_identity": feats.backbone_identity}
        if feats.span is not None:
            meta["span"] = list(feats.span)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Per process and thread: batch workers may save the same file's features at once.
            tmp = self.directory / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp.npz"
            np.savez(tmp, features=feats.features, times=feats.times, frame_indices=feats.frame_indices,
                     frame_times=feats.frame_times, meta=np.array(json.dumps(meta)))
            os.replace(tmp, self.directory / f"{key}.npz")
        except OSError:
            with contextlib.suppress(OSError, UnboundLocalError):
                tmp.unlink()


def _prefetch(iterator: Iterator, depth: int = 2) -> Iterator:
    """Run ``iterator`` in a thread, ``depth`` items ahead; exceptions surface in the caller."""

    def run(_state, items: Iterator, put) -> None:
        for item in items:
            put(item)

    with Ahead([iterator], run, bound=depth, name="summarize-decode") as ahead:
        yield from ahead.results(0)


def sampling_rate(fps: float, info: VideoInfo) -> float:
    """``fps``, or faster for a clip shorter than two sampling intervals: a video of two or
    more frames always gets at least two samples (at 0 and half its duration)."""
    if info.n_frames >= 2 and info.duration > 0 and info.duration * fps <= 1.0 + 1e-9:
        return max(fps, 2.0 / info.duration)
    return fps


def overlap_seconds(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    """Total length of time inside both a span of ``a`` and a span of ``b`` (each a list of
    disjoint (start, end) spans in time order)."""
    total, i, j = 0.0, 0, 0
    while i < len(a) and j < len(b):
        total += max(0.0, min(a[i][1], b[j][1]) - max(a[i][0], b[j][0]))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def frame_span(frame_times: np.ndarray, duration: float, start: float, end: float | None,
               path: Path | str = "the video") -> tuple[int, int]:
    """[first, stop) frames of the part of a video from ``start`` to ``end`` seconds (None: its
    end), widened to whole frames: it begins with the frame on screen at ``start`` and ends
    with the last frame that starts before ``end``."""
    frame_times = np.asarray(frame_times, dtype=np.float64)
    if start >= duration:
        raise UsageError(f"--start {start:g} is not before the end of {path} ({duration:.3f} s)")
    first = max(int(np.searchsorted(frame_times, start + 1e-6, side="right")) - 1, 0)
    stop = len(frame_times) if end is None else int(np.searchsorted(frame_times, end - 1e-6, side="left"))
    if stop - first < 2:
        raise InputError(f"{path} holds a single video frame from {start:g} s to "
                         f"{end if end is not None else duration:g} s: there is nothing to summarize")
    return first, stop


def _ranges(times: list[float], duration: float, frame: float) -> tuple:
    """Damaged packet times merged into [start, end) ranges (a second apart at most)."""
    ranges: list[list[float]] = []
    for t in sorted(times):
        if ranges and t - ranges[-1][1] <= 1.0:
            ranges[-1][1] = min(t + frame, duration)
        else:
            ranges.append([t, min(t + frame, duration)])
    return tuple((round(a, 6), round(b, 6)) for a, b in ranges)


def _plan(video, info: VideoInfo, fps: float, sampling: str, span: tuple[int, int] | None) -> SamplingPlan:
    """Samples of the whole video, or of the frames of ``span`` from its first frame's time
    (``sampling="keyframes"``: the keyframes among them, see ``decoding/keyframe_sampling.py``)."""
    frame_times = np.asarray(video.frame_times, dtype=np.float64)
    if span is None:
        if sampling == "keyframes":
            return video.plan(sampling_rate(fps, info))
        return plan_samples(frame_times, info.duration, sampling_rate(fps, info))
    first, stop = span
    begin = frame_times[first]
    end = frame_times[stop] if stop < len(frame_times) else info.duration
    part = replace(info, n_frames=stop - first, duration=end - begin)
    if sampling == "keyframes":
        plan = video.plan(sampling_rate(fps, part))
        inside = (plan.frame_indices >= first) & (plan.frame_indices < stop)
        if inside.sum() < 2:
            raise InputError(f"{info.path} has {int(inside.sum())} keyframe(s) to sample from {begin:.3f} s to "
                             f"{end:.3f} s: --sampling keyframes needs at least 2 (use --sampling uniform)")
        return SamplingPlan(fps=float(inside.sum()) / (end - begin), times=plan.times[inside],
                            frame_indices=plan.frame_indices[inside])
    plan = plan_samples(frame_times[first:stop] - begin, end - begin, sampling_rate(fps, part))
    return SamplingPlan(fps=plan.fps, times=plan.times + begin, frame_indices=plan.frame_indices + first)


def _extract(path: Path, backbone: Backbone, fps: float, batch_size: int, decoder: str,
             progress: Callable[[float], None] | None, threads: int, started: float,
             salvage: bool = False, sampling: str = "uniform",
             span: tuple[float, float | None] | None = None, cuts: bool = False) -> VideoFeatures:
    # The stack closes the decoding thread before the video: a thread left decoding from a
    # closed container (Ctrl-C, an error in the network) crashes the process.
    with open_video(path, short_side=backbone.weights_meta.resize, backend=decoder, threads=threads,
                    salvage=salvage, sampling=sampling) as video, contextlib.ExitStack() as stack:
        info = video.info
        frames = None if span is None else frame_span(video.frame_times, info.duration, *span, path=path)
        plan = _plan(video, info, fps, sampling, frames)
        fps = plan.fps
        log.debug("%s: %s decoder, %d frames, %.3f s; %d samples at %g fps (%s)%s", path, info.backend,
                  info.n_frames, info.duration, len(plan), fps, sampling,
                  f" from frames {frames[0]} to {frames[1]}" if frames else "")
        if len(plan) < 2:
            raise InputError(f"{path} holds a single video frame: there is nothing to summarize")
        scout = CutScout(plan.frame_indices, info.n_frames) if cuts and sampling == "uniform" else None
        if scout is not None and not video.watch_cuts(scout):
            scout = None
        # Cost follows the content: samples that show the same frame (a long frame of a
        # variable-rate video, a timestamp gap) are decoded and encoded once.
        unique, first_sample, owner = np.unique(plan.frame_indices, return_index=True, return_inverse=True)
        decode_plan = SamplingPlan(fps=plan.fps, times=plan.times[first_sample], frame_indices=unique)
        encoded_unique = np.empty((len(unique), backbone.feature_dim), dtype=np.float32)
        decode_time = 0.0
        network_time = 0.0
        wait_time = 0.0
        on_gpu = next(backbone.parameters()).device.type == "cuda"

        # Progress counts decoded and encoded samples alike (each half the bar). Short
        # videos are decoded in chunks of about 1% of the samples and encoded in batches of
        # about 2% (at least 4), so the bar moves smoothly rather than a whole batch at a
        # time; features do not depend on the batch size.
        batch_size = min(batch_size, max(4, -(-len(unique) // 50)))
        done = {"decoded": 0, "encoded": 0}
        done_lock = threading.Lock()

        def advance(kind: str, count: int) -> None:
            with done_lock:
                done[kind] += count
                fraction = (done["decoded"] + done["encoded"]) / (2 * len(unique))
            if progress is not None:
                progress(fraction)

        # When decoding and the network were busy (perf_counter spans, each list in time
        # order): how much of the two overlapped goes in the timings.
        decode_spans: list[tuple[float, float]] = []
        network_spans: list[tuple[float, float]] = []

        def timed_batches():
            nonlocal decode_time
            chunk = max(1, min(batch_size, -(-len(unique) // 100)))
            chunks = video.iter_batches(decode_plan, chunk)
            pending: list[np.ndarray] = []
            first = 0
            while True:
                t0 = time.perf_counter()
                try:
                    part = next(chunks, None)
                except InputError as exc:
                    exc.backend = info.backend
                    raise
                t1 = time.perf_counter()
                decode_time += t1 - t0
                decode_spans.append((t0, t1))
                if part is not None:
                    pending.append(part.frames)
                    advance("decoded", len(part.frames))
                while pending and (part is None or sum(len(p) for p in pending) >= batch_size):
                    frames = pending[0] if len(pending) == 1 else np.concatenate(pending)
                    pending = [frames[batch_size:]] if len(frames) > batch_size else []
                    ready = frames[:batch_size]
                    if on_gpu:  # page-locked in the decoding thread, so the copy to the GPU is asynchronous
                        ready = torch.from_numpy(np.ascontiguousarray(ready)).pin_memory()
                    yield FrameBatch(first, ready)
                    first += min(batch_size, len(frames))
                if part is None:
                    return

        # Decoding runs ahead in a thread while the network encodes, so that neither waits
        # for the other: on a GPU, and on a CPU with a decoder that releases the GIL while it
        # decodes (PyAV, NVDEC), the two share the cores (every network call runs on one
        # PyTorch thread, see summarize/threads.py, so no OpenMP thread spins while the
        # decoder holds a core). decord keeps the GIL while it decodes, which would stall
        # the network's Python between its kernels: it alternates with the network, except
        # beside a one-thread network (batch jobs), where decoding ahead fills the gaps.
        overlap = on_gpu or video.releases_gil or (threads == 1 and torch.get_num_threads() == 1)
        batches = _prefetch(timed_batches()) if overlap else timed_batches()
        stack.enter_context(contextlib.closing(batches))
        seen: dict[bytes, int] = {}  # digest of a decoded frame -> its row in encoded_unique
        while True:
            t0 = time.perf_counter()
            batch = next(batches, None)
            wait_time += time.perf_counter() - t0  # the network waiting for decoded frames
            if batch is None:
                break
            t0 = time.perf_counter()
            rows = range(batch.first_sample, batch.first_sample + len(batch.frames))
            # Identical decoded frames (a still scene, a slide) go through the network once.
            digests = [hashlib.blake2b(np.asarray(frame).tobytes(), digest_size=16).digest()
                       for frame in batch.frames]
            new = [i for i, d in enumerate(digests) if d not in seen and seen.setdefault(d, rows[i]) == rows[i]]
            if new:
                encoded_unique[[rows[i] for i in new]] = backbone.encode(batch.frames[new]).numpy()
            for i, d in enumerate(digests):
                encoded_unique[rows[i]] = encoded_unique[seen[d]]
            t1 = time.perf_counter()
            network_time += t1 - t0
            network_spans.append((t0, t1))
            advance("encoded", len(batch.frames))
        if salvage:
            frame = info.duration / max(info.n_frames, 1)
            info = replace(info, damaged=_ranges(getattr(video, "damaged_times", []), info.duration, frame),
                           missing=tuple((round(a, 6), round(b, 6)) for a, b in getattr(video, "missing", [])))
        return VideoFeatures(
            features=encoded_unique[owner], times=plan.times, frame_indices=plan.frame_indices,
            frame_times=np.asarray(video.frame_times, dtype=np.float64), info=info, fps=float(fps),
            backbone=backbone.name, backbone_identity=backbone.identity, span=frames,
            cuts_seen=dict(scout.results) if scout is not None else None,
            timings={"decode": decode_time, "features": network_time, "decode_wait": wait_time,
                     "decode_features_overlap": overlap_seconds(decode_spans, network_spans),
                     "decode_and_features_wall": time.perf_counter() - started},
        )


def chosen_decoder(decoder: str, on_gpu: bool) -> str:
    """The decoder ``auto`` stands for: NVDEC beside a GPU (``open_video`` falls back to PyAV
    on the CPU when NVDEC cannot be used), PyAV on a CPU. PyAV releases the GIL while it
    decodes, so it decodes ahead beside the network, and it skips the pictures no sample
    needs: on the 2-core CPU it decodes the 720p benchmark with about 25% less CPU time than
    decord, for the same frames (decoding/scaler.py scales as decord does)."""
    if decoder != "auto":
        return decoder
    return "nvdec" if on_gpu else "pyav"


def extract_features(path: str | Path, backbone: Backbone, *, fps: float = 2.0, batch_size: int = 32,
                     cache: FeatureCache | None = None, decoder: str = "auto",
                     progress: Callable[[float], None] | None = None, threads: int = 0,
                     salvage: bool = False, sampling: str = "uniform",
                     span: tuple[float, float | None] | None = None, cuts: bool = False) -> VideoFeatures:
    """Sample ``path`` at ``fps`` and return the backbone features of those frames.

    ``threads`` caps the decoder's threads (0: its own choice); PyTorch's are set with
    ``torch.set_num_threads``. ``salvage``: see ``open_video`` (the ranges lost are in
    ``info.damaged`` and ``info.missing``). ``sampling="keyframes"``: one sample per
    keyframe instead, at most ``fps`` a second (``decoding/keyframe_sampling.py``).
    ``span``: (start, end) seconds of the file to sample (end None: to its end), see
    ``frame_span``; samples then start at the first frame of the range (uniform sampling)
    and every time stays the file's. ``cuts``: the cut frames of the sampling intervals seen
    while decoding go in ``cuts_seen`` (``cut_scout.py``).
    """
    if sampling not in SAMPLING_MODES:
        raise UsageError(f"unknown --sampling {sampling!r}; choose one of: {', '.join(SAMPLING_MODES)}")
    if fps <= 0:
        raise UsageError(f"--fps must be positive, got {fps}")
    if batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {batch_size}")
    path = Path(path)
    key = None
    decoder = chosen_decoder(decoder, next(backbone.parameters()).device.type == "cuda")
    if sampling == "keyframes":
        decoder = "pyav"  # the keyframes alone decode in seconds on the CPU (keyframe_sampling.py)
    if cache is not None:
        from .decoding import check_path

        check_path(path)
        digest = file_digest(path)
        key = cache.key(digest, backbone.identity, fps,
                        decoder + ("+salvage" if salvage else "") + ("+keyframes" if sampling == "keyframes" else ""),
                        span)
        hit = cache.load(key)
        log.debug("%s: feature cache %s (%s)", path, "hit" if hit is not None else "miss", key)
        if hit is not None:
            # The cache follows content: the same bytes may have been read from another path.
            hit.info = replace(hit.info, path=str(path))
            if hit.info.has_audio and not hit.info.audio_channels:  # an entry from before the count was kept
                from .decoding.probe import file_audio_channels

                hit.info = replace(hit.info, audio_channels=file_audio_channels(path))
            hit.content_digest = digest
            if progress is not None:
                progress(1.0)
            return hit
    started = time.perf_counter()
    try:
        result = _extract(path, backbone, fps, batch_size, decoder, progress, threads, started, salvage, sampling,
                          span, cuts)
    except InputError as exc:
        if decoder != "decord" or getattr(exc, "backend", None) != "decord" or not path.exists():
            raise
        # decord could not open the file (rotation, timestamps it cannot report) or failed
        # on it (EAGAIN on odd sizes, a bad start offset, a damaged index): as NVDEC does,
        # the whole file goes through PyAV before it is called damaged, and the JSON says so.
        result = _extract(path, backbone, fps, batch_size, "pyav", progress, threads, time.perf_counter(),
                          span=span)
        result.info = replace(result.info, decoder_note=f"decord failed ({exc}); decoded with PyAV")
    if cache is not None and key is not None:
        result.content_digest = digest
        cache.save(key, result)
    return result
