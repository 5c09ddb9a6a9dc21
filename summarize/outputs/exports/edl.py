"""``edl``: CMX 3600 (``NAME.summary.edl``), one event per run of touching kept shots.

OpenTimelineIO's ``cmx_3600`` adapter writes the events of the video track; the lines
it leaves out are added here: the frame-count mode (``FCM:``) and, for a source with
sound, its two audio channels on the same events (``AA/V``).
"""

from __future__ import annotations

import re
from typing import Any

from .rates import check_timecode, source_clock
from .timeline import adapter_text

USES_OTIO = True  # written through an OpenTimelineIO adapter
SUFFIXES = (".edl",)

# An event line: number, reel (8 wide), channels (5 wide), transition, then the time codes.
_EVENT = re.compile(r"^(\d{3}  .{8} )V     (C|D)", flags=re.M)


def check(document: dict[str, Any]) -> None:
    check_timecode("edl", document)


def text(document: dict[str, Any]) -> str:
    check(document)
    edl = adapter_text(document, "cmx_3600", "otio-cmx3600-adapter")
    mode = "DROP FRAME" if source_clock(document).rate.drop_frame else "NON-DROP FRAME"
    title, _, events = edl.partition("\n\n")
    if document["input"]["has_audio"]:
        events = _EVENT.sub(lambda m: f"{m.group(1)}AA/V  {m.group(2)}", events)
    return f"{title}\nFCM: {mode}\n\n{events}"
