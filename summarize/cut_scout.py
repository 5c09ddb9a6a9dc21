"""Cut frames found while the first pass decodes, so that most change points need no second decoding.

``boundaries.refine_boundaries`` moves each KTS change point to the cut frame inside its
sampling interval by decoding that interval again, from the keyframe before it: on a
long-GOP stream that lead-in is most of the cost (``boundaries.py``). But the first pass has
just decoded most of those frames: every picture others refer to, and the samples (about
two thirds of a camera stream). The scout watches them as they come out of the decoder,
for every sampling interval (any of them may become a change point):

* a cheap luma signature of every decoded frame (a grid of about 64 x 18 pixels of the
  first plane, and its histogram) says whether the interval's pictures jump once: only
  then is it looked at;
* then the frames' thumbnails, the same pixels and the same code as ``boundaries.find_cut``
  (content value and colour histograms), give the changes between consecutive decoded
  frames, and the interval is decided when the pictures the first pass skipped cannot
  change the answer (``decide``); otherwise it stays undecided and is decoded again if KTS
  puts a change point there.

Where every frame of the window was decoded the answer is ``find_cut``'s, value for value.
Where some were skipped (pictures no other refers to), a change across a skipped picture
bounds what it can hide: a clear cut of size ``c`` among ``k`` steps whose others are at
most ``c / RATIO`` leaves the whole span changed by at least ``c (1 - (k - 1) / RATIO)``
(the content value and the histogram distance are both L1 distances, so the triangle
inequality holds), so small spans hide no cut. A cut on a decoded step is taken when it
is at least ``RATIO`` times every other change in the window, spans included: this assumes
a skipped picture differs from its neighbours no more than they differ from each other (no
one-picture flash hidden beside a cut, which the full search would count against the
cut). Anything else is left to the full search.

A skipped picture cannot be decoded later: the decoder gives pictures in display order, so a
reference picture is seen only after the pictures shown before it were decoded or skipped.
Which to decode must be chosen from the packets, before the pictures beside them come out
(``Lookout``): the pictures shown before an anchor whose packet jumps in size, and those
predicted from one side only. What neither test singles out (in grain, a cut on the first
B-picture after an anchor when the scene after it costs little: nothing about its packets
stands out) stays undecided and is decoded again from its keyframe.

Cost on the 10-minute 720p video of ``benchmarks/bench_pipeline.py`` (39 cuts): the first
pass decides all 39 cut windows (5 of them thanks to the lookouts' 20 pictures), so none is
decoded again; the scout takes 1.9-3.0 CPU-seconds in the decoding threads, of 105-130 for
the run (``bench_boundaries.py --case cost``), and the pass decodes 179 pictures more than
without it (the lookouts' 15 and, in ranges, each range's frames up to the first sample past
its end: ``--case scout-cpu``), about 1.2 CPU-seconds more: about 3% of the run in all.

Decoders that take part: PyAV on the CPU, sequential or in ranges (each range watches its
own frames and decodes a few frames past its end, to the first sample of the next range,
so the windows across the join are seen whole). NVDEC, decord, the keyframe triage and
``--salvage`` do not: their change points are decoded again as before.
"""

from __future__ import annotations

import statistics
import threading
from collections import deque

import numpy as np
from av.video.reformatter import VideoReformatter

from .boundaries import MIN_CHANGE, MIN_COLOUR_CHANGE, RATIO, _thumbnail_size, _windows, colour_changes, hsv, \
    picture_changes, window_key

# The signatures' test, which only decides whether a window is worth the thumbnails (a window
# it passes over is searched again if it becomes a change point, so it costs time, never a
# cut): the largest change between consecutive decoded frames inside the interval at least
# this much and this many times every other change in the window, by the mean absolute
# difference of the luma grid (8-bit levels) or, as motion leaves it unchanged, by the
# distance between its histograms (the share of the grid's pixels that move).
SIGNATURE_MIN = (3.0, 0.05)
SIGNATURE_RATIO = 1.5
SIGNATURE_COLUMNS = 64

CUT, NONE, UNKNOWN = "cut", "none", "unknown"

# Pictures the first pass would skip but decodes all the same, judged by their packets alone
# (``Lookout``): those shown before an anchor whose packet is at least ANCHOR_JUMP times the
# median of the last HISTORY anchors' (a picture its past barely predicts: a cut at or before
# it), and any whose packet is at least AS_LARGE times its anchor's and at least OVER_USUAL
# times the median share of the last HISTORY such pictures (predicted from one side only, as
# beside a cut; in grain that nothing predicts every picture is as large as its anchor, and
# none is singled out).
ANCHOR_JUMP = 2.5
HISTORY = 8
AS_LARGE = 1.0
OVER_USUAL = 1.25


def _grid(plane, columns: int) -> np.ndarray:
    """About ``columns`` pixels of every other row of ``columns`` across: every sample reads
    memory the decoder left (its cost is the cache lines it touches, so rows are sparser)."""
    data = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
    step = max(1, plane.width // columns)
    return data[:: 2 * step, : plane.width : step]


def signature(frame) -> np.ndarray | None:
    """A copy of a grid of the frame's first plane (luma for YUV), about ``SIGNATURE_COLUMNS``
    wide; None when its memory cannot be read so. It runs for every frame the first pass
    decodes: the rest is done once per window (``signature_changes``)."""
    try:
        return _grid(frame.planes[0], SIGNATURE_COLUMNS).copy()
    except (ValueError, TypeError, IndexError, AttributeError):
        return None


def signature_changes(grids: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Between consecutive grids (``signature``): the mean absolute difference in 8-bit levels,
    and the share of the grid's pixels whose 16-bin luma histogram bin moved (half the L1
    distance of the histograms' shares). All frames at once: a few NumPy calls a window,
    not a few a frame."""
    stack = np.stack(grids).astype(np.int16)
    n, size = len(stack), stack[0].size
    pixels = np.abs(np.diff(stack, axis=0)).reshape(n - 1, -1).mean(axis=1)
    bins = ((stack >> 4) + (np.arange(n) * 16)[:, None, None]).ravel()  # (any number of frames)
    histograms = np.bincount(bins, minlength=16 * n).reshape(n, 16) / size
    return pixels, 0.5 * np.abs(np.diff(histograms, axis=0)).sum(axis=1)


def _jumps(changes: np.ndarray, inside: list[int], minimum: float) -> bool:
    """Whether the largest change inside the interval stands out (``SIGNATURE_RATIO``)."""
    best = max(inside, key=lambda i: changes[i])
    others = float(np.delete(changes, best).max()) if len(changes) > 1 else 0.0
    return changes[best] >= minimum and changes[best] >= SIGNATURE_RATIO * others


def _decide_one(values: np.ndarray, frames: list[int], lo: int, hi: int, minimum: float) -> tuple[str, int | None]:
    """One test (content value or colour) of the window whose candidates are frames lo+1..hi,
    from ``values[i]``, the change between decoded frames ``frames[i]`` and ``frames[i + 1]``."""
    steps = np.diff(frames)
    inside = [i for i in range(len(values)) if lo <= frames[i] and frames[i + 1] <= hi]
    exact = [i for i in range(len(values)) if steps[i] == 1]
    largest_exact = max((values[i] for i in exact), default=0.0)
    # (1) Could a skipped picture inside the interval hold a clear cut?
    for i in inside:
        k = int(steps[i])
        if k == 1:
            continue
        bound = np.inf if k - 1 >= RATIO else values[i] / (1.0 - (k - 1) / RATIO)
        if bound >= minimum and bound >= RATIO * largest_exact:
            return UNKNOWN, None
    # (2) Then the cut, if any, is a decoded step: the largest (the earliest on a tie).
    candidates = [i for i in inside if steps[i] == 1]
    if not candidates:
        return NONE, None
    best = max(candidates, key=lambda i: (values[i], -i))
    c = values[best]
    others_exact = [values[i] for i in exact if i != best]
    if c < minimum or (others_exact and c < RATIO * max(others_exact)):
        return NONE, None
    others = [values[i] for i in range(len(values)) if i != best]
    if not others or c >= RATIO * max(others):
        return CUT, frames[best + 1]
    return UNKNOWN, None


def decide(thumbs: np.ndarray, frames: list[int], lo: int, hi: int) -> tuple[str, int | None]:
    """The window's answer from the thumbnails of its decoded frames (``frames``, increasing,
    from the last decoded at or before its first frame to the first decoded at or after its
    last): (CUT, frame), (NONE, None) or (UNKNOWN, None), as ``boundaries.find_cut`` combines
    its two tests."""
    x = hsv(thumbs)
    results = [_decide_one(picture_changes(thumbs, x), frames, lo, hi, MIN_CHANGE),
               _decide_one(colour_changes(thumbs, x), frames, lo, hi, MIN_COLOUR_CHANGE)]
    if any(kind == UNKNOWN for kind, _ in results):
        return UNKNOWN, None
    found = {frame for kind, frame in results if kind == CUT}
    return (CUT, found.pop()) if len(found) == 1 else (NONE, None)


class Lookout:
    """Which pictures the first pass would skip (those no other picture refers to and no sample
    shows) it should decode all the same, so that the windows beside a cut are seen whole.

    It must answer before the picture's packet goes to the decoder, long before the decoder
    gives out the pictures beside it (it gives them in display order), so it reads packets:
    in decoding order an *anchor* is a packet shown after every packet before it (an I- or
    P-picture, or the top of a B-pyramid); the packets that follow it until the next anchor
    are shown before it. A cut on an anchor leaves the picture just before it (a skipped
    B-picture) as the only one that tells on which frame the cut is, and the anchor's packet
    is then large next to the anchors before it (its past predicts little of it): the
    pictures shown before such an anchor are decoded (``ANCHOR_JUMP``). In grain every
    anchor is large and that test is mute, but there a B-picture predicted from both sides
    costs less than its anchor (the two predictions average the grain out), and one beside a
    cut, predicted from one side only, about as much: such a picture is decoded, and the
    others shown before the same anchor (``AS_LARGE``, ``OVER_USUAL``). A wrong guess costs
    one picture's decoding; a missed one, the window's second decoding
    (``boundaries.refine_boundaries``)."""

    def __init__(self) -> None:
        self.latest = None  # the last anchor's timestamp
        self.anchor = 0  # and its size
        self.recent: deque = deque(maxlen=HISTORY)  # the last anchors' sizes
        self.shares: deque = deque(maxlen=HISTORY)  # the last other pictures' sizes over their anchors'
        self.jump = False
        self.asked = 0  # pictures it asked for that no sample shows (some others refer to: decoded anyway)

    def wants(self, pts: int, size: int, needed: bool = False) -> bool:
        """Whether the picture of this packet is to be decoded though no sample shows it
        (``needed``: one does); every packet with a timestamp is shown to it, in decoding order."""
        if self.latest is None or pts > self.latest:
            self.jump = len(self.recent) >= 3 and size >= ANCHOR_JUMP * statistics.median(self.recent)
            self.latest, self.anchor = pts, size
            self.recent.append(size)
            return needed  # an anchor is left to the first pass's own rule (almost always a reference picture)
        share = size / max(self.anchor, 1)
        known = len(self.shares) >= 3  # (as for the anchors: fewer tell nothing usual)
        usual = statistics.median(self.shares) if known else 0.0
        self.shares.append(share)
        if known and share >= AS_LARGE and share >= OVER_USUAL * usual:
            self.jump = True  # the cut is after it: the rest shown before the anchor tell where
        self.asked += self.jump and not needed
        return self.jump or needed


class CutScout:
    """The windows of every sampling interval (``boundaries._windows``' keys) and what the
    watchers decided: ``results`` maps "first:last" to the cut frame or None."""

    def __init__(self, sample_frames: np.ndarray, n_frames: int) -> None:
        sample_frames = np.asarray(sample_frames, dtype=np.int64)
        seen, windows = set(), []
        for c, a, b in _windows(range(1, len(sample_frames)), sample_frames, n_frames):
            lo, hi = int(sample_frames[c - 1]), int(sample_frames[c])
            if lo < hi and (a, b) not in seen:
                seen.add((a, b))
                windows.append((a, b, lo, hi))
        self.windows = sorted(windows)
        self.starts = np.array([w[0] for w in self.windows], dtype=np.int64)
        self.sample_frames = np.unique(sample_frames)
        self.results: dict[str, int | None] = {}
        self.lock = threading.Lock()

    def last_frame_needed(self, stop: int) -> int:
        """The last frame a decoder that covers frames before ``stop`` must see for every window
        starting there to be whole (-1: none)."""
        n = int(np.searchsorted(self.starts, stop, "left"))
        return max((w[1] for w in self.windows[:n]), default=-1)

    def samples_between(self, first: int, last: int) -> np.ndarray:
        return self.sample_frames[(self.sample_frames >= first) & (self.sample_frames <= last)]

    def watcher(self) -> "Watcher":
        return Watcher(self)

    def lookout(self) -> Lookout:
        """For each decoder that a watcher watches (``Lookout``)."""
        return Lookout()

    def record(self, found: dict[str, int | None]) -> None:
        with self.lock:
            self.results.update(found)


class Watcher:
    """Sees the frames one decoder gives, in order, and decides each window it sees whole."""

    def __init__(self, scout: CutScout) -> None:
        self.scout = scout
        self.frames: deque = deque()  # the window's frames and the one before (see ``see``)
        self.next = 0  # the first window not yet decided or passed
        self.found: dict[str, int | None] = {}
        self.broken = False
        self.scaler = VideoReformatter()

    def see(self, index: int, frame) -> None:
        """Keeps the frame; the window it completes, if any, is looked at now. Nothing else is
        done per frame: right after a decoding, the first touch of any Python or NumPy code
        costs tens of microseconds (the decoder left the caches cold), so the signatures are
        made per window, in one loop (``_window``)."""
        if self.broken:
            return
        if self.frames and index <= self.frames[-1][0]:
            self.broken = True  # out of order (damage, a clock that restarts): nothing more decided
            return
        if not self.frames:  # the first frame: the windows that start before it are not seen whole
            self.next = int(np.searchsorted(self.scout.starts, index, "left"))
        self.frames.append([index, frame, None])  # (index, frame, its signature when made)
        windows = self.scout.windows
        if self.next < len(windows) and windows[self.next][1] > index:
            return  # no window ends here (past the last one, frames are let go below as they come)
        while self.next < len(windows) and windows[self.next][1] <= index:
            self._window(*windows[self.next])
            self.next += 1
        # Keep the frames from the last one at or before the next window's first frame.
        start = windows[self.next][0] if self.next < len(windows) else index
        while len(self.frames) > 1 and self.frames[1][0] <= start:
            self.frames.popleft()

    def _window(self, a: int, b: int, lo: int, hi: int) -> None:
        frames = self.frames
        first = next((i for i in range(len(frames) - 1, -1, -1) if frames[i][0] <= a), None)
        if first is None or self.broken:
            return  # not seen from its start
        part = [frames[i] for i in range(first, len(frames))]  # to the frame just seen, the first at or after its last
        indices = [entry[0] for entry in part]
        if lo not in indices or hi not in indices:
            return  # a sample not decoded: left to the full search
        for entry in part:
            if entry[2] is None:
                entry[2] = signature(entry[1])
                if entry[2] is None or entry[2].shape != part[0][2].shape:
                    self.broken = True  # unreadable, or the picture's size changed: nothing more decided
                    return
        pixels, colours = signature_changes([entry[2] for entry in part])
        inside = [i for i in range(len(pixels)) if lo <= indices[i] and indices[i + 1] <= hi]
        if not (_jumps(pixels, inside, SIGNATURE_MIN[0]) or _jumps(colours, inside, SIGNATURE_MIN[1])):
            return  # no single jump: not looked at (searched again if KTS puts a change point here)
        kind, cut = decide(np.stack([self._thumbnail(entry[1]) for entry in part]), indices, lo, hi)
        if kind != UNKNOWN:
            self.found[window_key(a, b)] = cut

    def _thumbnail(self, frame) -> np.ndarray:
        width, height = _thumbnail_size(frame.width, frame.height)  # as boundaries._decode_range
        return self.scaler.reformat(frame, width=width, height=height, format="rgb24").to_ndarray()

    def finish(self) -> None:
        """Hands what was decided to the scout (windows not seen to their last frame stay undecided)."""
        self.frames.clear()
        self.scout.record(self.found)
