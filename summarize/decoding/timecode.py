"""The source's own time code: where an editor's clock puts its first frame.

Cameras and editors stamp a start time code on a recording (a ``tmcd`` track in MOV/MP4,
a ``TIMECODE`` tag in Matroska, a ``timecode`` tag on an MPEG-2 or MXF stream), e.g.
``01:00:00;00``. An edit list that ignores it relinks the clip an hour off, so the
summary JSON records it and the exports count source in/out from it.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

# The frame rates SMPTE time code counts at (OpenTimelineIO's ``is_valid_timecode_rate``).
TIMECODE_RATES = (Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30),
                  Fraction(48), Fraction(50), Fraction(60000, 1001), Fraction(60))

# HH:MM:SS:FF, drop-frame with ';' (or '.' / ',' as some writers do) before the frames.
# FFmpeg writes the frames with one digit at 10 fps and below (a tmcd track of a 2 fps
# timelapse starts "01:00:00:0"), with three above 100.
_TIMECODE = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{1,3})")


def timecode_rate(stream_rate: Fraction | float | None) -> Fraction | None:
    """The time-code rate nearest a stream's rate (within 1%: a variable-rate phone video
    averages a little under its nominal rate), else the rate itself."""
    if not stream_rate or stream_rate <= 0:
        return None
    rate = Fraction(stream_rate).limit_denominator(1001)
    best = min(TIMECODE_RATES, key=lambda r: abs(r - rate))
    return best if abs(best - rate) <= best / 100 else rate


def timecode_seconds(text: str, rate: Fraction) -> float | None:
    """Seconds from 00:00:00:00 to the time code ``text`` counting ``rate`` frames a second
    (drop-frame at 29.97 and 59.94 when written with ';'); None when it is no valid one."""
    match = _TIMECODE.fullmatch(text.strip())
    if not match or rate <= 0:
        return None
    hours, minutes, seconds, sep, frames = match.groups()
    hours, minutes, seconds, frames = int(hours), int(minutes), int(seconds), int(frames)
    base = max(1, round(rate))  # frames counted per second of time code
    if minutes > 59 or seconds > 59 or frames >= base:
        return None
    count = ((hours * 60 + minutes) * 60 + seconds) * base + frames
    if sep != ":" and base in (30, 60) and rate.denominator == 1001:
        dropped = 2 * base // 30  # frame numbers skipped each minute but every tenth
        total_minutes = hours * 60 + minutes
        count -= dropped * (total_minutes - total_minutes // 10)
    return float(count / rate)


def _tag(metadata: dict) -> str | None:
    for key, value in metadata.items():
        if key.lower() == "timecode" and isinstance(value, str) and value.strip():
            return value.strip()
    return None


def counting_rate(video) -> Fraction | None:
    """The frame rate a time code of the PyAV video stream ``video`` counts at: its stated
    average, unless that is faster than any time code and its timestamps keep a slower one
    (a Matroska file may state 1000 fps, its millisecond clock's ticks)."""
    rate = video.average_rate or video.guessed_rate
    if rate and rate > TIMECODE_RATES[-1] * 1.01 and video.guessed_rate:
        rate = min(rate, video.guessed_rate)
    return rate or None


def read_timecode(path: str | Path) -> dict[str, Any] | None:
    """The start time code of ``path`` as the summary JSON records it, or None without one:
    ``{"start": "01:00:00;00", "rate": 29.97003, "drop_frame": true, "seconds": 3599.9964}``.

    A ``tmcd`` track's tag comes first, then the video stream's, then the container's. A
    tag that is no valid time code is ignored (the file is still summarized). The frames
    count at the video's stated average rate (a ``tmcd`` track counts at the video's),
    unless it is faster than any time code and its timestamps keep a slower one: a Matroska
    file may state 1000 fps (its millisecond clock), which would read 10:00:00:12 as 12 ms
    past ten hours.
    """
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.video:
                return None
            video = container.streams.video[0]
            tags = [s.metadata for s in container.streams.data] + [video.metadata, container.metadata]
            text = next((t for t in map(_tag, tags) if t), None)
            stream_rate = counting_rate(video)
    except (av.error.FFmpegError, OSError, ValueError):
        return None
    if text is None:
        return None
    match = _TIMECODE.fullmatch(text)
    drop_frame = bool(match) and match.group(4) != ":"
    rate = timecode_rate(stream_rate)
    if rate is not None and drop_frame and rate.denominator != 1001:
        rate = Fraction(round(rate) * 1000, 1001)  # drop-frame counts only at 29.97 and 59.94
    seconds = timecode_seconds(text, rate) if rate is not None else None
    if seconds is None:
        return None
    return {"start": text, "rate": round(float(rate), 6), "drop_frame": drop_frame, "seconds": round(seconds, 6)}
