"""Parallel decoding of one video: the stream split at keyframes into contiguous ranges,
each range decoded by its own container on its own thread, the samples handed on in order.

The ranges come from the packet index the PyAV backend reads anyway (no decoding): a
range starts at a *clean* keyframe, one that no picture before it in decoding order is
shown after and no picture after it is shown before (a closed GOP), so decoding from it
gives every later picture exactly as decoding from the start of the file does. A sample
is taken from the frame with the same timestamp as in sequential decoding, so the
samples are bit-identical (``tests/test_decode_ranges.py``). FFmpeg releases the GIL
while it decodes and scales, so threads run the ranges side by side.

The containers are opened by the backend's own ``_open``: for the NVDEC backend every
range decoder is an NVDEC session, several sessions decoding one long video, and CPU range
decoders on the cores the sessions leave free decode their share of the ranges beside them
(``cpu_helpers``). Which range goes to which kind is fixed by the plan, in proportion to
their speeds, not by which finishes first: NVDEC's pictures may differ from FFmpeg's in
their last bits after conversion, and a run must not depend on the scheduling.

How many ranges run at once (``decode_layout``): ``SUMMARIZE_DECODE_WORKERS`` when set
(1 turns it off), else half the cores the process may use, each range decoder with two
frame threads; on two cores two range decoders of one thread each (FFmpeg's frame
threading keeps one decoder's pictures waiting on each other: 1.5 cores busy on the
10-minute 720p video, where two single-threaded ranges keep both busy, 36% less wall
time and 17% less CPU, ``bench_pipeline.py --case decode``); off on one core and when the
caller caps the decoder at one thread (batch workers, which run videos side by side).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterator

import av
import numpy as np

from ..errors import InputError, UsageError
from .base import Decoder, FrameBatch, SamplingPlan
from .probe import _reason
from .pyav_backend import PyAVDecoder, _rotate

WORKERS_ENV = "SUMMARIZE_DECODE_WORKERS"
# A range is at least this many frames (about 10 s at 30 fps): a seek and a decoder
# restart per range are then noise, and each range is split at most at this granularity.
MIN_RANGE_FRAMES = 300
# Ranges per worker over the whole video, so that uneven ranges still share the work out.
RANGES_PER_WORKER = 8
# Relative speeds for sharing ranges between NVDEC sessions and CPU range decoders (two
# FFmpeg threads each), from an H100 machine: 7 sessions 2,556 frames/s, 8 CPU decoders on
# 16 cores 1,343 frames/s (issue 11). A wrong ratio costs only the faster kind's idle tail.
SPEED = {"base": 2, "cpu": 1}
# Containers FFmpeg seeks in by byte position, not by an index (MPEG-TS and -PS, raw streams):
# a seek may land after the keyframe asked for, or nowhere, so they are decoded in one pass.
BYTE_SEEKING = frozenset({"mpegts", "mpeg", "mpegvideo", "h264", "hevc"})


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def decode_workers(threads: int = 0, requested: int | None = None) -> int:
    """How many ranges to decode at once: ``requested`` (or ``SUMMARIZE_DECODE_WORKERS``)
    when given, 0 meaning automatic; automatic is half the usable cores (capped by
    ``threads`` when that is set) and at least two where there are two, 1 (sequential)
    on one."""
    if requested is None:
        text = os.environ.get(WORKERS_ENV, "").strip()
        if text:
            try:
                requested = int(text)
            except ValueError:
                raise UsageError(f"{WORKERS_ENV} must be a whole number (0: automatic), got {text!r}") from None
    if requested is not None and requested < 0:
        raise UsageError(f"decode workers must be 0 (automatic) or more, got {requested}")
    if requested:
        return requested
    if threads == 1:
        return 1
    cores = available_cores() if not threads else min(threads, available_cores())
    return 1 if cores < 2 else max(2, cores // 2)


def decode_layout(threads: int = 0, requested: int | None = None) -> tuple[int, int]:
    """(decoders side by side, FFmpeg threads each) for ``threads`` (0: every usable core):
    ``decode_workers`` decoders sharing the cores, or one decoder with ``threads`` (0:
    FFmpeg's choice) where there is one. The range decoders' layout, and the cut search's."""
    workers = decode_workers(threads, requested)
    if workers == 1:
        return 1, threads
    return workers, max(1, (threads or available_cores()) // workers)


def cpu_helpers(sessions: int, threads: int = 0) -> int:
    """CPU range decoders to run beside ``sessions`` NVDEC sessions: two FFmpeg threads each
    on the cores left once the sessions (about a core's worth of conversion between them)
    and the thread feeding the network have theirs."""
    cores = available_cores() if not threads else min(threads, available_cores())
    return max(0, (cores - 2 - sessions) // 2)


def share_ranges(ranges: list["FrameRange"], counts: dict[str, int]) -> list[str]:
    """The kind that decodes each range: in order, the kind whose decoders have the fewest
    frames per unit of speed so far (ties to the first kind). Depends on the plan only."""
    kinds = [k for k, n in counts.items() if n > 0]
    load = dict.fromkeys(kinds, 0)
    shares = []
    for rng in ranges:
        kind = min(kinds, key=lambda k: load[k] / (counts[k] * SPEED.get(k, 1)))
        load[kind] += rng.stop - rng.first
        shares.append(kind)
    return shares


@dataclass(frozen=True)
class FrameRange:
    """Frames ``first`` to ``stop - 1`` (presentation order) and the samples they hold."""

    first: int
    stop: int
    samples: tuple[int, int]  # [start, end) positions in the sampling plan


def split_ranges(starts: np.ndarray, n_frames: int, wanted: np.ndarray, target: int) -> list[FrameRange]:
    """Contiguous ranges of at least ``target`` frames, each starting at one of ``starts``
    (frame indices where decoding may begin, 0 always among them), holding the samples
    ``wanted`` (non-decreasing frame indices); ranges that hold no sample are left out."""
    starts = np.unique(np.append(np.asarray(starts, dtype=np.int64), 0))
    bounds = [0]
    for s in starts[1:]:
        if s - bounds[-1] >= target:
            bounds.append(int(s))
    bounds.append(n_frames)
    ranges = []
    for first, stop in zip(bounds[:-1], bounds[1:]):
        lo, hi = np.searchsorted(wanted, first, "left"), np.searchsorted(wanted, stop, "left")
        if hi > lo:
            ranges.append(FrameRange(first, stop, (int(lo), int(hi))))
    return ranges


class RangeDecoder(Decoder):
    """A PyAV-family decoder whose ``iter_batches`` decodes keyframe ranges concurrently.

    Everything else (the index, ``info``, ``frame_times``, closing) is the wrapped
    decoder's; the samples are those its sequential ``iter_batches`` gives.
    """

    def __init__(self, base: PyAVDecoder, workers: int, threads_per_worker: int = 2,
                 cpu_workers: int = 0) -> None:  # noqa: D107
        self.base = base
        self.name = base.name
        self.info = base.info
        self.frame_times = base.frame_times
        self.workers = max(int(workers), 1)
        self.threads_per_worker = max(int(threads_per_worker), 1)
        # CPU (FFmpeg software) range decoders beside the base's, for an NVDEC base.
        self.cpu_workers = max(int(cpu_workers), 0)
        self._openers = {"base": base._open, "cpu": lambda path: PyAVDecoder._open(base, path)}
        self._local = threading.local()
        self._opened: list = []
        self._lock = threading.Lock()
        self.ranges_decoded = 0  # how many ranges the last iter_batches split the video into
        self.ranges_by_kind: dict[str, int] = {}  # of those, how many each kind decoded

    def watch_cuts(self, scout) -> bool:
        return self.base.watch_cuts(scout)  # the ranges' watchers are made from the base's scout

    @property
    def releases_gil(self) -> bool:  # whether the ranges' decoding lets the network run beside it
        return self.base.releases_gil

    def __getattr__(self, name):  # missing, damaged_times, ... are the wrapped decoder's
        if name == "base":
            raise AttributeError(name)
        return getattr(self.base, name)

    # --- per-thread containers ---------------------------------------------------------

    def _thread_stream(self, kind: str = "base"):
        stream = getattr(self._local, "stream", None)  # a thread belongs to one kind's pool
        if stream is None:
            try:
                container = self._openers[kind](self.base.path)
            except av.error.FFmpegError as exc:
                raise InputError(f"cannot re-open {self.base.path} to decode it ({_reason(exc)})") from None
            with self._lock:
                self._opened.append(container)
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            stream.thread_count = self.threads_per_worker
            self._local.container, self._local.stream = container, stream
        return self._local.container, stream

    # --- decoding ----------------------------------------------------------------------

    def _decode_range(self, rng: FrameRange, wanted: np.ndarray, kind: str = "base") -> list[np.ndarray]:
        """The converted frames of the range's samples, in sample order, each sample taking
        the first frame at or after the one it wants, as ``PyAVDecoder.iter_batches`` does.

        Decoding starts at a seek to the range's keyframe. Where the container's seek does not
        land on it or before it (after it, or nowhere: containers that seek by bytes are not
        split, ``BYTE_SEEKING``, but a seek may still miss), the range is decoded again from
        the start of the file: a sample must never be stood in for by a later frame because
        the frames before it were not reached."""
        base = self.base
        frames_wanted = wanted[rng.samples[0] : rng.samples[1]]
        images = self._decode_from(rng, frames_wanted, kind, from_start=rng.first == 0)
        if images is None:
            images = self._decode_from(rng, frames_wanted, kind, from_start=True)
        if images is None or len(images) < len(frames_wanted):
            got = 0 if images is None else len(images)
            raise InputError(
                f"{base.path} ends early: no frames decode after "
                f"{float(base.frame_times[frames_wanted[got]]):.1f} s of {base.info.duration:.1f} s "
                f"(truncated or damaged file; --salvage summarizes what decodes)"
            )
        return images

    def _decode_from(self, rng: FrameRange, frames_wanted: np.ndarray, kind: str,
                     from_start: bool) -> list[np.ndarray] | None:
        """The range's sample images decoded after a seek to its keyframe (or to the file's
        start), as many as decode; None when the seek did not reach the keyframe (the first
        frame out is a later one, or none comes out) and the range should start from the file's start."""
        base = self.base
        container, stream = self._thread_stream(kind)
        scout = base._scout if kind == "base" else None
        watcher, last_needed, decoded = None, -1, frames_wanted
        if scout is not None:
            # On to the first sample after the range (and the frame after it), so that the
            # windows across the join are seen whole by this range's watcher.
            watcher, last_needed = scout.watcher(), scout.last_frame_needed(rng.stop)
            decoded = np.concatenate([frames_wanted, scout.samples_between(rng.stop, last_needed)])
        if from_start:
            container.seek(0, stream=stream)
        else:
            container.seek(int(base._pts[rng.first]), stream=stream, backward=True)
        images: list[np.ndarray] = []
        last_index = -1 if from_start else rng.first - 1
        seen = False
        frames = base._decoded(decoded, container, stream, scout.lookout() if scout is not None else None)
        try:
            for frame in frames:
                index = last_index + 1
                if frame.pts is not None:
                    index = base._index_of_pts.get(frame.pts, index)
                if not seen and not from_start and index > rng.first:
                    return None  # the seek landed after the keyframe
                seen, last_index = True, index
                if watcher is not None:
                    watcher.see(index, frame)
                image = None
                while len(images) < len(frames_wanted) and frames_wanted[len(images)] <= index:
                    if image is None:
                        image = base._convert(frame)
                    images.append(image)
                if len(images) == len(frames_wanted) and index >= last_needed:
                    break
        finally:
            frames.close()  # the decoder's skip_frame back to its default
        if not seen and not from_start:
            return None  # nothing came out after the seek
        if watcher is not None:
            watcher.finish()
        return images

    def plan_ranges(self, plan: SamplingPlan) -> list[FrameRange]:
        base = self.base
        starts = [base._index_of_pts[int(p)] for p in base._cut_points if int(p) in base._index_of_pts]
        n = len(base._pts)
        target = max(MIN_RANGE_FRAMES, n // (self.workers * RANGES_PER_WORKER))
        return split_ranges(np.asarray(starts, dtype=np.int64), n, np.asarray(plan.frame_indices), target)

    def iter_batches(self, plan: SamplingPlan, batch_size: int) -> Iterator[FrameBatch]:
        base = self.base
        wanted = np.asarray(plan.frame_indices, dtype=np.int64)
        if (base._by_count or len(wanted) == 0 or np.any(np.diff(wanted) < 0)
                or base._container.format.name in BYTE_SEEKING):
            # Frames known by their count (restarting clocks) cannot be found from a seek, nor
            # reliably in a container that seeks by bytes (each range would start from the file's start).
            yield from base.iter_batches(plan, batch_size)
            return
        ranges = self.plan_ranges(plan)
        self.ranges_decoded = len(ranges)
        if len(ranges) < 2:
            yield from base.iter_batches(plan, batch_size)
            return
        counts = {"base": self.workers, "cpu": self.cpu_workers}
        kinds = share_ranges(ranges, counts)
        self.ranges_by_kind = {k: kinds.count(k) for k in counts if k in kinds}
        batch: list[np.ndarray] = []
        batch_start = next_sample = 0
        window = 2 * (self.workers + self.cpu_workers)
        # At most two ranges per worker decoded ahead of the one handed on: memory stays
        # bounded whatever the video's length.
        with contextlib.ExitStack() as stack:
            pools = {k: stack.enter_context(ThreadPoolExecutor(n, thread_name_prefix=f"summarize-range-{k}"))
                     for k, n in counts.items() if n > 0}
            pending: deque = deque()
            todo = iter(zip(ranges, kinds))

            def submit(item) -> None:
                rng, kind = item
                pending.append(pools[kind].submit(self._decode_range, rng, wanted, kind))

            try:
                for item in todo:
                    submit(item)
                    if len(pending) >= window:
                        break
                while pending:
                    images = pending.popleft().result()
                    nxt = next(todo, None)
                    if nxt is not None:
                        submit(nxt)
                    for image in images:
                        batch.append(image)
                        next_sample += 1
                        if len(batch) == batch_size:
                            yield FrameBatch(batch_start, _rotate(np.stack(batch), base._rotation))
                            batch_start, batch = next_sample, []
            finally:
                for future in pending:
                    future.cancel()
        if batch:
            yield FrameBatch(batch_start, _rotate(np.stack(batch), base._rotation))

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for container in opened:
            container.close()
        self.base.close()
