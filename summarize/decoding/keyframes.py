"""Where a coded video stream can be cut: shared by range-parallel decoding and the smart-cut writer."""

from __future__ import annotations

import numpy as np


def _orders(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each picture (``pts`` in decoding order): the latest time shown by the pictures
    decoded before it, and the earliest shown by it and those decoded after it."""
    before_max = np.maximum.accumulate(np.concatenate([[np.iinfo(np.int64).min], pts[:-1]]))
    after_min = np.minimum.accumulate(pts[::-1])[::-1]
    return before_max, after_min


def clean_cut_points(pts: np.ndarray, keyframe: np.ndarray) -> np.ndarray:
    """Timestamps (sorted) of the keyframes a stream can be cut at: with ``pts`` in decoding
    order, every picture before the keyframe is shown before it and every picture after
    it is shown at or after it (the GOP it starts is closed)."""
    pts = np.asarray(pts, dtype=np.int64)
    if len(pts) == 0:
        return pts
    before_max, after_min = _orders(pts)
    clean = np.asarray(keyframe, dtype=bool) & (before_max < pts) & (after_min >= pts)
    return np.sort(pts[clean])


def clean_prefix_ends(pts: np.ndarray) -> np.ndarray:
    """Timestamps (sorted) ``t`` at which decoding can stop cleanly: the pictures decoded
    before the one that is shown at ``t`` are exactly those shown before ``t`` (in a GOP
    coded I0 P3 B1 B2 P6 B4 B5: after I0, after P3 B1 B2, ...). A run of pictures from a
    clean keyframe up to such a point can be copied as it is and shows every frame from
    the keyframe to ``t``, and nothing else."""
    pts = np.asarray(pts, dtype=np.int64)
    if len(pts) == 0:
        return pts
    before_max, after_min = _orders(pts)
    return np.unique(after_min[before_max < after_min])
