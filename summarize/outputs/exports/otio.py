"""``otio``: OpenTimelineIO's own JSON (``NAME.summary.otio``): any frame rate, frame for frame."""

from __future__ import annotations

from typing import Any

from .timeline import adapter_text

USES_OTIO = True  # written through an OpenTimelineIO adapter
SUFFIXES = (".otio",)


def text(document: dict[str, Any]) -> str:
    return adapter_text(document, "otio_json", "opentimelineio")
