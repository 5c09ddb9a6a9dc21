"""The OpenTimelineIO timeline of the kept shots that the EDL, OTIO and FCP 7 XML write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import UsageError
from ...loading import import_native
from .kept import kept_ranges
from .rates import source_clock
from ..summary_json import source_path

OTIO_HINT = "pip install 'summarize[report]' (or: pip install opentimelineio otio-cmx3600-adapter otio-fcp-adapter)"


def opentimelineio():
    try:
        return import_native("opentimelineio")
    except ImportError:
        raise UsageError(f"exporting edits needs OpenTimelineIO: {OTIO_HINT}") from None


def timeline(document: dict[str, Any], *, audio: bool = True):
    """Clips of the source file, back to back, on a video track (and an audio track when
    the source has sound). Source times count from the source's own time code."""
    otio = opentimelineio()
    info = document["input"]
    clock = source_clock(document)
    source = source_path(document)  # exactly, whatever the bytes of its name

    def rt(frames: int):
        return otio.opentime.RationalTime(frames, clock.rate.fps)

    name = Path(info["file_name"]).stem
    tl = otio.schema.Timeline(name=f"{name} summary", global_start_time=rt(0))
    tl.metadata["summarize"] = {"source": str(source), "method": document["method"]["name"],
                                "budget": document["selection"]["budget"]}
    # The FCP 7 XML writer counts non-drop unless told (the EDL counts drop-frame at 29.97).
    timecode = {"timecode": {"displayformat": "DF" if clock.rate.drop_frame else "NDF"}}
    tl.metadata["fcp_xml"] = timecode
    kinds = [otio.schema.TrackKind.Video] + ([otio.schema.TrackKind.Audio] if audio and info["has_audio"] else [])
    for kind in kinds:
        track = otio.schema.Track(name="V1" if kind == otio.schema.TrackKind.Video else "A1", kind=kind)
        for k, kept in enumerate(kept_ranges(document), 1):
            reference = otio.schema.ExternalReference(
                target_url=source.as_uri(), available_range=otio.opentime.TimeRange(rt(clock.origin), rt(clock.length)),
                metadata={"fcp_xml": timecode})
            start, end = clock.at(kept.start_frame, kept.start), clock.at(kept.end_frame, kept.end)
            clip = otio.schema.Clip(name=f"{name} shot {k}", media_reference=reference,
                                    source_range=otio.opentime.TimeRange(rt(start), rt(end - start)))
            clip.metadata["summarize"] = {"shots": list(kept.shots), "score": kept.score,
                                          "start_seconds": kept.start, "end_seconds": kept.end}
            track.append(clip)
        tl.tracks.append(track)
    return tl


def adapter_text(document: dict[str, Any], adapter: str, package: str, **kwargs) -> str:
    """``document``'s timeline written by the OpenTimelineIO adapter ``adapter``."""
    otio = opentimelineio()
    if adapter not in otio.adapters.available_adapter_names():
        raise UsageError(f"OpenTimelineIO has no {adapter} adapter here: pip install {package}")
    return otio.adapters.write_to_string(timeline(document, audio=adapter != "cmx_3600"), adapter, **kwargs)
