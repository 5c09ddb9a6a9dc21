"""The rate every edit counts in, and how source frames become its frames: the one copy
of the time-code rules that the EDL, OpenTimelineIO, FCP 7 XML and FCPXML share.

SMPTE time code counts only at 23.976, 24, 25, 29.97, 30, 48, 50, 59.94 and 60 frames a
second (drop-frame at 29.97 and 59.94, unless the source's own time code counts
non-drop). A source at one of these (within 0.2%) is edited
at its own rate, frame for frame. A slower source whose rate divides one of them (2, 10,
12.5, 15 fps ...) is edited at the smallest such rate, each source frame being a whole
number of time-code frames: exact. Either holds only while the cuts sit on that rate's
frame grid; otherwise (a variable frame rate), and for any other source up to 60 fps, the
edit runs at 60: each edge becomes the first 1/60 s frame at or after the start of the
frame it cuts on, so an editor that places frames by their time shows that frame at the
edit point. Faster sources (120, 1000 fps) have frames shorter than any time-code frame:
the time-code formats refuse them, OpenTimelineIO counts their frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Sequence

from ...decoding.timecode import TIMECODE_RATES
from ...errors import InputError

# The rates time code may count drop-frame at.
DROP_FRAME_RATES = (Fraction(30000, 1001), Fraction(60000, 1001))
# A measured average this close (relative) to a time-code rate is that rate.
SAME_RATE = 0.002
# Times within this many edit frames of a frame boundary are on it (timestamps stored in
# milliseconds, as Matroska does, are up to 0.03 frames off at 60 fps).
ON_FRAME = 0.05


@dataclass(frozen=True)
class EditRate:
    """How an edit counts the frames of one source."""

    rate: Fraction  # edit frames per second
    per_frame: int | None  # edit frames per source frame where exact; None: placed by time
    timecode: bool  # SMPTE time code can count at this rate
    source_rate: float  # the source's average rate (frames / duration)
    non_drop: bool = False  # the source's own time code counts non-drop frame at 29.97 or 59.94

    @property
    def fps(self) -> float:
        return float(self.rate)

    @property
    def drop_frame(self) -> bool:
        """29.97 and 59.94 count drop-frame time code, unless the source's own time code
        counts non-drop (the EDL, FCP 7 XML and FCPXML agree)."""
        return self.timecode and self.rate in DROP_FRAME_RATES and not self.non_drop

    def frames(self, frame: int, seconds: float) -> int:
        """The edit frame of source frame ``frame``, which starts ``seconds`` after the first."""
        if self.per_frame is not None:
            return frame * self.per_frame
        exact = seconds * self.fps
        nearest = round(exact)
        return nearest if abs(exact - nearest) <= ON_FRAME else math.ceil(exact)


def edit_rate(avg_fps: float, cuts: Sequence[tuple[int, float]] = ()) -> EditRate:
    """The rate an edit of a source averaging ``avg_fps`` frames a second counts in;
    ``cuts``: (frame, seconds) of the frames the edit cuts on, to tell a constant rate."""
    best = min(TIMECODE_RATES, key=lambda r: abs(float(r) - avg_fps))
    grid = None
    if abs(float(best) - avg_fps) <= SAME_RATE * float(best):
        grid = EditRate(best, 1, True, avg_fps)
    else:
        for rate in TIMECODE_RATES:  # ascending: the smallest whole multiple
            multiple = float(rate) / avg_fps
            if round(multiple) >= 2 and abs(multiple - round(multiple)) <= 1e-4 * multiple:
                grid = EditRate(rate, round(multiple), True, avg_fps)
                break
    if grid is not None and all(abs(t * grid.fps - f * grid.per_frame) <= ON_FRAME for f, t in cuts):
        return grid
    if avg_fps <= float(TIMECODE_RATES[-1]) * (1 + SAME_RATE):
        return EditRate(TIMECODE_RATES[-1], None, True, avg_fps)
    return EditRate(Fraction(avg_fps).limit_denominator(1001), 1, False, avg_fps)


def cuts(document: dict[str, Any]) -> list[tuple[int, float]]:
    """(frame, seconds) of every shot edge of a summary document, and of its end."""
    info = document["input"]
    edges = {(s["start_frame"], s["start"]) for s in document.get("shots", ())}
    edges |= {(s["end_frame"], s["end"]) for s in document.get("shots", ())}
    return sorted(edges | ({(info["n_frames"], info["duration"])} if "duration" in info else set()))


def refusal(fmt: str, avg_fps: float, name: str) -> str | None:
    """Why ``fmt`` (a time-code format) cannot be made for a source averaging ``avg_fps``."""
    if edit_rate(avg_fps).timecode:
        return None
    return (f"--export {fmt}: {name} runs at {avg_fps:.4g} fps, faster than time code counts (60 fps at most), "
            f"so its frames have no time code; leave out {fmt} (--export otio counts its frames)")


def check_timecode(fmt: str, document: dict[str, Any]) -> None:
    """Refuse ``fmt`` in one line for a source time code cannot count the frames of."""
    info = document["input"]
    reason = refusal(fmt, info["avg_fps"], info["file_name"])
    if reason:
        raise InputError(reason)


@dataclass(frozen=True)
class SourceClock:
    """Where a source's frames sit on the edit's clock: its time-code origin and length."""

    rate: EditRate
    origin: int  # edit frames from 00:00:00:00 to the first frame (the source's own time code)
    length: int  # edit frames of the whole source

    def at(self, frame: int, seconds: float) -> int:
        """The edit frame, counted from 00:00:00:00, of a source frame."""
        return self.origin + self.rate.frames(frame, seconds)


def source_clock(document: dict[str, Any]) -> SourceClock:
    """The edit's clock for a summary document: its rate, counting drop-frame or not as the
    source's own time code does (a 29.97 camera may stamp 01:00:00:00, non-drop: an edit
    that said 01:00:03;18 for that frame would name the same frame in other words), and
    its origin at that time code."""
    info = document["input"]
    rate = edit_rate(info["avg_fps"], cuts(document))
    timecode = info.get("timecode")
    if timecode and not timecode["drop_frame"]:
        rate = replace(rate, non_drop=True)
    origin = round(timecode["seconds"] * rate.fps) if timecode else 0
    return SourceClock(rate, origin, rate.frames(info["n_frames"], info["duration"]))
