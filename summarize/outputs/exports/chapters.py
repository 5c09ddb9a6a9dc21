"""``chapters``: the kept shots as chapters of the original video, as text.

``NAME.summary.chapters.vtt`` (WebVTT, for ``<track kind="chapters">``) and
``NAME.summary.ffmetadata`` (FFmpeg's metadata format), one chapter per kept run, each
with its start and end. WebVTT counts milliseconds (rounded to the nearest); FFmetadata
is given microseconds, the JSON's own precision.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from .kept import chapter_title, clock, kept_ranges

SUFFIXES = (".chapters.vtt", ".ffmetadata")


def webvtt(document: dict[str, Any]) -> str:
    lines = ["WEBVTT", "", f"NOTE kept shots of {document['input']['file_name']} chosen by summarize", ""]
    for k, kept in enumerate(kept_ranges(document), 1):
        lines += [f"{k}", f"{clock(kept.start)} --> {clock(kept.end)}", chapter_title(k, kept), ""]
    return "\n".join(lines)


def ffmetadata(document: dict[str, Any]) -> str:
    """``ffmpeg -i VIDEO -i NAME.summary.ffmetadata -map 0 -map_chapters 1 -c copy OUT.mkv`` adds them."""
    lines = [";FFMETADATA1"]
    for k, kept in enumerate(kept_ranges(document), 1):
        title = chapter_title(k, kept).replace("=", "\\=").replace(";", "\\;").replace("#", "\\#")
        lines += ["", "[CHAPTER]", "TIMEBASE=1/1000000", f"START={round(kept.start * 1e6)}",
                  f"END={round(kept.end * 1e6)}", f"title={title}"]
    return "\n".join(lines) + "\n"


def write(document: dict[str, Any], paths: Sequence[Path]) -> None:
    for path, text in zip(paths, (webvtt(document), ffmetadata(document))):
        path.write_text(text, encoding="utf-8")
