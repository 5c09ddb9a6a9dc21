"""Where a stream's clock restarts (transport streams joined byte for byte, a recorder
restarted), told from B-frame reordering by the stream's own order, not by a number of seconds.

Within one run of the clock, decoding timestamps never go back, and a picture is never
shown before (or with) every one of the pictures decoded just before it: reordering (B-frames)
holds back at most 16 pictures in H.264 and HEVC, however far apart in time they are (a
1 fps timelapse reorders across seconds). A restart breaks both at once. Packets are
judged in decoding order, decoded frames in the order they come out; either may lack a
decoding timestamp (a Matroska block, a frame whose packet had none), and then the order of
presentation alone decides, over a whole window (a stream's first pictures may be shown
before the keyframe decoded ahead of them).

``ClockWatch`` judges one packet or frame at a time (the writer's decoded frames);
``restart_points`` finds the same restarts in a whole index at array speed.
"""

from __future__ import annotations

from collections import deque

import numpy as np

# Pictures looked back on: more than the deepest reordering H.264/HEVC allow (16).
REORDER_WINDOW = 32
# Where a packet has no decoding timestamp (in arrays of them).
NO_DTS = np.iinfo(np.int64).min


class ClockWatch:
    """Fed timestamps (ticks of one stream) in decoding or output order, says where the clock restarts."""

    def __init__(self) -> None:
        self.latest_dts: int | None = None
        self.recent: deque[int] = deque(maxlen=REORDER_WINDOW)

    def restarts(self, pts: int | None, dts: int | None = None) -> bool:
        """Whether the clock restarted at this packet or frame (the first of a new run)."""
        if pts is None:
            return False
        shown_first = bool(self.recent) and pts <= min(self.recent)
        if dts is not None and self.latest_dts is not None:
            restart = shown_first and dts < self.latest_dts
        else:  # no decoding time to go by: the presentation order alone, over a whole window
            restart = shown_first and len(self.recent) == REORDER_WINDOW
        if restart:
            self.latest_dts = None
            self.recent.clear()
        if dts is not None:
            self.latest_dts = dts if self.latest_dts is None else max(self.latest_dts, dts)
        self.recent.append(pts)
        return restart


def restart_points(pts: np.ndarray, dts: np.ndarray | None = None) -> list[int]:
    """Indices (decoding order) of the packets that start a new run of the clock, as
    ``ClockWatch`` tells them, at array speed. ``dts``: decoding timestamps, with
    ``NO_DTS`` where a packet has none."""
    pts = np.asarray(pts, dtype=np.int64)
    dts = np.full(len(pts), NO_DTS) if dts is None else np.asarray(dts, dtype=np.int64)
    points, start = [], 0
    while (found := _first_restart(pts[start:], dts[start:])) is not None:
        start += found
        points.append(start)
    return points


def _first_restart(pts: np.ndarray, dts: np.ndarray) -> int | None:
    """Where a fresh ``ClockWatch`` fed these packets first says the clock restarted."""
    if len(pts) < 2:
        return None
    before = np.concatenate([np.full(REORDER_WINDOW - 1, pts[0]), pts])  # pts[0] is in every window anyway
    shown_first = pts[1:] <= np.lib.stride_tricks.sliding_window_view(before, REORDER_WINDOW)[:-1].min(axis=1)
    known = dts != NO_DTS
    latest = np.maximum.accumulate(np.where(known, dts, NO_DTS))[:-1]  # the latest decoding time before each
    by_dts = known[1:] & (latest != NO_DTS)
    full_window = np.arange(1, len(pts)) >= REORDER_WINDOW
    restart = shown_first & np.where(by_dts, dts[1:] < latest, full_window)
    hits = np.flatnonzero(restart)
    return int(hits[0]) + 1 if len(hits) else None


def unwrap_restarts(pts: np.ndarray, dts: np.ndarray | None = None) -> np.ndarray:
    """Packet timestamps (decoding order) made to run on after every restart of the clock:
    each run is shifted so that its first picture is shown one frame after the latest
    picture of the runs before it."""
    pts = np.asarray(pts, dtype=np.int64)
    points = restart_points(pts, dts)
    if not points:
        return pts.copy()
    sorted_head = np.sort(pts[: min(points[0], 64)])
    step = max(int(np.median(np.diff(sorted_head))), 1) if len(sorted_head) > 1 else 1
    out = pts.copy()
    bounds = [*points, len(pts)]
    latest = int(pts[: points[0]].max())
    for start, stop in zip(bounds[:-1], bounds[1:]):
        out[start:stop] += latest + step - int(pts[start:stop].min())
        latest = int(out[start:stop].max())
    return out
