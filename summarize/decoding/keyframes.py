"""Where a coded video stream can be cut: shared by range-parallel decoding and the smart-cut writer."""

from __future__ import annotations

import numpy as np


def clean_cut_points(pts: np.ndarray, keyframe: np.ndarray) -> np.ndarray:
    """Timestamps (sorted) of the keyframes a stream can be cut at: with ``pts`` in decoding
    order, every picture before the keyframe is shown before it and every picture after
    it is shown at or after it (the GOP it starts is closed)."""
    pts = np.asarray(pts, dtype=np.int64)
    if len(pts) == 0:
        return pts
    before_max = np.maximum.accumulate(np.concatenate([[np.iinfo(np.int64).min], pts[:-1]]))
    after_min = np.minimum.accumulate(pts[::-1])[::-1]
    clean = np.asarray(keyframe, dtype=bool) & (before_max < pts) & (after_min >= pts)
    return np.sort(pts[clean])
