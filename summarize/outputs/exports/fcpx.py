"""``fcpx``: Final Cut Pro X's FCPXML (``NAME.summary.fcpxml``, version 1.8).

Written here with ElementTree: OpenTimelineIO's ``fcpx_xml`` adapter writes no frame
duration at 23.976, 29.97 and 59.94 fps (the rates of most cameras) and runs the
``ffprobe`` program on the source. Times are exact rationals of seconds; the project
runs at the edit rate of ``rates.py``, the asset at the source's own rate where it has
one, its ``start`` is the source's time code, and each kept run is one ``asset-clip``
(picture and sound).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path
from typing import Any

from .kept import kept_ranges
from .rates import check_timecode, source_clock
from ..summary_json import source_path

SUFFIXES = (".fcpxml",)
VERSION = "1.8"


def check(document: dict[str, Any]) -> None:
    check_timecode("fcpx", document)


def seconds(value: Fraction) -> str:
    """FCPXML's time: ``0s``, ``3s`` or ``1001/30000s``."""
    value = Fraction(value)
    return f"{value.numerator}s" if value.denominator == 1 else f"{value.numerator}/{value.denominator}s"


def text(document: dict[str, Any]) -> str:
    check(document)
    info = document["input"]
    clock = source_clock(document)
    frame = 1 / clock.rate.rate  # one edit frame, in seconds
    tc_format = "DF" if clock.rate.drop_frame else "NDF"
    name = Path(info["file_name"]).stem

    root = ET.Element("fcpxml", version=VERSION)
    resources = ET.SubElement(root, "resources")
    ET.SubElement(resources, "format", id="r1", frameDuration=seconds(frame),
                  width=str(info["width"]), height=str(info["height"]))
    asset_format = "r1"
    if clock.rate.per_frame and clock.rate.per_frame > 1:  # the source's own, slower rate
        asset_format = "r2"
        ET.SubElement(resources, "format", id="r2", frameDuration=seconds(frame * clock.rate.per_frame),
                      width=str(info["width"]), height=str(info["height"]))
    ET.SubElement(resources, "asset", id="r3", name=name, src=source_path(document).as_uri(),
                  start=seconds(clock.origin * frame), duration=seconds(clock.length * frame),
                  hasVideo="1", hasAudio="1" if info["has_audio"] else "0", format=asset_format,
                  **({"audioSources": "1"} if info["has_audio"] else {}),
                  # The source's channels, where the document records them (older ones do not).
                  **({"audioChannels": str(info["audio_channels"])} if info["has_audio"] and info.get("audio_channels")
                     else {}))
    event = ET.SubElement(ET.SubElement(root, "library"), "event", name=f"{name} summary")
    project = ET.SubElement(event, "project", name=f"{name} summary")
    sequence = ET.SubElement(project, "sequence", format="r1", tcStart="0s", tcFormat=tc_format)
    spine = ET.SubElement(sequence, "spine")
    offset = 0
    for k, kept in enumerate(kept_ranges(document), 1):
        start, end = clock.at(kept.start_frame, kept.start), clock.at(kept.end_frame, kept.end)
        ET.SubElement(spine, "asset-clip", name=f"{name} shot {k}", ref="r3", offset=seconds(offset * frame),
                      start=seconds(start * frame), duration=seconds((end - start) * frame), tcFormat=tc_format)
        offset += end - start
    sequence.set("duration", seconds(offset * frame))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n' + ET.tostring(root, encoding="unicode") + "\n"
