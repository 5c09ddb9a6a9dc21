"""``edl``: CMX 3600 (``NAME.summary.edl``), one event per run of touching kept shots.

OpenTimelineIO's ``cmx_3600`` adapter writes the events of the video track; the lines
it leaves out are added here: the frame-count mode (``FCM:``) and, for a source with
sound, its audio channels on the same events (``B``: the picture and a mono source's one
channel; ``AA/V``: the picture and the first two channels). At 29.97 and 59.94 the adapter
counts drop-frame; a source whose own time code counts non-drop gets its time codes
rewritten non-drop (the same frames).
"""

from __future__ import annotations

import re
from typing import Any

from .rates import DROP_FRAME_RATES, check_timecode, source_clock
from .timeline import adapter_text, opentimelineio

USES_OTIO = True  # written through an OpenTimelineIO adapter
SUFFIXES = (".edl",)

# An event line: number, reel (8 wide), channels (5 wide), transition, then the time codes.
_EVENT = re.compile(r"^(\d{3}  .{8} )V     (C|D)", flags=re.M)
# A drop-frame time code (';' before the frames).
_DROP_TIMECODE = re.compile(r"\b\d{2}:\d{2}:\d{2};\d{2}\b")


def check(document: dict[str, Any]) -> None:
    check_timecode("edl", document)


def text(document: dict[str, Any]) -> str:
    check(document)
    edl = adapter_text(document, "cmx_3600", "otio-cmx3600-adapter")
    rate = source_clock(document).rate
    mode = "DROP FRAME" if rate.drop_frame else "NON-DROP FRAME"
    title, _, events = edl.partition("\n\n")
    if document["input"]["has_audio"]:
        events = _EVENT.sub(lambda m: f"{m.group(1)}{_channels(document['input'])}{m.group(2)}", events)
    if rate.rate in DROP_FRAME_RATES and not rate.drop_frame:
        events = _non_drop(events, rate.fps)
    return f"{title}\nFCM: {mode}\n\n{events}"


def _channels(info: dict[str, Any]) -> str:
    """The event's channel field (5 wide and a space): the picture with the source's one audio
    channel (``B``, CMX 3600's "both", which OpenTimelineIO reads as V and A1) or with its first
    two (``AA/V``; CMX 3600 names no more). A document written before the count was recorded
    says nothing: two, as then."""
    return "B     " if info.get("audio_channels") == 1 else "AA/V  "


def _non_drop(events: str, fps: float) -> str:
    """The adapter's drop-frame time codes (it counts drop-frame at 29.97 and 59.94 whatever
    it is told) as the same frames counted non-drop."""
    opentime = opentimelineio().opentime

    def count(match: re.Match) -> str:
        frames = opentime.from_timecode(match.group(0), fps)
        return opentime.to_timecode(frames, fps, drop_frame=False)

    lines = events.split("\n")  # the event lines' time codes, not a clip name's
    return "\n".join(_DROP_TIMECODE.sub(count, line) if re.match(r"\d{3} ", line) else line for line in lines)
