"""Triage sampling (``--sampling keyframes``): one sample per keyframe, only those decoded.

A keyframe decodes on its own, so FFmpeg is handed the sampled keyframes' packets alone and
every other picture is never decoded: on the 10-minute 720p benchmark video decoding costs about
2 CPU-seconds instead of about 50. The samples then come at the keyframes, where the
encoder put them: every group of pictures (a few seconds for camera footage, and at most
scene cuts, where encoders start one; at most ``--fps`` a second), not at a fixed rate, so
the summary is coarser;
README "Speed" states what it costs on SumMe.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from .base import SamplingPlan
from .pyav_backend import PyAVDecoder

SAMPLING_MODES = ("uniform", "keyframes")


class KeyframeDecoder(PyAVDecoder):
    """PyAV decoding that feeds the decoder keyframe packets only; ``plan`` samples them."""

    keyframes_only = True

    def __init__(self, path: Path, size: tuple[int, int] | None, threads: int = 0, salvage: bool = False) -> None:
        super().__init__(path, size, threads, salvage=salvage)
        if self._by_count:  # frames known by their count: a count over keyframes alone means nothing
            self.close()
            raise InputError(f"the timestamps of {path} restart mid-file, so its keyframes cannot be placed: "
                             f"use --sampling uniform")

    def plan(self, fps: float) -> SamplingPlan:
        """One sample at each keyframe, at the time it starts, at most ``fps`` a second: a
        keyframe closer than ``1 / fps`` to the last sample is passed over (an all-intra
        stream is thus sampled like ``--fps``). The plan's ``fps`` is the samples' mean rate."""
        indices = np.unique([self._index_of_pts[int(p)] for p in self._keyframe_pts if int(p) in self._index_of_pts])
        times = np.asarray(self.frame_times, dtype=np.float64)[indices.astype(np.int64)]
        kept, last = [], -np.inf
        for i, t in zip(indices, times):
            if t - last >= 1.0 / fps - 1e-6:
                kept.append(i)
                last = t
        if len(kept) < 2:
            raise InputError(f"{self.path} has {len(kept)} keyframe(s) to sample: --sampling keyframes needs at "
                             f"least 2 (use --sampling uniform)")
        indices = np.asarray(kept, dtype=np.int64)
        duration = self.info.duration
        return SamplingPlan(fps=len(indices) / duration if duration > 0 else 1.0,
                            times=np.asarray(self.frame_times, dtype=np.float64)[indices], frame_indices=indices)
