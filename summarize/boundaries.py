"""Frame-accurate shot boundaries: each KTS change point moved to the picture cut it stands for.

KTS runs on the samples (2 a second), so a change point says only that the picture changed
somewhere between two samples: the shot it starts begins at the later sample, up to one
sampling interval after the real cut. Here the frames of that interval are decoded again
(and one frame either side) and the boundary moves to the cut frame, the first frame of
the new shot, when the interval holds a *clear cut*:

* the picture change between consecutive frames is PySceneDetect's content value: the
  mean absolute difference of hue, saturation and value (8-bit HSV, hue 0-179 as in
  OpenCV), averaged over the three channels, on a small thumbnail of every frame;
* the cut is the frame whose change from the frame before is the largest in the interval
  (the earliest on a tie), and it is clear when that change is at least ``MIN_CHANGE``
  and at least ``RATIO`` times every other consecutive change in the window (the
  interval and one frame either side).

A dissolve or a fade spreads its change over many frames and a camera move changes every
frame a little, so none stands out: the boundary stays on the sample ("sample"). A flash
changes the picture twice, into it and out of it, so its largest change never stands
alone either: a static shot with a flash does not invent a cut. Without a clear cut (or
when the frames cannot be decoded again as the first pass indexed them) KTS's position
is kept.

Most intervals are decided before this runs, while the first pass decodes
(``cut_scout.py``: the same thumbnails and test on the frames it decoded anyway, where the
pictures it skipped cannot change the answer); the change points it left undecided are
found here by seeking (``outputs.video.Cutter``, the writer's reader): to the keyframe
before each interval, decoding from there only the pictures that others refer to. The
public ``open_video(...).iter_batches`` decodes from the start of the file, which costs
about as much as the first pass (``benchmarks/bench_boundaries.py``).

Cost (``bench_boundaries.py --case cost``: 10 minutes of 720p, up to 250 frames between
keyframes, 39 change points). About three quarters of the refinement's CPU is decoding
from the keyframe before each window up to it (108 frames a window on average, the
pictures others refer to); the window's own 17 frames a sixth; thumbnails and the cut
test the rest. That lead-in is the floor of decoding the windows again: after the changes
below the refinement is still about a fifth of the run's CPU there (a short-GOP stream,
as phones write, has a far shorter lead-in). What was tried, and why this is what remains:

* *Cheaper arithmetic, same values*: the HSV conversion once per window for both tests and
  without NumPy's slow reductions over a last axis of 3, and one scaling context per
  reader (``frame.to_ndarray(width=...)`` builds one for every frame). Kept.
* *Two readers of one thread* on two cores instead of one frame-threaded reader: windows
  are independent, frame threading drains at every seek, and one reader's cut test runs
  while the other decodes (``_layout``). Kept.
* *Refining only the shots the selection keeps*: rejected. The selection values and
  weighs shots by the frames they hold, so moving a boundary can change what is kept
  (no equivalence to prove); the JSON's ``shots[].boundary`` and the report, which
  chooses again for any budget from the JSON's shots (``outputs/reselect.py``), need
  every boundary where ``summarize VIDEO --budget X`` would put it.
* *A signature of every frame kept by the first pass*: the first pass skips the pictures
  no other picture refers to (a third of this stream), and the test needs every frame of
  the window; decoding them all costs the first pass about 29% more decoding, far more
  than the refinement. What is done instead (``cut_scout.py``): the test on the frames the
  first pass decodes, taken where the skipped ones cannot change it, with the skipped
  pictures beside a likely cut decoded all the same (chosen from their packets); here it
  decides all 39 cuts (34 before those pictures: the other five have a skipped picture just
  before the cut, and were decoded again).
* *Fewer pictures on the way to the window*: ``skip_frame = "BIDIR"`` would also skip
  B-pictures others refer to, which P-pictures may use (H.264 allows it): wrong pixels,
  undetectable; skipping the loop filter drifts every picture up to the window. Both
  change what is decoded, so neither.
* *Windows sharing one pass through a GOP*: here each window has a GOP to itself (cuts
  are 5 to 25 s apart, keyframes 8.3 s), so nothing to share; seeking only when the
  keyframe before the next window is past the reader (``Cutter``'s rule is a 2 s gap)
  would save 4 of 4,221 frames.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from .decoding import decode_layout
from .digest import text_digest

# PySceneDetect's adaptive detector: a frame is a cut when its content value is at least
# min_content_val = 15 and 3 times the average of its neighbours'. Here it must be 3 times
# the largest other change in the window, which also rejects flashes (two equal changes).
MIN_CHANGE = 15.0
MIN_COLOUR_CHANGE = 15.0  # percent of the colour histogram that moves
RATIO = 3.0
THUMBNAIL_WIDTH = 160  # pixels; the height keeps the aspect ratio (narrower ones alias fine textures)
TIME_TOLERANCE = 1e-4  # seconds: a decoded frame is the indexed frame whose start is this close

CUT, SAMPLE = "cut", "sample"
FORMAT = 2  # of the cached cuts: bump when the test or the thumbnails change (2: the first pass's, cut_scout.py)


def window_key(first: int, last: int) -> str:
    """How a window (frames ``first`` to ``last``) is known in the cut cache and the first pass's
    decisions (``cut_scout.py``)."""
    return f"{first}:{last}"


@dataclass(frozen=True)
class Boundary:
    frame: int  # first frame of the shot that starts here
    kind: str  # CUT (moved to the picture cut) or SAMPLE (KTS's sample kept)


def hsv(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 RGB to float32 HSV as OpenCV's 8-bit conversion gives it: H in [0, 180), S, V in [0, 255].

    Written for speed with the same float operations as the plain formula (so the same
    values): channel planes made contiguous and combined pairwise (NumPy's reductions over a
    last axis of 3 are ten times slower), one hue formula picked per pixel rather than
    three computed everywhere, and the hue's wrap as an addition (it lies in [-60, 300))."""
    r, g, b = (np.ascontiguousarray(rgb[..., i], dtype=np.float32) for i in range(3))
    v = np.maximum(np.maximum(r, g), b)
    spread = v - np.minimum(np.minimum(r, g), b)
    s = np.where(v > 0, 255.0 * spread / np.maximum(v, 1e-6), 0.0)
    red, green = v == r, v == g
    difference = np.where(red, g - b, np.where(green, b - r, r - g))
    offset = np.where(red, np.float32(0.0), np.where(green, np.float32(120.0), np.float32(240.0)))
    h = offset + 60.0 * difference / np.maximum(spread, 1e-6)
    h = np.where(spread > 0, np.where(h < 0, h + 360.0, h), 0.0) / 2.0
    return np.stack([h, s, v], axis=-1)


def picture_changes(frames: np.ndarray, hsv_frames: np.ndarray | None = None) -> np.ndarray:
    """PySceneDetect's content value between consecutive frames ((N, H, W, 3) RGB): N - 1
    values in [0, 255]. ``hsv_frames``: ``hsv(frames)`` when already computed."""
    if len(frames) < 2:
        return np.zeros(0)
    x = hsv(frames) if hsv_frames is None else hsv_frames
    return np.abs(np.diff(x, axis=0)).mean(axis=(1, 2, 3))


def colour_changes(frames: np.ndarray, hsv_frames: np.ndarray | None = None) -> np.ndarray:
    """How much of the colour distribution moves between consecutive frames: half the L1
    distance of hue x saturation (16 x 8 bins) and of value (16 bins) histograms, averaged,
    in percent (0: same colours, 100: none in common). Blind to where colours are, so
    camera and subject motion barely change it. ``hsv_frames``: as ``picture_changes``."""
    if len(frames) < 2:
        return np.zeros(0)
    x = (hsv(frames) if hsv_frames is None else hsv_frames).reshape(len(frames), -1, 3)
    h = np.minimum((x[..., 0] * (16 / 180)).astype(np.int64), 15)
    s = np.minimum((x[..., 1] * (8 / 256)).astype(np.int64), 7)
    v = np.minimum((x[..., 2] * (16 / 256)).astype(np.int64), 15)
    rows = np.arange(len(frames))[:, None]
    hs = np.bincount((rows * 128 + h * 8 + s).ravel(), minlength=len(frames) * 128).reshape(-1, 128)
    vv = np.bincount((rows * 16 + v).ravel(), minlength=len(frames) * 16).reshape(-1, 16)
    pixels = x.shape[1]
    return 25.0 * (np.abs(np.diff(hs, axis=0)).sum(axis=1) + np.abs(np.diff(vv, axis=0)).sum(axis=1)) / pixels


def _clear(changes: np.ndarray, positions: list[int], minimum: float) -> int | None:
    """The position among ``positions`` whose change stands out: the largest (the earliest on
    a tie), at least ``minimum`` and ``RATIO`` times every other change; else None."""
    best = max(positions, key=lambda p: (changes[p], -p))
    others = np.delete(changes, best)
    if changes[best] >= minimum and changes[best] >= RATIO * (float(others.max()) if len(others) else 0.0):
        return best
    return None


def find_cut(frames: np.ndarray, first: int, candidates: Sequence[int]) -> int | None:
    """The frame number of a clear cut among ``candidates`` (frames whose change from the frame
    before may be the cut), or None. ``frames`` are consecutive, the first numbered ``first``.

    The cut must stand out by the picture (content value) or by its colours (histograms):
    motion blurs the first, a cut between scenes of the same colours the second. Both
    standing out at different frames is no clear cut."""
    positions = [c - first - 1 for c in candidates if 0 <= c - first - 1 < len(frames) - 1]
    if not positions:
        return None
    x = hsv(frames)  # once for both tests
    found = {_clear(picture_changes(frames, x), positions, MIN_CHANGE),
             _clear(colour_changes(frames, x), positions, MIN_COLOUR_CHANGE)} - {None}
    return first + found.pop() + 1 if len(found) == 1 else None


def _windows(change_points: Iterable[int], sample_frames: np.ndarray, n_frames: int) -> list[tuple[int, int, int]]:
    """(change point, first, last frame to decode) for each change point: the frames from its
    sample interval's start to its end, one more either side."""
    out = []
    for c in change_points:
        lo, hi = int(sample_frames[c - 1]), int(sample_frames[c])
        out.append((int(c), max(lo - 1, 0), min(hi + 1, n_frames - 1)))
    return out


def _ranges(windows: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """Windows merged where they overlap or touch: each range is decoded once."""
    merged: list[list[int]] = []
    for _, first, last in sorted(windows, key=lambda w: w[1]):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return [(a, b) for a, b in merged]


def _thumbnail_size(width: int, height: int) -> tuple[int, int]:
    w = min(THUMBNAIL_WIDTH, width)
    return w, max(8, round(w * height / max(width, 1)))


def _decode_range(reader, first: int, last: int, times: np.ndarray, end: float,
                  scaler: VideoReformatter | None = None) -> np.ndarray | None:
    """Thumbnails of frames ``first`` to ``last``, or None when the frames decoded are not
    exactly those (a seek that lands elsewhere, damage, timestamps that restart).

    ``scaler``: one per reader, so FFmpeg's scaling context is made once, not for every
    frame as ``frame.to_ndarray(width=...)`` does (the same pixels at 60% of the cost)."""
    stop = times[last + 1] if last + 1 < len(times) else end
    scaler = scaler or VideoReformatter()
    thumbs, got = [], []
    for frame in reader.frames_between(float(times[first]), float(stop)):
        got.append(float(frame.pts * reader.stream.time_base))
        width, height = _thumbnail_size(frame.width, frame.height)  # coded size: the rotation does not matter
        thumbs.append(scaler.reformat(frame, width=width, height=height, format="rgb24").to_ndarray())
    expected = times[first : last + 1]
    if len(got) != len(expected) or np.max(np.abs(np.asarray(got) - expected), initial=0.0) > TIME_TOLERANCE:
        return None
    return np.stack(thumbs)


class BoundaryCache:
    """Cuts already looked for, per file content: a second run on the same video (another
    budget, another method) does not decode again. One JSON file per (content, the test's
    parameters, frame count); entries "first:last" -> the cut frame or null."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _path(self, digest: str, n_frames: int) -> Path:
        key = [FORMAT, digest, n_frames, MIN_CHANGE, MIN_COLOUR_CHANGE, RATIO, THUMBNAIL_WIDTH]
        return self.directory / f"{text_digest(json.dumps(key), 40)}.json"

    def load(self, digest: str, n_frames: int) -> dict[str, int | None]:
        try:
            found = json.loads(self._path(digest, n_frames).read_text())
            return {str(k): (None if v is None else int(v)) for k, v in found.items()}
        except (OSError, ValueError, TypeError, AttributeError):  # none yet, or damaged: looked for again
            return {}

    def save(self, digest: str, n_frames: int, found: dict[str, int | None]) -> None:
        """Best effort, as the feature cache: a cache that cannot be written never fails a run."""
        path = self._path(digest, n_frames)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(found))
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()


class _Readers:
    """One seeking reader (``outputs.video.Cutter``, the writer's: one copy of the mechanism)
    and one scaling context per worker thread, opened on its first window, all closed at the end."""

    def __init__(self, path, threads: int) -> None:
        self.path, self.threads = path, threads
        self.local = threading.local()
        self.opened: list = []
        self.lock = threading.Lock()

    def get(self):
        from .outputs.video import Cutter

        if getattr(self.local, "reader", None) is None:
            self.local.reader = Cutter(self.path, "video", self.threads)
            self.local.scaler = VideoReformatter()
            with self.lock:
                self.opened.append(self.local.reader)
        return self.local.reader, self.local.scaler

    def close(self) -> None:
        with self.lock:
            opened, self.opened = self.opened, []
        for reader in opened:
            reader.close()


def _look(readers: _Readers, first: int, last: int, windows, sample_frames, times, end) -> dict[str, int | None]:
    """Decode frames ``first`` to ``last`` and look for the cut of every window in them."""
    found: dict[str, int | None] = {}
    try:
        reader, scaler = readers.get()
        thumbs = _decode_range(reader, first, last, times, end, scaler)
    except av.error.FFmpegError:
        thumbs = None
    if thumbs is None:
        return found  # not recorded: looked for again next time
    for c, a, b in windows:
        if first <= a and b <= last:
            lo, hi = int(sample_frames[c - 1]), int(sample_frames[c])
            found[window_key(a, b)] = find_cut(thumbs[a - first : b - first + 1], a, range(lo + 1, hi + 1))
    return found


def _layout(threads: int) -> tuple[int, int]:
    """(readers side by side, FFmpeg threads each): the range decoders' layout
    (``decoding.decode_layout``; two readers of one thread on two cores). Windows are
    independent, so several single-threaded decoders keep the cores busy through each
    seek's refill (frame threading drains at every seek) and one reader's cut test
    overlaps another's decoding."""
    return decode_layout(threads)


def refine_boundaries(path, frame_times: np.ndarray, start_time: float, duration: float, sample_frames: np.ndarray,
                      change_points: Sequence[int], threads: int = 0, cache: BoundaryCache | None = None,
                      digest: str | None = None, search: bool = True,
                      known: dict[str, int | None] | None = None) -> list[Boundary]:
    """Where the shots that start at ``change_points`` (sample indices) really start.

    ``search=False`` keeps every boundary on its sample, decoding nothing (the keyframe
    triage: its intervals are whole groups of pictures, as costly as decoding the file).

    ``frame_times`` (seconds from the first frame) and ``start_time`` (the first frame's time
    on the container's clock) are the decoder's index of ``path``; ``duration`` the end of
    the last frame (seconds from the first). With ``cache`` and the file's content
    ``digest``, cuts looked for before are not decoded again; ``known``: windows the first
    pass decided (``cut_scout.py``, "first:last" -> cut frame or None), not decoded either.
    The intervals are decoded side by side (``_layout``), each by the first free reader.
    """
    sample_frames = np.asarray(sample_frames, dtype=np.int64)
    n_frames = len(frame_times)
    windows = _windows(change_points, sample_frames, n_frames)
    # Without the search, not the cache either: the JSON must not depend on what an earlier run found.
    cached = cache.load(digest, n_frames) if search and cache is not None and digest else {}
    found = {**(known or {}), **cached} if search else {}
    todo = [w for w in windows if window_key(w[1], w[2]) not in found] if search else []
    times = np.asarray(frame_times, dtype=np.float64) + start_time
    ranges = _ranges(todo)
    if ranges:
        workers, each = _layout(threads)
        readers = _Readers(path, each)
        try:
            with ThreadPoolExecutor(min(workers, len(ranges)), thread_name_prefix="summarize-cuts") as pool:
                for part in pool.map(lambda r: _look(readers, r[0], r[1], todo, sample_frames, times,
                                                     start_time + duration), ranges):
                    found.update(part)
        finally:
            readers.close()
    if cache is not None and digest and found != cached:
        cache.save(digest, n_frames, found)
    out = []
    for c, a, b in windows:
        cut = found.get(window_key(a, b))
        out.append(Boundary(cut, CUT) if cut is not None else Boundary(int(sample_frames[c]), SAMPLE))
    return out


def boundary_counts(boundaries: Sequence[Boundary]) -> dict:
    """What the summary JSON records of the boundaries (``segmentation.boundaries``)."""
    return {"cut": sum(b.kind == CUT for b in boundaries), "sample": sum(b.kind != CUT for b in boundaries),
            "params": {"min_change": MIN_CHANGE, "min_colour_change": MIN_COLOUR_CHANGE, "ratio": RATIO}}
