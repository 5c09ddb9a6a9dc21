"""Check a written summary video against the selection it was meant to hold.

Any writer (re-encoding, stream copy, ...) calls ``check_summary_video`` on the file it
wrote: a codec whose seeking lands elsewhere, timestamps that restart mid-file or an
out-of-order index give a file holding other frames than the JSON claims, and that must
never end with exit 0. The check reads packet timestamps only (no decoding).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import av
import numpy as np


@dataclass(frozen=True)
class ExpectedShot:
    """One kept shot as the selection states it."""

    frames: int  # source frames in the shot
    duration: float  # seconds the shot lasts (start of its first frame to the end of its last)
    last_start: float | None = None  # start of its last frame, from the shot's start (None: not checked)
    source_start: float = 0.0  # where it starts in the source (for messages only)


def output_frame_times(path: str | Path) -> np.ndarray:
    """Presentation times (seconds, sorted) of every video frame in ``path``. A summary's
    clock starts at 0: a first frame later than that is a shot that starts late."""
    with av.open(str(path), metadata_errors="ignore") as container:
        if not container.streams.video:  # the muxer leaves out a track no frame was written to
            return np.empty(0, dtype=np.float64)
        stream = container.streams.video[0]
        tb = stream.time_base
        times = [float(p.pts * tb) for p in container.demux(stream) if p.size and p.pts is not None]
    return np.sort(np.asarray(times, dtype=np.float64))


def check_summary_video(path: str | Path, shots: Sequence[ExpectedShot]) -> str | None:
    """None when ``path`` holds every shot with its frame count and time span (within one
    frame); otherwise one line saying which shot differs and how."""
    try:
        times = output_frame_times(path)
    except av.error.FFmpegError as exc:
        return f"the written file cannot be read back ({exc})"
    expected_total = sum(s.frames for s in shots)
    if abs(len(times) - expected_total) > len(shots):
        return f"it holds {len(times)} frames, the selection {expected_total}"
    clock = 0.0
    for number, shot in enumerate(shots, 1):
        frame = shot.duration / max(shot.frames, 1)
        tolerance = frame + 1e-3
        inside = times[(times >= clock - 1e-4) & (times < clock + shot.duration - 1e-4)]
        where = f"shot {number} (source {shot.source_start:.3f} s)"
        if abs(len(inside) - shot.frames) > 1:
            return f"{where} has {len(inside)} frames instead of {shot.frames}"
        if shot.frames and len(inside):
            first, last = inside[0] - clock, inside[-1] - clock
            expected_last = shot.last_start if shot.last_start is not None else last
            if abs(first) > tolerance or abs(last - expected_last) > tolerance:
                return (f"{where} has frames from {first:+.3f} s to {last:.3f} s instead of "
                        f"0 to {expected_last:.3f} s")
        elif shot.frames:
            return f"{where} is missing"
        clock += shot.duration
    return None
