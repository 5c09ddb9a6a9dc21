"""``fcp7xml``: Final Cut Pro 7 XML (``NAME.summary.fcp.xml``; Premiere Pro, DaVinci Resolve)."""

from __future__ import annotations

from typing import Any

from .rates import check_timecode
from .timeline import adapter_text

USES_OTIO = True  # written through an OpenTimelineIO adapter
SUFFIXES = (".fcp.xml",)


def check(document: dict[str, Any]) -> None:
    check_timecode("fcp7xml", document)


def text(document: dict[str, Any]) -> str:
    check(document)
    return adapter_text(document, "fcp_xml", "otio-fcp-adapter")
